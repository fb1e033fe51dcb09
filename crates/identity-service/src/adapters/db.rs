//! Storage on sea-orm (PostgreSQL or SQLite): entities, migrations and the
//! repositories. sea-orm types stay inside this module.

pub mod entities;
pub mod identity_repository;
pub mod idp_tenant_repository;
pub mod migrations;
pub mod queries;
pub mod user_repository;

use nexus_platform::outbox::OutboxSignal;
use sea_orm::{DatabaseConnection, DbErr};

pub use migrations::Migrator;

use crate::domain::UserError;

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
}

pub(crate) fn unavailable(e: &DbErr) -> UserError {
    UserError::Unavailable(e.to_string())
}

/// Whether `e` is a unique-key violation.
pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
