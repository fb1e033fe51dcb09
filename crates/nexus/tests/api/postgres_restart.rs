//! PostgreSQL restarted (`pg_ctl restart -m fast`) under write load, with the
//! four processes of the production topology on a PostgreSQL server and a
//! nats-server of the test's own: writes during the restart may be refused
//! with a 5xx, but every answered one has its effect in the copies, the
//! copies equal their sources, and nothing is dead-lettered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::copies::{Databases, converged, dead_letter_rows};
use crate::deployment::{Deployment, dead_letters, published};
use crate::own_nats::OwnNats;
use crate::own_postgres::OwnPostgres;
use crate::workload::{Load, join, writes_of};

const UNITS: usize = 360;
const WORKERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_write_reaches_the_copies_across_a_postgres_restart_in_four_processes() {
    let Some(pg) = OwnPostgres::start() else {
        return;
    };
    let Some(nats) = OwnNats::start() else {
        return;
    };
    let pg = Arc::new(pg);
    let urls = pg
        .create_databases(&["identity", "upn", "tenant_access"])
        .await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut deployment = Deployment::start(urls.try_into().unwrap(), &nats.url(), &tag).await;
    let began = Instant::now();
    let load = Load::new("restart", UNITS, true, Duration::ZERO);
    let workers = load.spawn(&deployment.rest(), WORKERS);

    // Restarted once a third of the writes is answered; the load goes on.
    while load.answered() < writes_of(UNITS) / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let at = load.answered();
    let restarting = Instant::now();
    let server = pg.clone();
    tokio::task::spawn_blocking(move || server.restart_fast())
        .await
        .unwrap();
    let restart = restarting.elapsed();
    join(workers).await;
    let load_took = began.elapsed();
    deployment.assert_running();

    let dbs = Databases::at(&deployment.database_urls).await;
    let seen = converged(&dbs, Duration::from_secs(60)).await;
    let (missing, examples) = load.missing(&seen);
    let bus = Deployment::bus(&nats.url(), &tag).await;
    let created = published(&bus, "nexus.identity.user.created").await;
    let (answered_creations, uncertain_creations) = load.creations();
    let lost_events = (answered_creations as u64).saturating_sub(created);
    let doubled_events = created.saturating_sub((answered_creations + uncertain_creations) as u64);
    let dead = dead_letters(&bus).await + dead_letter_rows(&dbs).await as u64;
    let lost = seen.lost + missing + lost_events as usize;
    let doubled = seen.doubled + doubled_events as usize;
    eprintln!(
        "PostgreSQL restarted after {at} answered writes (restart {restart:?}, load {load_took:?}): \
         sent {}, answered 2xx {}, refused 5xx {}, user.created in JetStream {created} \
         (creations answered {answered_creations}, unanswered {uncertain_creations}), \
         applied {}, lost {lost}, doubled {doubled}, dead letters {dead}; {}",
        load.sent.load(std::sync::atomic::Ordering::Relaxed),
        load.answered(),
        load.unavailable.load(std::sync::atomic::Ordering::Relaxed),
        seen.applied,
        seen.line,
    );
    assert_eq!(missing, 0, "answered writes without effect: {examples:?}");
    assert_eq!((lost, doubled), (0, 0));
    assert_eq!(dead, 0, "nothing dead-lettered");
    assert_eq!(load.units_started(), UNITS, "the load ran to its end");
}
