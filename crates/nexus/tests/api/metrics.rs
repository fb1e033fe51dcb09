//! `/metrics` on the admin listener: Prometheus text that a scraper parses,
//! counting the requests and calls just made; and the outbox backlog rising
//! while NATS is down and falling once it is back (a nats-server of the
//! test's own, never the shared one).

mod exposition;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use exposition::Sample;
use http_body_util::Full;
use nexus_platform::config::EventBackend;

use crate::helpers::{Backend, TestApp, create_user, new_user, unavailable};

/// An admin listener on a free port.
fn with_admin(settings: &mut nexus_platform::Settings) {
    settings.gateway.admin_listen = Some("127.0.0.1:0".parse().unwrap());
}

fn admin_addr(app: &TestApp) -> SocketAddr {
    app.running
        .as_ref()
        .and_then(|r| r.admin_addr)
        .expect("an admin listener")
}

async fn get(app: &TestApp, url: String) -> crate::helpers::Answer {
    let request = http::Request::get(url)
        .body(Full::new(Bytes::new()))
        .unwrap();
    app.send(request).await
}

type Scrape = Vec<Sample>;

/// Scrapes `/metrics` and parses it strictly.
async fn scrape(app: &TestApp) -> Scrape {
    let answer = get(app, format!("http://{}/metrics", admin_addr(app))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = answer.body.as_str().expect("a text body");
    exposition::parse(text).unwrap_or_else(|e| panic!("not Prometheus text: {e}\n{text}"))
}

/// The value of the sample `name` whose labels include `labels` (0 when
/// there is none yet).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = scrape
        .iter()
        .filter(|s| matches(s, name, labels))
        .map(|s| s.value)
        .collect();
    assert!(found.len() <= 1, "{name}{labels:?} matches {found:?}");
    found.first().copied().unwrap_or(0.0)
}

fn matches(sample: &Sample, name: &str, labels: &[(&str, &str)]) -> bool {
    sample.name == name
        && labels
            .iter()
            .all(|(k, v)| sample.labels.get(*k).map(String::as_str) == Some(*v))
}

fn present(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> bool {
    scrape.iter().any(|s| matches(s, name, labels))
}

const IDENTITY: &str = "nexus.identity.v1.IdentityService";

#[tokio::test]
async fn metrics_count_the_request_just_made_by_route_template() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, with_admin).await else {
        return;
    };
    let user = create_user(&app, "metrics@example.com").await;
    let route = [
        ("route", "/v1/users/{userId}"),
        ("method", "GET"),
        ("status", "200"),
    ];
    let get_user = [
        ("grpc_service", IDENTITY),
        ("grpc_method", "GetUser"),
        ("grpc_code", "OK"),
    ];
    let not_found = [
        ("grpc_service", IDENTITY),
        ("grpc_method", "GetUser"),
        ("grpc_code", "NotFound"),
    ];
    let refused = [("reason", "credentials")];
    let before = scrape(&app).await;

    let answer = app
        .call("GET", &format!("/v1/users/{user}"), None, true)
        .await;
    assert_eq!(answer.status, 200);
    let missing = uuid::Uuid::now_v7();
    let answer = app
        .call("GET", &format!("/v1/users/{missing}"), None, true)
        .await;
    assert_eq!(answer.status, 404);
    let answer = app
        .call("GET", &format!("/v1/users/{user}"), None, false)
        .await;
    assert_eq!(answer.status, 401);
    let after = scrape(&app).await;

    let requests = "nexus_http_requests_total";
    assert_eq!(
        value(&after, requests, &route) - value(&before, requests, &route),
        1.0
    );
    let duration = "nexus_http_request_duration_seconds_count";
    assert_eq!(
        value(&after, duration, &route) - value(&before, duration, &route),
        1.0
    );
    // The path's ids never become labels.
    assert!(!present(
        &after,
        requests,
        &[("route", &format!("/v1/users/{user}"))]
    ));
    let unauthorized = [("route", "/v1/users/{userId}"), ("status", "401")];
    assert_eq!(
        value(&after, requests, &unauthorized) - value(&before, requests, &unauthorized),
        1.0
    );
    let failures = "nexus_auth_failures_total";
    assert_eq!(
        value(&after, failures, &refused) - value(&before, failures, &refused),
        1.0
    );
    let handled = "nexus_grpc_server_handled_total";
    assert!(value(&after, handled, &get_user) > value(&before, handled, &get_user));
    assert!(value(&after, handled, &not_found) > value(&before, handled, &not_found));
    assert!(present(
        &after,
        "nexus_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))]
    ));
    assert!(present(
        &after,
        "nexus_db_pool_connections",
        &[("service", "identity"), ("state", "idle")]
    ));

    // Metrics are on the admin listener only, not on the public one.
    let public = get(&app, format!("http://{}/metrics", app.addr)).await;
    assert_eq!(public.status, 404);
    let live = get(&app, format!("http://{}/healthz", admin_addr(&app))).await;
    assert_eq!(live.status, 200);
    app.stop().await;
}

/// A nats-server of this test's own with JetStream, on a free port.
struct OwnNats {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

fn nats_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("NEXUS_TEST_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let debian = PathBuf::from("/usr/sbin/nats-server");
    if debian.exists() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("nats-server"))
            .find(|p| p.exists())
    })
}

impl OwnNats {
    fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut nats = Self {
            port,
            store: tempfile::tempdir().unwrap(),
            child: None,
        };
        nats.run()?;
        Some(nats)
    }

    fn run(&mut self) -> Option<()> {
        let Some(binary) = nats_binary() else {
            unavailable("nats-server binary", "/usr/sbin or PATH", &"not found");
            return None;
        };
        let child = Command::new(binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(())
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Scrapes until `check` holds of the identity service's outbox backlog;
/// fails after a minute (the relay backs off up to 10 s between tries).
async fn backlog_until(app: &TestApp, what: &str, check: impl Fn(f64) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let scraped = scrape(app).await;
        let service = [("service", "identity")];
        if present(&scraped, "nexus_outbox_pending", &service) {
            let pending = value(&scraped, "nexus_outbox_pending", &service);
            if check(pending) {
                return scraped;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: the backlog stays at {pending}"
            );
        } else {
            assert!(Instant::now() < deadline, "{what}: no backlog sample");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn outbox_backlog_rises_while_nats_is_down_and_falls_when_it_is_back() {
    let Some(mut nats) = OwnNats::start() else {
        return;
    };
    let url = nats.url();
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        with_admin(s);
        s.events.backend = Some(EventBackend::Nats);
        s.events.nats_url = url;
        s.events.stream_max_age_secs = 600;
    })
    .await
    else {
        return;
    };
    let identity = [("service", "identity")];
    create_user(&app, "first@example.com").await;
    let published = backlog_until(&app, "the first event is published", |n| n == 0.0).await;
    let published_before = value(&published, "nexus_outbox_published_total", &identity);
    assert!(published_before >= 1.0);

    nats.stop();
    for email in ["down1@example.com", "down2@example.com"] {
        let answer = app
            .call("POST", "/v1/users", Some(new_user(email)), true)
            .await;
        assert_eq!(
            answer.status, 201,
            "writes go on while NATS is down: {:?}",
            answer.body
        );
    }
    let waiting = backlog_until(&app, "two events wait in the outbox", |n| n >= 2.0).await;
    assert!(
        value(
            &waiting,
            "nexus_outbox_oldest_pending_age_seconds",
            &identity
        ) >= 0.0
    );
    assert!(value(&waiting, "nexus_outbox_publish_failures_total", &identity) >= 1.0);

    nats.run().expect("nats-server again");
    let drained = backlog_until(&app, "the backlog is published", |n| n == 0.0).await;
    assert!(value(&drained, "nexus_outbox_published_total", &identity) >= published_before + 2.0);
    assert_eq!(
        value(
            &drained,
            "nexus_outbox_oldest_pending_age_seconds",
            &identity
        ),
        0.0
    );
    app.stop().await;
}
