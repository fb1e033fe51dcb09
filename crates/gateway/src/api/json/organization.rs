//! Organizations and the memberships of users in them.

use nexus_proto::identity::v1 as pb;
use serde::Serialize;

use crate::api::json::{RoleJson, rfc3339};

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
