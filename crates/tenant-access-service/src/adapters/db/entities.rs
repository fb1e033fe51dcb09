//! sea-orm entities of the tenant-access tables.

pub mod member_users {
    //! The projection of identity users that have tenant access.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "member_users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        pub email: String,
        pub name: Option<String>,
        pub blocked: bool,
        pub last_login: Option<ChronoDateTimeUtc>,
        /// The identity user's version this row reflects.
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tenant_members {
    //! Who may administer which tenant, with which role.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        pub role: String,
        pub created: ChronoDateTimeUtc,
        pub modified: ChronoDateTimeUtc,
        pub created_by: String,
        pub modified_by: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The member's copy of the identity user (read by join; the
        /// migrations declare no foreign key).
        #[sea_orm(
            belongs_to = "crate::adapters::db::entities::member_users::Entity",
            from = "Column::UserId",
            to = "crate::adapters::db::entities::member_users::Column::UserId"
        )]
        MemberUser,
    }

    impl Related<crate::adapters::db::entities::member_users::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::MemberUser.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}
