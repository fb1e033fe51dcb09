//! The tables of consumers that read outboxes directly, shared by every
//! service's migrator: `event_cursors` and `dead_letters`.

use sea_orm_migration::prelude::*;

use super::EventCursors;
use crate::events::dead_letters::DeadLetters;

/// Creates `event_cursors` and `dead_letters`.
#[derive(Debug)]
pub struct CreateEventCursors;

impl MigrationName for CreateEventCursors {
    fn name(&self) -> &'static str {
        "m20261130_000001_create_event_cursors"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateEventCursors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventCursors::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(EventCursors::Consumer)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(EventCursors::Seq).big_integer().not_null())
                    .col(
                        ColumnDef::new(EventCursors::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        create_dead_letters(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeadLetters::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventCursors::Table).to_owned())
            .await
    }
}

async fn create_dead_letters(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(DeadLetters::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(DeadLetters::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(DeadLetters::Consumer)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeadLetters::EventId)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeadLetters::Subject)
                        .string_len(255)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeadLetters::EventType)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeadLetters::Source)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeadLetters::OccurredAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(DeadLetters::Traceparent)
                        .string_len(64)
                        .null(),
                )
                .col(ColumnDef::new(DeadLetters::Payload).blob().not_null())
                .col(ColumnDef::new(DeadLetters::Error).text().not_null())
                .col(ColumnDef::new(DeadLetters::Failures).integer().not_null())
                .col(
                    ColumnDef::new(DeadLetters::DeadAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .if_not_exists()
                .name("dead_letters_consumer_event")
                .table(DeadLetters::Table)
                .col(DeadLetters::Consumer)
                .col(DeadLetters::EventId)
                .unique()
                .to_owned(),
        )
        .await
}
