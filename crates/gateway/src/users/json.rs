//! The contract's JSON shapes of a user and what it contains, converted from
//! the identity service's messages. Field names are the contract's, hyphenated
//! keys included; absent values are `null`, absent lists `[]`.

use chrono::{DateTime, SecondsFormat, Utc};
use nexus_proto::identity::v1 as pb;
use serde::Serialize;

/// RFC 3339 UTC, as every timestamp of the contract.
pub fn rfc3339(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let t = t?;
    let nanos = u32::try_from(t.nanos).ok()?;
    DateTime::<Utc>::from_timestamp(t.seconds, nanos)
        .map(|d| d.to_rfc3339_opts(SecondsFormat::AutoSi, true))
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

impl From<pb::CustomUpn> for CustomUpnJson {
    fn from(u: pb::CustomUpn) -> Self {
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipJson {
    pub id: String,
    /// Always `null`: the user is the one the membership is listed under.
    #[schema(value_type = Option<Object>)]
    pub user: Option<()>,
    pub roles: Vec<RoleJson>,
    pub user_id: String,
    pub created: Option<String>,
    pub is_guest: bool,
    pub modified: Option<String>,
    pub created_by: String,
    pub modified_by: String,
    pub is_mfa_required: bool,
    pub organization_id: i32,
    pub organization_name: Option<String>,
    pub is_membership_mfa_required: bool,
    pub organization_display_name: Option<String>,
}

impl From<pb::Membership> for MembershipJson {
    fn from(m: pb::Membership) -> Self {
        Self {
            created: rfc3339(m.created.as_ref()),
            modified: rfc3339(m.modified.as_ref()),
            id: m.id,
            user: None,
            roles: m.roles.into_iter().map(Into::into).collect(),
            user_id: m.user_id,
            is_guest: m.is_guest,
            created_by: m.created_by,
            modified_by: m.modified_by,
            is_mfa_required: m.is_mfa_required,
            organization_id: m.organization_id,
            organization_name: m.organization_name,
            is_membership_mfa_required: m.is_membership_mfa_required,
            organization_display_name: m.organization_display_name,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationJson {
    pub id: i32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub aliases: Vec<String>,
    pub contact: Option<String>,
    pub created: Option<String>,
    pub domains: Vec<String>,
    /// Always `[]`: members are listed through memberships.
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<()>,
    pub is_active: bool,
    pub modified: Option<String>,
    /// Always `[]`: the product catalogue is not part of Nexus.
    #[schema(value_type = Vec<Object>)]
    pub products: Vec<()>,
    pub created_by: String,
    pub modified_by: String,
    pub display_name: Option<String>,
    /// Always `[]`: the product catalogue is not part of Nexus.
    #[schema(value_type = Vec<Object>)]
    pub applications: Vec<()>,
    pub crm_account_id: Option<String>,
    pub is_mfa_required: bool,
    pub is_self_service: bool,
    /// Always `[]`: the product catalogue is not part of Nexus.
    #[schema(value_type = Vec<Object>)]
    pub subscriptions: Vec<()>,
    pub technical_contact: Option<String>,
    pub is_enabled_for_preview_features: bool,
    pub is_domain_verification_required: bool,
}

impl From<pb::Organization> for OrganizationJson {
    fn from(o: pb::Organization) -> Self {
        Self {
            created: rfc3339(o.created.as_ref()),
            modified: rfc3339(o.modified.as_ref()),
            id: o.id,
            name: o.name,
            kind: o.r#type,
            aliases: o.aliases,
            contact: o.contact,
            domains: o.domains,
            members: Vec::new(),
            is_active: o.is_active,
            products: Vec::new(),
            created_by: o.created_by,
            modified_by: o.modified_by,
            display_name: o.display_name,
            applications: Vec::new(),
            crm_account_id: o.crm_account_id,
            is_mfa_required: o.is_mfa_required,
            is_self_service: o.is_self_service,
            subscriptions: Vec::new(),
            technical_contact: o.technical_contact,
            is_enabled_for_preview_features: o.is_enabled_for_preview_features,
            is_domain_verification_required: o.is_domain_verification_required,
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
