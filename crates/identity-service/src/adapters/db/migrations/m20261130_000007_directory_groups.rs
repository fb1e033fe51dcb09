//! What directory groups (SCIM Groups, organizations of type `scim`) need: the external
//! id a directory gives a group, indexed because directories look groups up by it before
//! every create, and an index of memberships by organization, as a group's members are
//! read by it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const EXTERNAL_ID_INDEX: &str = "organizations_external_id";
const MEMBERS_INDEX: &str = "memberships_organization";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("organizations"))
                    .add_column(
                        ColumnDef::new(Alias::new("external_id"))
                            .string_len(255)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(EXTERNAL_ID_INDEX)
                    .table(Alias::new("organizations"))
                    .col(Alias::new("external_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(MEMBERS_INDEX)
                    .table(Alias::new("memberships"))
                    .col(Alias::new("organization_id"))
                    .col(Alias::new("user_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(MEMBERS_INDEX)
                    .table(Alias::new("memberships"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(EXTERNAL_ID_INDEX)
                    .table(Alias::new("organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("organizations"))
                    .drop_column(Alias::new("external_id"))
                    .to_owned(),
            )
            .await
    }
}
