//! The `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub email_address: String,
    /// Lower-cased email: the unique key.
    #[sea_orm(unique)]
    pub email_normalized: String,
    pub username: String,
    pub username_normalized: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub language: Option<String>,
    pub phone_number: Option<String>,
    pub user_type: Option<String>,
    pub owner_id: Option<String>,
    pub recovery_email_address: Option<String>,
    pub is_active: bool,
    pub email_verified: bool,
    pub email_verify_sent_date: Option<ChronoDateTimeUtc>,
    pub email_verification_status_type: Option<String>,
    pub is_mfa_disabled: bool,
    pub mfa_enrollment_status: Option<String>,
    pub authentication_method: Option<String>,
    pub organization_id: Option<i32>,
    pub created: ChronoDateTimeUtc,
    pub modified: ChronoDateTimeUtc,
    pub created_by: String,
    pub modified_by: String,
    pub last_login: Option<ChronoDateTimeUtc>,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
