//! NATS stopped for a minute under write load, with the four processes of
//! the production topology (PostgreSQL the shared server, fresh databases; a
//! nats-server of the test's own): every probe stays healthy and every write
//! answers 2xx throughout (the outbox holds the events), and once NATS is
//! back every event arrives: the copies converge within a bound.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tonic_health::pb::health_check_response::ServingStatus;

use crate::copies::{Databases, converged, dead_letter_rows};
use crate::deployment::{Deployment, SERVICES, dead_letters, published};
use crate::helpers::{drop_pg_databases, fresh_pg_databases};
use crate::own_nats::OwnNats;
use crate::processes::{health, http_status};
use crate::workload::{Load, join};

/// How long NATS stays stopped: a minute, as the fault list asks, long
/// past the client's reconnect attempts and the relay's retries backing
/// off, so that reconnecting after a long outage is what is tested.
const OUTAGE: Duration = Duration::from_secs(60);
/// How soon after NATS is back every copy must equal its source.
const CATCH_UP: Duration = Duration::from_secs(90);
/// A bound on the load (a pause after each unit keeps it going through the
/// outage without reaching the bound).
const UNITS: usize = 4_000;
const WORKERS: usize = 4;
const PAUSE: Duration = Duration::from_millis(150);

/// What is not healthy now: each probe that does not answer as it should.
async fn unhealthy(deployment: &Deployment) -> Vec<String> {
    let mut bad = Vec::new();
    for (addr, (service, readiness)) in deployment.services.iter().zip(SERVICES) {
        for name in ["", readiness] {
            let status = health(*addr, name).await;
            if status != Some(ServingStatus::Serving as i32) {
                bad.push(format!("{service} health `{name}`: {status:?}"));
            }
        }
    }
    for path in ["/healthz", "/readyz"] {
        let line = http_status(deployment.gateway, path).await;
        if !line.contains(" 200 ") {
            bad.push(format!("gateway {path}: {line}"));
        }
    }
    bad
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_stay_healthy_writes_succeed_and_every_event_arrives_across_a_minute_without_nats() {
    let Some(mut nats) = OwnNats::start() else {
        return;
    };
    let Some(databases) = fresh_pg_databases(&["identity", "upn", "tenant_access"]).await else {
        return;
    };
    let (names, urls): (Vec<String>, Vec<String>) = databases.into_iter().unzip();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut deployment = Deployment::start(urls.try_into().unwrap(), &nats.url(), &tag).await;
    let load = Load::new("outage", UNITS, false, PAUSE);
    let workers = load.spawn(&deployment.rest(), WORKERS);
    while load.answered() < 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    nats.stop();
    let stopped = Instant::now();
    let before = load.answered();
    let (mut probes, mut failures) = (0, Vec::new());
    while stopped.elapsed() < OUTAGE {
        probes += 1;
        failures.extend(unhealthy(&deployment).await);
        deployment.assert_running();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let during = load.answered() - before;
    nats.run().expect("nats-server again");
    let back = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    load.stop();
    join(workers).await;
    assert!(load.units_started() < UNITS, "the load lasted the outage");

    let dbs = Databases::at(&deployment.database_urls).await;
    let seen = converged(&dbs, CATCH_UP).await;
    let caught_up = back.elapsed();
    let (missing, examples) = load.missing(&seen);
    let bus = Deployment::bus(&nats.url(), &tag).await;
    let (creations, unanswered) = load.creations();
    let created = published(&bus, "nexus.identity.user.created").await;
    let lost = seen.lost + missing + (creations as u64).saturating_sub(created) as usize;
    let doubled = seen.doubled + created.saturating_sub(creations as u64) as usize;
    let dead = dead_letters(&bus).await + dead_letter_rows(&dbs).await as u64;
    eprintln!(
        "NATS stopped {OUTAGE:?}: {during} writes answered 2xx meanwhile, {probes} probe rounds, \
         {} unhealthy; sent {}, answered {}, user.created in JetStream {created} of {creations}, \
         applied {}, lost {lost}, doubled {doubled}, dead letters {dead}, \
         caught up {caught_up:?} after NATS was back; {}",
        failures.len(),
        load.sent.load(Ordering::Relaxed),
        load.answered(),
        seen.applied,
        seen.line,
    );
    assert!(
        failures.is_empty(),
        "probes during the outage: {failures:?}"
    );
    assert!(during > 0, "writes went on during the outage");
    assert_eq!(unanswered, 0);
    assert_eq!(
        load.sent.load(Ordering::Relaxed),
        load.answered(),
        "every write 2xx"
    );
    assert_eq!(missing, 0, "answered writes without effect: {examples:?}");
    assert_eq!((lost, doubled), (0, 0));
    assert_eq!(dead, 0, "nothing dead-lettered");
    drop(deployment);
    drop(dbs);
    drop_pg_databases(&names).await;
}
