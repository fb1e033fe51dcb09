//! The `custom_upns` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_upns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub client_upn_key: Option<String>,
    pub custom_upn_value: Option<String>,
    /// Lower-cased value: unique per client key.
    pub custom_upn_value_normalized: Option<String>,
    pub created: ChronoDateTimeUtc,
    pub modified: ChronoDateTimeUtc,
    pub created_by: String,
    pub modified_by: String,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
