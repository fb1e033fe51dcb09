//! Provisioning writes on real databases (SQLite in memory, and a fresh PostgreSQL
//! database per test): all or nothing, one event each, conditional on the version,
//! usernames unique when asked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use nexus_domain::{ChangeContext, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::outbox::OutboxSignal;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::Migrator;
use crate::adapters::db::SeaOrmIdentityStore;
use crate::adapters::db::test_databases::{DropUrl, drop_database, fresh_postgres};
use crate::domain::{
    AttributeFields, DirectoryError, NewUser, NewUserInput, User, UserEvent, UserPatch,
};
use crate::ports::UserView;
use crate::ports::provisioning::{ProvisioningRepository, UserChanges};

async fn connect(url: &str) -> (SeaOrmIdentityStore, DatabaseConnection) {
    let settings = DatabaseSettings {
        max_connections: 4,
        connect_timeout_secs: 5,
    };
    let db = nexus_platform::db::connect_and_migrate::<Migrator>(url, &settings)
        .await
        .unwrap();
    (
        SeaOrmIdentityStore::new(db.clone(), OutboxSignal::new()),
        db,
    )
}

fn ctx() -> ChangeContext<'static> {
    ChangeContext {
        actor: "tester",
        now: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        ids: &UuidV7Ids,
    }
}

fn attribute(name: &str, value: &str) -> AttributeFields {
    AttributeFields::new(name, Some(value), None).unwrap()
}

async fn provision(
    store: &SeaOrmIdentityStore,
    username: &str,
    email: &str,
    unique: bool,
) -> Result<UserView, DirectoryError> {
    let c = ctx();
    let input = NewUserInput {
        email_address: email.to_owned(),
        username: username.to_owned(),
        ..NewUserInput::default()
    };
    let user = User::create(
        NewUser::new(&input).unwrap(),
        c.ids.user_id(),
        c.now,
        c.actor,
    );
    let event = c.record(UserEvent::Created(user.clone()));
    store
        .provision(&user, &[attribute("scim.externalId", "e1")], unique, &event)
        .await
}

async fn event_types(db: &DatabaseConnection) -> Vec<String> {
    db.query_all(Statement::from_string(
        db.get_database_backend(),
        "SELECT event_type FROM outbox ORDER BY seq",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<String>("", "event_type").unwrap())
    .collect()
}

async fn scenario(store: &SeaOrmIdentityStore, db: &DatabaseConnection) {
    let ann = provision(store, "Ann", "ann@example.com", true)
        .await
        .unwrap();
    assert_eq!(ann.attributes.len(), 1);
    assert_eq!(event_types(db).await, ["user.created"]);

    let taken = provision(store, "ANN", "other@example.com", true).await;
    assert!(
        matches!(taken, Err(DirectoryError::Conflict(_))),
        "{taken:?}"
    );
    // Without the uniqueness ask a username may repeat, as on /v1.
    provision(store, "ANN", "third@example.com", false)
        .await
        .unwrap();
    assert_eq!(event_types(db).await, ["user.created", "user.created"]);

    let id = ann.user.id.clone();
    let changes = UserChanges {
        patch: UserPatch {
            display_name: Some(Some("Ann A".to_owned())),
            ..UserPatch::default()
        },
        expected_version: Some(ann.user.version + 1),
        put_attributes: vec![attribute("scim.department", "Ops")],
        delete_attributes: vec!["scim.externalId".to_owned()],
        unique_username: true,
    };
    let stale = store.apply_changes(&id, &changes, &ctx()).await;
    assert!(
        matches!(stale, Err(DirectoryError::FailedPrecondition(_))),
        "{stale:?}"
    );

    let email_taken = UserChanges {
        expected_version: Some(ann.user.version),
        patch: UserPatch {
            email_address: Some("third@example.com".to_owned()),
            ..changes.patch.clone()
        },
        ..changes.clone()
    };
    let refused = store.apply_changes(&id, &email_taken, &ctx()).await;
    assert!(
        matches!(refused, Err(DirectoryError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(
        event_types(db).await.len(),
        2,
        "a refused write records nothing"
    );

    let applied = store
        .apply_changes(
            &id,
            &UserChanges {
                expected_version: Some(ann.user.version),
                ..changes.clone()
            },
            &ctx(),
        )
        .await
        .unwrap();
    assert_eq!(applied.user.version, ann.user.version + 1);
    assert_eq!(applied.user.display_name, "Ann A");
    let names: Vec<&str> = applied.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["scim.department"]);
    assert_eq!(
        event_types(db).await,
        ["user.created", "user.created", "user.updated"]
    );

    // The same changes again change nothing and record nothing.
    store
        .apply_changes(&id, &changes_without_version(&changes), &ctx())
        .await
        .unwrap();
    assert_eq!(event_types(db).await.len(), 3);

    let found = store
        .find_by_attribute("scim.department", "Ops", 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user.id, id);
    assert!(
        store
            .find_by_attribute("scim.department", "ops", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

fn changes_without_version(changes: &UserChanges) -> UserChanges {
    UserChanges {
        expected_version: None,
        ..changes.clone()
    }
}

async fn finish(db: DatabaseConnection, drop_url: DropUrl) {
    let _ = db.close().await;
    drop_database(drop_url).await;
}

#[tokio::test]
async fn provisioning_writes_on_sqlite() {
    let (store, db) = connect("sqlite::memory:").await;
    scenario(&store, &db).await;
}

#[tokio::test]
async fn provisioning_writes_on_postgres() {
    let Some((url, drop_url)) = fresh_postgres("nexus_identity_provisioning").await else {
        return;
    };
    let (store, db) = connect(&url).await;
    scenario(&store, &db).await;
    drop(store);
    finish(db, drop_url).await;
}
