//! `/metrics` on the admin listener: Prometheus text that a scraper parses,
//! counting the requests and calls just made; and the outbox backlog rising
//! while NATS is down and falling once it is back (a nats-server of the
//! test's own, never the shared one).

mod exposition;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use bytes::Bytes;
use exposition::Sample;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use nexus::Component;
use nexus_platform::Shutdown;
use nexus_platform::config::{EventBackend, Mode, Settings};
use secrecy::SecretString;

use crate::helpers::{
    Backend, TestApp, create_user, drop_pg_databases, fresh_pg_databases, new_user,
};
use crate::own_nats::OwnNats;

/// An admin listener on a free port.
fn with_admin(settings: &mut Settings) {
    settings.gateway.admin_listen = Some("127.0.0.1:0".parse().unwrap());
}

fn admin_addr(app: &TestApp) -> SocketAddr {
    app.running
        .as_ref()
        .and_then(|r| r.admin_addr)
        .expect("an admin listener")
}

/// GETs `url`: its status, content type and body.
async fn get(url: String) -> (u16, String, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.get(url.parse().unwrap()).await.expect("HTTP call");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

type Scrape = Vec<Sample>;

/// Scrapes `/metrics` at `admin` and parses it strictly.
async fn scrape_at(admin: SocketAddr) -> Scrape {
    let (status, content_type, text) = get(format!("http://{admin}/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    exposition::parse(&text).unwrap_or_else(|e| panic!("not Prometheus text: {e}\n{text}"))
}

async fn scrape(app: &TestApp) -> Scrape {
    scrape_at(admin_addr(app)).await
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
    // The gateway's side of the same calls.
    let made = "nexus_grpc_client_handled_total";
    assert!(value(&after, made, &get_user) > value(&before, made, &get_user));
    assert!(value(&after, made, &not_found) > value(&before, made, &not_found));
    assert!(present(
        &after,
        "nexus_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))]
    ));
    assert!(present(
        &after,
        "nexus_db_pool_connections",
        &[("component", "identity"), ("state", "idle")]
    ));

    // Metrics are on the admin listener only, not on the public one.
    let (public, _, _) = get(format!("http://{}/metrics", app.addr)).await;
    assert_eq!(public, 404);
    let (live, _, _) = get(format!("http://{}/healthz", admin_addr(&app))).await;
    assert_eq!(live, 200);
    app.stop().await;
}

/// Scrapes until `check` holds of a scrape; fails after a minute (the relay
/// backs off up to 10 s between tries), naming `what` it waited for.
async fn scrape_until(app: &TestApp, what: &str, check: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let scraped = scrape(app).await;
        if check(&scraped) {
            return scraped;
        }
        assert!(Instant::now() < deadline, "not reached within 60 s: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Scrapes until `check` holds of the identity service's outbox backlog.
async fn backlog_until(app: &TestApp, what: &str, check: impl Fn(f64) -> bool) -> Scrape {
    let service = [("component", "identity")];
    scrape_until(app, what, |s| {
        present(s, "nexus_outbox_pending", &service)
            && check(value(s, "nexus_outbox_pending", &service))
    })
    .await
}

/// Events the consumer `consumer` processed, whatever the outcome.
fn processed(scrape: &Scrape, consumer: &str) -> f64 {
    ["applied", "duplicate", "ignored"]
        .iter()
        .map(|outcome| {
            value(
                scrape,
                "nexus_event_consumer_processed_total",
                &[("consumer", consumer), ("outcome", outcome)],
            )
        })
        .sum()
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
    let identity = [("component", "identity")];
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

    // The tenant-access projection reads the three user.created events from
    // JetStream: its lag is sampled there.
    let consumer = [("consumer", "tenant-access-users")];
    let caught_up = scrape_until(&app, "the consumer catches up", |s| {
        processed(s, "tenant-access-users") >= 3.0
            && present(s, "nexus_event_consumer_lag", &consumer)
            && value(s, "nexus_event_consumer_lag", &consumer) == 0.0
    })
    .await;
    // One observation per transaction: the three events in one to three.
    let transactions = value(
        &caught_up,
        "nexus_event_consumer_processing_seconds_count",
        &consumer,
    );
    assert!(
        (1.0..=processed(&caught_up, "tenant-access-users")).contains(&transactions),
        "{transactions} transactions"
    );
    assert_eq!(
        value(&caught_up, "nexus_event_dead_letters_stored", &consumer),
        0.0
    );
    app.stop().await;
}

#[tokio::test]
async fn a_service_run_alone_serves_its_own_metrics_on_its_admin_listener() {
    let Some(mut databases) = fresh_pg_databases(&["metrics"]).await else {
        return;
    };
    let (name, url) = databases.pop().unwrap();
    let mut settings = Settings::load(None, Mode::AllInOne).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    settings.identity.listen = any;
    settings.identity.admin_listen = Some(any);
    settings.identity.database_url = Some(SecretString::from(url));
    settings.identity.migrate_on_start = true;
    settings.internal_auth.secret = Some(SecretString::from("0123456789abcdef0123456789abcdef"));
    settings.events.backend = Some(EventBackend::Nats);
    // Nothing listens there: the outbox and its metrics do not need NATS.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    settings.events.nats_url = format!("nats://{}", closed.local_addr().unwrap());
    drop(closed);
    let identity = nexus::start_component(&settings, Component::Identity, Shutdown::new())
        .await
        .unwrap();
    let admin = identity.admin_addr.expect("an admin listener");
    assert_ne!(Some(admin), identity.identity_addr);

    let scraped = scrape_at(admin).await;
    let service = [("component", "identity")];
    assert_eq!(value(&scraped, "nexus_outbox_pending", &service), 0.0);
    assert_eq!(
        value(&scraped, "nexus_db_pool_max_connections", &service),
        f64::from(settings.database.max_connections)
    );
    assert!(present(
        &scraped,
        "nexus_db_pool_connections",
        &[("component", "identity"), ("state", "in_use")]
    ));
    assert!(present(
        &scraped,
        "nexus_event_consumer_processed_total",
        &[("consumer", "identity-custom-upns"), ("outcome", "applied")]
    ));
    // A service has no REST requests to count, and no other service's parts.
    assert!(!scraped.iter().any(|s| s.name.starts_with("nexus_http_")));
    assert!(!present(
        &scraped,
        "nexus_outbox_pending",
        &[("component", "upn")]
    ));

    drop(identity.stop().await);
    drop_pg_databases(&[name]).await;
}
