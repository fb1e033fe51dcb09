//! Creates IdP tenants, identities and their groups, attributes, roles and
//! grants.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdpTenants {
    Table,
    Id,
    Name,
    AzoName,
    Fqdn,
    LoginDomain,
    Version,
}

#[derive(DeriveIden)]
enum Identities {
    Table,
    Id,
    UserId,
    IdpTenantId,
    Strategy,
    AzoUserId,
    AzoConnectionId,
}

#[derive(DeriveIden)]
enum IdentityGroups {
    Table,
    Id,
    IdentityId,
    GroupName,
    Expires,
}

#[derive(DeriveIden)]
enum Attributes {
    Table,
    Id,
    UserId,
    Name,
    Value,
    Expires,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Audience,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum RoleGrants {
    Table,
    UserId,
    RoleId,
    Expires,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn stamps(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(
        ColumnDef::new(Alias::new("created"))
            .timestamp_with_time_zone()
            .not_null(),
    )
    .col(
        ColumnDef::new(Alias::new("modified"))
            .timestamp_with_time_zone()
            .not_null(),
    )
    .col(
        ColumnDef::new(Alias::new("created_by"))
            .string_len(255)
            .not_null(),
    )
    .col(
        ColumnDef::new(Alias::new("modified_by"))
            .string_len(255)
            .not_null(),
    )
}

fn unique(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for col in cols {
        index.col(Alias::new(*col));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                stamps(
                    Table::create()
                        .table(IdpTenants::Table)
                        .col(
                            ColumnDef::new(IdpTenants::Id)
                                .integer()
                                .not_null()
                                .auto_increment()
                                .primary_key(),
                        )
                        .col(
                            ColumnDef::new(IdpTenants::Name)
                                .string_len(100)
                                .not_null()
                                .unique_key(),
                        )
                        .col(
                            ColumnDef::new(IdpTenants::AzoName)
                                .string_len(100)
                                .not_null(),
                        )
                        .col(ColumnDef::new(IdpTenants::Fqdn).string_len(253).not_null())
                        .col(
                            ColumnDef::new(IdpTenants::LoginDomain)
                                .string_len(253)
                                .not_null(),
                        ),
                )
                .col(ColumnDef::new(IdpTenants::Version).big_integer().not_null())
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                stamps(
                    Table::create()
                        .table(Identities::Table)
                        .col(
                            ColumnDef::new(Identities::Id)
                                .integer()
                                .not_null()
                                .auto_increment()
                                .primary_key(),
                        )
                        .col(ColumnDef::new(Identities::UserId).string_len(64).not_null())
                        .col(ColumnDef::new(Identities::IdpTenantId).integer().not_null())
                        .col(
                            ColumnDef::new(Identities::Strategy)
                                .string_len(25)
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(Identities::AzoUserId)
                                .string_len(250)
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(Identities::AzoConnectionId)
                                .string_len(50)
                                .not_null(),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(Identities::Table, Identities::UserId)
                                .to(Users::Table, Users::Id)
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(Identities::Table, Identities::IdpTenantId)
                                .to(IdpTenants::Table, IdpTenants::Id)
                                .on_delete(ForeignKeyAction::Restrict),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "identities_user_tenant",
                Identities::Table,
                &["user_id", "idp_tenant_id"],
            ))
            .await?;
        manager
            .create_index(unique(
                "identities_tenant_azo_user",
                Identities::Table,
                &["idp_tenant_id", "azo_user_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdentityGroups::Table)
                    .col(
                        ColumnDef::new(IdentityGroups::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(IdentityGroups::IdentityId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdentityGroups::GroupName)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdentityGroups::Expires)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IdentityGroups::Table, IdentityGroups::IdentityId)
                            .to(Identities::Table, Identities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "identity_groups_identity_name",
                IdentityGroups::Table,
                &["identity_id", "group_name"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Attributes::Table)
                    .col(
                        ColumnDef::new(Attributes::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Attributes::UserId).string_len(64).not_null())
                    .col(ColumnDef::new(Attributes::Name).string_len(255).not_null())
                    .col(ColumnDef::new(Attributes::Value).text().null())
                    .col(
                        ColumnDef::new(Attributes::Expires)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attributes::Table, Attributes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "attributes_user_name",
                Attributes::Table,
                &["user_id", "name"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(
                        ColumnDef::new(Roles::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Roles::Audience).string_len(1024).not_null())
                    .col(ColumnDef::new(Roles::Name).string_len(255).not_null())
                    .col(ColumnDef::new(Roles::Description).string_len(1024).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "roles_audience_name",
                Roles::Table,
                &["audience", "name"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleGrants::Table)
                    .col(ColumnDef::new(RoleGrants::UserId).string_len(64).not_null())
                    .col(ColumnDef::new(RoleGrants::RoleId).string_len(64).not_null())
                    .col(
                        ColumnDef::new(RoleGrants::Expires)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(RoleGrants::UserId)
                            .col(RoleGrants::RoleId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleGrants::Table, RoleGrants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleGrants::Table, RoleGrants::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "role_grants",
            "roles",
            "attributes",
            "identity_groups",
            "identities",
            "idp_tenants",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
