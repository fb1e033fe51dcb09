//! A burst of `user.logged_in` events is applied by the user projection in
//! one transaction of a few statements (one inbox insert, one version read,
//! one update), with the effect of applying them one by one: each event
//! once, and each user's last login never going back. On SQLite and on a
//! fresh PostgreSQL database from `NEXUS_TEST_DATABASE_URL` (skipped when
//! PostgreSQL is down unless `NEXUS_TEST_REQUIRE_SERVICES=1`). Statements
//! are counted by the connection's metric hook.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use nexus_domain::{ChangeContext, IdGenerator, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::events::consumer::Outcome;
use nexus_platform::outbox::OutboxSignal;
use nexus_platform::time::to_timestamp;
use nexus_proto::events::v1 as pb;
use sea_orm::{ConnectionTrait, Database};
use tenant_access_service::Migrator;
use tenant_access_service::adapters::db::SeaOrmTenantAccessStore;
use tenant_access_service::adapters::projection::consumer;
use tenant_access_service::domain::{MemberUser, Roles, TenantId, TenantMember};
use tenant_access_service::ports::TenantMemberRepository;

const USERS: usize = 200;

fn user_id(n: usize) -> String {
    format!("u{n:04}")
}

fn logged_in(n: usize, at: DateTime<Utc>) -> pb::EventEnvelope {
    pb::EventEnvelope {
        id: UuidV7Ids.event_id().to_string(),
        r#type: "user.logged_in".into(),
        source: "identity".into(),
        aggregate_type: "user".into(),
        aggregate_id: user_id(n),
        aggregate_version: 1,
        actor: "console".into(),
        payload: Some(pb::event_envelope::Payload::UserLoggedIn(
            pb::UserLoggedIn {
                user_id: user_id(n),
                at: Some(to_timestamp(at)),
            },
        )),
        ..pb::EventEnvelope::default()
    }
}

async fn a_burst_of_logins_is_a_few_statements(url: &str) {
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
    let store = SeaOrmTenantAccessStore::new(db.clone(), OutboxSignal::new());
    let ctx = ChangeContext {
        actor: "admin",
        now: Utc::now(),
        ids: &UuidV7Ids,
    };
    for n in 0..USERS {
        let user = MemberUser {
            user_id: user_id(n),
            email: format!("user{n}@example.com"),
            name: None,
            blocked: false,
            last_login: None,
            version: 1,
        };
        let member = TenantMember {
            tenant: TenantId::parse("acme").unwrap(),
            user_id: user.user_id.clone(),
            role: Roles::default().parse("member").unwrap(),
            version: 1,
        };
        store.attach(&member, &user, &ctx).await.unwrap();
    }
    let projection = consumer(db.clone(), 0).unwrap();
    let first = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let later = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let earlier = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();

    // One by one, as a consumer without batches applies them.
    let before = statements.load(Ordering::SeqCst);
    for n in 0..USERS {
        let outcome = projection.apply(&logged_in(n, first)).await.unwrap();
        assert_eq!(outcome, Outcome::Applied);
    }
    let one_by_one = statements.load(Ordering::SeqCst) - before;

    // The same count in bursts of 64: a later login of each user, an earlier
    // one of user 0 behind its later one, and one event delivered twice.
    let mut burst: Vec<_> = (0..USERS).map(|n| logged_in(n, later)).collect();
    burst.insert(3, logged_in(0, earlier));
    burst.insert(10, burst[5].clone());
    burst.truncate(USERS);
    let before = statements.load(Ordering::SeqCst);
    let mut outcomes = Vec::new();
    for chunk in burst.chunks(64) {
        outcomes.extend(projection.apply_batch(chunk, None).await.unwrap());
    }
    let batched = statements.load(Ordering::SeqCst) - before;
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == Outcome::Duplicate)
        .count();
    assert_eq!((outcomes.len(), duplicates), (USERS, 1));
    // Redelivered, the whole burst changes nothing.
    let again = projection.apply_batch(&burst[..64], None).await.unwrap();
    assert!(again.iter().all(|o| *o == Outcome::Duplicate));

    let acme = TenantId::parse("acme").unwrap();
    let held = |n: usize| {
        let store = &store;
        let acme = &acme;
        async move {
            store
                .get(acme, &user_id(n))
                .await
                .unwrap()
                .unwrap()
                .last_login
        }
    };
    assert_eq!(held(0).await, Some(later), "never goes back");
    assert_eq!(held(5).await, Some(later));
    // The logins of the last two users fell off the truncated burst.
    assert_eq!(held(USERS - 1).await, Some(first));
    assert_eq!(held(USERS - 3).await, Some(later));
    println!(
        "{url}: statements per 1,000 logins: one by one {}, in bursts of 64 {}",
        one_by_one * 1000 / USERS,
        batched * 1000 / USERS
    );
    assert!(
        batched * 10 <= one_by_one,
        "bursts take {batched} statements, one by one {one_by_one}"
    );
}

#[tokio::test]
async fn a_burst_of_logins_is_a_few_statements_sqlite() {
    a_burst_of_logins_is_a_few_statements("sqlite::memory:").await;
}

#[tokio::test]
async fn a_burst_of_logins_is_a_few_statements_postgres() {
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
    let name = format!("nexus_ta_logins_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').map_or("", |(b, _)| b);
    a_burst_of_logins_is_a_few_statements(&format!("{base}/{name}")).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}
