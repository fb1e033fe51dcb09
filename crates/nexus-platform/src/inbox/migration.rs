//! The `processed_events` inbox table, shared by the migrator of every service
//! that consumes events.

use sea_orm_migration::prelude::*;

use super::ProcessedEvents;

/// Creates the `processed_events` table: one row per (consumer, event).
#[derive(Debug)]
pub struct CreateProcessedEvents;

impl MigrationName for CreateProcessedEvents {
    fn name(&self) -> &'static str {
        "m20261128_000002_create_processed_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateProcessedEvents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProcessedEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ProcessedEvents::Consumer)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProcessedEvents::EventId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProcessedEvents::ProcessedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ProcessedEvents::Consumer)
                            .col(ProcessedEvents::EventId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProcessedEvents::Table).to_owned())
            .await
    }
}
