//! The login path on real databases (SQLite in memory, and a fresh
//! PostgreSQL database per test from `NEXUS_TEST_DATABASE_URL`, skipped when
//! PostgreSQL is down unless `NEXUS_TEST_REQUIRE_SERVICES=1`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::adapters::db::test_databases::{drop_database, fresh_postgres};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use nexus_domain::{ChangeContext, UserId, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::outbox::OutboxSignal;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::read::user_view;
use super::write;
use crate::Migrator;
use crate::adapters::db::SeaOrmIdentityStore;
use crate::adapters::db::queries::{find_user, view_of};
use crate::domain::{
    IdpTenantFields, LinkFields, NewUser, NewUserInput, SyncFields, User, UserEvent, UserPatch,
};
use crate::ports::{IdentityRepository, IdpTenantRepository, UserRepository, UserView};

/// A migrated database whose statements are counted, and how to drop it.
struct TestDb {
    store: SeaOrmIdentityStore,
    db: DatabaseConnection,
    statements: Arc<AtomicUsize>,
    drop_url: Option<(String, String)>,
}

impl TestDb {
    fn counted(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    async fn finish(self) {
        let Self {
            db,
            store,
            drop_url,
            ..
        } = self;
        drop(store);
        let _ = db.close().await;
        drop_database(drop_url).await;
    }
}

async fn connect(url: &str, drop_url: Option<(String, String)>) -> TestDb {
    let settings = DatabaseSettings {
        max_connections: 4,
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
    TestDb {
        store: SeaOrmIdentityStore::new(db.clone(), OutboxSignal::new()),
        db,
        statements,
        drop_url,
    }
}

async fn sqlite() -> TestDb {
    connect("sqlite::memory:", None).await
}

async fn postgres() -> Option<TestDb> {
    let (url, drop_url) = fresh_postgres("nexus_identity_login").await?;
    Some(connect(&url, drop_url).await)
}

/// Runs `scenario` on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $scenario:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            let t = sqlite().await;
            $scenario(&t, false).await;
            t.finish().await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(t) = postgres().await {
                $scenario(&t, true).await;
                t.finish().await;
            }
        }
    };
}

fn at(now: DateTime<Utc>) -> ChangeContext<'static> {
    ChangeContext {
        actor: "tester",
        now,
        ids: &UuidV7Ids,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

/// A user linked on connection `con`.
async fn linked_user(t: &TestDb) -> UserId {
    let ctx = at(t0());
    let input = NewUserInput {
        email_address: "ann@example.com".into(),
        username: "ann".into(),
        display_name: "Ann Lee".into(),
        ..NewUserInput::default()
    };
    let user = User::create(
        NewUser::new(&input).unwrap(),
        UserId::parse("u1").unwrap(),
        ctx.now,
        ctx.actor,
    );
    t.store
        .create(&user, &ctx.record(UserEvent::Created(user.clone())))
        .await
        .unwrap();
    let tenant = t
        .store
        .create_idp_tenant(
            &IdpTenantFields::new("t", "t", "t.auth0.com", "login.t.com").unwrap(),
            &ctx,
        )
        .await
        .unwrap();
    t.store
        .link(
            &user.id,
            tenant.id,
            &LinkFields::new("auth0", "auth0|1", "con").unwrap(),
            &ctx,
        )
        .await
        .unwrap();
    user.id
}

fn login(groups: &[String], attributes: &[(String, String)]) -> SyncFields {
    SyncFields::new(
        "api",
        "con",
        groups.to_vec(),
        attributes
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect(),
        None,
    )
    .unwrap()
}

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Event types in the outbox, oldest first.
async fn events(t: &TestDb) -> Vec<String> {
    let rows =
        t.db.query_all(Statement::from_string(
            t.db.get_database_backend(),
            "SELECT event_type FROM outbox ORDER BY seq",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "event_type").unwrap())
        .collect()
}

/// The view as the per-table reads build it.
async fn reread(t: &TestDb, id: &UserId) -> UserView {
    let user = find_user(&t.db, id).await.unwrap().unwrap();
    view_of(&t.db, user).await.unwrap()
}

async fn no_op_login_takes_the_fast_path(t: &TestDb, postgres: bool) {
    let id = linked_user(t).await;
    let fields = login(
        &names(&["staff", "admins"]),
        &[("dept".into(), "ops".into())],
    );
    let first = t.store.sync(&id, &fields, &at(t0())).await.unwrap();
    let before = events(t).await.len();

    let counted = t.counted();
    let later = t0() + Duration::minutes(5);
    let answer = t.store.sync(&id, &fields, &at(later)).await.unwrap();
    let statements = t.counted() - counted;

    eprintln!("no-op login: {statements} statements (postgres: {postgres})");
    // PostgreSQL: the read and the update-with-outbox statement, no
    // transaction around them. SQLite adds its update and insert in one
    // transaction.
    assert_eq!(statements, if postgres { 2 } else { 3 });
    assert_eq!(answer.user.version, first.user.version);
    assert_eq!(answer.user.last_login, Some(later));
    let after = events(t).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after.last().map(String::as_str), Some("user.logged_in"));
    assert_eq!(answer, reread(t, &id).await);
}
on_both!(
    no_op_login_on_sqlite_is_one_conditional_write,
    no_op_login_on_postgres_is_one_conditional_write,
    no_op_login_takes_the_fast_path
);

async fn changed_version_falls_back(t: &TestDb, _postgres: bool) {
    let id = linked_user(t).await;
    let fields = login(&names(&["staff"]), &[]);
    t.store.sync(&id, &fields, &at(t0())).await.unwrap();
    let stale = user_view(&t.db, &id).await.unwrap().unwrap();

    // Another writer changes the user between this login's read and write.
    let patch = UserPatch {
        display_name: Some(Some("Ann Maria Lee".into())),
        ..UserPatch::default()
    };
    let changed = t.store.update(&id, &patch, &at(t0())).await.unwrap();
    assert_eq!(changed.user.version, stale.user.version + 1);
    let before = events(t).await.len();
    let later = t0() + Duration::minutes(1);
    assert!(
        t.store
            .record_login(stale, &at(later))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(events(t).await.len(), before, "no event without the write");
    assert_eq!(
        find_user(&t.db, &id).await.unwrap().unwrap().last_login,
        Some(t0())
    );

    // The whole login then takes the locked path and sees the change.
    let answer = t.store.sync(&id, &fields, &at(later)).await.unwrap();
    assert_eq!(answer.user.display_name, "Ann Maria Lee");
    assert_eq!(answer.user.version, changed.user.version);
    assert_eq!(answer.user.last_login, Some(later));
    assert_eq!(
        events(t).await.last().map(String::as_str),
        Some("user.logged_in")
    );

    // The locked path on its own: same answer as a fresh read.
    let locked = t.store.locked_sync(&id, &fields, &at(later)).await.unwrap();
    assert_eq!(locked, reread(t, &id).await);
}
on_both!(
    changed_version_on_sqlite_falls_back_to_the_locked_path,
    changed_version_on_postgres_falls_back_to_the_locked_path,
    changed_version_falls_back
);

async fn login_time_never_goes_backwards(t: &TestDb, _postgres: bool) {
    let id = linked_user(t).await;
    let fields = login(&names(&["staff"]), &[]);
    let late = t0() + Duration::hours(1);
    t.store.sync(&id, &fields, &at(late)).await.unwrap();

    // A no-op login that reaches the store late.
    let answer = t.store.sync(&id, &fields, &at(t0())).await.unwrap();
    assert_eq!(answer.user.last_login, Some(late));
    // A changing one.
    let answer = t
        .store
        .sync(&id, &login(&names(&["other"]), &[]), &at(t0()))
        .await
        .unwrap();
    assert_eq!(answer.user.last_login, Some(late));
    // The conditional write on its own.
    let view = user_view(&t.db, &id).await.unwrap().unwrap();
    let message = crate::adapters::events::user_event_message(
        &at(t0()).record(UserEvent::LoggedIn(view.user.clone())),
    );
    assert!(
        write::record_login(&t.db, &id, view.user.version, t0(), &message)
            .await
            .unwrap()
    );
    assert_eq!(
        find_user(&t.db, &id).await.unwrap().unwrap().last_login,
        Some(late)
    );
}
on_both!(
    login_time_on_sqlite_never_goes_backwards,
    login_time_on_postgres_never_goes_backwards,
    login_time_never_goes_backwards
);

async fn many_groups_and_attributes(t: &TestDb, _postgres: bool) {
    let id = linked_user(t).await;
    let groups = |from: usize, to: usize| -> Vec<String> {
        (from..to).map(|i| format!("group-{i:04}")).collect()
    };
    let attributes = |from: usize, to: usize, value: &str| -> Vec<(String, String)> {
        (from..to)
            .map(|i| (format!("attr-{i:04}"), format!("{value}-{i}")))
            .collect()
    };
    let counted = t.counted();
    t.store
        .sync(
            &id,
            &login(&groups(0, 2), &attributes(0, 2, "a")),
            &at(t0()),
        )
        .await
        .unwrap();
    let few = t.counted() - counted;
    let counted = t.counted();
    let first = t
        .store
        .sync(
            &id,
            &login(&groups(0, 300), &attributes(0, 300, "a")),
            &at(t0()),
        )
        .await
        .unwrap();
    let many = t.counted() - counted;
    eprintln!("changing login: {few} statements for 2 groups and attributes, {many} for 300");
    assert_eq!(few, many, "the statements do not depend on the counts");

    // 150 groups removed, 300 added; 300 attributes updated, 400 inserted.
    let before = events(t).await.len();
    let answer = t
        .store
        .sync(
            &id,
            &login(&groups(150, 600), &attributes(0, 700, "b")),
            &at(t0() + Duration::minutes(1)),
        )
        .await
        .unwrap();

    let identity = &answer.identities[0];
    assert_eq!(identity.groups.len(), 450);
    assert_eq!(identity.groups[0].group_name, "group-0150");
    assert_eq!(
        identity.groups[0].id, first.identities[0].groups[150].id,
        "a kept group keeps its id"
    );
    assert_eq!(answer.attributes.len(), 700);
    assert_eq!(answer.attributes[0].id, first.attributes[0].id);
    assert_eq!(answer.attributes[0].value.as_deref(), Some("b-0"));
    assert_eq!(answer.user.version, first.user.version + 1);
    assert_eq!(
        events(t).await[before..],
        ["user.updated".to_owned(), "user.logged_in".to_owned()]
    );
    assert_eq!(answer, reread(t, &id).await);
}
on_both!(
    many_groups_and_attributes_on_sqlite_are_written_set_based,
    many_groups_and_attributes_on_postgres_are_written_set_based,
    many_groups_and_attributes
);
