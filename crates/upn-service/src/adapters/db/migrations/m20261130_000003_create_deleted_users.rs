//! `deleted_users`: the users identity has deleted, as the upn service
//! learned from `user.deleted`. A UPN create checks it inside its write
//! transaction, so a create racing the deletion leaves nothing behind.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub enum DeletedUsers {
    Table,
    UserId,
    DeletedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DeletedUsers::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(DeletedUsers::UserId)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DeletedUsers::DeletedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeletedUsers::Table).to_owned())
            .await
    }
}
