//! The user reads of the API in one statement each, with the select list and
//! the row decoding of the login's read: a user with its owner, users by id,
//! and a page of users with the owners of its users.

use std::sync::LazyLock;

use nexus_domain::UserId;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use super::lists::text_array;
use super::login::read::{VIEW_FROM, decode, view_columns};
use super::unavailable;
use crate::domain::DirectoryError;
use crate::ports::{ListedUsers, UserQuery, UserView};

static POSTGRES_COLUMNS: LazyLock<String> = LazyLock::new(|| view_columns(true));
static SQLITE_COLUMNS: LazyLock<String> = LazyLock::new(|| view_columns(false));

fn columns(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres {
        POSTGRES_COLUMNS.as_str()
    } else {
        SQLITE_COLUMNS.as_str()
    }
}

/// The `n`th bound parameter of the backend.
fn param(backend: DbBackend, n: usize) -> String {
    if backend == DbBackend::Postgres {
        format!("${n}")
    } else {
        format!("?{n}")
    }
}

fn with_owner_sql(backend: DbBackend) -> String {
    let p = param(backend, 1);
    format!(
        "SELECT {} FROM {VIEW_FROM} \
         WHERE u.id IN ({p}, (SELECT owner_id FROM users WHERE id = {p}))",
        columns(backend)
    )
}

static WITH_OWNER_POSTGRES: LazyLock<String> =
    LazyLock::new(|| with_owner_sql(DbBackend::Postgres));
static WITH_OWNER_SQLITE: LazyLock<String> = LazyLock::new(|| with_owner_sql(DbBackend::Sqlite));

/// The PostgreSQL statement of [`view_with_owner`] (`$1` is the user id),
/// for replaying it outside Nexus (the benchmark's pgbench script).
pub fn postgres_with_owner_statement() -> &'static str {
    WITH_OWNER_POSTGRES.as_str()
}

async fn views_of_rows<C: ConnectionTrait>(
    conn: &C,
    stmt: Statement,
) -> Result<Vec<QueryResult>, DirectoryError> {
    conn.query_all(stmt).await.map_err(|e| unavailable(&e))
}

/// The user's view and, when its `ownerId` names a user that exists, the
/// owner's; None when the user does not exist.
///
/// # Errors
/// Storage failure.
pub async fn view_with_owner<C: ConnectionTrait>(
    conn: &C,
    id: &UserId,
) -> Result<Option<(UserView, Option<UserView>)>, DirectoryError> {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        WITH_OWNER_POSTGRES.as_str()
    } else {
        WITH_OWNER_SQLITE.as_str()
    };
    let stmt = Statement::from_sql_and_values(backend, sql, [id.as_str().into()]);
    let mut views = views_of_rows(conn, stmt)
        .await?
        .iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    let Some(at) = views.iter().position(|v| &v.user.id == id) else {
        return Ok(None);
    };
    let view = views.swap_remove(at);
    let owner = match &view.user.owner_id {
        Some(owner) if owner == id => Some(view.clone()),
        Some(owner) => views.into_iter().find(|v| &v.user.id == owner),
        None => None,
    };
    Ok(Some((view, owner)))
}

/// `u.id` is one of the values of parameter 1.
fn id_in(backend: DbBackend, ids: &[UserId]) -> (String, Value) {
    if backend == DbBackend::Postgres {
        let ids: Vec<Option<String>> = ids.iter().map(|i| Some(i.to_string())).collect();
        ("u.id = ANY($1)".to_owned(), text_array(&ids))
    } else {
        let ids: Vec<&str> = ids.iter().map(UserId::as_str).collect();
        (
            "u.id IN (SELECT value FROM json_each(?1))".to_owned(),
            serde_json::Value::from(ids).to_string().into(),
        )
    }
}

/// The views of the users with these ids that exist, by id.
///
/// # Errors
/// Storage failure.
pub async fn views<C: ConnectionTrait>(
    conn: &C,
    ids: &[UserId],
) -> Result<Vec<UserView>, DirectoryError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let (condition, value) = id_in(backend, ids);
    let sql = format!(
        "SELECT {} FROM {VIEW_FROM} WHERE {condition} ORDER BY u.id",
        columns(backend)
    );
    let stmt = Statement::from_sql_and_values(backend, sql, [value]);
    views_of_rows(conn, stmt)
        .await?
        .iter()
        .map(decode)
        .collect()
}

/// The statement of [`page`]: the page's keys, then the views of the page's
/// users and of their owners, by id, each with `listed` 1 when it is on the
/// page.
fn page_statement(backend: DbBackend, query: &UserQuery) -> Statement {
    let mut conditions = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut bind = |column: &str, value: &str| {
        values.push(value.into());
        conditions.push(format!("{column} {}", param(backend, values.len())));
    };
    if let Some(after) = &query.after {
        bind("id >", after);
    }
    if let Some(email) = &query.email_normalized {
        bind("email_normalized =", email);
    }
    if let Some(username) = &query.username_normalized {
        bind("username_normalized =", username);
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    values.push(i64::try_from(query.limit).unwrap_or(i64::MAX).into());
    let limit = param(backend, values.len());
    // On PostgreSQL each key's user is a lateral lookup that cannot be
    // flattened (`LIMIT 1`), so the plan is an index lookup per key whatever
    // the statistics say: with a table analyzed while nearly empty, a plain
    // join was planned as a scan of every user per key.
    let users = if backend == DbBackend::Postgres {
        "CROSS JOIN LATERAL (SELECT * FROM users WHERE users.id = keys.id LIMIT 1) u"
    } else {
        "JOIN users u ON u.id = keys.id"
    };
    let sql = format!(
        "WITH page AS (SELECT id, owner_id FROM users {filter} ORDER BY id LIMIT {limit}), \
         keys AS (SELECT id, max(listed) AS listed FROM \
         (SELECT id, 1 AS listed FROM page \
         UNION ALL SELECT owner_id, 0 FROM page WHERE owner_id IS NOT NULL) k GROUP BY id) \
         SELECT {}, keys.listed AS listed FROM keys {users} \
         LEFT JOIN organizations o ON o.id = u.organization_id ORDER BY u.id",
        columns(backend)
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// The PostgreSQL statement of a page after a cursor (`$1` the cursor, `$2`
/// the limit), for replaying it outside Nexus (the benchmark's pgbench
/// script).
pub fn postgres_page_statement() -> String {
    page_statement(
        DbBackend::Postgres,
        &UserQuery {
            after: Some(String::new()),
            limit: 0,
            email_normalized: None,
            username_normalized: None,
        },
    )
    .sql
}

/// The users of the query, by id, and the users that own one of them
/// without being listed themselves, by id; in one statement.
///
/// # Errors
/// Storage failure.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    query: &UserQuery,
) -> Result<ListedUsers, DirectoryError> {
    let backend = conn.get_database_backend();
    let rows = views_of_rows(conn, page_statement(backend, query)).await?;
    let mut listed = ListedUsers::default();
    for row in &rows {
        let view = decode(row)?;
        let on_page: i32 = row.try_get("", "listed").map_err(|e| unavailable(&e))?;
        if on_page == 1 {
            listed.users.push(view);
        } else {
            listed.owners.push(view);
        }
    }
    Ok(listed)
}
