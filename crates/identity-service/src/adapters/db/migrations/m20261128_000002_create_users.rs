//! Creates `users`, unique on the lower-cased email.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EmailAddress,
    EmailNormalized,
    Username,
    UsernameNormalized,
    GivenName,
    FamilyName,
    DisplayName,
    Nickname,
    Picture,
    Language,
    PhoneNumber,
    UserType,
    OwnerId,
    RecoveryEmailAddress,
    IsActive,
    EmailVerified,
    EmailVerifySentDate,
    EmailVerificationStatusType,
    IsMfaDisabled,
    MfaEnrollmentStatus,
    AuthenticationMethod,
    OrganizationId,
    Created,
    Modified,
    CreatedBy,
    ModifiedBy,
    LastLogin,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(Users::EmailAddress).string_len(254).not_null())
                    .col(ColumnDef::new(Users::EmailNormalized).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(Users::Username).string_len(255).not_null())
                    .col(ColumnDef::new(Users::UsernameNormalized).string_len(255).not_null())
                    .col(ColumnDef::new(Users::GivenName).string_len(255).not_null())
                    .col(ColumnDef::new(Users::FamilyName).string_len(255).not_null())
                    .col(ColumnDef::new(Users::DisplayName).string_len(255).not_null())
                    .col(ColumnDef::new(Users::Nickname).string_len(255).null())
                    .col(ColumnDef::new(Users::Picture).string_len(2048).null())
                    .col(ColumnDef::new(Users::Language).string_len(255).null())
                    .col(ColumnDef::new(Users::PhoneNumber).string_len(255).null())
                    .col(ColumnDef::new(Users::UserType).string_len(255).null())
                    .col(ColumnDef::new(Users::OwnerId).string_len(64).null())
                    .col(ColumnDef::new(Users::RecoveryEmailAddress).string_len(254).null())
                    .col(ColumnDef::new(Users::IsActive).boolean().not_null())
                    .col(ColumnDef::new(Users::EmailVerified).boolean().not_null())
                    .col(ColumnDef::new(Users::EmailVerifySentDate).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Users::EmailVerificationStatusType).string_len(255).null())
                    .col(ColumnDef::new(Users::IsMfaDisabled).boolean().not_null())
                    .col(ColumnDef::new(Users::MfaEnrollmentStatus).string_len(255).null())
                    .col(ColumnDef::new(Users::AuthenticationMethod).string_len(255).null())
                    .col(ColumnDef::new(Users::OrganizationId).integer().null())
                    .col(ColumnDef::new(Users::Created).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Users::Modified).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Users::CreatedBy).string_len(255).not_null())
                    .col(ColumnDef::new(Users::ModifiedBy).string_len(255).not_null())
                    .col(ColumnDef::new(Users::LastLogin).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Users::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("users_username_normalized")
                    .table(Users::Table)
                    .col(Users::UsernameNormalized)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
