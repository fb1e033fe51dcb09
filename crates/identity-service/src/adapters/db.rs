//! Storage on sea-orm (PostgreSQL or SQLite): entities, migrations and the
//! repositories. sea-orm types stay inside this module.

pub mod entities;
pub mod group_members;
pub mod group_repository;
pub mod identity_repository;
pub mod idp_tenant_repository;
pub mod lists;
pub mod login;
pub mod migrations;
pub mod organization_repository;
pub mod profile_repository;
pub mod provisioning_repository;
pub mod queries;
pub mod rows;
pub mod user_reads;
pub mod user_repository;
pub mod views;

#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod provisioning_tests;
#[cfg(test)]
pub(crate) mod test_databases;
#[cfg(test)]
mod tests;

use nexus_domain::{ChangeContext, UserId};
use nexus_platform::outbox::{self, OutboxSignal};
use sea_orm::{ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, IntoActiveModel};

pub use migrations::Migrator;

use crate::adapters::events::user_event_message;
use crate::domain::{DirectoryError, User, UserEvent};

/// The identity service's database: implements every repository port. Each
/// write commits its outbox rows with it, then wakes the relay.
#[derive(Debug, Clone)]
pub struct SeaOrmIdentityStore {
    db: DatabaseConnection,
    signal: OutboxSignal,
}

impl SeaOrmIdentityStore {
    pub fn new(db: DatabaseConnection, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }

    /// Commits a write and wakes the outbox relay.
    async fn commit(&self, txn: DatabaseTransaction) -> Result<(), DirectoryError> {
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }
}

pub(crate) async fn locked_user(
    txn: &DatabaseTransaction,
    id: &UserId,
) -> Result<User, DirectoryError> {
    queries::lock_user(txn, id)
        .await?
        .ok_or_else(|| DirectoryError::user_not_found(id))
}

pub(crate) fn touch(user: &mut User, ctx: &ChangeContext<'_>) {
    user.version += 1;
    user.modified = ctx.now;
    user.modified_by = ctx.actor.to_owned();
}

pub(crate) async fn save_user(
    txn: &DatabaseTransaction,
    user: &User,
) -> Result<(), DirectoryError> {
    rows::user_to_model(user)
        .into_active_model()
        .reset_all()
        .update(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(())
}

pub(crate) async fn record(
    txn: &DatabaseTransaction,
    ctx: &ChangeContext<'_>,
    event: UserEvent,
) -> Result<(), DirectoryError> {
    outbox::enqueue(txn, &user_event_message(&ctx.record(event)))
        .await
        .map_err(|e| unavailable(&e))
}

pub(crate) fn unavailable(e: &DbErr) -> DirectoryError {
    DirectoryError::Unavailable(e.to_string())
}

/// The error of writing `user`'s row: the unique email index refusing it is a
/// conflict naming the address; anything else is unavailability.
pub(crate) fn user_write_error(e: &DbErr, user: &User) -> DirectoryError {
    if is_unique_violation(e) {
        DirectoryError::Conflict(format!(
            "emailAddress: a user with email address {} already exists",
            user.email_address.as_str()
        ))
    } else {
        unavailable(e)
    }
}

/// Whether `e` is a unique-key violation.
pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
