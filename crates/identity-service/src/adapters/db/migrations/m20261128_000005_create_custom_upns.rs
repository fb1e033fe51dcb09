//! Creates the projection of custom UPNs fed by the upn service's events.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("custom_upns"))
                    .col(col("id").string_len(64).not_null().primary_key())
                    .col(col("user_id").string_len(64).not_null())
                    .col(col("client_upn_key").string_len(255).null())
                    .col(col("custom_upn_value").string_len(1024).null())
                    .col(col("created").timestamp_with_time_zone().not_null())
                    .col(col("modified").timestamp_with_time_zone().not_null())
                    .col(col("created_by").string_len(255).not_null())
                    .col(col("modified_by").string_len(255).not_null())
                    .col(col("version").big_integer().not_null())
                    .col(col("deleted").boolean().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("custom_upns_user")
                    .table(Alias::new("custom_upns"))
                    .col(Alias::new("user_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("custom_upns")).to_owned())
            .await
    }
}
