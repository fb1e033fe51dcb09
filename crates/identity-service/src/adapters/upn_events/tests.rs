//! The custom-UPN copy on real databases (SQLite in memory, and a fresh
//! PostgreSQL database per test from `NEXUS_TEST_DATABASE_URL`, skipped when
//! PostgreSQL is down unless `NEXUS_TEST_REQUIRE_SERVICES=1`): events out of
//! order and from concurrent handlers leave the latest version.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::adapters::db::test_databases::{drop_database, fresh_postgres};
use std::sync::Arc;

use nexus_platform::config::DatabaseSettings;
use nexus_platform::events::consumer::EventHandler;
use nexus_proto::events::v1::event_envelope::Payload;
use nexus_proto::events::v1::{CustomUpnChanged, EventEnvelope};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};

use super::CustomUpnEvents;
use crate::Migrator;
use crate::adapters::db::entities::custom_upns;

const ID: &str = "upn-1";

/// A migrated database and, on PostgreSQL, how to drop it.
struct TestDb {
    db: DatabaseConnection,
    drop_url: Option<(String, String)>,
}

impl TestDb {
    async fn finish(self) {
        let _ = self.db.close().await;
        drop_database(self.drop_url).await;
    }
}

async fn connect(url: &str, drop_url: Option<(String, String)>) -> TestDb {
    let settings = DatabaseSettings {
        max_connections: 4,
        connect_timeout_secs: 5,
    };
    let db = nexus_platform::db::connect_and_migrate::<Migrator>(url, &settings)
        .await
        .unwrap();
    TestDb { db, drop_url }
}

async fn sqlite() -> TestDb {
    connect("sqlite::memory:", None).await
}

async fn postgres() -> Option<TestDb> {
    let (url, drop_url) = fresh_postgres("nexus_identity_upn").await?;
    Some(connect(&url, drop_url).await)
}

/// Runs `scenario` on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $scenario:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let t = sqlite().await;
            $scenario(&t.db).await;
            t.finish().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if let Some(t) = postgres().await {
                $scenario(&t.db).await;
                t.finish().await;
            }
        }
    };
}

#[derive(Clone, Copy)]
enum Kind {
    Created,
    Updated,
    Deleted,
}

fn event(kind: Kind, version: u64) -> EventEnvelope {
    let changed = CustomUpnChanged {
        id: ID.to_owned(),
        user_id: "user-1".to_owned(),
        client_upn_key: Some("client".to_owned()),
        custom_upn_value: Some(format!("v{version}@example.com")),
        version,
    };
    let payload = match kind {
        Kind::Created => Payload::CustomUpnCreated(changed),
        Kind::Updated => Payload::CustomUpnUpdated(changed),
        Kind::Deleted => Payload::CustomUpnDeleted(changed),
    };
    EventEnvelope {
        id: format!("event-{version}"),
        actor: format!("actor-{version}"),
        aggregate_id: ID.to_owned(),
        aggregate_version: version,
        payload: Some(payload),
        ..EventEnvelope::default()
    }
}

/// Applies one event in its own transaction, as the consumer does.
async fn apply(db: &DatabaseConnection, event: &EventEnvelope) {
    let txn = db.begin().await.unwrap();
    CustomUpnEvents {
        max_version_jump: 0,
    }
    .handle(&txn, event)
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

async fn held(db: &DatabaseConnection) -> custom_upns::Model {
    custom_upns::Entity::find_by_id(ID.to_owned())
        .one(db)
        .await
        .unwrap()
        .expect("the copy holds the UPN")
}

async fn out_of_order(db: &DatabaseConnection) {
    apply(db, &event(Kind::Created, 1)).await;
    apply(db, &event(Kind::Updated, 3)).await;
    apply(db, &event(Kind::Updated, 2)).await;
    let row = held(db).await;
    assert_eq!(row.version, 3);
    assert_eq!(row.custom_upn_value.as_deref(), Some("v3@example.com"));
    assert_eq!(row.created_by, "actor-1");
    assert_eq!(row.modified_by, "actor-3");
    assert!(!row.deleted);

    // A redelivery of the newest changes nothing either.
    apply(db, &event(Kind::Updated, 3)).await;
    assert_eq!(held(db).await, row);
}

async fn deleted_stays_deleted(db: &DatabaseConnection) {
    // The deletion arrives first; the older events after it.
    apply(db, &event(Kind::Deleted, 4)).await;
    apply(db, &event(Kind::Created, 1)).await;
    apply(db, &event(Kind::Updated, 3)).await;
    apply(db, &event(Kind::Updated, 2)).await;
    let row = held(db).await;
    assert_eq!(row.version, 4);
    assert!(row.deleted);

    // And after an update that the deletion follows.
    apply(db, &event(Kind::Deleted, 5)).await;
    apply(db, &event(Kind::Updated, 4)).await;
    let row = held(db).await;
    assert_eq!(row.version, 5);
    assert!(row.deleted);
}

async fn concurrent_handlers(db: &DatabaseConnection) {
    // Two handlers (two replicas of one durable consumer) share the events,
    // each applying its half newest-first, at the same time.
    let events: Vec<EventEnvelope> = (1..=20)
        .map(|v| match v {
            1 => event(Kind::Created, v),
            _ => event(Kind::Updated, v),
        })
        .collect();
    let events = Arc::new(events);
    let mut tasks = Vec::new();
    for replica in 0..2_usize {
        let db = db.clone();
        let events = events.clone();
        tasks.push(tokio::spawn(async move {
            for e in events.iter().rev().skip(replica).step_by(2) {
                apply(&db, e).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let row = held(db).await;
    assert_eq!(row.version, 20);
    assert_eq!(row.custom_upn_value.as_deref(), Some("v20@example.com"));
    assert!(!row.deleted);
}

on_both!(out_of_order_sqlite, out_of_order_postgres, out_of_order);
on_both!(
    deleted_stays_deleted_sqlite,
    deleted_stays_deleted_postgres,
    deleted_stays_deleted
);
on_both!(
    concurrent_handlers_sqlite,
    concurrent_handlers_postgres,
    concurrent_handlers
);
