//! The smaller resources: IdP tenants, roles and their grants, custom UPNs and
//! a tenant's back-office users.

use nexus_proto::common::v1 as common;
use nexus_proto::identity::v1 as pb;
use nexus_proto::tenant_access::v1 as tenant_pb;
use serde::Serialize;

use crate::api::json::rfc3339;

/// An IdP tenant as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdpTenantJson {
    pub id: i32,
    pub name: String,
    pub azo_name: String,
    pub fqdn: String,
    pub login_domain: String,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub created_by: String,
    pub modified_by: String,
}

impl From<pb::IdpTenant> for IdpTenantJson {
    fn from(t: pb::IdpTenant) -> Self {
        Self {
            created: rfc3339(t.created.as_ref()),
            modified: rfc3339(t.modified.as_ref()),
            id: t.id,
            name: t.name,
            azo_name: t.azo_name,
            fqdn: t.fqdn,
            login_domain: t.login_domain,
            created_by: t.created_by,
            modified_by: t.modified_by,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleJson {
    pub id: String,
    pub name: String,
    pub expires: Option<String>,
    pub description: Option<String>,
}

impl From<pb::Role> for RoleJson {
    fn from(r: pb::Role) -> Self {
        Self {
            expires: rfc3339(r.expires.as_ref()),
            id: r.id,
            name: r.name,
            description: r.description,
        }
    }
}

/// A role definition as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleDefinitionJson {
    pub id: String,
    pub audience: String,
    pub name: String,
    pub description: Option<String>,
}

impl From<pb::RoleDefinition> for RoleDefinitionJson {
    fn from(r: pb::RoleDefinition) -> Self {
        Self {
            id: r.id,
            audience: r.audience,
            name: r.name,
            description: r.description,
        }
    }
}

/// A custom UPN as the contract shows it, in a user and on its own routes.
/// Its version is not a field: the UPN routes answer it as the `ETag`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomUpnJson {
    pub id: String,
    pub user_id: String,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub created_by: String,
    pub modified_by: String,
    pub client_upn_key: Option<String>,
    pub custom_upn_value: Option<String>,
}

/// The identity service (inside a user) and the upn service send the same
/// shared message.
impl From<common::CustomUpn> for CustomUpnJson {
    fn from(u: common::CustomUpn) -> Self {
        Self {
            created: rfc3339(u.created.as_ref()),
            modified: rfc3339(u.modified.as_ref()),
            id: u.id,
            user_id: u.user_id,
            created_by: u.created_by,
            modified_by: u.modified_by,
            client_upn_key: u.client_upn_key,
            custom_upn_value: u.custom_upn_value,
        }
    }
}

/// A back-office user as the contract shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantUserJson {
    #[schema(min_length = 1)]
    pub id: String,
    #[schema(min_length = 1)]
    pub email: String,
    pub name: Option<String>,
    pub blocked: bool,
    pub last_login: Option<String>,
    pub tenant_role: Option<String>,
}

impl From<tenant_pb::TenantUser> for TenantUserJson {
    fn from(u: tenant_pb::TenantUser) -> Self {
        Self {
            last_login: rfc3339(u.last_login.as_ref()),
            id: u.id,
            email: u.email,
            name: u.name,
            blocked: u.blocked,
            tenant_role: u.tenant_role,
        }
    }
}
