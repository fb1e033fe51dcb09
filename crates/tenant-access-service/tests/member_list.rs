//! A tenant's user list is one statement (memberships joined with the user
//! copies), whatever the page size, on SQLite and on a fresh PostgreSQL
//! database from `NEXUS_TEST_DATABASE_URL` (skipped when PostgreSQL is down
//! unless `NEXUS_TEST_REQUIRE_SERVICES=1`). Statements are counted by the
//! connection's own metric hook, which sees every statement sea-orm sends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use nexus_domain::{ChangeContext, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::outbox::OutboxSignal;
use sea_orm::{ConnectionTrait, Database};
use tenant_access_service::Migrator;
use tenant_access_service::adapters::db::SeaOrmTenantAccessStore;
use tenant_access_service::domain::{MemberUser, Roles, TenantId, TenantMember};
use tenant_access_service::ports::TenantMemberRepository;

const MEMBERS: usize = 300;

async fn store(url: &str) -> (SeaOrmTenantAccessStore, Arc<AtomicUsize>) {
    let settings = DatabaseSettings {
        max_connections: 1,
        connect_timeout_secs: 5,
    };
    let mut db = nexus_platform::db::connect_and_migrate::<Migrator>(url, &settings)
        .await
        .unwrap();
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (
        SeaOrmTenantAccessStore::new(db, OutboxSignal::new()),
        statements,
    )
}

async fn attach(store: &SeaOrmTenantAccessStore, tenant: &str, n: usize, role: &str) {
    let ctx = ChangeContext {
        actor: "admin",
        now: Utc::now(),
        ids: &UuidV7Ids,
    };
    let user = MemberUser {
        user_id: format!("u{n:04}"),
        email: format!("user{n}@example.com"),
        name: Some(format!("User {n}")),
        blocked: n.is_multiple_of(2),
        last_login: None,
        version: 1,
    };
    let member = TenantMember {
        tenant: TenantId::parse(tenant).unwrap(),
        user_id: user.user_id.clone(),
        role: Roles::default().parse(role).unwrap(),
        version: 1,
    };
    store.attach(&member, &user, &ctx).await.unwrap();
}

async fn a_tenant_list_is_one_statement(url: &str) {
    let (store, statements) = store(url).await;
    for n in 0..MEMBERS {
        attach(&store, "acme", n, if n == 7 { "admin" } else { "member" }).await;
    }
    attach(&store, "globex", MEMBERS, "admin").await;
    let acme = TenantId::parse("acme").unwrap();

    let before = statements.load(Ordering::SeqCst);
    let small = store.list(&acme, None, 2).await.unwrap();
    let mid = statements.load(Ordering::SeqCst);
    let all = store.list(&acme, None, 10_001).await.unwrap();
    let after = statements.load(Ordering::SeqCst);
    assert_eq!((mid - before, after - mid), (1, 1));

    assert_eq!(small.len(), 2);
    assert_eq!(all.len(), MEMBERS);
    let ids: Vec<&str> = all.iter().map(|u| u.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert!(!ids.contains(&format!("u{MEMBERS:04}").as_str()));
    let seventh = &all[7];
    assert_eq!(
        (
            seventh.email.as_str(),
            seventh.name.as_deref(),
            seventh.blocked,
            seventh.tenant_role.as_str()
        ),
        ("user7@example.com", Some("User 7"), false, "admin")
    );
    assert!(all[8].blocked);

    let next = store.list(&acme, Some("u0298"), 10).await.unwrap();
    let ids: Vec<&str> = next.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u0299"]);
    let one = store.get(&acme, "u0007").await.unwrap().unwrap();
    assert_eq!(one, all[7]);
    assert!(store.get(&acme, "nobody").await.unwrap().is_none());
}

#[tokio::test]
async fn a_tenant_list_is_one_statement_sqlite() {
    a_tenant_list_is_one_statement("sqlite::memory:").await;
}

#[tokio::test]
async fn a_tenant_list_is_one_statement_postgres() {
    let admin_url = std::env::var("NEXUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = match Database::connect(admin_url.as_str()).await {
        Ok(admin) => admin,
        Err(e) => {
            assert!(
                std::env::var("NEXUS_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "PostgreSQL is required but unavailable: {e}"
            );
            eprintln!("SKIPPED: PostgreSQL unavailable ({e})");
            return;
        }
    };
    let name = format!("nexus_ta_list_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').map_or("", |(b, _)| b);
    a_tenant_list_is_one_statement(&format!("{base}/{name}")).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}
