//! The outbox table, shared by every service's migrator.

use sea_orm_migration::prelude::*;

use super::Outbox;

/// Creates the `outbox` table and its pending-rows index.
#[derive(Debug)]
pub struct CreateOutbox;

impl MigrationName for CreateOutbox {
    fn name(&self) -> &'static str {
        "m20261128_000001_create_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOutbox {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Outbox::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Outbox::EventId)
                            .string_len(36)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Outbox::Subject).string_len(255).not_null())
                    .col(ColumnDef::new(Outbox::EventType).string_len(64).not_null())
                    .col(ColumnDef::new(Outbox::Source).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Outbox::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Outbox::Traceparent).string_len(64).null())
                    .col(ColumnDef::new(Outbox::Payload).blob().not_null())
                    .col(
                        ColumnDef::new(Outbox::SentAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("outbox_sent_at_seq")
                    .table(Outbox::Table)
                    .col(Outbox::SentAt)
                    .col(Outbox::Seq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
