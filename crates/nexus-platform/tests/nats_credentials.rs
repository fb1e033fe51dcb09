//! Per-service NATS credentials with `deploy/nats/nexus.conf`, on a
//! nats-server of the test's own: a service connects with its user and
//! password, creates the stream, publishes its own events and creates its own
//! consumer; it may not publish another service's events nor create its
//! consumer; a wrong password does not connect.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use nexus_platform::config::{EventSettings, NatsConnectSettings};
use nexus_platform::events::NatsEventBus;
use nexus_platform::events::nats::connect_options;
use nexus_platform::{BusMessage, EventBus as _};

const PASSWORDS: [(&str, &str); 3] = [
    ("NEXUS_IDENTITY_NATS_PASSWORD", "identity-test-password"),
    ("NEXUS_UPN_NATS_PASSWORD", "upn-test-password"),
    (
        "NEXUS_TENANT_ACCESS_NATS_PASSWORD",
        "tenant-access-test-password",
    ),
];

struct Server {
    child: Child,
    port: u16,
    _store: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Option<Server> {
    let binary = std::env::var("NEXUS_TEST_NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/sbin/nats-server"));
    if !binary.exists() {
        eprintln!("SKIPPED: no nats-server binary at {}", binary.display());
        return None;
    }
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats/nexus.conf");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = tempfile::tempdir().unwrap();
    let child = Command::new(binary)
        .arg("-c")
        .arg(config)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store.path())
        .envs(PASSWORDS)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nats-server");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nats-server did not listen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Server {
        child,
        port,
        _store: store,
    })
}

fn settings(port: u16, user: &str, password: &str) -> EventSettings {
    EventSettings {
        backend: None,
        nats_url: format!("nats://127.0.0.1:{port}"),
        stream: "NEXUS".to_owned(),
        subject_prefix: String::new(),
        stream_replicas: 1,
        stream_max_age_secs: 0,
        stream_max_bytes: 0,
        stream_max_msgs: 0,
        relay_batch_size: 16,
        relay_poll_interval_ms: 1000,
        outbox_retention_secs: 60,
        nats: NatsConnectSettings {
            user: Some(user.to_owned()),
            password: Some(password.to_owned().into()),
            ..NatsConnectSettings::default()
        },
    }
}

fn message(subject: &str) -> BusMessage {
    BusMessage {
        id: uuid::Uuid::now_v7().to_string(),
        subject: subject.to_owned(),
        event_type: "user.created".to_owned(),
        source: "identity".to_owned(),
        time: chrono::Utc::now(),
        traceparent: None,
        payload: Bytes::from_static(b"event"),
    }
}

#[tokio::test]
async fn each_service_publishes_its_own_events_only() {
    let Some(server) = start() else {
        return;
    };
    let identity = settings(server.port, "identity", PASSWORDS[0].1);
    // Connecting once without retries shows the credentials are accepted.
    connect_options(&identity)
        .await
        .unwrap()
        .connect(identity.nats_url.as_str())
        .await
        .unwrap();
    let bus = NatsEventBus::connect(&identity).await.unwrap();
    let started = Instant::now();
    while !bus.is_ready().await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never connected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bus.ensure_stream().await.unwrap();
    bus.publish(&message("nexus.identity.user.created"))
        .await
        .unwrap();
    // upn's subject is not identity's to publish: JetStream never stores it.
    assert!(
        bus.publish(&message("nexus.upn.custom_upn.created"))
            .await
            .is_err()
    );
    let stored = bus
        .jetstream()
        .get_stream("NEXUS")
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages;
    assert_eq!(stored, 1);
    // Its own durable consumer, not another service's.
    bus.durable_consumer("identity-custom-upns", "nexus.upn.custom_upn.>", 5)
        .await
        .unwrap();
    assert!(
        bus.durable_consumer("upn-users", "nexus.identity.user.deleted", 5)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_wrong_password_or_none_is_refused() {
    let Some(server) = start() else {
        return;
    };
    for password in ["wrong-password", PASSWORDS[1].1] {
        let wrong = settings(server.port, "identity", password);
        let refused = connect_options(&wrong)
            .await
            .unwrap()
            .connect(wrong.nats_url.as_str())
            .await;
        assert!(refused.is_err(), "{password}");
    }
    let anonymous = async_nats::ConnectOptions::new()
        .connect(format!("nats://127.0.0.1:{}", server.port))
        .await;
    assert!(anonymous.is_err());
}
