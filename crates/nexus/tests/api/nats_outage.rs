//! NATS stopped under write load (a nats-server of the test's own): every
//! write still succeeds (the outbox holds the events), and once NATS is back
//! every event reaches JetStream and tenant-access's copy, fed by its durable
//! JetStream consumer, holds every user.

use std::time::Duration;

use futures::StreamExt as _;
use nexus_platform::config::EventBackend;
use nexus_platform::events::NatsEventBus;
use sea_orm::{ConnectionTrait as _, Statement};

use crate::helpers::{Backend, TestApp, create_user};
use crate::own_nats::OwnNats;

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    db.query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_succeed_while_nats_is_down_and_every_event_arrives_after() {
    let Some(mut nats) = OwnNats::start() else {
        return;
    };
    let url = nats.url();
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |s| {
        s.events.backend = Some(EventBackend::Nats);
        s.events.nats_url = url.clone();
    })
    .await
    else {
        return;
    };
    for n in 0..20 {
        create_user(&app, &format!("before{n}@example.com")).await;
    }
    nats.stop();
    let mut during = 0;
    for n in 0..100 {
        create_user(&app, &format!("during{n}@example.com")).await;
        during += 1;
    }
    nats.run().expect("nats-server again");

    let databases = &app.running.as_ref().unwrap().databases;
    let db = |c| databases.iter().find(|(d, _)| *d == c).unwrap().1.clone();
    let (identity, tenant) = (
        db(nexus::Component::Identity),
        db(nexus::Component::TenantAccess),
    );
    let bus = NatsEventBus::connect(&app.settings.events).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut published = 0;
    let copied = loop {
        if let Ok(stream) = bus.jetstream().get_stream(bus.stream_name()).await
            && let Ok(mut subjects) = stream
                .info_with_subjects(bus.subject("nexus.identity.user.created"))
                .await
        {
            published = 0;
            while let Some(Ok((_, n))) = subjects.next().await {
                published += n;
            }
        }
        let copied = count(&tenant, "SELECT COUNT(*) FROM member_users").await;
        if published == 120 && copied == 120 {
            break copied;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after NATS came back: {published} user.created in JetStream, {copied} users copied, of 120"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(count(&identity, "SELECT COUNT(*) FROM users").await, 120);
    println!(
        "NATS down for {during} writes: sent 120, in JetStream {published}, applied {copied}, lost 0, doubled 0"
    );
    app.stop().await;
}
