//! A user and what it holds: its attributes and identities with their groups.

use nexus_proto::identity::v1 as pb;
use serde::Serialize;

use crate::api::json::{CustomUpnJson, MembershipJson, OrganizationJson, RoleJson, rfc3339};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttributeJson {
    pub id: i32,
    pub name: String,
    pub value: Option<String>,
    pub user_id: String,
    pub expires: Option<String>,
}

impl From<pb::Attribute> for AttributeJson {
    fn from(a: pb::Attribute) -> Self {
        Self {
            expires: rfc3339(a.expires.as_ref()),
            id: a.id,
            name: a.name,
            value: a.value,
            user_id: a.user_id,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityGroupJson {
    pub id: i32,
    pub expires: Option<String>,
    pub group_name: String,
    pub identity_id: i32,
    pub user_identity_id: i32,
}

impl From<pb::IdentityGroup> for IdentityGroupJson {
    fn from(g: pb::IdentityGroup) -> Self {
        Self {
            expires: rfc3339(g.expires.as_ref()),
            id: g.id,
            group_name: g.group_name,
            identity_id: g.identity_id,
            user_identity_id: g.user_identity_id,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityJson {
    pub id: i32,
    pub groups: Vec<IdentityGroupJson>,
    pub strategy: String,
    pub azo_user_id: String,
    pub idp_tenant_id: i32,
    pub login_domain: Option<String>,
    pub azo_tenant_name: Option<String>,
    pub idp_tenant_fqdn: Option<String>,
    pub idp_tenant_name: Option<String>,
    pub azo_connection_id: String,
}

impl From<pb::Identity> for IdentityJson {
    fn from(i: pb::Identity) -> Self {
        Self {
            id: i.id,
            groups: i.groups.into_iter().map(Into::into).collect(),
            strategy: i.strategy,
            azo_user_id: i.azo_user_id,
            idp_tenant_id: i.idp_tenant_id,
            login_domain: i.login_domain,
            azo_tenant_name: i.azo_tenant_name,
            idp_tenant_fqdn: i.idp_tenant_fqdn,
            idp_tenant_name: i.idp_tenant_name,
            azo_connection_id: i.azo_connection_id,
        }
    }
}

/// The contract's **User**.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The owning user (its own `owner` is `null`), when `ownerId` is set.
    #[schema(no_recursion)]
    pub owner: Option<Box<UserJson>>,
    pub roles: Vec<RoleJson>,
    pub created: Option<String>,
    pub owner_id: Option<String>,
    pub picture: Option<String>,
    pub is_active: bool,
    pub language: Option<String>,
    pub member_of: Vec<MembershipJson>,
    pub modified: Option<String>,
    pub nickname: Option<String>,
    pub username: String,
    pub created_by: String,
    pub given_name: String,
    pub attributes: Vec<AttributeJson>,
    pub custom_upns: Vec<CustomUpnJson>,
    pub family_name: String,
    pub identities: Vec<IdentityJson>,
    pub modified_by: String,
    pub display_name: String,
    pub phone_number: Option<String>,
    pub email_address: String,
    pub organization: Option<OrganizationJson>,
    pub is_mfa_disabled: bool,
    /// Always `[]`: the product catalogue is not part of Nexus.
    #[schema(value_type = Vec<Object>)]
    pub subscriptions: Vec<()>,
    #[serde(rename = "email-verified")]
    pub email_verified: bool,
    pub organization_id: Option<i32>,
    pub mfa_enrollment_status: Option<String>,
    pub authentication_method: Option<String>,
    pub recovery_email_address: Option<String>,
    /// Always `[]`: the product catalogue is not part of Nexus.
    #[schema(value_type = Vec<Object>)]
    pub application_deployments: Vec<()>,
    #[serde(rename = "email-verify-sent-date")]
    pub email_verify_sent_date: Option<String>,
    #[serde(rename = "email-verification-status-type")]
    pub email_verification_status_type: Option<String>,
}

impl From<pb::User> for UserJson {
    fn from(u: pb::User) -> Self {
        Self {
            created: rfc3339(u.created.as_ref()),
            modified: rfc3339(u.modified.as_ref()),
            email_verify_sent_date: rfc3339(u.email_verify_sent_date.as_ref()),
            id: u.id,
            kind: u.r#type,
            owner: None,
            roles: u.roles.into_iter().map(Into::into).collect(),
            owner_id: u.owner_id,
            picture: u.picture,
            is_active: u.is_active,
            language: u.language,
            member_of: u.member_of.into_iter().map(Into::into).collect(),
            nickname: u.nickname,
            username: u.username,
            created_by: u.created_by,
            given_name: u.given_name,
            attributes: u.attributes.into_iter().map(Into::into).collect(),
            custom_upns: u.custom_upns.into_iter().map(Into::into).collect(),
            family_name: u.family_name,
            identities: u.identities.into_iter().map(Into::into).collect(),
            modified_by: u.modified_by,
            display_name: u.display_name,
            phone_number: u.phone_number,
            email_address: u.email_address,
            organization: u.organization.map(Into::into),
            is_mfa_disabled: u.is_mfa_disabled,
            subscriptions: Vec::new(),
            email_verified: u.email_verified,
            organization_id: u.organization_id,
            mfa_enrollment_status: u.mfa_enrollment_status,
            authentication_method: u.authentication_method,
            recovery_email_address: u.recovery_email_address,
            application_deployments: Vec::new(),
            email_verification_status_type: u.email_verification_status_type,
        }
    }
}
