//! The `outbox_parked` table, for the migrator of every service with an outbox.

use sea_orm_migration::prelude::*;

use super::OutboxParked;

/// Creates `outbox_parked`: outbox rows the bus refused for good, with why.
#[derive(Debug)]
pub struct CreateOutboxParked;

impl MigrationName for CreateOutboxParked {
    fn name(&self) -> &'static str {
        "m20261130_000001_create_outbox_parked"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOutboxParked {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxParked::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(OutboxParked::Seq)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OutboxParked::EventId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxParked::Subject)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxParked::EventType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxParked::Source)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxParked::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxParked::Traceparent)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(OutboxParked::Payload).blob().not_null())
                    .col(
                        ColumnDef::new(OutboxParked::ParkedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxParked::ParkReason).text().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxParked::Table).to_owned())
            .await
    }
}
