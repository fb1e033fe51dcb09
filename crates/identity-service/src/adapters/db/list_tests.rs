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
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel};

use crate::Migrator;
use crate::adapters::db::SeaOrmIdentityStore;
use crate::adapters::db::entities::custom_upns;
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
        // Two custom UPNs, the second a tombstone that views leave out.
        for (k, deleted) in [(0, false), (1, true)] {
            custom_upns::Model {
                id: format!("upn{n:04}-{k}"),
                user_id: id.to_string(),
                client_upn_key: Some(format!("key{k}")),
                custom_upn_value: Some(format!("user{n:04}-{k}@upn.example")),
                created: c.now,
                modified: c.now,
                created_by: "upn".to_owned(),
                modified_by: "upn".to_owned(),
                version: 1,
                deleted,
            }
            .into_active_model()
            .insert(&t.db)
            .await
            .unwrap();
        }
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
    assert_eq!(page.users.len() as u64, limit);
    t.counted() - before
}

async fn a_page_takes_as_many_statements_for_200_users_as_for_2(t: &TestDb) {
    let ids = seed(t, 201).await;

    let small = statements_of_a_page(t, 2).await;
    let large = statements_of_a_page(t, 200).await;
    assert_eq!(
        (small, large),
        (1, 1),
        "2 users: {small}, 200 users: {large}"
    );

    let before = t.counted();
    let owners = t.store.views(&ids[..1]).await.unwrap();
    assert_eq!(t.counted() - before, 1);
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].user.id, ids[0]);

    // After the first user, which owns every other: 200 users and their
    // owner, each the view its single read answers.
    let page = t
        .store
        .list(&UserQuery {
            after: Some(ids[0].to_string()),
            limit: 200,
            ..UserQuery::default()
        })
        .await
        .unwrap();
    let listed: Vec<&UserId> = page.users.iter().map(|v| &v.user.id).collect();
    assert_eq!(listed, ids[1..].iter().collect::<Vec<_>>());
    assert_eq!(page.owners.len(), 1);
    assert_eq!(
        Some(&page.owners[0]),
        t.store.view(&ids[0]).await.unwrap().as_ref()
    );
    for view in &page.users {
        let single = t.store.view(&view.user.id).await.unwrap();
        assert_eq!(Some(view), single.as_ref());
        assert_eq!(view.user.owner_id.as_ref(), Some(&ids[0]));
        assert_eq!(view.custom_upns.len(), 1);
    }
    let (user, owner) = t.store.view_with_owner(&ids[7]).await.unwrap().unwrap();
    assert_eq!(
        (&user, owner.as_ref()),
        (&page.users[6], Some(&page.owners[0]))
    );

    // The views are those of the per-table reads.
    for view in [&page.users[0], &page.users[1], &page.users[199]] {
        let id = &view.user.id;
        assert_eq!(view.identities, identities_of(&t.db, id).await.unwrap());
        assert_eq!(view.attributes, attributes_of(&t.db, id).await.unwrap());
        assert_eq!(view.roles, roles_of(&t.db, id).await.unwrap());
        assert_eq!(view.memberships, memberships_of(&t.db, id).await.unwrap());
        assert_eq!(view.custom_upns, custom_upns_of(&t.db, id).await.unwrap());
        assert_eq!((view.identities.len(), view.roles.len()), (1, 1));
        assert_eq!(view.memberships[0].roles.len(), 1);
    }

    // The owner on the page is not repeated among the owners; the user after
    // the page is not listed.
    let first = t
        .store
        .list(&UserQuery {
            limit: 3,
            ..UserQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(first.users.len(), 3);
    assert!(first.owners.is_empty());
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
