//! Storage of custom UPNs on sea-orm (PostgreSQL or SQLite): the entity, the
//! migrations and the repository. sea-orm types stay inside this module.

pub mod custom_upns;
mod deleted_users;
pub mod migrations;
pub mod upn_repository;

use nexus_platform::outbox::OutboxSignal;
use sea_orm::{DatabaseConnection, DbErr};

pub use migrations::Migrator;

use crate::domain::UpnError;

/// [`crate::ports::UpnRepository`] on sea-orm. Each write commits its outbox
/// rows with it, then wakes the relay.
#[derive(Debug, Clone)]
pub struct SeaOrmUpnRepository {
    db: DatabaseConnection,
    signal: OutboxSignal,
}

impl SeaOrmUpnRepository {
    pub fn new(db: DatabaseConnection, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }
}

pub(crate) fn unavailable(e: &DbErr) -> UpnError {
    UpnError::Unavailable(e.to_string())
}
