//! The UPN schema, in order.

use sea_orm_migration::prelude::*;

mod m20261128_000002_create_custom_upns;
pub(crate) mod m20261130_000003_create_deleted_users;

/// Applies the outbox and the UPN tables.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(nexus_platform::outbox::migration::CreateOutbox),
            Box::new(m20261128_000002_create_custom_upns::Migration),
            Box::new(nexus_platform::inbox::migration::CreateProcessedEvents),
            Box::new(nexus_platform::outbox::parked::migration::CreateOutboxParked),
            Box::new(nexus_platform::events::feed::migration::CreateEventCursors),
            Box::new(m20261130_000003_create_deleted_users::Migration),
        ]
    }
}
