//! Creates `tenant_members` and the `member_users` projection.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantMembers {
    Table,
    TenantId,
    UserId,
    Role,
    Created,
    Modified,
    CreatedBy,
    ModifiedBy,
    Version,
}

#[derive(DeriveIden)]
enum MemberUsers {
    Table,
    UserId,
    Email,
    Name,
    Blocked,
    LastLogin,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantMembers::Table)
                    .col(
                        ColumnDef::new(TenantMembers::TenantId)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantMembers::UserId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantMembers::Role)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantMembers::Created)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantMembers::Modified)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantMembers::CreatedBy)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantMembers::ModifiedBy)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantMembers::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(TenantMembers::TenantId)
                            .col(TenantMembers::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MemberUsers::Table)
                    .col(
                        ColumnDef::new(MemberUsers::UserId)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MemberUsers::Email)
                            .string_len(254)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MemberUsers::Name).string_len(255).null())
                    .col(ColumnDef::new(MemberUsers::Blocked).boolean().not_null())
                    .col(
                        ColumnDef::new(MemberUsers::LastLogin)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(MemberUsers::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MemberUsers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TenantMembers::Table).to_owned())
            .await
    }
}
