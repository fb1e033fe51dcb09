//! The user projection on a real (SQLite) database, fed as in production:
//! identity event envelopes handed to the projection's consumer, applied with
//! version checks, and a deleted user leaving every tenant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, TimeZone, Utc};
use nexus_domain::{ChangeContext, IdGenerator, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::events::consumer::{EventConsumer, Outcome};
use nexus_platform::outbox::OutboxSignal;
use nexus_platform::time::to_timestamp;
use nexus_proto::events::v1 as pb;
use pb::event_envelope::Payload;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tenant_access_service::Migrator;
use tenant_access_service::adapters::db::SeaOrmTenantAccessStore;
use tenant_access_service::adapters::projection::consumer;
use tenant_access_service::domain::{MemberUser, Roles, TenantId, TenantMember};
use tenant_access_service::ports::TenantMemberRepository;

async fn store() -> (SeaOrmTenantAccessStore, DatabaseConnection) {
    let settings = DatabaseSettings {
        max_connections: 1,
        connect_timeout_secs: 5,
    };
    let db = nexus_platform::db::connect_and_migrate::<Migrator>("sqlite::memory:", &settings)
        .await
        .unwrap();
    (
        SeaOrmTenantAccessStore::new(db.clone(), OutboxSignal::new()),
        db,
    )
}

fn user(version: u64, name: &str, blocked: bool) -> MemberUser {
    MemberUser {
        user_id: "u1".into(),
        email: "ann@example.com".into(),
        name: Some(name.into()),
        blocked,
        last_login: None,
        version,
    }
}

/// An event as identity publishes it, with an id of its own: a redelivery
/// under a new id goes past the inbox and meets the version checks.
fn envelope(event_type: &str, version: u64, payload: Payload) -> pb::EventEnvelope {
    pb::EventEnvelope {
        id: UuidV7Ids.event_id().to_string(),
        r#type: event_type.into(),
        source: "identity".into(),
        aggregate_type: "user".into(),
        aggregate_id: "u1".into(),
        aggregate_version: version,
        actor: "admin".into(),
        payload: Some(payload),
        ..pb::EventEnvelope::default()
    }
}

fn changed(user: &MemberUser) -> pb::EventEnvelope {
    let snapshot = pb::UserSnapshot {
        user_id: user.user_id.clone(),
        email_address: user.email.clone(),
        display_name: user.name.clone().unwrap_or_default(),
        is_active: !user.blocked,
        last_login: user.last_login.map(to_timestamp),
        ..pb::UserSnapshot::default()
    };
    envelope(
        "user.updated",
        user.version,
        Payload::UserUpdated(pb::UserChanged {
            user: Some(snapshot),
        }),
    )
}

fn logged_in(user_id: &str, at: DateTime<Utc>) -> pb::EventEnvelope {
    envelope(
        "user.logged_in",
        0,
        Payload::UserLoggedIn(pb::UserLoggedIn {
            user_id: user_id.into(),
            at: Some(to_timestamp(at)),
        }),
    )
}

fn deleted(user_id: &str, version: u64) -> pb::EventEnvelope {
    envelope(
        "user.deleted",
        version,
        Payload::UserDeleted(pb::UserDeleted {
            user_id: user_id.into(),
        }),
    )
}

async fn apply(projection: &EventConsumer, event: &pb::EventEnvelope) {
    assert_eq!(projection.apply(event).await.unwrap(), Outcome::Applied);
}

async fn attach(store: &SeaOrmTenantAccessStore, tenant: &str, user: &MemberUser) {
    let ids = UuidV7Ids;
    let ctx = ChangeContext {
        actor: "admin",
        now: Utc::now(),
        ids: &ids,
    };
    let member = TenantMember {
        tenant: TenantId::parse(tenant).unwrap(),
        user_id: user.user_id.clone(),
        role: Roles::default().parse("admin").unwrap(),
        version: 1,
    };
    store.attach(&member, user, &ctx).await.unwrap();
}

async fn outbox_types(db: &DatabaseConnection) -> Vec<String> {
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

#[tokio::test]
async fn events_apply_only_when_newer_and_logins_keep_the_latest_time() {
    let (store, db) = store().await;
    attach(&store, "acme", &user(2, "Ann", false)).await;
    let projection = consumer(db, 0).unwrap();
    let acme = TenantId::parse("acme").unwrap();

    apply(&projection, &changed(&user(1, "Older", true))).await;
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!((held.name.as_deref(), held.blocked), (Some("Ann"), false));

    apply(&projection, &changed(&user(3, "Newer", true))).await;
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!((held.name.as_deref(), held.blocked), (Some("Newer"), true));

    let later = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let earlier = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    for at in [later, earlier] {
        apply(&projection, &logged_in("u1", at)).await;
    }
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!(held.last_login, Some(later));
    // A redelivered older update does not lose the login either.
    apply(&projection, &changed(&user(4, "Newest", true))).await;
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!(held.last_login, Some(later));
}

#[tokio::test]
async fn a_deleted_user_leaves_every_tenant_and_stays_deleted() {
    let (store, db) = store().await;
    attach(&store, "acme", &user(1, "Ann", false)).await;
    attach(&store, "globex", &user(1, "Ann", false)).await;
    let projection = consumer(db.clone(), 0).unwrap();

    apply(&projection, &deleted("u1", 2)).await;
    // Applying it again changes nothing and records nothing more.
    apply(&projection, &deleted("u1", 2)).await;
    assert!(store.tenants_of("u1").await.unwrap().is_empty());
    assert_eq!(
        outbox_types(&db).await,
        [
            "tenant_member.attached",
            "tenant_member.attached",
            "tenant_member.removed",
            "tenant_member.removed",
        ]
    );
    // A late update older than the deletion does not bring the data back.
    apply(&projection, &changed(&user(1, "Ann", false))).await;
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT email FROM member_users WHERE user_id = 'u1'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "email").unwrap(), "");
}
