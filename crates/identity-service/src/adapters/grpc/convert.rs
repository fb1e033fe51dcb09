//! Conversions between `nexus.identity.v1` messages and domain types.

use nexus_proto::common::v1 as common;
use nexus_proto::identity::v1 as pb;

use crate::domain::{
    Attribute, CustomUpn, Identity, IdpTenant, Membership, NewUserInput, Organization, RoleGrant,
    UserPatch,
};
use crate::ports::UserView;

pub use nexus_platform::time::to_timestamp as timestamp;

pub fn new_user_input(r: pb::CreateUserRequest) -> NewUserInput {
    NewUserInput {
        email_address: r.email_address,
        username: r.username,
        given_name: r.given_name,
        family_name: r.family_name,
        display_name: r.display_name,
        nickname: r.nickname,
        picture: r.picture,
        language: r.language,
        phone_number: r.phone_number,
        user_type: r.r#type,
        owner_id: r.owner_id,
        recovery_email_address: r.recovery_email_address,
        is_active: r.is_active,
    }
}

/// Absent: unchanged; present without a value: cleared.
pub fn nullable(v: Option<common::NullableString>) -> Option<Option<String>> {
    v.map(|n| n.value)
}

pub fn user_patch(r: pb::UpdateUserRequest) -> UserPatch {
    UserPatch {
        email_address: r.email_address,
        username: r.username,
        given_name: nullable(r.given_name),
        family_name: nullable(r.family_name),
        display_name: nullable(r.display_name),
        nickname: nullable(r.nickname),
        picture: nullable(r.picture),
        language: nullable(r.language),
        phone_number: nullable(r.phone_number),
        user_type: nullable(r.r#type),
        owner_id: nullable(r.owner_id),
        recovery_email_address: nullable(r.recovery_email_address),
        is_active: r.is_active,
        email_verified: r.email_verified,
        is_mfa_disabled: r.is_mfa_disabled,
        mfa_enrollment_status: nullable(r.mfa_enrollment_status),
        authentication_method: nullable(r.authentication_method),
        email_verification_status_type: nullable(r.email_verification_status_type),
        organization_id: r.organization_id.map(|n| n.value),
    }
}

fn custom_upn(u: &CustomUpn) -> common::CustomUpn {
    common::CustomUpn {
        id: u.id.clone(),
        user_id: u.user_id.clone(),
        created: Some(timestamp(u.created)),
        modified: Some(timestamp(u.modified)),
        created_by: u.created_by.clone(),
        modified_by: u.modified_by.clone(),
        client_upn_key: u.client_upn_key.clone(),
        custom_upn_value: u.custom_upn_value.clone(),
        version: u.version,
    }
}

pub fn organization(o: &Organization) -> pb::Organization {
    let f = &o.fields;
    pb::Organization {
        id: o.id,
        name: f.name.clone(),
        r#type: f.kind.clone(),
        aliases: f.aliases.clone(),
        contact: f.contact.clone(),
        created: Some(timestamp(o.created)),
        domains: f.domains.clone(),
        is_active: f.is_active,
        modified: Some(timestamp(o.modified)),
        created_by: o.created_by.clone(),
        modified_by: o.modified_by.clone(),
        display_name: f.display_name.clone(),
        crm_account_id: f.crm_account_id.clone(),
        is_mfa_required: f.is_mfa_required,
        is_self_service: f.is_self_service,
        technical_contact: f.technical_contact.clone(),
        is_enabled_for_preview_features: f.is_enabled_for_preview_features,
        is_domain_verification_required: f.is_domain_verification_required,
    }
}

pub fn membership(m: &Membership) -> pb::Membership {
    pb::Membership {
        id: m.id.clone(),
        roles: m.roles.iter().map(role).collect(),
        user_id: m.user_id.clone(),
        created: Some(timestamp(m.created)),
        is_guest: m.is_guest,
        modified: Some(timestamp(m.modified)),
        created_by: m.created_by.clone(),
        modified_by: m.modified_by.clone(),
        is_mfa_required: m.is_mfa_required,
        organization_id: m.organization_id,
        organization_name: Some(m.organization_name.clone()),
        is_membership_mfa_required: m.is_membership_mfa_required,
        organization_display_name: m.organization_display_name.clone(),
    }
}

pub fn idp_tenant(t: &IdpTenant) -> pb::IdpTenant {
    pb::IdpTenant {
        id: t.id,
        name: t.name.clone(),
        azo_name: t.azo_name.clone(),
        fqdn: t.fqdn.clone(),
        login_domain: t.login_domain.clone(),
        created: Some(timestamp(t.created)),
        modified: Some(timestamp(t.modified)),
        created_by: t.created_by.clone(),
        modified_by: t.modified_by.clone(),
    }
}

/// An identity; each group's `identityId` and `userIdentityId` are both the
/// identity's id (the identity is the user's identity in that tenant).
pub fn identity(i: &Identity) -> pb::Identity {
    pb::Identity {
        id: i.id,
        groups: i
            .groups
            .iter()
            .map(|g| pb::IdentityGroup {
                id: g.id,
                expires: g.expires.map(timestamp),
                group_name: g.group_name.clone(),
                identity_id: g.identity_id,
                user_identity_id: g.identity_id,
            })
            .collect(),
        strategy: i.strategy.clone(),
        azo_user_id: i.azo_user_id.clone(),
        idp_tenant_id: i.idp_tenant_id,
        login_domain: Some(i.login_domain.clone()),
        azo_tenant_name: Some(i.azo_tenant_name.clone()),
        idp_tenant_fqdn: Some(i.idp_tenant_fqdn.clone()),
        idp_tenant_name: Some(i.idp_tenant_name.clone()),
        azo_connection_id: i.azo_connection_id.clone(),
    }
}

pub fn role(r: &RoleGrant) -> pb::Role {
    pb::Role {
        id: r.role_id.clone(),
        name: r.name.clone(),
        expires: r.expires.map(timestamp),
        description: r.description.clone(),
    }
}

pub fn attribute(a: &Attribute) -> pb::Attribute {
    pb::Attribute {
        id: a.id,
        name: a.name.clone(),
        value: a.value.clone(),
        user_id: a.user_id.clone(),
        expires: a.expires.map(timestamp),
    }
}

pub fn user(view: &UserView) -> pb::User {
    let u = &view.user;
    pb::User {
        owner: None,
        id: u.id.to_string(),
        r#type: u.user_type.clone(),
        owner_id: u.owner_id.as_ref().map(ToString::to_string),
        picture: u.picture.clone(),
        is_active: u.is_active,
        language: u.language.clone(),
        nickname: u.nickname.clone(),
        username: u.username.clone(),
        given_name: u.given_name.clone(),
        family_name: u.family_name.clone(),
        display_name: u.display_name.clone(),
        phone_number: u.phone_number.clone(),
        email_address: u.email_address.to_string(),
        email_verified: u.email_verified,
        email_verify_sent_date: u.email_verify_sent_date.map(timestamp),
        email_verification_status_type: u.email_verification_status_type.clone(),
        is_mfa_disabled: u.is_mfa_disabled,
        mfa_enrollment_status: u.mfa_enrollment_status.clone(),
        authentication_method: u.authentication_method.clone(),
        recovery_email_address: u.recovery_email_address.as_ref().map(ToString::to_string),
        organization_id: u.organization_id,
        created: Some(timestamp(u.created)),
        modified: Some(timestamp(u.modified)),
        created_by: u.created_by.clone(),
        modified_by: u.modified_by.clone(),
        roles: view.roles.iter().map(role).collect(),
        attributes: view.attributes.iter().map(attribute).collect(),
        identities: view.identities.iter().map(identity).collect(),
        member_of: view.memberships.iter().map(membership).collect(),
        custom_upns: view.custom_upns.iter().map(custom_upn).collect(),
        organization: view.organization.as_ref().map(organization),
        last_login: u.last_login.map(timestamp),
        version: u.version,
    }
}
