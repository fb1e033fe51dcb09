//! The all-in-one's consumers: the projection reads the producer's outbox
//! table through a durable cursor in its own database, on SQLite files and
//! on PostgreSQL. Nothing is lost when the consumer starts late or restarts,
//! a transaction that commits after a later one is not passed over, a locked
//! consumer database only pauses it, and a poison event is kept as a dead
//! letter while the next ones are applied.

use std::time::Duration;

use nexus_platform::Shutdown;
use nexus_platform::config::{Mode, Settings};
use nexus_platform::events::consumer::{ConsumerCounts, ConsumerOptions, EventSource};
use nexus_platform::events::dead_letters;
use nexus_platform::events::feed::{self, OutboxFeed};
use nexus_platform::inbox;
use nexus_platform::outbox::OutboxSignal;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, TransactionTrait as _};

use crate::support::{
    Migrator, TestDb, eventually, projection, user_event, view, view_len, write_user,
};

const CONSUMER: &str = "users-view";

fn options() -> ConsumerOptions {
    let mut options = ConsumerOptions::new("nexus.identity.>");
    options.max_deliver = 3;
    options.retry_backoff = Duration::from_millis(10);
    options.poll_interval = Duration::from_millis(50);
    options
}

/// A producer and a consumer database, as two SQLite files.
async fn sqlite_pair(dir: &tempfile::TempDir) -> (DatabaseConnection, DatabaseConnection, String) {
    let settings = Settings::load(None, Mode::AllInOne).unwrap().database;
    let url = |name: &str| format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    let producer =
        nexus_platform::db::connect_and_migrate::<Migrator>(&url("producer.db"), &settings)
            .await
            .unwrap();
    let consumer =
        nexus_platform::db::connect_and_migrate::<Migrator>(&url("consumer.db"), &settings)
            .await
            .unwrap();
    (producer, consumer, url("consumer.db"))
}

/// Starts the projection on `consumer_db`, reading `producer`'s outbox.
fn start(
    producer: &DatabaseConnection,
    signal: &OutboxSignal,
    consumer_db: &DatabaseConnection,
    shutdown: &Shutdown,
) -> (
    tokio::task::JoinHandle<()>,
    std::sync::Arc<nexus_platform::events::consumer::ConsumerStats>,
) {
    let consumer = projection(CONSUMER, consumer_db);
    let stats = consumer.stats();
    let source = EventSource::Outbox(OutboxFeed::new(producer.clone(), signal.clone()));
    (consumer.spawn(&source, options(), shutdown.clone()), stats)
}

fn report(
    what: &str,
    sent: usize,
    counts: ConsumerCounts,
    view: &std::collections::HashMap<String, (String, i64, i64)>,
) {
    let doubled = view.values().filter(|(_, _, applied)| *applied > 1).count();
    let lost = sent.saturating_sub(view.len());
    println!(
        "{what}: sent {sent}, applied {}, lost {lost}, doubled {doubled}, dead-lettered {}",
        view.len(),
        counts.dead_lettered
    );
    assert_eq!((lost, doubled), (0, 0));
}

async fn a_late_and_restarted_consumer_applies_every_event_once(
    producer: &DatabaseConnection,
    consumer_db: &DatabaseConnection,
) {
    let signal = OutboxSignal::new();
    // Written before any consumer runs: nothing may be lost for that.
    for i in 0..30 {
        write_user(producer, &format!("u{i}"), 1, "x")
            .await
            .unwrap();
    }
    let shutdown = Shutdown::new();
    let (task, _) = start(producer, &signal, consumer_db, &shutdown);
    eventually(Duration::from_secs(20), "30 events applied", || async {
        view_len(consumer_db).await == 30
    })
    .await;
    shutdown.trigger();
    task.await.unwrap();

    for i in 30..60 {
        write_user(producer, &format!("u{i}"), 1, "x")
            .await
            .unwrap();
        signal.notify();
    }
    let shutdown = Shutdown::new();
    let (task, stats) = start(producer, &signal, consumer_db, &shutdown);
    eventually(Duration::from_secs(20), "60 events applied", || async {
        view_len(consumer_db).await == 60
    })
    .await;
    assert_eq!(inbox::count(consumer_db, CONSUMER).await.unwrap(), 60);
    let last = feed::read_after(producer, feed::Position::default(), 1000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .position;
    assert_eq!(feed::load(consumer_db, CONSUMER).await.unwrap(), last);
    report(
        "late and restarted consumer",
        60,
        stats.snapshot(),
        &view(consumer_db).await,
    );
    shutdown.trigger();
    task.await.unwrap();
}

#[tokio::test]
async fn a_late_and_restarted_consumer_applies_every_event_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (producer, consumer, _) = sqlite_pair(&dir).await;
    a_late_and_restarted_consumer_applies_every_event_once(&producer, &consumer).await;
}

#[tokio::test]
async fn a_late_and_restarted_consumer_applies_every_event_once_on_postgres() {
    let (Some(producer), Some(consumer)) = (TestDb::create().await, TestDb::create().await) else {
        return;
    };
    a_late_and_restarted_consumer_applies_every_event_once(&producer.db, &consumer.db).await;
    producer.drop_db().await;
    consumer.drop_db().await;
}

/// On PostgreSQL a sequence value is taken before commit: a transaction that
/// took a lower `seq` and commits after a later one must still be applied.
#[tokio::test]
async fn a_transaction_committing_after_a_later_one_is_not_passed_over_on_postgres() {
    let (Some(producer), Some(consumer)) = (TestDb::create().await, TestDb::create().await) else {
        return;
    };
    let signal = OutboxSignal::new();
    let shutdown = Shutdown::new();
    let (task, stats) = start(&producer.db, &signal, &consumer.db, &shutdown);
    let slow = producer.db.begin().await.unwrap();
    nexus_platform::outbox::enqueue(&slow, &user_event("slow", 1, "slow"))
        .await
        .unwrap();
    write_user(&producer.db, "fast", 1, "fast").await.unwrap();
    signal.notify();
    tokio::time::sleep(Duration::from_millis(300)).await;
    slow.commit().await.unwrap();
    signal.notify();
    eventually(Duration::from_secs(20), "both events applied", || async {
        view_len(&consumer.db).await == 2
    })
    .await;
    report(
        "out-of-order commits",
        2,
        stats.snapshot(),
        &view(&consumer.db).await,
    );
    shutdown.trigger();
    task.await.unwrap();
    producer.drop_db().await;
    consumer.drop_db().await;
}

#[tokio::test]
async fn a_locked_consumer_database_pauses_the_consumer_and_dead_letters_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (producer, consumer_db, consumer_url) = sqlite_pair(&dir).await;
    let signal = OutboxSignal::new();
    let shutdown = Shutdown::new();
    let (task, stats) = start(&producer, &signal, &consumer_db, &shutdown);

    // Another process holds the consumer's database for longer than its
    // busy timeout.
    let settings = Settings::load(None, Mode::AllInOne).unwrap().database;
    let locker = nexus_platform::db::connect(&consumer_url, &settings)
        .await
        .unwrap();
    locker.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
    locker
        .execute_unprepared("INSERT INTO event_cursors (consumer, seq, updated_at) VALUES ('locker', 0, '2026-01-01T00:00:00Z')")
        .await
        .unwrap();
    for i in 0..20 {
        write_user(&producer, &format!("u{i}"), 1, "x")
            .await
            .unwrap();
        signal.notify();
    }
    eventually(
        Duration::from_secs(20),
        "a failed attempt on the lock",
        || async { stats.snapshot().failed_attempts > 0 },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    locker.execute_unprepared("ROLLBACK").await.unwrap();

    eventually(Duration::from_secs(30), "20 events applied", || async {
        view_len(&consumer_db).await == 20
    })
    .await;
    let counts = stats.snapshot();
    assert_eq!(counts.dead_lettered, 0);
    assert!(
        dead_letters::list(&consumer_db, None)
            .await
            .unwrap()
            .is_empty()
    );
    report(
        "locked consumer database",
        20,
        counts,
        &view(&consumer_db).await,
    );
    shutdown.trigger();
    task.await.unwrap();
}

#[tokio::test]
async fn a_poison_event_is_kept_as_a_dead_letter_and_the_next_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (producer, consumer_db, _) = sqlite_pair(&dir).await;
    let signal = OutboxSignal::new();
    let shutdown = Shutdown::new();
    let (task, stats) = start(&producer, &signal, &consumer_db, &shutdown);

    let poison = write_user(&producer, "p", 1, "poison").await.unwrap();
    write_user(&producer, "g", 1, "good").await.unwrap();
    signal.notify();
    eventually(
        Duration::from_secs(10),
        "the next event applied",
        || async { view_len(&consumer_db).await == 1 },
    )
    .await;

    let counts = stats.snapshot();
    assert_eq!((counts.dead_lettered, counts.failed_attempts), (1, 3));
    let letters = dead_letters::list(&consumer_db, Some(CONSUMER))
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].message.id, poison.id);
    assert_eq!(letters[0].failures, 3);
    assert!(
        letters[0].error.contains("poisoned display name"),
        "{}",
        letters[0].error
    );
    shutdown.trigger();
    task.await.unwrap();
    // Kept across a restart: the dead letter is in the consumer's database.
    assert_eq!(
        dead_letters::list(&consumer_db, None).await.unwrap().len(),
        1
    );
}
