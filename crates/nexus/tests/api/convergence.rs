//! The all-in-one's copies converge: a burst of 10,000 changes through REST,
//! the process killed (SIGKILL) at a random point, a restart, the rest of the
//! burst, and every copy equals its source: identity's copy of custom UPNs
//! equals the upn service's UPNs, no UPN outlives its user, and tenant
//! members carry their user's email and name (deleted users gone); every
//! answered change has its effect. A consumer's database locked for a while
//! only delays its copy: nothing is dead-lettered.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait as _, Database};
use serde_json::json;

use crate::cli::nexus;
use crate::copies::{Databases, converged, divergence, rows};
use crate::helpers::{TestApp, new_user};
use crate::processes::{Process, Rest, TENANT, free_port, wait_listening};
use crate::workload::{Load, join, units_for};

const APP_TOKEN: &str = "burst-application-token-0123456789";

async fn start(data_dir: &Path) -> (Process, Rest) {
    start_with(data_dir, &[]).await
}

/// [`start`] with more environment variables.
pub async fn start_with(data_dir: &Path, env: &[(&str, String)]) -> (Process, Rest) {
    let port = free_port();
    let child = nexus()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("NEXUS__DATA_DIR", data_dir)
        .env("NEXUS__GATEWAY__LISTEN", format!("127.0.0.1:{port}"))
        .env("NEXUS__GATEWAY__DEV_APPLICATION_TOKEN", APP_TOKEN)
        .env("NEXUS__IDENTITY__LISTEN", "127.0.0.1:0")
        .env("NEXUS__UPN__LISTEN", "127.0.0.1:0")
        .env("NEXUS__TENANT_ACCESS__LISTEN", "127.0.0.1:0")
        .env("NEXUS__EVENTS__RELAY_POLL_INTERVAL_MS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let process = Process(child);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_listening(addr, Duration::from_secs(60), "nexus").await;
    (process, Rest::dev(addr, data_dir, APP_TOKEN))
}

fn random_below(n: u64) -> u64 {
    u64::from_le_bytes(uuid::Uuid::new_v4().as_bytes()[..8].try_into().unwrap()) % n
}

/// The changes of the burst (writes answered 2xx, before and after the kill).
const CHANGES: usize = 10_000;
/// Concurrent writers of the burst.
const WORKERS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_equal_their_sources_after_a_sigkill_during_a_burst_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let began = Instant::now();
    let (mut process, rest) = start(dir.path()).await;
    // A bound only: the burst stops once CHANGES writes are answered.
    let load = Load::new("burst", 2 * units_for(CHANGES), false, Duration::ZERO);
    let workers = load.spawn(&rest, WORKERS);
    // Killed once a random share of the burst's writes is answered.
    let kill_after = 200 + random_below(CHANGES as u64 - 400) as usize;
    while load.answered() < kill_after {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.0.kill().unwrap(); // SIGKILL
    process.0.wait().unwrap();
    join(workers).await;
    let at = load.answered();

    let (_process, rest) = start(dir.path()).await;
    let workers = load.spawn(&rest, WORKERS);
    while load.answered() < CHANGES {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    load.stop();
    join(workers).await;
    let burst = began.elapsed();
    let dbs = Databases::sqlite(dir.path()).await;
    let seen = converged(&dbs, Duration::from_secs(120)).await;
    let (missing, examples) = load.missing(&seen);
    eprintln!(
        "SIGKILL after {at} answered writes (target {kill_after}); sent {}, answered {}, \
         burst {burst:?}, converged {:?}; applied {}, lost {}, doubled {}; {}",
        load.sent.load(Ordering::Relaxed),
        load.answered(),
        began.elapsed() - burst,
        seen.applied,
        seen.lost + missing,
        seen.doubled,
        seen.line
    );
    assert_eq!(missing, 0, "answered writes without effect: {examples:?}");
    assert_eq!((seen.lost, seen.doubled), (0, 0));
}

/// How long another process holds tenant-access's database: longer than every
/// retry budget a consumer had before transient failures were told apart.
const LOCKED: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_consumer_database_only_delays_its_copy() {
    let Some(app) = TestApp::spawn(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let rest = Rest::dev(app.addr, &app.settings.data_dir, &app.app_token);
    let dbs = Databases::sqlite(&app.settings.data_dir).await;
    let answered = AtomicUsize::new(0);
    let mut ids = Vec::new();
    for n in 0..20 {
        let email = format!("locked{n}@example.com");
        let (_, user) = rest
            .call("POST", "/v1/users", Some(new_user(&email)))
            .await
            .unwrap();
        let attach = json!({"email": email, "name": "Before", "role": "member"});
        let (status, _) = rest
            .call("POST", &format!("/api/{TENANT}/admin/users"), Some(attach))
            .await
            .unwrap();
        assert_eq!(status, 201);
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    converged(&dbs, Duration::from_secs(60)).await;

    // Another process holds tenant-access's database for LOCKED.
    let url = format!(
        "sqlite://{}",
        app.settings.data_dir.join("tenant-access.db").display()
    );
    let locker = Database::connect(url.as_str()).await.unwrap();
    locker.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
    locker
        .execute_unprepared("UPDATE event_cursors SET seq = seq WHERE consumer = 'none'")
        .await
        .unwrap();
    for (n, id) in ids.iter().enumerate() {
        let rename = json!({"displayName": format!("During lock {n}")});
        let (status, _) = rest
            .call("PATCH", &format!("/v1/users/{id}"), Some(rename))
            .await
            .unwrap();
        assert_eq!(status, 200);
        answered.fetch_add(1, Ordering::Relaxed);
    }
    tokio::time::sleep(LOCKED).await;
    let during = divergence(&dbs).await;
    assert!(
        during.lost > 0,
        "the copy cannot follow while locked: {}",
        during.line
    );
    locker.execute_unprepared("ROLLBACK").await.unwrap();

    let line = converged(&dbs, Duration::from_secs(60)).await.line;
    let tenant = Database::connect(url.as_str()).await.unwrap();
    let dead = rows(&tenant, "SELECT CAST(COUNT(*) AS TEXT) FROM dead_letters").await;
    assert_eq!(dead[0][0], "0", "nothing dead-lettered");
    println!(
        "locked {} s, {} renames answered; after: {line}; dead letters 0",
        LOCKED.as_secs(),
        answered.load(Ordering::Relaxed)
    );
    app.stop().await;
}
