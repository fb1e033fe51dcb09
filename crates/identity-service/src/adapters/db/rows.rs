//! Stored rows of users, organizations and IdP tenants mapped to domain types
//! and back; a row that does not make a valid domain value is reported as a
//! storage failure.

use nexus_domain::{EmailAddress, UserId};

use super::entities::{idp_tenants, organizations, users};
use crate::domain::{DirectoryError, IdpTenant, Organization, OrganizationFields, User};

pub fn organization_to_domain(m: organizations::Model) -> Result<Organization, DirectoryError> {
    let list = |raw: &str| {
        serde_json::from_str::<Vec<String>>(raw).map_err(|_| {
            DirectoryError::Unavailable(format!("stored organization {} has a bad list", m.id))
        })
    };
    Ok(Organization {
        id: m.id,
        fields: OrganizationFields {
            aliases: list(&m.aliases)?,
            domains: list(&m.domains)?,
            name: m.name,
            kind: m.kind,
            contact: m.contact,
            is_active: m.is_active,
            display_name: m.display_name,
            crm_account_id: m.crm_account_id,
            is_mfa_required: m.is_mfa_required,
            is_self_service: m.is_self_service,
            technical_contact: m.technical_contact,
            is_enabled_for_preview_features: m.is_enabled_for_preview_features,
            is_domain_verification_required: m.is_domain_verification_required,
            external_id: m.external_id,
        },
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
        version: u64::try_from(m.version).unwrap_or_default(),
    })
}

pub fn organization_to_model(o: &Organization) -> organizations::Model {
    let f = &o.fields;
    organizations::Model {
        id: o.id,
        name: f.name.clone(),
        kind: f.kind.clone(),
        aliases: serde_json::to_string(&f.aliases).unwrap_or_else(|_| "[]".to_owned()),
        contact: f.contact.clone(),
        domains: serde_json::to_string(&f.domains).unwrap_or_else(|_| "[]".to_owned()),
        is_active: f.is_active,
        display_name: f.display_name.clone(),
        crm_account_id: f.crm_account_id.clone(),
        is_mfa_required: f.is_mfa_required,
        is_self_service: f.is_self_service,
        technical_contact: f.technical_contact.clone(),
        is_enabled_for_preview_features: f.is_enabled_for_preview_features,
        is_domain_verification_required: f.is_domain_verification_required,
        external_id: f.external_id.clone(),
        created: o.created,
        modified: o.modified,
        created_by: o.created_by.clone(),
        modified_by: o.modified_by.clone(),
        version: i64::try_from(o.version).unwrap_or(i64::MAX),
    }
}

pub fn tenant_to_domain(m: idp_tenants::Model) -> IdpTenant {
    IdpTenant {
        id: m.id,
        name: m.name,
        azo_name: m.azo_name,
        fqdn: m.fqdn,
        login_domain: m.login_domain,
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
        version: u64::try_from(m.version).unwrap_or_default(),
    }
}

pub fn user_to_model(user: &User) -> users::Model {
    users::Model {
        id: user.id.to_string(),
        email_address: user.email_address.to_string(),
        email_normalized: user.email_address.normalized(),
        username: user.username.clone(),
        username_normalized: user.username.to_lowercase(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        display_name: user.display_name.clone(),
        nickname: user.nickname.clone(),
        picture: user.picture.clone(),
        language: user.language.clone(),
        phone_number: user.phone_number.clone(),
        user_type: user.user_type.clone(),
        owner_id: user.owner_id.as_ref().map(ToString::to_string),
        recovery_email_address: user
            .recovery_email_address
            .as_ref()
            .map(ToString::to_string),
        is_active: user.is_active,
        email_verified: user.email_verified,
        email_verify_sent_date: user.email_verify_sent_date,
        email_verification_status_type: user.email_verification_status_type.clone(),
        is_mfa_disabled: user.is_mfa_disabled,
        mfa_enrollment_status: user.mfa_enrollment_status.clone(),
        authentication_method: user.authentication_method.clone(),
        organization_id: user.organization_id,
        created: user.created,
        modified: user.modified,
        created_by: user.created_by.clone(),
        modified_by: user.modified_by.clone(),
        last_login: user.last_login,
        version: i64::try_from(user.version).unwrap_or(i64::MAX),
    }
}

pub fn user_to_domain(m: users::Model) -> Result<User, DirectoryError> {
    let corrupt =
        |what: &str| DirectoryError::Unavailable(format!("stored user {} has a bad {what}", m.id));
    Ok(User {
        id: UserId::parse(&m.id).map_err(|_| corrupt("id"))?,
        email_address: EmailAddress::parse("emailAddress", &m.email_address)
            .map_err(|_| corrupt("email address"))?,
        recovery_email_address: m
            .recovery_email_address
            .as_deref()
            .map(|e| EmailAddress::parse("recoveryEmailAddress", e))
            .transpose()
            .map_err(|_| corrupt("recovery email address"))?,
        owner_id: m
            .owner_id
            .as_deref()
            .map(UserId::parse)
            .transpose()
            .map_err(|_| corrupt("owner id"))?,
        version: u64::try_from(m.version).map_err(|_| corrupt("version"))?,
        username: m.username,
        given_name: m.given_name,
        family_name: m.family_name,
        display_name: m.display_name,
        nickname: m.nickname,
        picture: m.picture,
        language: m.language,
        phone_number: m.phone_number,
        user_type: m.user_type,
        is_active: m.is_active,
        email_verified: m.email_verified,
        email_verify_sent_date: m.email_verify_sent_date,
        email_verification_status_type: m.email_verification_status_type,
        is_mfa_disabled: m.is_mfa_disabled,
        mfa_enrollment_status: m.mfa_enrollment_status,
        authentication_method: m.authentication_method,
        organization_id: m.organization_id,
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
        last_login: m.last_login,
    })
}
