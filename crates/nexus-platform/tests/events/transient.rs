//! Transient failures on JetStream: a handler whose database is unavailable
//! for longer than `max_deliver` deliveries is retried until it succeeds and
//! never dead-lettered; a repeatable failure still is, after `max_deliver`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use nexus_platform::Shutdown;
use nexus_platform::events::EventBus as _;
use nexus_platform::events::consumer::{
    ConsumerOptions, EventConsumer, EventSource, HandlerError, HandlerRegistry, jetstream,
};

use crate::support::{
    EVENT_TYPE, NatsServer, TestDb, eventually, project, user_event, view, view_len,
};

const CONSUMER: &str = "users-view-transient";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_database_is_retried_past_max_deliver_and_never_dead_lettered() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let Some(pg) = TestDb::create().await else {
        return;
    };
    let bus = nats.bus().await;
    let outage = Arc::new(AtomicU32::new(8));
    let left = outage.clone();
    let handlers = HandlerRegistry::new().on_fn(EVENT_TYPE, move |txn, event| {
        let left = left.clone();
        Box::pin(async move {
            if left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(HandlerError::Db(sea_orm::DbErr::Custom(
                    "error returned from database: database is locked".to_owned(),
                )));
            }
            project(txn, event).await
        })
    });
    let consumer = EventConsumer::new(CONSUMER, pg.db.clone(), handlers).unwrap();
    let stats = consumer.stats();
    let mut options = ConsumerOptions::new("nexus.identity.>");
    options.max_deliver = 3;
    options.retry_backoff = Duration::from_millis(10);
    let shutdown = Shutdown::new();
    consumer.spawn(
        &EventSource::JetStream(bus.clone()),
        options,
        shutdown.clone(),
    );

    bus.publish(&user_event("u", 1, "after the outage"))
        .await
        .unwrap();
    bus.publish(&user_event("p", 1, "poison")).await.unwrap();
    eventually(
        Duration::from_secs(30),
        "the event applied after the outage",
        || async { view_len(&pg.db).await == 1 && stats.snapshot().dead_lettered == 1 },
    )
    .await;
    let counts = stats.snapshot();
    assert_eq!(outage.load(Ordering::SeqCst), 0);
    assert_eq!(view(&pg.db).await["u"].0, "after the outage");
    // Only the poison event is dead-lettered, after its 3 repeatable failures.
    assert_eq!(
        jetstream::dead_letter_count(&bus, CONSUMER).await.unwrap(),
        1
    );
    assert!(counts.failed_attempts >= 8 + 3, "{counts:?}");
    println!(
        "transient outage: sent 2, applied {}, dead-lettered {} (the poison event), failed attempts {}, lost 0",
        counts.applied, counts.dead_lettered, counts.failed_attempts
    );
    shutdown.trigger();
    pg.drop_db().await;
}
