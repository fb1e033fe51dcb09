//! Creates `custom_upns`: one per (user, client key); a value belongs to one
//! user per client key.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomUpns {
    Table,
    Id,
    UserId,
    ClientUpnKey,
    CustomUpnValue,
    CustomUpnValueNormalized,
    Created,
    Modified,
    CreatedBy,
    ModifiedBy,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomUpns::Table)
                    .col(
                        ColumnDef::new(CustomUpns::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CustomUpns::UserId).string_len(64).not_null())
                    .col(
                        ColumnDef::new(CustomUpns::ClientUpnKey)
                            .string_len(255)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CustomUpns::CustomUpnValue)
                            .string_len(1024)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CustomUpns::CustomUpnValueNormalized)
                            .string_len(1024)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CustomUpns::Created)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CustomUpns::Modified)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CustomUpns::CreatedBy)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CustomUpns::ModifiedBy)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CustomUpns::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("custom_upns_user_key")
                    .table(CustomUpns::Table)
                    .col(CustomUpns::UserId)
                    .col(CustomUpns::ClientUpnKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("custom_upns_key_value")
                    .table(CustomUpns::Table)
                    .col(CustomUpns::ClientUpnKey)
                    .col(CustomUpns::CustomUpnValueNormalized)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomUpns::Table).to_owned())
            .await
    }
}
