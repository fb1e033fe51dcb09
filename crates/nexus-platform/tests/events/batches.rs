//! Batched consumers on JetStream: a burst is applied in few transactions
//! and each event once (duplicates in the batch, a redelivery after a crash
//! between commit and ack), a poison event in a batch is dead-lettered alone,
//! and the delivery count toward the dead-letter limit survives a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt as _;
use nexus_platform::Shutdown;
use nexus_platform::events::EventBus as _;
use nexus_platform::events::consumer::{
    ConsumerOptions, EventConsumer, EventHandler, EventSource, HandlerError, HandlerRegistry,
    jetstream,
};
use nexus_platform::inbox;
use nexus_proto::events::v1::EventEnvelope;
use sea_orm::DatabaseTransaction;

use crate::support::{
    EVENT_TYPE, NatsServer, TestDb, eventually, project, user_event, view, view_len,
};

/// How often the handler ran: batches, events applied, poison attempts.
#[derive(Default)]
struct Counts {
    batches: AtomicU32,
    events: AtomicU32,
    poison: AtomicU32,
}

struct Counting(Arc<Counts>);

#[async_trait]
impl EventHandler for Counting {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        let result = project(txn, event).await;
        let counter = if result.is_ok() {
            &self.0.events
        } else {
            &self.0.poison
        };
        counter.fetch_add(1, Ordering::SeqCst);
        result
    }

    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&EventEnvelope],
    ) -> Result<(), HandlerError> {
        self.0.batches.fetch_add(1, Ordering::SeqCst);
        for event in events {
            self.handle(txn, event).await?;
        }
        Ok(())
    }
}

fn counted(name: &str, db: &sea_orm::DatabaseConnection, counts: &Arc<Counts>) -> EventConsumer {
    let handlers = HandlerRegistry::new().on(EVENT_TYPE, Counting(counts.clone()));
    EventConsumer::new(name, db.clone(), handlers).unwrap()
}

fn options() -> ConsumerOptions {
    let mut options = ConsumerOptions::new("nexus.identity.>");
    options.max_deliver = 3;
    options.retry_backoff = Duration::from_millis(20);
    options.ack_wait = Duration::from_secs(1);
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_applied_in_few_transactions_once_each_also_after_a_crash_before_the_acks() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let Some(pg) = TestDb::create().await else {
        return;
    };
    const NAME: &str = "users-view-burst";
    let bus = nats.bus().await;
    let events: Vec<_> = (0..40)
        .map(|i| user_event(&format!("u{i}"), 1, "burst"))
        .collect();
    for event in &events {
        bus.publish(event).await.unwrap();
    }
    // The same events again under other message ids: delivered twice, in
    // the batch that applies them.
    for event in &events[30..35] {
        let mut again = event.clone();
        again.id = uuid::Uuid::now_v7().to_string();
        bus.publish(&again).await.unwrap();
    }
    let counts = Arc::new(Counts::default());
    let consumer = counted(NAME, &pg.db, &counts);
    let stats = consumer.stats();

    // A process pulls 20, commits them and dies before acking.
    let pull = jetstream::pull_consumer(&bus, NAME, &options())
        .await
        .unwrap();
    let mut pulled = Vec::new();
    let mut batch = pull.fetch().max_messages(20).messages().await.unwrap();
    while let Some(message) = batch.next().await {
        pulled.push(EventConsumer::decode(&message.unwrap().payload).unwrap());
    }
    assert_eq!(pulled.len(), 20);
    consumer.apply_batch(&pulled, None).await.unwrap();
    assert_eq!(counts.batches.load(Ordering::SeqCst), 1);

    let shutdown = Shutdown::new();
    consumer.spawn(
        &EventSource::JetStream(bus.clone()),
        options(),
        shutdown.clone(),
    );
    eventually(
        Duration::from_secs(30),
        "every event applied and acked",
        || async {
            let stream = bus.jetstream().get_stream(bus.stream_name()).await.unwrap();
            let info = stream.consumer_info(NAME).await.unwrap();
            view_len(&pg.db).await == 40 && info.num_pending == 0 && info.num_ack_pending == 0
        },
    )
    .await;

    let snapshot = stats.snapshot();
    assert_eq!(
        counts.events.load(Ordering::SeqCst),
        40,
        "each applied once"
    );
    assert_eq!(snapshot.applied, 40);
    // The 20 redelivered after the crash and the 5 copies.
    assert_eq!(snapshot.duplicates, 25, "{snapshot:?}");
    assert!(view(&pg.db).await.values().all(|row| row.2 == 1));
    assert_eq!(inbox::count(&pg.db, NAME).await.unwrap(), 40);
    let batches = counts.batches.load(Ordering::SeqCst);
    assert!(
        batches <= 4,
        "40 events in {batches} transactions, expected a few"
    );
    println!("burst: 40 events (and 25 duplicate deliveries) applied in {batches} transactions");
    shutdown.trigger();
    pg.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_in_a_batch_is_dead_lettered_alone_and_the_others_apply_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let Some(pg) = TestDb::create().await else {
        return;
    };
    const NAME: &str = "users-view-poison-batch";
    let bus = nats.bus().await;
    let poison = user_event("p", 1, "poison");
    for message in [
        user_event("g1", 1, "good"),
        poison.clone(),
        user_event("g2", 1, "good"),
        user_event("g3", 1, "good"),
    ] {
        bus.publish(&message).await.unwrap();
    }
    let counts = Arc::new(Counts::default());
    let consumer = counted(NAME, &pg.db, &counts);
    let stats = consumer.stats();
    let shutdown = Shutdown::new();
    consumer.spawn(
        &EventSource::JetStream(bus.clone()),
        options(),
        shutdown.clone(),
    );
    eventually(
        Duration::from_secs(30),
        "the poison event dead-lettered and the others applied",
        || async { stats.snapshot().dead_lettered == 1 && view_len(&pg.db).await == 3 },
    )
    .await;

    // Its three deliveries count, not the batch it first failed in.
    assert_eq!(stats.snapshot().failed_attempts, 3);
    assert_eq!(jetstream::dead_letter_count(&bus, NAME).await.unwrap(), 1);
    let view = view(&pg.db).await;
    assert!(
        ["g1", "g2", "g3"].iter().all(|u| view[*u].2 == 1),
        "{view:?}"
    );
    assert!(!inbox::contains(&pg.db, NAME, &poison.id).await.unwrap());
    assert_eq!(
        counts.events.load(Ordering::SeqCst),
        4,
        "g1 in the batch that failed (rolled back), then each good one once"
    );
    shutdown.trigger();
    pg.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_count_toward_the_dead_letter_limit_survives_a_consumer_restart() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let Some(pg) = TestDb::create().await else {
        return;
    };
    const NAME: &str = "users-view-restart";
    let bus = nats.bus().await;
    bus.publish(&user_event("p", 1, "poison")).await.unwrap();
    let mut options = options();
    // Longer than a stopped consumer's last pull request lasts, so the
    // redelivery goes to the restarted one.
    options.retry_backoff = Duration::from_secs(6);
    options.ack_wait = Duration::from_secs(30);
    let counts = Arc::new(Counts::default());

    let first = Shutdown::new();
    let running = counted(NAME, &pg.db, &counts).spawn(
        &EventSource::JetStream(bus.clone()),
        options.clone(),
        first.clone(),
    );
    eventually(Duration::from_secs(10), "a first failure", || async {
        counts.poison.load(Ordering::SeqCst) == 1
    })
    .await;
    first.trigger();
    running.await.unwrap();

    let restarted = counted(NAME, &pg.db, &counts);
    let stats = restarted.stats();
    let second = Shutdown::new();
    restarted.spawn(
        &EventSource::JetStream(bus.clone()),
        options,
        second.clone(),
    );
    eventually(Duration::from_secs(60), "the dead letter", || async {
        stats.snapshot().dead_lettered == 1
    })
    .await;
    assert_eq!(
        counts.poison.load(Ordering::SeqCst),
        3,
        "max_deliver failures in all, across the restart"
    );
    second.trigger();
    pg.drop_db().await;
}
