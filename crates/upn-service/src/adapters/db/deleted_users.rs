//! The users identity has deleted, as the upn service learned from
//! `user.deleted`: recorded by the deletion of their UPNs and checked by a
//! UPN create inside its write transaction, both under the user's lock on
//! PostgreSQL, so a create racing the deletion leaves nothing behind.

use nexus_domain::UserId;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

use super::migrations::m20261130_000003_create_deleted_users::DeletedUsers;
use super::unavailable;
use crate::domain::UpnError;

/// On PostgreSQL, orders the UPN writes of `user` with the deletion of its
/// UPNs (a transaction-scoped advisory lock); SQLite has one writer anyway.
pub(super) async fn lock_user(txn: &DatabaseTransaction, user: &UserId) -> Result<(), UpnError> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        [USER_LOCK_SPACE.into(), user.as_str().into()],
    ))
    .await
    .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// The first key of the users' advisory locks ("upnu").
const USER_LOCK_SPACE: i32 = 0x7570_6e75;

/// Records that `user` was deleted.
pub(super) async fn mark_deleted(
    txn: &DatabaseTransaction,
    user: &UserId,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), UpnError> {
    let insert = Query::insert()
        .into_table(DeletedUsers::Table)
        .columns([DeletedUsers::UserId, DeletedUsers::DeletedAt])
        .values_panic([user.as_str().into(), at.into()])
        .on_conflict(
            OnConflict::column(DeletedUsers::UserId)
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    txn.execute(txn.get_database_backend().build(&insert))
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(())
}

/// Whether `user` was deleted.
pub(super) async fn is_deleted(txn: &DatabaseTransaction, user: &UserId) -> Result<bool, UpnError> {
    let select = Query::select()
        .column(DeletedUsers::UserId)
        .from(DeletedUsers::Table)
        .and_where(Expr::col(DeletedUsers::UserId).eq(user.as_str()))
        .to_owned();
    Ok(txn
        .query_one(txn.get_database_backend().build(&select))
        .await
        .map_err(|e| unavailable(&e))?
        .is_some())
}
