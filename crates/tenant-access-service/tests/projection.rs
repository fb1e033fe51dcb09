//! The user projection on a real (SQLite) database: identity events applied
//! with version checks, and a deleted user leaving every tenant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use nexus_domain::{ChangeContext, SystemClock, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::outbox::OutboxSignal;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tenant_access_service::Migrator;
use tenant_access_service::adapters::db::SeaOrmTenantAccessStore;
use tenant_access_service::application::ProjectionService;
use tenant_access_service::domain::{IdentityUserEvent, MemberUser, Roles, TenantId, TenantMember};
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
    let (store, _db) = store().await;
    attach(&store, "acme", &user(2, "Ann", false)).await;
    let projection =
        ProjectionService::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let acme = TenantId::parse("acme").unwrap();

    projection
        .apply(&IdentityUserEvent::Changed(user(1, "Older", true)))
        .await
        .unwrap();
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!((held.name.as_deref(), held.blocked), (Some("Ann"), false));

    projection
        .apply(&IdentityUserEvent::Changed(user(3, "Newer", true)))
        .await
        .unwrap();
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!((held.name.as_deref(), held.blocked), (Some("Newer"), true));

    let later = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let earlier = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    for at in [later, earlier] {
        projection
            .apply(&IdentityUserEvent::LoggedIn {
                user_id: "u1".into(),
                at,
            })
            .await
            .unwrap();
    }
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!(held.last_login, Some(later));
    // A redelivered older update does not lose the login either.
    projection
        .apply(&IdentityUserEvent::Changed(user(4, "Newest", true)))
        .await
        .unwrap();
    let held = store.get(&acme, "u1").await.unwrap().unwrap();
    assert_eq!(held.last_login, Some(later));
}

#[tokio::test]
async fn a_deleted_user_leaves_every_tenant_and_stays_deleted() {
    let (store, db) = store().await;
    attach(&store, "acme", &user(1, "Ann", false)).await;
    attach(&store, "globex", &user(1, "Ann", false)).await;
    let projection =
        ProjectionService::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));

    let deleted = IdentityUserEvent::Deleted {
        user_id: "u1".into(),
        version: 2,
    };
    projection.apply(&deleted).await.unwrap();
    // Applying it again changes nothing and records nothing more.
    projection.apply(&deleted).await.unwrap();
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
    projection
        .apply(&IdentityUserEvent::Changed(user(1, "Ann", false)))
        .await
        .unwrap();
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
