//! A page of users is read in a constant number of statements, whatever its
//! size, and holds the same views as the per-table reads (SQLite in memory,
//! and a fresh PostgreSQL database per test from `NEXUS_TEST_DATABASE_URL`,
//! skipped when PostgreSQL is down unless `NEXUS_TEST_REQUIRE_SERVICES=1`).
//! Statements are counted by the connection's own metric hook, which sees
//! every statement sea-orm sends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use nexus_domain::{ChangeContext, UserId, UuidV7Ids};
use nexus_platform::config::DatabaseSettings;
use nexus_platform::outbox::OutboxSignal;
use sea_orm::DatabaseConnection;

use crate::Migrator;
use crate::adapters::db::SeaOrmIdentityStore;
use crate::adapters::db::queries::{
    attributes_of, custom_upns_of, identities_of, memberships_of, roles_of,
};
use crate::adapters::db::test_databases::{drop_database, fresh_postgres};
use crate::domain::{
    AttributeFields, IdpTenantFields, LinkFields, MembershipFields, NewUser, NewUserInput,
    OrganizationFields, RoleFields, User, UserEvent,
};
use crate::ports::{
    AttributeRepository, IdentityRepository, IdpTenantRepository, OrganizationRepository,
    RoleRepository, UserQuery, UserRepository,
};

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

fn ctx() -> ChangeContext<'static> {
    ChangeContext {
        actor: "tester",
        now: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        ids: &UuidV7Ids,
    }
}

/// `count` users, each owned by the first, linked, with an attribute, a
/// role and a membership holding that role: every table a view reads has
/// rows for every user.
async fn seed(t: &TestDb, count: usize) -> Vec<UserId> {
    let c = ctx();
    let tenant = t
        .store
        .create_idp_tenant(
            &IdpTenantFields::new("t", "t", "t.auth0.com", "login.t.com").unwrap(),
            &c,
        )
        .await
        .unwrap();
    let role = t
        .store
        .create_role(&RoleFields::new("api", "reader", None).unwrap(), &c)
        .await
        .unwrap();
    let fields = OrganizationFields {
        name: "north".to_owned(),
        ..OrganizationFields::default()
    };
    let org = t
        .store
        .create_organization(&fields.check().unwrap(), &c)
        .await
        .unwrap();
    let membership = MembershipFields::new(false, false, vec![role.id.clone()]).unwrap();
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let input = NewUserInput {
            email_address: format!("user{n:04}@example.com"),
            username: format!("user{n:04}"),
            display_name: format!("User {n}"),
            owner_id: ids.first().map(ToString::to_string),
            ..NewUserInput::default()
        };
        let id = UserId::parse(&format!("user{n:04}")).unwrap();
        let user = User::create(NewUser::new(&input).unwrap(), id.clone(), c.now, c.actor);
        let s = &t.store;
        s.create(&user, &c.record(UserEvent::Created(user.clone())))
            .await
            .unwrap();
        let link = LinkFields::new("auth0", &format!("auth0|{n}"), "con").unwrap();
        s.link(&id, tenant.id, &link, &c).await.unwrap();
        let attribute = AttributeFields::new("dept", Some("sales"), None).unwrap();
        s.put_attribute(&id, &attribute, &c).await.unwrap();
        s.grant_role(&id, &role.id, None, &c).await.unwrap();
        s.put_membership(&id, org.id, &membership, &c)
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

/// The statements one page of `limit` users takes.
async fn statements_of_a_page(t: &TestDb, limit: u64) -> usize {
    let before = t.counted();
    let page = t
        .store
        .list(&UserQuery {
            limit,
            ..UserQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len() as u64, limit);
    t.counted() - before
}

async fn a_page_takes_as_many_statements_for_200_users_as_for_2(t: &TestDb) {
    let ids = seed(t, 200).await;

    let small = statements_of_a_page(t, 2).await;
    let large = statements_of_a_page(t, 200).await;
    assert_eq!(small, large, "2 users: {small}, 200 users: {large}");
    assert!(large <= 12, "{large} statements for a page");

    let before = t.counted();
    let owners = t.store.views(&ids[..1]).await.unwrap();
    assert!(t.counted() - before <= 12);
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].user.id, ids[0]);

    // The views are those of the per-table reads.
    let page = t
        .store
        .list(&UserQuery {
            limit: 200,
            ..UserQuery::default()
        })
        .await
        .unwrap();
    for view in [&page[0], &page[1], &page[199]] {
        let id = &view.user.id;
        assert_eq!(view.identities, identities_of(&t.db, id).await.unwrap());
        assert_eq!(view.attributes, attributes_of(&t.db, id).await.unwrap());
        assert_eq!(view.roles, roles_of(&t.db, id).await.unwrap());
        assert_eq!(view.memberships, memberships_of(&t.db, id).await.unwrap());
        assert_eq!(view.custom_upns, custom_upns_of(&t.db, id).await.unwrap());
        assert_eq!((view.identities.len(), view.roles.len()), (1, 1));
        assert_eq!(view.memberships[0].roles.len(), 1);
    }
    assert_eq!(page[199].user.owner_id.as_ref(), Some(&ids[0]));
}

#[tokio::test]
async fn a_page_of_users_is_constant_in_statements_sqlite() {
    let t = connect("sqlite::memory:", None).await;
    a_page_takes_as_many_statements_for_200_users_as_for_2(&t).await;
    t.finish().await;
}

#[tokio::test]
async fn a_page_of_users_is_constant_in_statements_postgres() {
    if let Some((url, drop_url)) = fresh_postgres("nexus_identity_lists").await {
        let t = connect(&url, drop_url).await;
        a_page_takes_as_many_statements_for_200_users_as_for_2(&t).await;
        t.finish().await;
    }
}
