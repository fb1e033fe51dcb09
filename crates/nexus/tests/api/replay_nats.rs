//! `nexus events replay` with events on NATS, the four processes of the
//! production topology on PostgreSQL: a wiped copy is rebuilt by the running
//! service for the events from a JetStream stream sequence (or a time) on,
//! and not before.

use std::process::Output;
use std::time::Duration;

use sea_orm::ConnectionTrait as _;

use nexus_platform::events::consumer::jetstream::dlq;

use crate::copies::{Databases, rows};
use crate::deployment::Deployment;
use crate::helpers::{drop_pg_databases, fresh_pg_databases, nats_url, new_user, unavailable};

const COPY: &str = "SELECT email FROM member_users ORDER BY email";

async fn copied(dbs: &Databases) -> Vec<String> {
    rows(&dbs.tenant, COPY)
        .await
        .into_iter()
        .map(|mut row| row.remove(0))
        .collect()
}

/// Waits until tenant-access's copy of the users is `want`, then a while
/// longer (past a consumer's idle re-check) to see that it stays so.
async fn copy_becomes(dbs: &Databases, want: &[&str]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while copied(dbs).await != want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the copy is {:?}, not {want:?}",
            copied(dbs).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(copied(dbs).await, want, "the copy stays so");
}

fn replay(deployment: &Deployment, consumer: &str, from: &str) -> Output {
    deployment
        .command(&["events", "replay", "--consumer", consumer, "--from", from])
        .output()
        .unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wiped_copy_is_rebuilt_from_a_stream_sequence_or_time_on_and_not_before() {
    let url = nats_url();
    if let Err(e) = async_nats::connect(url.as_str()).await {
        unavailable("NATS", &url, &e);
        return;
    }
    let Some(databases) = fresh_pg_databases(&["identity", "upn", "tenant_access"]).await else {
        return;
    };
    let (names, urls): (Vec<String>, Vec<String>) = databases.into_iter().unzip();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let deployment = Deployment::start(urls.try_into().unwrap(), &url, &tag).await;
    let rest = deployment.rest();
    let dbs = Databases::at(&deployment.database_urls).await;
    let bus = Deployment::bus(&url, &tag).await;
    let create = |email: &'static str| {
        let rest = &rest;
        async move {
            let (status, _) = rest
                .call("POST", "/v1/users", Some(new_user(email)))
                .await
                .unwrap();
            assert_eq!(status, 201, "{email}");
        }
    };

    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        create(email).await;
    }
    copy_becomes(&dbs, &["a@example.com", "b@example.com", "c@example.com"]).await;
    let mut stream = bus.jetstream().get_stream(bus.stream_name()).await.unwrap();
    let from_seq = stream.info().await.unwrap().state.last_sequence + 1;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let from_time = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    for email in ["d@example.com", "e@example.com"] {
        create(email).await;
    }
    let all = [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
        "e@example.com",
    ];
    copy_becomes(&dbs, &all).await;

    // Unknown consumer: refused, naming the known ones.
    let out = replay(&deployment, "nope", "1");
    assert!(!out.status.success());
    assert!(said(&out).contains("tenant-access-users"), "{}", said(&out));

    // Wiped, replayed from a stream sequence: the events from it on only.
    let wipe = || dbs.tenant.execute_unprepared("DELETE FROM member_users");
    wipe().await.unwrap();
    let out = replay(&deployment, "tenant-access-users", &from_seq.to_string());
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains(&format!("stream sequence {from_seq}")),
        "{}",
        said(&out)
    );
    copy_becomes(&dbs, &["d@example.com", "e@example.com"]).await;

    // Again from a time.
    wipe().await.unwrap();
    let out = replay(&deployment, "tenant-access-users", &from_time.to_rfc3339());
    assert!(out.status.success(), "{}", said(&out));
    copy_becomes(&dbs, &["d@example.com", "e@example.com"]).await;

    // From the start: every event again.
    let out = replay(&deployment, "tenant-access-users", "1");
    assert!(out.status.success(), "{}", said(&out));
    copy_becomes(&dbs, &all).await;

    bus.jetstream()
        .delete_stream(bus.stream_name())
        .await
        .unwrap();
    // Made only if something was dead-lettered, or its count asked for.
    let _ = bus.jetstream().delete_stream(dlq::stream_name(&bus)).await;
    drop(deployment);
    drop(dbs);
    drop_pg_databases(&names).await;
}
