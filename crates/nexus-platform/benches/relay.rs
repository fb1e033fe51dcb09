//! Benchmark: the outbox relay's throughput (events/s from outbox rows to
//! JetStream acks, rows marked sent) as a ratio to raw JetStream publishing
//! (pipelined, same headers, same window) on the same machine in the same run.
//! Starts its own nats-server (`/usr/sbin/nats-server` or `NEXUS_BENCH_NATS_SERVER`)
//! and uses PostgreSQL at `NEXUS_TEST_DATABASE_URL` (a fresh database, dropped
//! after) and an SQLite file. `NEXUS_BENCH_EVENTS` sets the count (20000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nexus_platform::config::{Mode, Settings};
use nexus_platform::events::{BusMessage, NatsEventBus};
use nexus_platform::outbox::migration::CreateOutbox;
use nexus_platform::outbox::{OutboxRelay, OutboxSignal};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use sea_orm_migration::prelude::*;

/// Publishes in flight at once: the relay's default batch size.
const WINDOW: usize = 256;

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateOutbox)]
    }
}

fn message(i: usize) -> BusMessage {
    BusMessage {
        id: uuid::Uuid::now_v7().to_string(),
        subject: "nexus.bench.item.changed".to_owned(),
        event_type: "item.changed".to_owned(),
        source: "bench".to_owned(),
        time: chrono::Utc::now(),
        traceparent: None,
        payload: format!("{i:0>200}").into_bytes().into(),
    }
}

/// Raw JetStream: pipelined publishes with `Nats-Msg-Id`, acks awaited per window.
async fn raw_publish(bus: &NatsEventBus, n: usize) -> f64 {
    let messages: Vec<_> = (0..n).map(message).collect();
    let start = Instant::now();
    for chunk in messages.chunks(WINDOW) {
        let mut acks = Vec::with_capacity(chunk.len());
        for m in chunk {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", m.id.as_str());
            headers.insert("ce-id", m.id.as_str());
            headers.insert("ce-type", m.event_type.as_str());
            headers.insert("ce-source", m.source.as_str());
            headers.insert("ce-time", m.time.to_rfc3339().as_str());
            acks.push(
                bus.jetstream()
                    .publish_with_headers(bus.subject(&m.subject), headers, m.payload.clone())
                    .await
                    .unwrap(),
            );
        }
        for ack in acks {
            ack.await.unwrap();
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// The relay: `n` committed outbox rows (written before timing) published in
/// batches of [`WINDOW`] and marked sent.
async fn relay_publish(db: &DatabaseConnection, bus: Arc<NatsEventBus>, n: usize) -> f64 {
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let txn = db.begin().await.unwrap();
        for &i in chunk {
            nexus_platform::outbox::enqueue(&txn, &message(i))
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
    }
    let relay = OutboxRelay::new(
        db.clone(),
        bus,
        OutboxSignal::new(),
        WINDOW as u64,
        Duration::from_millis(100),
        Duration::from_secs(3600),
    );
    let start = Instant::now();
    let mut sent = 0;
    while sent < n {
        sent += relay.publish_batch().await.unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn report(label: &str, raw: f64, relay: f64) {
    println!(
        "{label:<10} raw JetStream {raw:>9.0} events/s | relay {relay:>9.0} events/s | ratio {:.2}",
        relay / raw
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("NEXUS_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let binary = std::env::var("NEXUS_BENCH_NATS_SERVER")
        .unwrap_or_else(|_| "/usr/sbin/nats-server".to_owned());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = tempfile::tempdir().unwrap();
    let mut server = Command::new(&binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nats-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut settings = Settings::load(None, Mode::AllInOne).unwrap();
    settings.events.nats_url = format!("nats://127.0.0.1:{port}");
    settings.events.stream = "NEXUS_BENCH".to_owned();
    let bus = Arc::new(NatsEventBus::connect(&settings.events).await.unwrap());
    bus.ensure_stream().await.unwrap();
    println!("{n} events of 200 bytes, window {WINDOW}, nats-server on {port}");

    // Warm up the connection and the stream's files.
    raw_publish(&bus, 2_000).await;

    let admin_url = std::env::var("NEXUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    match Database::connect(admin_url.as_str()).await {
        Ok(admin) => {
            let name = format!("nexus_bench_{}", uuid::Uuid::new_v4().simple());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            let db = Database::connect(format!("{base}/{name}")).await.unwrap();
            Migrator::up(&db, None).await.unwrap();
            let raw = raw_publish(&bus, n).await;
            let relay = relay_publish(&db, bus.clone(), n).await;
            report("PostgreSQL", raw, relay);
            db.close().await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .unwrap();
        }
        Err(e) => println!("PostgreSQL unreachable at {admin_url} ({e}); skipped"),
    }

    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = nexus_platform::db::connect_and_migrate::<Migrator>(&url, &settings.database)
        .await
        .unwrap();
    let raw = raw_publish(&bus, n).await;
    let relay = relay_publish(&db, bus.clone(), n).await;
    report("SQLite", raw, relay);

    let _ = server.kill();
    let _ = server.wait();
}
