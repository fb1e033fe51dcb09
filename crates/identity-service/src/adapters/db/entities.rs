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

pub mod organizations {
    //! Organizations. `aliases` and `domains` are JSON arrays of strings.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub name: String,
        pub kind: Option<String>,
        pub aliases: String,
        pub contact: Option<String>,
        pub domains: String,
        pub is_active: bool,
        pub display_name: Option<String>,
        pub crm_account_id: Option<String>,
        pub is_mfa_required: bool,
        pub is_self_service: bool,
        pub technical_contact: Option<String>,
        pub is_enabled_for_preview_features: bool,
        pub is_domain_verification_required: bool,
        pub external_id: Option<String>,
        pub created: ChronoDateTimeUtc,
        pub modified: ChronoDateTimeUtc,
        pub created_by: String,
        pub modified_by: String,
        pub version: i64,
    }

    no_relations!();
}

pub mod memberships {
    //! Users' memberships of organizations.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "memberships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: String,
        pub organization_id: i32,
        pub is_guest: bool,
        pub is_membership_mfa_required: bool,
        pub created: ChronoDateTimeUtc,
        pub modified: ChronoDateTimeUtc,
        pub created_by: String,
        pub modified_by: String,
    }

    no_relations!();
}

pub mod membership_roles {
    //! Roles held through a membership.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "membership_roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub membership_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: String,
    }

    no_relations!();
}

pub mod custom_upns {
    //! The custom UPNs of users, as the upn service publishes them: a
    //! projection fed by `custom_upn.*` events. A deleted UPN stays as a
    //! tombstone at its last version, so a late older event changes nothing.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "custom_upns")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: String,
        pub client_upn_key: Option<String>,
        pub custom_upn_value: Option<String>,
        pub created: ChronoDateTimeUtc,
        pub modified: ChronoDateTimeUtc,
        pub created_by: String,
        pub modified_by: String,
        pub version: i64,
        pub deleted: bool,
    }

    no_relations!();
}
