//! The tenant-access schema, in order.

use sea_orm_migration::prelude::*;

mod m20261128_000002_create_tenant_members;

/// Applies the outbox and the tenant-access tables.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(nexus_platform::outbox::migration::CreateOutbox),
            Box::new(m20261128_000002_create_tenant_members::Migration),
            Box::new(nexus_platform::inbox::migration::CreateProcessedEvents),
            Box::new(nexus_platform::outbox::parked::migration::CreateOutboxParked),
            Box::new(nexus_platform::events::feed::migration::CreateEventCursors),
        ]
    }
}
