//! How far the services' copies are from their sources, read from the three
//! databases (SQLite or PostgreSQL): identity's copy of custom UPNs against
//! the upn service's UPNs, UPNs outliving their user (the upn service's copy
//! of deleted users), tenant members against identity's users (email and
//! name; deleted users gone), and events applied twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement};

/// The databases of identity, upn and tenant-access.
pub struct Databases {
    pub identity: DatabaseConnection,
    pub upn: DatabaseConnection,
    pub tenant: DatabaseConnection,
}

impl Databases {
    /// The all-in-one's SQLite files in `data_dir`, read-only.
    pub async fn sqlite(data_dir: &Path) -> Self {
        let open = |name: &str| {
            let url = format!("sqlite://{}?mode=ro", data_dir.join(name).display());
            async move { Database::connect(url.as_str()).await.unwrap() }
        };
        Self {
            identity: open("identity.db").await,
            upn: open("upn.db").await,
            tenant: open("tenant-access.db").await,
        }
    }

    /// Databases at `urls`: identity, upn, tenant-access.
    pub async fn at(urls: &[String; 3]) -> Self {
        let open = |url: &str| {
            let url = url.to_owned();
            async move { Database::connect(url.as_str()).await.unwrap() }
        };
        Self {
            identity: open(&urls[0]).await,
            upn: open(&urls[1]).await,
            tenant: open(&urls[2]).await,
        }
    }
}

/// Every row of `sql`, each column as text.
pub async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (0..)
                .map_while(|i| {
                    r.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .map(Option::unwrap_or_default)
                        .or_else(|| r.try_get_by_index::<i64>(i).ok().map(|v| v.to_string()))
                })
                .collect()
        })
        .collect()
}

/// What the databases hold, and how far the copies are from their sources.
pub struct Divergence {
    /// Identity's users: id → (email, display name).
    pub users: BTreeMap<String, (String, String)>,
    /// The upn service's UPNs: (id, user id, value, version).
    pub upns: BTreeSet<Vec<String>>,
    /// Identity's copy of them, the same columns.
    pub copied_upns: BTreeSet<Vec<String>>,
    /// Tenant members: (user id, email, name) of the copy.
    pub members: Vec<Vec<String>>,
    /// Events applied, of the three consumers.
    pub applied: usize,
    /// Copy rows that differ from their source.
    pub lost: usize,
    /// Events applied more than once.
    pub doubled: usize,
    pub line: String,
}

/// The consumers whose copies are compared.
pub const CONSUMERS: [&str; 3] = ["identity-custom-upns", "upn-users", "tenant-access-users"];

pub async fn divergence(dbs: &Databases) -> Divergence {
    let users: BTreeMap<String, (String, String)> = rows(
        &dbs.identity,
        "SELECT id, email_address, display_name FROM users",
    )
    .await
    .into_iter()
    .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
    .collect();
    let upn_columns =
        "SELECT id, user_id, custom_upn_value, CAST(version AS TEXT) FROM custom_upns";
    let upns: BTreeSet<Vec<String>> = rows(&dbs.upn, upn_columns).await.into_iter().collect();
    let copied_upns: BTreeSet<Vec<String>> =
        rows(&dbs.identity, &format!("{upn_columns} WHERE NOT deleted"))
            .await
            .into_iter()
            .collect();
    let orphan_upns = upns.iter().filter(|u| !users.contains_key(&u[1])).count();
    let members = rows(
        &dbs.tenant,
        "SELECT m.user_id, u.email, u.name FROM tenant_members m LEFT JOIN member_users u ON u.user_id = m.user_id",
    )
    .await;
    let wrong_members = members
        .iter()
        .filter(|m| users.get(&m[0]) != Some(&(m[1].clone(), m[2].clone())))
        .count();
    let upn_mismatches = upns.symmetric_difference(&copied_upns).count();
    let mut per_consumer = Vec::new();
    let (mut applied, mut doubled) = (0, 0);
    for (db, consumer) in [&dbs.identity, &dbs.upn, &dbs.tenant]
        .into_iter()
        .zip(CONSUMERS)
    {
        let r = rows(db, &format!("SELECT CAST(COUNT(*) AS TEXT), CAST(COUNT(DISTINCT event_id) AS TEXT) FROM processed_events WHERE consumer = '{consumer}'")).await;
        let (all, distinct): (usize, usize) = (r[0][0].parse().unwrap(), r[0][1].parse().unwrap());
        doubled += all - distinct;
        applied += all;
        per_consumer.push(format!("{consumer} {all}"));
    }
    let lost = upn_mismatches + orphan_upns + wrong_members;
    let line = format!(
        "users {}, upns {}, members {}, applied [{}], lost {lost} (upn copy {upn_mismatches}, orphan upns {orphan_upns}, members {wrong_members}), doubled {doubled}",
        users.len(),
        upns.len(),
        members.len(),
        per_consumer.join(", ")
    );
    Divergence {
        users,
        upns,
        copied_upns,
        members,
        applied,
        lost,
        doubled,
        line,
    }
}

/// Waits until every copy equals its source; fails after `within`.
pub async fn converged(dbs: &Databases, within: Duration) -> Divergence {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let seen = divergence(dbs).await;
        if seen.lost + seen.doubled == 0 {
            return seen;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "copies did not converge within {within:?}: {}",
            seen.line
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The rows of the three services' `dead_letters` tables.
pub async fn dead_letter_rows(dbs: &Databases) -> usize {
    let mut total = 0;
    for db in [&dbs.identity, &dbs.upn, &dbs.tenant] {
        let r = rows(db, "SELECT CAST(COUNT(*) AS TEXT) FROM dead_letters").await;
        total += r[0][0].parse::<usize>().unwrap();
    }
    total
}
