//! Indexes attribute values, so users are found by an attribute's value (a SCIM
//! `externalId`) without a scan. PostgreSQL takes a hash index: values run to 4096
//! characters, past what a B-tree entry holds; SQLite has no such limit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "attributes_value";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => format!("CREATE INDEX {NAME} ON attributes USING hash (value)"),
            _ => format!("CREATE INDEX {NAME} ON attributes (name, value)"),
        };
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(Alias::new("attributes"))
                    .to_owned(),
            )
            .await
    }
}
