//! [`MemberUserProjection`] on sea-orm: the `member_users` copy of identity
//! users, changed only by newer versions, inside the transaction of the
//! consumer that applies the event.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nexus_domain::ChangeContext;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Statement,
};

use super::entities::{member_users, tenant_members};
use super::{db_version, remove_row, unavailable, version};
use crate::domain::{MemberUser, TenantAccessError};
use crate::ports::MemberUserProjection;

fn model(user: &MemberUser) -> member_users::Model {
    member_users::Model {
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        blocked: user.blocked,
        last_login: user.last_login,
        version: db_version(user.version),
    }
}

fn domain(row: member_users::Model) -> MemberUser {
    MemberUser {
        user_id: row.user_id,
        email: row.email,
        name: row.name,
        blocked: row.blocked,
        last_login: row.last_login,
        version: version(row.version),
    }
}

/// Stores `user` unless the held copy is as new or newer. Inserting first with
/// `ON CONFLICT DO NOTHING` makes concurrent first writers safe; the row is
/// then locked and compared.
pub(crate) async fn upsert<C: ConnectionTrait>(
    conn: &C,
    user: &MemberUser,
) -> Result<(), TenantAccessError> {
    let inserted = member_users::Entity::insert(model(user).into_active_model())
        .on_conflict(
            OnConflict::column(member_users::Column::UserId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    if inserted > 0 {
        return Ok(());
    }
    let mut query = member_users::Entity::find_by_id(user.user_id.clone());
    if conn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let Some(held) = query.one(conn).await.map_err(|e| unavailable(&e))? else {
        return Ok(());
    };
    if let Some(next) = domain(held).merged(user) {
        model(&next)
            .into_active_model()
            .reset_all()
            .update(conn)
            .await
            .map_err(|e| unavailable(&e))?;
    }
    Ok(())
}

/// Keeps the later of the held and the given login time.
async fn record_login<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    at: DateTime<Utc>,
) -> Result<(), TenantAccessError> {
    member_users::Entity::update_many()
        .col_expr(member_users::Column::LastLogin, Expr::value(at))
        .filter(member_users::Column::UserId.eq(user_id))
        .filter(
            Condition::any()
                .add(member_users::Column::LastLogin.is_null())
                .add(member_users::Column::LastLogin.lt(at)),
        )
        .exec(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// Keeps the later of the held and the given login time of each user, in one
/// statement for a burst (a user's latest login in it counts).
async fn record_logins<C: ConnectionTrait>(
    conn: &C,
    logins: &[(String, DateTime<Utc>)],
) -> Result<(), TenantAccessError> {
    let mut latest: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for (user_id, at) in logins {
        let held = latest.entry(user_id.as_str()).or_insert(*at);
        *held = (*held).max(*at);
    }
    if latest.len() <= 1 {
        for (user_id, at) in latest {
            record_login(conn, user_id, at).await?;
        }
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let mut rows = Vec::with_capacity(latest.len());
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(latest.len() * 2);
    for (i, (user_id, at)) in latest.into_iter().enumerate() {
        rows.push(if backend == DbBackend::Postgres {
            format!("(${}, ${}::timestamptz)", 2 * i + 1, 2 * i + 2)
        } else {
            "(?, ?)".to_owned()
        });
        values.push(user_id.into());
        values.push(at.into());
    }
    // VALUES columns are column1, column2 on both PostgreSQL and SQLite.
    let sql = format!(
        "UPDATE member_users SET last_login = v.column2 FROM (VALUES {}) AS v \
         WHERE member_users.user_id = v.column1 \
         AND (member_users.last_login IS NULL OR member_users.last_login < v.column2)",
        rows.join(", ")
    );
    conn.execute(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// The user is gone from identity: removes it from every tenant and keeps a
/// tombstone at the removal's version.
async fn delete_user(
    txn: &DatabaseTransaction,
    user_id: &str,
    version: u64,
    ctx: &ChangeContext<'_>,
) -> Result<(), TenantAccessError> {
    lock_user(txn, user_id).await?;
    let mut query =
        tenant_members::Entity::find().filter(tenant_members::Column::UserId.eq(user_id));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let rows = query.all(txn).await.map_err(|e| unavailable(&e))?;
    for row in rows {
        remove_row(txn, row, ctx).await?;
    }
    // The copy stays as a tombstone at the removal's version, without the
    // person's data, so an older event arriving late changes nothing.
    upsert(
        txn,
        &MemberUser {
            user_id: user_id.to_owned(),
            email: String::new(),
            name: None,
            blocked: true,
            last_login: None,
            version,
        },
    )
    .await?;
    member_users::Entity::update_many()
        .col_expr(member_users::Column::Email, Expr::value(String::new()))
        .col_expr(
            member_users::Column::Name,
            Expr::value(Option::<String>::None),
        )
        .col_expr(member_users::Column::Blocked, Expr::value(true))
        .col_expr(
            member_users::Column::LastLogin,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(member_users::Column::UserId.eq(user_id))
        .filter(member_users::Column::Version.eq(db_version(version)))
        .exec(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// On PostgreSQL, orders an attach of `user_id` with the deletion of its
/// memberships (a transaction-scoped advisory lock), so that a deletion
/// either sees the new membership or leaves the tombstone the attach finds;
/// SQLite has one writer anyway.
///
/// # Errors
/// Storage failure.
pub(crate) async fn lock_user(
    txn: &DatabaseTransaction,
    user_id: &str,
) -> Result<(), TenantAccessError> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute(sea_orm::Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        [USER_LOCK_SPACE.into(), user_id.into()],
    ))
    .await
    .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// The first key of the users' advisory locks ("tnau").
const USER_LOCK_SPACE: i32 = 0x746e_6175;

/// Whether the copy of `user_id` is a deletion's tombstone (no email).
///
/// # Errors
/// Storage failure.
pub(crate) async fn is_deleted(
    txn: &DatabaseTransaction,
    user_id: &str,
) -> Result<bool, TenantAccessError> {
    Ok(member_users::Entity::find_by_id(user_id.to_owned())
        .one(txn)
        .await
        .map_err(|e| unavailable(&e))?
        .is_some_and(|row| row.email.is_empty()))
}

/// The user projection within one transaction.
#[derive(Debug, Clone, Copy)]
pub struct SeaOrmMemberUserProjection<'t> {
    txn: &'t DatabaseTransaction,
}

impl<'t> SeaOrmMemberUserProjection<'t> {
    pub fn new(txn: &'t DatabaseTransaction) -> Self {
        Self { txn }
    }
}

#[async_trait]
impl MemberUserProjection for SeaOrmMemberUserProjection<'_> {
    async fn upsert_user(&self, user: &MemberUser) -> Result<(), TenantAccessError> {
        upsert(self.txn, user).await
    }

    async fn record_login(
        &self,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), TenantAccessError> {
        record_login(self.txn, user_id, at).await
    }

    async fn record_logins(
        &self,
        logins: &[(String, DateTime<Utc>)],
    ) -> Result<(), TenantAccessError> {
        record_logins(self.txn, logins).await
    }

    async fn delete_user(
        &self,
        user_id: &str,
        version: u64,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), TenantAccessError> {
        delete_user(self.txn, user_id, version, ctx).await
    }
}
