//! Organizations and memberships: the companies users belong to, and the
//! roles and MFA rules a user has in each.

use chrono::{DateTime, Utc};
use nexus_domain::values::is_dns_name;
use nexus_domain::{BoundedText, ValidationError};

use super::RoleGrant;

/// Longest organization name; other text fields take 255.
pub const MAX_ORGANIZATION_NAME_LEN: usize = 100;
/// At most this many aliases and domains.
pub const MAX_LIST_LEN: usize = 50;

/// An organization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i32,
    pub fields: OrganizationFields,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub created_by: String,
    pub modified_by: String,
    pub version: u64,
}

/// The settable fields of an organization, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrganizationFields {
    pub name: String,
    pub kind: Option<String>,
    pub aliases: Vec<String>,
    pub contact: Option<String>,
    pub domains: Vec<String>,
    pub is_active: bool,
    pub display_name: Option<String>,
    pub crm_account_id: Option<String>,
    pub is_mfa_required: bool,
    pub is_self_service: bool,
    pub technical_contact: Option<String>,
    pub is_enabled_for_preview_features: bool,
    pub is_domain_verification_required: bool,
    /// The id a provisioning directory gave it (directory groups only).
    pub external_id: Option<String>,
}

fn text(field: &str, v: Option<&str>) -> Result<Option<String>, ValidationError> {
    v.map(|v| BoundedText::parse(field, v, 0, 255).map(BoundedText::into_string))
        .transpose()
}

impl OrganizationFields {
    /// Checks every field; the first broken rule is returned, naming its field.
    ///
    /// # Errors
    /// A name outside 1..=100, text over 255, a list over 50, an alias outside
    /// 1..=255, a domain that is not a DNS name.
    pub fn check(self) -> Result<Self, ValidationError> {
        let name =
            BoundedText::parse("name", &self.name, 1, MAX_ORGANIZATION_NAME_LEN)?.into_string();
        for (field, list) in [("aliases", &self.aliases), ("domains", &self.domains)] {
            if list.len() > MAX_LIST_LEN {
                return Err(ValidationError::new(
                    field,
                    format!("at most {MAX_LIST_LEN} entries"),
                ));
            }
        }
        for (i, alias) in self.aliases.iter().enumerate() {
            BoundedText::parse(&format!("aliases[{i}]"), alias, 1, 255)?;
        }
        let mut domains = Vec::with_capacity(self.domains.len());
        for (i, d) in self.domains.iter().enumerate() {
            let lower = d.to_ascii_lowercase();
            if !is_dns_name(&lower) {
                return Err(ValidationError::new(
                    format!("domains[{i}]"),
                    "must be a valid DNS name",
                ));
            }
            domains.push(lower);
        }
        Ok(Self {
            name,
            kind: text("type", self.kind.as_deref())?,
            contact: text("contact", self.contact.as_deref())?,
            display_name: text("displayName", self.display_name.as_deref())?,
            crm_account_id: text("crmAccountId", self.crm_account_id.as_deref())?,
            technical_contact: text("technicalContact", self.technical_contact.as_deref())?,
            external_id: text("externalId", self.external_id.as_deref())?,
            domains,
            ..self
        })
    }
}

/// A partial update of an organization: `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub kind: Option<Option<String>>,
    pub aliases: Option<Vec<String>>,
    pub contact: Option<Option<String>>,
    pub domains: Option<Vec<String>>,
    pub is_active: Option<bool>,
    pub display_name: Option<Option<String>>,
    pub crm_account_id: Option<Option<String>>,
    pub is_mfa_required: Option<bool>,
    pub is_self_service: Option<bool>,
    pub technical_contact: Option<Option<String>>,
    pub is_enabled_for_preview_features: Option<bool>,
    pub is_domain_verification_required: Option<bool>,
}

fn set<T: Clone>(target: &mut T, value: Option<&T>) {
    if let Some(v) = value {
        target.clone_from(v);
    }
}

impl Organization {
    /// Applies `patch`; returns whether anything changed.
    ///
    /// # Errors
    /// The patched fields break a rule.
    pub fn apply(
        &mut self,
        patch: &OrganizationPatch,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<bool, ValidationError> {
        let mut f = self.fields.clone();
        set(&mut f.name, patch.name.as_ref());
        set(&mut f.kind, patch.kind.as_ref());
        set(&mut f.aliases, patch.aliases.as_ref());
        set(&mut f.contact, patch.contact.as_ref());
        set(&mut f.domains, patch.domains.as_ref());
        set(&mut f.is_active, patch.is_active.as_ref());
        set(&mut f.display_name, patch.display_name.as_ref());
        set(&mut f.crm_account_id, patch.crm_account_id.as_ref());
        set(&mut f.is_mfa_required, patch.is_mfa_required.as_ref());
        set(&mut f.is_self_service, patch.is_self_service.as_ref());
        set(&mut f.technical_contact, patch.technical_contact.as_ref());
        set(
            &mut f.is_enabled_for_preview_features,
            patch.is_enabled_for_preview_features.as_ref(),
        );
        set(
            &mut f.is_domain_verification_required,
            patch.is_domain_verification_required.as_ref(),
        );
        let f = f.check()?;
        if f == self.fields {
            return Ok(false);
        }
        self.fields = f;
        self.version += 1;
        self.modified = now;
        self.modified_by = actor.to_owned();
        Ok(true)
    }
}

/// A user's membership of an organization, with the organization's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub id: String,
    pub user_id: String,
    pub organization_id: i32,
    pub organization_name: String,
    pub organization_display_name: Option<String>,
    /// The organization requires MFA of every member.
    pub is_mfa_required: bool,
    pub is_guest: bool,
    /// This membership requires MFA.
    pub is_membership_mfa_required: bool,
    pub roles: Vec<RoleGrant>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub created_by: String,
    pub modified_by: String,
}

/// What a membership write sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipFields {
    pub is_guest: bool,
    pub is_membership_mfa_required: bool,
    pub role_ids: Vec<String>,
}

impl MembershipFields {
    /// # Errors
    /// More than 100 roles, or an empty role id.
    pub fn new(
        is_guest: bool,
        is_membership_mfa_required: bool,
        mut role_ids: Vec<String>,
    ) -> Result<Self, ValidationError> {
        if role_ids.len() > 100 {
            return Err(ValidationError::new("roles", "at most 100 roles"));
        }
        if let Some(i) = role_ids
            .iter()
            .position(|r| r.is_empty() || r.chars().count() > 64)
        {
            return Err(ValidationError::new(
                format!("roles[{i}]"),
                "must be a role id",
            ));
        }
        role_ids.sort();
        role_ids.dedup();
        Ok(Self {
            is_guest,
            is_membership_mfa_required,
            role_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str) -> OrganizationFields {
        OrganizationFields {
            name: name.into(),
            is_active: true,
            ..OrganizationFields::default()
        }
    }

    #[test]
    fn organization_rules_name_the_field() {
        assert!(fields("Acme").check().is_ok());
        assert_eq!(fields("").check().unwrap_err().field, "name");
        let mut bad = fields("Acme");
        bad.domains = vec!["acme.com".into(), "not a domain".into()];
        assert_eq!(bad.check().unwrap_err().field, "domains[1]");
        let mut long = fields("Acme");
        long.aliases = vec!["a".into(); 51];
        assert_eq!(long.check().unwrap_err().field, "aliases");
    }

    #[test]
    fn a_patch_bumps_the_version_only_on_change() {
        let now = Utc::now();
        let mut org = Organization {
            id: 1,
            fields: fields("Acme").check().unwrap(),
            created: now,
            modified: now,
            created_by: "a".into(),
            modified_by: "a".into(),
            version: 1,
        };
        assert!(
            !org.apply(
                &OrganizationPatch {
                    name: Some("Acme".into()),
                    ..Default::default()
                },
                now,
                "b"
            )
            .unwrap()
        );
        assert!(
            org.apply(
                &OrganizationPatch {
                    display_name: Some(Some("ACME".into())),
                    ..Default::default()
                },
                now,
                "b"
            )
            .unwrap()
        );
        assert_eq!(
            (org.version, org.fields.display_name.as_deref()),
            (2, Some("ACME"))
        );
    }

    #[test]
    fn membership_roles_are_deduplicated() {
        let m =
            MembershipFields::new(false, true, vec!["b".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(m.role_ids, ["a", "b"]);
        assert_eq!(
            MembershipFields::new(false, false, vec![String::new()])
                .unwrap_err()
                .field,
            "roles[0]"
        );
    }
}
