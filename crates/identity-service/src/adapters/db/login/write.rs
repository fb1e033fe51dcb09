//! The login's writes, each one statement whatever the number of groups or
//! attributes: lists travel as one bound parameter (a PostgreSQL array, a
//! JSON array on SQLite), so each statement's text never changes and it stays
//! prepared.

use chrono::{DateTime, Utc};
use nexus_domain::UserId;
use nexus_platform::BusMessage;
use sea_orm::sea_query::Value;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement, TransactionTrait,
};

use crate::adapters::db::entities::{attributes, identity_groups};
use crate::adapters::db::lists::{int_array, text_array};
use crate::adapters::db::unavailable;
use crate::domain::{Attribute, DirectoryError, IdentityGroup, User};

/// Records a login that changes nothing but the login time, unless the user
/// changed since it was read at `version`: then nothing is written and the
/// answer is false. The outbox row is written with the login time, atomically.
pub async fn record_login(
    db: &DatabaseConnection,
    user: &UserId,
    version: u64,
    at: DateTime<Utc>,
    message: &BusMessage,
) -> Result<bool, DirectoryError> {
    let version = i64::try_from(version).unwrap_or(i64::MAX);
    let outbox = [
        message.id.clone().into(),
        message.subject.clone().into(),
        message.event_type.clone().into(),
        message.source.clone().into(),
        message.time.into(),
        message.traceparent.clone().into(),
        message.payload.to_vec().into(),
    ];
    if db.get_database_backend() == DbBackend::Postgres {
        // One round trip: the conditional update feeds the outbox insert, so
        // the event exists exactly when the login time was written.
        let mut values: Vec<Value> = vec![user.as_str().into(), version.into(), at.into()];
        values.extend(outbox);
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH u AS (UPDATE users SET last_login = GREATEST(last_login, $3) \
             WHERE id = $1 AND version = $2 RETURNING id) \
             INSERT INTO outbox (event_id, subject, event_type, source, occurred_at, \
             traceparent, payload) SELECT $4, $5, $6, $7, $8, $9, $10 FROM u",
            values,
        );
        let done = db.execute(stmt).await.map_err(|e| unavailable(&e))?;
        return Ok(done.rows_affected() == 1);
    }
    // SQLite has no data-modifying CTE; in-process round trips are cheap and
    // its single writer makes the transaction as good as the lock.
    let txn = db.begin().await.map_err(|e| unavailable(&e))?;
    let updated = txn
        .execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            // Timestamps are stored as RFC 3339 UTC text, which sorts by time.
            "UPDATE users SET last_login = MAX(COALESCE(last_login, ?1), ?1) \
             WHERE id = ?2 AND version = ?3",
            [at.into(), user.as_str().into(), version.into()],
        ))
        .await
        .map_err(|e| unavailable(&e))?;
    if updated.rows_affected() != 1 {
        txn.rollback().await.map_err(|e| unavailable(&e))?;
        return Ok(false);
    }
    txn.execute(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "INSERT INTO outbox (event_id, subject, event_type, source, occurred_at, traceparent, \
         payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        outbox,
    ))
    .await
    .map_err(|e| unavailable(&e))?;
    txn.commit().await.map_err(|e| unavailable(&e))?;
    Ok(true)
}

/// Sets the login time of a user whose row this transaction holds.
pub async fn set_login_time<C: ConnectionTrait>(
    conn: &C,
    user: &UserId,
    at: DateTime<Utc>,
) -> Result<(), DirectoryError> {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "UPDATE users SET last_login = $1 WHERE id = $2"
    } else {
        "UPDATE users SET last_login = ?1 WHERE id = ?2"
    };
    conn.execute(Statement::from_sql_and_values(
        backend,
        sql,
        [at.into(), user.as_str().into()],
    ))
    .await
    .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// Stores a change of the user's version and login time (what a login
/// changes on the user row itself) under the transaction's row lock.
pub async fn set_changed<C: ConnectionTrait>(conn: &C, user: &User) -> Result<(), DirectoryError> {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "UPDATE users SET version = $1, modified = $2, modified_by = $3, last_login = $4 \
         WHERE id = $5"
    } else {
        "UPDATE users SET version = ?1, modified = ?2, modified_by = ?3, last_login = ?4 \
         WHERE id = ?5"
    };
    conn.execute(Statement::from_sql_and_values(
        backend,
        sql,
        [
            i64::try_from(user.version).unwrap_or(i64::MAX).into(),
            user.modified.into(),
            user.modified_by.clone().into(),
            user.last_login.into(),
            user.id.as_str().into(),
        ],
    ))
    .await
    .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// Removes the groups with these ids.
pub async fn remove_groups<C: ConnectionTrait>(
    conn: &C,
    ids: &[i32],
) -> Result<(), DirectoryError> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let stmt = if backend == DbBackend::Postgres {
        Statement::from_sql_and_values(
            backend,
            "DELETE FROM identity_groups WHERE id = ANY($1)",
            [int_array(ids)],
        )
    } else {
        Statement::from_sql_and_values(
            backend,
            "DELETE FROM identity_groups WHERE id IN (SELECT value FROM json_each(?1))",
            [serde_json::Value::from(ids.to_vec()).to_string().into()],
        )
    };
    conn.execute(stmt).await.map_err(|e| unavailable(&e))?;
    Ok(())
}

/// Adds groups named `names` to the identity; answers the stored rows.
pub async fn add_groups<C: ConnectionTrait>(
    conn: &C,
    identity: i32,
    names: &[String],
) -> Result<Vec<IdentityGroup>, DirectoryError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let stmt = if backend == DbBackend::Postgres {
        Statement::from_sql_and_values(
            backend,
            "INSERT INTO identity_groups (identity_id, group_name) \
             SELECT $1, unnest($2::text[]) RETURNING id, identity_id, group_name, expires",
            [
                identity.into(),
                text_array(&names.iter().cloned().map(Some).collect::<Vec<_>>()),
            ],
        )
    } else {
        Statement::from_sql_and_values(
            backend,
            "INSERT INTO identity_groups (identity_id, group_name) \
             SELECT ?1, value FROM json_each(?2) RETURNING id, identity_id, group_name, expires",
            [
                identity.into(),
                serde_json::Value::from(names.to_vec()).to_string().into(),
            ],
        )
    };
    let rows = conn.query_all(stmt).await.map_err(|e| unavailable(&e))?;
    rows.iter()
        .map(|row| {
            identity_groups::Model::from_query_result(row, "")
                .map(|g| IdentityGroup {
                    id: g.id,
                    identity_id: g.identity_id,
                    group_name: g.group_name,
                    expires: g.expires,
                })
                .map_err(|e| unavailable(&e))
        })
        .collect()
}

/// Creates or replaces the user's attributes by name (an existing one keeps
/// its id and expiry); answers the stored rows.
pub async fn upsert_attributes<C: ConnectionTrait>(
    conn: &C,
    user: &UserId,
    upserts: &[(String, Option<String>)],
) -> Result<Vec<Attribute>, DirectoryError> {
    if upserts.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let stmt = if backend == DbBackend::Postgres {
        Statement::from_sql_and_values(
            backend,
            "INSERT INTO attributes (user_id, name, value) \
             SELECT $1, n, v FROM unnest($2::text[], $3::text[]) AS t(n, v) \
             ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value \
             RETURNING id, user_id, name, value, expires",
            [
                user.as_str().into(),
                text_array(
                    &upserts
                        .iter()
                        .map(|(n, _)| Some(n.clone()))
                        .collect::<Vec<_>>(),
                ),
                text_array(&upserts.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()),
            ],
        )
    } else {
        // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the
        // INSERT, not to a join of the SELECT.
        Statement::from_sql_and_values(
            backend,
            "INSERT INTO attributes (user_id, name, value) \
             SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]') \
             FROM json_each(?2) WHERE true \
             ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value \
             RETURNING id, user_id, name, value, expires",
            [user.as_str().into(), json_pairs(upserts).into()],
        )
    };
    let rows = conn.query_all(stmt).await.map_err(|e| unavailable(&e))?;
    rows.iter()
        .map(|row| {
            attributes::Model::from_query_result(row, "")
                .map(|a| Attribute {
                    id: a.id,
                    user_id: a.user_id,
                    name: a.name,
                    value: a.value,
                    expires: a.expires,
                })
                .map_err(|e| unavailable(&e))
        })
        .collect()
}

/// `[[name, value], …]`, the upserts as SQLite's `json_each` reads them.
fn json_pairs(upserts: &[(String, Option<String>)]) -> String {
    let pairs = upserts
        .iter()
        .map(|(name, value)| serde_json::json!([name, value]))
        .collect();
    serde_json::Value::Array(pairs).to_string()
}
