//! A flood of bad HTTP Basic credentials costs bounded memory (argon2 needs
//! 19 MiB a check, so unbounded checks would take gigabytes) and leaves the
//! gateway answering a valid caller.

use std::time::{Duration, Instant};

use argon2::PasswordHasher as _;
use argon2::password_hash::SaltString;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use nexus_platform::config::BasicUserSetting;

use crate::helpers::{Answer, Backend, TestApp};

/// This process's resident memory, in KiB (the all-in-one runs in it).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn basic(app: &TestApp, creds: &str) -> http::Request<Full<Bytes>> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(creds);
    http::Request::builder()
        .method("GET")
        .uri(format!("http://{}/v1/users", app.addr))
        .header("authorization", format!("Basic {encoded}"))
        .body(Full::new(Bytes::new()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_junk_basic_credentials_keeps_memory_bounded() {
    let salt = SaltString::encode_b64(b"flood-test-salt").unwrap();
    let hash = argon2::Argon2::default()
        .hash_password(b"right", &salt)
        .unwrap()
        .to_string();
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.auth.basic_users = vec![BasicUserSetting {
            username: "ops".to_owned(),
            hash,
            scopes: vec!["users:read".to_owned()],
        }];
    })
    .await
    else {
        return;
    };
    let valid = app.send(basic(&app, "ops:right")).await;
    assert_eq!(valid.status, 200, "{:?}", valid.body);
    let before = rss_kib();

    let junk = (0..500).map(|i| {
        let creds = if i % 2 == 0 {
            format!("ops:wrong-{i}")
        } else {
            format!("nobody-{i}:guess")
        };
        app.send(basic(&app, &creds))
    });
    let answers: Vec<Answer> = futures::future::join_all(junk).await;
    let after = rss_kib();

    for answer in &answers {
        assert!(
            [401, 429, 503].contains(&answer.status),
            "{}: {:?}",
            answer.status,
            answer.body
        );
        if answer.status != 401 {
            assert!(answer.header("retry-after").is_some(), "{:?}", answer.body);
        }
    }
    // Unbounded, 500 checks at 19 MiB each would take over 9 GiB; what
    // grows here is 500 connections and at most two checks at a time.
    let grown_mib = after.saturating_sub(before) / 1024;
    assert!(
        grown_mib < 512,
        "resident memory grew by {grown_mib} MiB ({before} KiB to {after} KiB)"
    );
    let started = Instant::now();
    let still = app.send(basic(&app, "ops:right")).await;
    assert_eq!(still.status, 200, "{:?}", still.body);
    assert!(started.elapsed() < Duration::from_secs(5));
    app.stop().await;
}
