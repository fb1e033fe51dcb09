//! A row the bus refuses for good is parked and the rows behind it go on; the
//! inbox is pruned of old rows and still refuses a recent duplicate.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use nexus_platform::events::EventBus;
use nexus_platform::inbox::{self, ProcessedEvents};
use nexus_platform::outbox::relay::{PARK_AFTER_REFUSALS, backlog};
use nexus_platform::outbox::{OutboxRelay, OutboxSignal, enqueue, parked};
use nexus_platform::shutdown::Shutdown;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, Query};

use crate::support::{
    NatsServer, SUBJECT, TestDb, eventually, stream_count, user_event, write_user,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_no_stream_holds_is_parked_and_the_rows_behind_it_are_delivered() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let Some(pg) = TestDb::create().await else {
        return;
    };
    let bus = nats.bus().await;

    write_user(&pg.db, "before", 1, "Before").await.unwrap();
    // The stream holds `nexus.>` only: this subject has no stream.
    let mut stray = user_event("stray", 1, "Stray");
    stray.subject = "elsewhere.identity.user.updated".to_owned();
    enqueue(&pg.db, &stray).await.unwrap();
    for i in 0..5 {
        write_user(&pg.db, &format!("after{i}"), 1, "After")
            .await
            .unwrap();
    }

    let relay = OutboxRelay::new(
        pg.db.clone(),
        bus.clone() as Arc<dyn EventBus>,
        OutboxSignal::new(),
        64,
        Duration::from_millis(20),
        Duration::from_secs(3600),
    );
    let parked_total = relay.parked_counter();
    let shutdown = Shutdown::new();
    relay.spawn(shutdown.clone());

    eventually(Duration::from_secs(30), "an empty outbox", || async {
        backlog(&pg.db).await.unwrap().0 == 0
    })
    .await;
    assert_eq!(stream_count(&bus, SUBJECT).await, 6);
    let parked = parked::list(&pg.db, 10).await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].event_id, stray.id);
    assert_eq!(parked[0].subject, stray.subject);
    assert!(
        parked[0].reason.contains("no stream found"),
        "{}",
        parked[0].reason
    );
    assert_eq!(parked_total.load(Ordering::Relaxed), 1);

    shutdown.trigger();
    pg.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_wait_in_order_while_nats_is_down_and_none_is_parked() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let Some(pg) = TestDb::create().await else {
        return;
    };
    let bus = nats.bus().await;
    let relay = OutboxRelay::new(
        pg.db.clone(),
        bus.clone() as Arc<dyn EventBus>,
        OutboxSignal::new(),
        64,
        Duration::from_millis(20),
        Duration::from_secs(3600),
    );
    nats.stop();
    write_user(&pg.db, "u", 1, "U").await.unwrap();
    for _ in 0..PARK_AFTER_REFUSALS + 2 {
        assert!(relay.publish_batch().await.is_err());
    }
    assert_eq!(backlog(&pg.db).await.unwrap().0, 1);
    assert!(parked::list(&pg.db, 10).await.unwrap().is_empty());
    assert_eq!(relay.parked_counter().load(Ordering::Relaxed), 0);

    nats.restart();
    eventually(Duration::from_secs(30), "the row sent", || async {
        let _ = relay.publish_batch().await;
        backlog(&pg.db).await.unwrap().0 == 0
    })
    .await;
    assert_eq!(stream_count(&bus, SUBJECT).await, 1);
    pg.drop_db().await;
}

#[tokio::test]
async fn the_relay_prunes_old_inbox_rows_and_a_recent_duplicate_is_still_refused() {
    let Some(pg) = TestDb::create().await else {
        return;
    };
    for i in 0..1_200 {
        assert!(
            inbox::record(&pg.db, "view", &format!("old{i}"))
                .await
                .unwrap()
        );
    }
    let backdate = Query::update()
        .table(ProcessedEvents::Table)
        .value(
            ProcessedEvents::ProcessedAt,
            chrono::Utc::now()
                - chrono::Duration::from_std(inbox::RETENTION).unwrap()
                - chrono::Duration::hours(1),
        )
        .and_where(Expr::col(ProcessedEvents::EventId).like("old%"))
        .to_owned();
    pg.db
        .execute(pg.db.get_database_backend().build(&backdate))
        .await
        .unwrap();
    assert!(inbox::record(&pg.db, "view", "recent").await.unwrap());

    let relay = OutboxRelay::new(
        pg.db.clone(),
        Arc::new(nexus_platform::events::InProcessEventBus::new()),
        OutboxSignal::new(),
        64,
        Duration::from_millis(20),
        Duration::from_secs(3600),
    );
    relay.prune().await.unwrap();

    assert_eq!(inbox::count(&pg.db, "view").await.unwrap(), 1);
    assert!(inbox::contains(&pg.db, "view", "recent").await.unwrap());
    assert!(!inbox::record(&pg.db, "view", "recent").await.unwrap());
    pg.drop_db().await;
}
