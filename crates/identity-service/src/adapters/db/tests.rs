//! Changes that reach other users record their events on real databases
//! (SQLite in memory, and a fresh PostgreSQL database per test from
//! `NEXUS_TEST_DATABASE_URL`, skipped when PostgreSQL is down unless
//! `NEXUS_TEST_REQUIRE_SERVICES=1`): deleting a user clears its owned users'
//! `ownerId` with `user.updated`; deleting a role takes it out of memberships
//! with `user.updated`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::adapters::db::test_databases::{drop_database, fresh_postgres};
use chrono::{TimeZone, Utc};
use nexus_domain::{ChangeContext, UserId, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::outbox::OutboxSignal;
use nexus_proto::events::v1::EventEnvelope;
use prost::Message;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::Migrator;
use crate::adapters::db::SeaOrmIdentityStore;
use crate::domain::{
    MembershipFields, NewUser, NewUserInput, OrganizationFields, RoleFields, User, UserEvent,
};
use crate::ports::{OrganizationRepository, RoleRepository, UserRepository};

/// A migrated database and, on PostgreSQL, how to drop it.
struct TestDb {
    store: SeaOrmIdentityStore,
    db: DatabaseConnection,
    drop_url: Option<(String, String)>,
}

impl TestDb {
    async fn finish(self) {
        drop(self.store);
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
    TestDb {
        store: SeaOrmIdentityStore::new(db.clone(), OutboxSignal::new()),
        db,
        drop_url,
    }
}

async fn sqlite() -> TestDb {
    connect("sqlite::memory:", None).await
}

async fn postgres() -> Option<TestDb> {
    let (url, drop_url) = fresh_postgres("nexus_identity_changes").await?;
    Some(connect(&url, drop_url).await)
}

/// Runs `scenario` on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $scenario:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            let t = sqlite().await;
            $scenario(&t).await;
            t.finish().await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(t) = postgres().await {
                $scenario(&t).await;
                t.finish().await;
            }
        }
    };
}

fn ctx() -> ChangeContext<'static> {
    ChangeContext {
        actor: "tester",
        now: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        ids: &UuidV7Ids,
    }
}

async fn user(t: &TestDb, id: &str, owner: Option<&str>) -> User {
    let c = ctx();
    let input = NewUserInput {
        email_address: format!("{id}@example.com"),
        username: id.to_owned(),
        display_name: id.to_owned(),
        owner_id: owner.map(str::to_owned),
        ..NewUserInput::default()
    };
    let user = User::create(
        NewUser::new(&input).unwrap(),
        UserId::parse(id).unwrap(),
        c.now,
        c.actor,
    );
    t.store
        .create(&user, &c.record(UserEvent::Created(user.clone())))
        .await
        .unwrap();
    user
}

/// The outbox's rows after the first `skip`, oldest first, as
/// (event type, aggregate id, aggregate version).
async fn outbox_after(t: &TestDb, skip: usize) -> Vec<(String, String, u64)> {
    let rows =
        t.db.query_all(Statement::from_string(
            t.db.get_database_backend(),
            "SELECT event_type, payload FROM outbox ORDER BY seq",
        ))
        .await
        .unwrap();
    rows.iter()
        .skip(skip)
        .map(|r| {
            let payload: Vec<u8> = r.try_get("", "payload").unwrap();
            let envelope = EventEnvelope::decode(payload.as_slice()).unwrap();
            (
                r.try_get::<String>("", "event_type").unwrap(),
                envelope.aggregate_id,
                envelope.aggregate_version,
            )
        })
        .collect()
}

async fn outbox_len(t: &TestDb) -> usize {
    outbox_after(t, 0).await.len()
}

fn row(event_type: &str, id: &str, version: u64) -> (String, String, u64) {
    (event_type.to_owned(), id.to_owned(), version)
}

async fn deleting_an_owner_updates_owned_users(t: &TestDb) {
    let c = ctx();
    let owner = user(t, "owner", None).await;
    let a = user(t, "owned-a", Some("owner")).await;
    let b = user(t, "owned-b", Some("owner")).await;
    user(t, "other", None).await;
    let before = outbox_len(t).await;

    t.store.delete(&owner.id, None, &c).await.unwrap();

    assert_eq!(
        outbox_after(t, before).await,
        vec![
            row("user.updated", "owned-a", a.version + 1),
            row("user.updated", "owned-b", b.version + 1),
            row("user.deleted", "owner", owner.version + 1),
        ]
    );
    for owned in [&a, &b] {
        let view = t.store.view(&owned.id).await.unwrap().unwrap();
        assert_eq!(view.user.owner_id, None);
        assert_eq!(view.user.version, owned.version + 1);
    }
}

async fn a_delete_at_another_version_changes_nothing(t: &TestDb) {
    let c = ctx();
    let kept = user(t, "kept", None).await;
    let before = outbox_len(t).await;

    let refused = t
        .store
        .delete(&kept.id, Some(kept.version + 1), &c)
        .await
        .unwrap_err();

    assert!(
        matches!(
            refused,
            crate::domain::DirectoryError::FailedPrecondition(_)
        ),
        "{refused:?}"
    );
    assert!(t.store.view(&kept.id).await.unwrap().is_some());
    assert_eq!(outbox_len(t).await, before);
    t.store
        .delete(&kept.id, Some(kept.version), &c)
        .await
        .unwrap();
    assert!(t.store.view(&kept.id).await.unwrap().is_none());
}

async fn deleting_a_role_updates_its_memberships(t: &TestDb) {
    let c = ctx();
    let ann = user(t, "ann", None).await;
    let bob = user(t, "bob", None).await;
    let kept = t
        .store
        .create_role(&RoleFields::new("api", "reader", None).unwrap(), &c)
        .await
        .unwrap();
    let gone = t
        .store
        .create_role(&RoleFields::new("api", "writer", None).unwrap(), &c)
        .await
        .unwrap();
    let mut orgs = Vec::new();
    for name in ["north", "south"] {
        let fields = OrganizationFields {
            name: name.to_owned(),
            ..OrganizationFields::default()
        };
        orgs.push(
            t.store
                .create_organization(&fields.check().unwrap(), &c)
                .await
                .unwrap(),
        );
    }
    let both = MembershipFields::new(false, false, vec![kept.id.clone(), gone.id.clone()]).unwrap();
    let only_kept = MembershipFields::new(false, false, vec![kept.id.clone()]).unwrap();
    // Ann holds the role through two memberships, Bob through none.
    for org in &orgs {
        t.store
            .put_membership(&ann.id, org.id, &both, &c)
            .await
            .unwrap();
    }
    t.store
        .put_membership(&bob.id, orgs[0].id, &only_kept, &c)
        .await
        .unwrap();
    let ann_version = t.store.view(&ann.id).await.unwrap().unwrap().user.version;
    let bob_version = t.store.view(&bob.id).await.unwrap().unwrap().user.version;
    let before = outbox_len(t).await;

    t.store.delete_role(&gone.id, &c).await.unwrap();

    let after = outbox_after(t, before).await;
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(after[0], row("user.updated", "ann", ann_version + 1));
    assert_eq!(after[1], row("user.updated", "ann", ann_version + 2));
    assert_eq!(
        (after[2].0.as_str(), after[2].1.as_str()),
        ("role.deleted", gone.id.as_str())
    );
    let ann_view = t.store.view(&ann.id).await.unwrap().unwrap();
    assert_eq!(ann_view.user.version, ann_version + 2);
    for m in t.store.memberships(&ann.id).await.unwrap() {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.role_id.as_str()).collect();
        assert_eq!(roles, vec![kept.id.as_str()]);
    }
    let bob_view = t.store.view(&bob.id).await.unwrap().unwrap();
    assert_eq!(bob_view.user.version, bob_version);
}

on_both!(
    deleting_an_owner_sqlite,
    deleting_an_owner_postgres,
    deleting_an_owner_updates_owned_users
);
on_both!(
    deleting_a_role_sqlite,
    deleting_a_role_postgres,
    deleting_a_role_updates_its_memberships
);
on_both!(
    stale_delete_sqlite,
    stale_delete_postgres,
    a_delete_at_another_version_changes_nothing
);
