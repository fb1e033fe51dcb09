//! The identity schema, in order.

use sea_orm_migration::prelude::*;

mod m20261128_000002_create_users;
mod m20261128_000003_create_identities;
mod m20261128_000004_create_organizations;
mod m20261128_000005_create_custom_upns;
mod m20261130_000006_index_attribute_values;
mod m20261130_000007_directory_groups;

/// Applies the outbox and the identity tables.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(nexus_platform::outbox::migration::CreateOutbox),
            Box::new(m20261128_000002_create_users::Migration),
            Box::new(m20261128_000003_create_identities::Migration),
            Box::new(m20261128_000004_create_organizations::Migration),
            Box::new(m20261128_000005_create_custom_upns::Migration),
            Box::new(nexus_platform::inbox::migration::CreateProcessedEvents),
            Box::new(nexus_platform::outbox::parked::migration::CreateOutboxParked),
            Box::new(nexus_platform::events::feed::migration::CreateEventCursors),
            Box::new(m20261130_000006_index_attribute_values::Migration),
            Box::new(m20261130_000007_directory_groups::Migration),
        ]
    }
}
