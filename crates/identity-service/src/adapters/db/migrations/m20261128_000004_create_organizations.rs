//! Creates organizations, memberships and the roles held through them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let organizations = Alias::new("organizations");
        let memberships = Alias::new("memberships");
        manager
            .create_table(
                Table::create()
                    .table(organizations.clone())
                    .col(
                        col("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(col("name").string_len(100).not_null().unique_key())
                    .col(col("kind").string_len(255).null())
                    .col(col("aliases").text().not_null())
                    .col(col("contact").string_len(255).null())
                    .col(col("domains").text().not_null())
                    .col(col("is_active").boolean().not_null())
                    .col(col("display_name").string_len(255).null())
                    .col(col("crm_account_id").string_len(255).null())
                    .col(col("is_mfa_required").boolean().not_null())
                    .col(col("is_self_service").boolean().not_null())
                    .col(col("technical_contact").string_len(255).null())
                    .col(col("is_enabled_for_preview_features").boolean().not_null())
                    .col(col("is_domain_verification_required").boolean().not_null())
                    .col(col("created").timestamp_with_time_zone().not_null())
                    .col(col("modified").timestamp_with_time_zone().not_null())
                    .col(col("created_by").string_len(255).not_null())
                    .col(col("modified_by").string_len(255).not_null())
                    .col(col("version").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(memberships.clone())
                    .col(col("id").string_len(64).not_null().primary_key())
                    .col(col("user_id").string_len(64).not_null())
                    .col(col("organization_id").integer().not_null())
                    .col(col("is_guest").boolean().not_null())
                    .col(col("is_membership_mfa_required").boolean().not_null())
                    .col(col("created").timestamp_with_time_zone().not_null())
                    .col(col("modified").timestamp_with_time_zone().not_null())
                    .col(col("created_by").string_len(255).not_null())
                    .col(col("modified_by").string_len(255).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(memberships.clone(), Alias::new("user_id"))
                            .to(Alias::new("users"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(memberships.clone(), Alias::new("organization_id"))
                            .to(organizations, Alias::new("id"))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_user_organization")
                    .table(memberships.clone())
                    .col(Alias::new("user_id"))
                    .col(Alias::new("organization_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("membership_roles"))
                    .col(col("membership_id").string_len(64).not_null())
                    .col(col("role_id").string_len(64).not_null())
                    .primary_key(
                        Index::create()
                            .col(Alias::new("membership_id"))
                            .col(Alias::new("role_id")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alias::new("membership_roles"), Alias::new("membership_id"))
                            .to(memberships, Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alias::new("membership_roles"), Alias::new("role_id"))
                            .to(Alias::new("roles"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["membership_roles", "memberships", "organizations"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
