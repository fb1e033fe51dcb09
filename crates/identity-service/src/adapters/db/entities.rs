//! sea-orm entities of the identity tables.

pub mod users;

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod idp_tenants {
    //! Identity-provider tenants.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idp_tenants")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub name: String,
        pub azo_name: String,
        pub fqdn: String,
        pub login_domain: String,
        pub created: ChronoDateTimeUtc,
        pub modified: ChronoDateTimeUtc,
        pub created_by: String,
        pub modified_by: String,
        pub version: i64,
    }

    no_relations!();
}

pub mod identities {
    //! Links of users to IdP tenants.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "identities")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: String,
        pub idp_tenant_id: i32,
        pub strategy: String,
        pub azo_user_id: String,
        pub azo_connection_id: String,
        pub created: ChronoDateTimeUtc,
        pub modified: ChronoDateTimeUtc,
        pub created_by: String,
        pub modified_by: String,
    }

    no_relations!();
}

pub mod identity_groups {
    //! Groups an identity brings at login.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "identity_groups")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub identity_id: i32,
        pub group_name: String,
        pub expires: Option<ChronoDateTimeUtc>,
    }

    no_relations!();
}

pub mod attributes {
    //! User attributes (IdP claims and others), unique by name per user.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attributes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: String,
        pub name: String,
        pub value: Option<String>,
        pub expires: Option<ChronoDateTimeUtc>,
    }

    no_relations!();
}

pub mod roles {
    //! Role definitions, scoped to an audience.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub audience: String,
        pub name: String,
        pub description: Option<String>,
    }

    no_relations!();
}

pub mod role_grants {
    //! Roles granted to users.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "role_grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: String,
        pub expires: Option<ChronoDateTimeUtc>,
    }

    no_relations!();
}
