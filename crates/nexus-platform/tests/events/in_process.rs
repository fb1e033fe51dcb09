//! The same projection on the all-in-one's in-process bus and SQLite: the
//! handlers and inbox behave as on JetStream.

use std::time::Duration;

use nexus_platform::Shutdown;
use nexus_platform::events::consumer::{ConsumerOptions, EventSource};
use nexus_platform::events::{EventBus, InProcessEventBus};
use nexus_platform::inbox;
use nexus_platform::outbox::{OutboxRelay, OutboxSignal};

use crate::support::{eventually, projection, sqlite, user_event, view, view_len, write_user};

const CONSUMER: &str = "users-view";

fn options() -> ConsumerOptions {
    let mut options = ConsumerOptions::new("nexus.identity.>");
    options.max_deliver = 3;
    options.retry_backoff = Duration::from_millis(10);
    options
}

#[tokio::test]
async fn outbox_writes_reach_the_in_process_projection() {
    let db = sqlite().await;
    let bus = InProcessEventBus::new();
    let shutdown = Shutdown::new();
    let signal = OutboxSignal::new();
    projection(CONSUMER, &db).spawn(
        &EventSource::InProcess(bus.clone()),
        options(),
        shutdown.clone(),
    );
    OutboxRelay::new(
        db.clone(),
        std::sync::Arc::new(bus.clone()),
        signal.clone(),
        64,
        Duration::from_millis(20),
        Duration::from_secs(3600),
    )
    .spawn(shutdown.clone());

    for i in 0..20 {
        write_user(&db, &format!("u{i}"), 1, "x").await.unwrap();
        signal.notify();
    }
    eventually(Duration::from_secs(10), "20 events applied", || async {
        view_len(&db).await == 20
    })
    .await;
    assert_eq!(inbox::count(&db, CONSUMER).await.unwrap(), 20);
    shutdown.trigger();
}

#[tokio::test]
async fn a_duplicate_and_a_stale_version_are_ignored_in_process() {
    let db = sqlite().await;
    let bus = InProcessEventBus::new();
    let shutdown = Shutdown::new();
    let consumer = projection(CONSUMER, &db);
    let stats = consumer.stats();
    consumer.spawn(
        &EventSource::InProcess(bus.clone()),
        options(),
        shutdown.clone(),
    );

    let v1 = user_event("u", 1, "first");
    let v2 = user_event("u", 2, "second");
    let stale = user_event("u", 1, "stale");
    for message in [&v1, &v2, &v2, &stale] {
        bus.publish(message).await.unwrap();
    }
    eventually(Duration::from_secs(10), "4 deliveries", || async {
        let s = stats.snapshot();
        s.applied + s.duplicates == 4
    })
    .await;

    assert_eq!(view(&db).await["u"], ("second".to_owned(), 2, 2));
    assert_eq!(stats.snapshot().duplicates, 1);
    shutdown.trigger();
}

#[tokio::test]
async fn a_poison_event_is_dead_lettered_in_process_and_the_next_is_applied() {
    let db = sqlite().await;
    let bus = InProcessEventBus::new();
    let mut letters = bus.subscribe();
    let shutdown = Shutdown::new();
    let consumer = projection(CONSUMER, &db);
    let stats = consumer.stats();
    consumer.spawn(
        &EventSource::InProcess(bus.clone()),
        options(),
        shutdown.clone(),
    );

    let poison = user_event("p", 1, "poison");
    bus.publish(&poison).await.unwrap();
    bus.publish(&user_event("g", 1, "good")).await.unwrap();
    eventually(
        Duration::from_secs(10),
        "the next event applied",
        || async { view_len(&db).await == 1 },
    )
    .await;

    let counts = stats.snapshot();
    assert_eq!((counts.dead_lettered, counts.failed_attempts), (1, 3));
    let letter = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let m = letters.recv().await.unwrap();
            if m.subject == "nexus.dlq.users-view" {
                return m;
            }
        }
    })
    .await
    .expect("a dead letter on the bus");
    assert_eq!(letter.id, poison.id);
    shutdown.trigger();
}
