//! Per-service NATS credentials with `deploy/nats/nexus.conf`, on a
//! nats-server of the test's own: a service connects with its user and
//! password, creates the stream, publishes its own events and creates its own
//! consumer; it may not publish another service's events nor create its
//! consumer; a wrong password does not connect. Also an nkey seed file, and
//! TLS verified against a configured CA (certificates made here).

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
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats/nexus.conf");
    start_with(&["-c".as_ref(), config.as_os_str()])
}

/// A nats-server with `args` (and JetStream), on a free port.
fn start_with(args: &[&std::ffi::OsStr]) -> Option<Server> {
    let binary = std::env::var("NEXUS_TEST_NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/sbin/nats-server"));
    if !binary.exists() {
        eprintln!("SKIPPED: no nats-server binary at {}", binary.display());
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = tempfile::tempdir().unwrap();
    let child = Command::new(binary)
        .args(args)
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
        max_version_jump: 1000,
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

fn plain(port: u16, nats: NatsConnectSettings) -> EventSettings {
    EventSettings {
        nats,
        ..settings(port, "unused", "unused")
    }
}

async fn connects(settings: &EventSettings) -> bool {
    connect_options(settings)
        .await
        .unwrap()
        .connect(settings.nats_url.as_str())
        .await
        .is_ok()
}

#[tokio::test]
async fn an_nkey_seed_file_authenticates_its_user_only() {
    let dir = tempfile::tempdir().unwrap();
    let user = nkeys::KeyPair::new_user();
    let config = dir.path().join("nkey.conf");
    std::fs::write(
        &config,
        format!(
            "authorization {{ users: [ {{ nkey: {} }} ] }}\n",
            user.public_key()
        ),
    )
    .unwrap();
    let seed_file = |name: &str, key: &nkeys::KeyPair| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{}\n", key.seed().unwrap())).unwrap();
        path
    };
    let Some(server) = start_with(&["-c".as_ref(), config.as_os_str()]) else {
        return;
    };
    let known = NatsConnectSettings {
        nkey_seed_file: Some(seed_file("user.nk", &user)),
        ..NatsConnectSettings::default()
    };
    assert!(connects(&plain(server.port, known)).await);
    let stranger = NatsConnectSettings {
        nkey_seed_file: Some(seed_file("other.nk", &nkeys::KeyPair::new_user())),
        ..NatsConnectSettings::default()
    };
    assert!(!connects(&plain(server.port, stranger)).await);
}

#[tokio::test]
async fn tls_verifies_the_server_against_the_configured_ca() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ca = |name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (write(name, cert.pem()), cert, key)
    };
    let (ca_file, ca_cert, ca_key) = ca("ca.crt");
    let (other_ca_file, _, _) = ca("other-ca.crt");
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca_cert, &ca_key)
        .unwrap();
    let cert_file = write("server.crt", server_cert.pem());
    let key_file = write("server.key", server_key.serialize_pem());
    let Some(server) = start_with(&[
        "--tls".as_ref(),
        "--tlscert".as_ref(),
        cert_file.as_os_str(),
        "--tlskey".as_ref(),
        key_file.as_os_str(),
    ]) else {
        return;
    };
    let trusting = NatsConnectSettings {
        tls_ca_file: Some(ca_file),
        ..NatsConnectSettings::default()
    };
    assert!(connects(&plain(server.port, trusting)).await);
    let other = NatsConnectSettings {
        tls_ca_file: Some(other_ca_file),
        ..NatsConnectSettings::default()
    };
    assert!(!connects(&plain(server.port, other)).await);
}
