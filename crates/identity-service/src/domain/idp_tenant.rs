//! Identity-provider (Auth0) tenants: where users log in. A link (identity)
//! refers to one; its names and domains are copied into link answers.

use chrono::{DateTime, Utc};
use nexus_domain::values::is_dns_name;
use nexus_domain::{BoundedText, ValidationError};

/// An IdP tenant as stored. `id` is the contract's int32 `idpTenantId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpTenant {
    pub id: i32,
    /// Unique in Nexus.
    pub name: String,
    /// The Auth0 tenant name.
    pub azo_name: String,
    pub fqdn: String,
    pub login_domain: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub created_by: String,
    pub modified_by: String,
    pub version: u64,
}

/// Checked fields of an IdP tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpTenantFields {
    pub name: String,
    pub azo_name: String,
    pub fqdn: String,
    pub login_domain: String,
}

/// Longest IdP tenant name and Auth0 tenant name.
pub const MAX_TENANT_NAME_LEN: usize = 100;

pub fn tenant_name(field: &str, raw: &str) -> Result<String, ValidationError> {
    BoundedText::parse(field, raw, 1, MAX_TENANT_NAME_LEN).map(BoundedText::into_string)
}

pub fn domain_name(field: &str, raw: &str) -> Result<String, ValidationError> {
    let lower = raw.to_ascii_lowercase();
    if is_dns_name(&lower) {
        Ok(lower)
    } else {
        Err(ValidationError::new(field, "must be a valid DNS name"))
    }
}

impl IdpTenantFields {
    /// # Errors
    /// The first broken rule, naming its field.
    pub fn new(
        name: &str,
        azo_name: &str,
        fqdn: &str,
        login_domain: &str,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            name: tenant_name("name", name)?,
            azo_name: tenant_name("azoName", azo_name)?,
            fqdn: domain_name("fqdn", fqdn)?,
            login_domain: domain_name("loginDomain", login_domain)?,
        })
    }
}

/// A partial update: `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct IdpTenantPatch {
    pub name: Option<String>,
    pub azo_name: Option<String>,
    pub fqdn: Option<String>,
    pub login_domain: Option<String>,
}

impl IdpTenant {
    /// Applies `patch`; returns whether anything changed.
    ///
    /// # Errors
    /// A patched field breaks its rule.
    pub fn apply(
        &mut self,
        patch: &IdpTenantPatch,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<bool, ValidationError> {
        let fields = IdpTenantFields {
            name: patch
                .name
                .as_deref()
                .map_or(Ok(self.name.clone()), |v| tenant_name("name", v))?,
            azo_name: patch
                .azo_name
                .as_deref()
                .map_or(Ok(self.azo_name.clone()), |v| tenant_name("azoName", v))?,
            fqdn: patch
                .fqdn
                .as_deref()
                .map_or(Ok(self.fqdn.clone()), |v| domain_name("fqdn", v))?,
            login_domain: patch
                .login_domain
                .as_deref()
                .map_or(Ok(self.login_domain.clone()), |v| {
                    domain_name("loginDomain", v)
                })?,
        };
        let changed = fields.name != self.name
            || fields.azo_name != self.azo_name
            || fields.fqdn != self.fqdn
            || fields.login_domain != self.login_domain;
        if changed {
            self.name = fields.name;
            self.azo_name = fields.azo_name;
            self.fqdn = fields.fqdn;
            self.login_domain = fields.login_domain;
            self.modified = now;
            self.modified_by = actor.to_owned();
            self.version += 1;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked_and_domains_lower_cased() {
        let f = IdpTenantFields::new("EU", "acme-eu", "Acme-EU.eu.auth0.com", "login.acme.com")
            .unwrap();
        assert_eq!(f.fqdn, "acme-eu.eu.auth0.com");
        assert_eq!(
            IdpTenantFields::new("", "a", "a.b", "a.b")
                .unwrap_err()
                .field,
            "name"
        );
        assert_eq!(
            IdpTenantFields::new("n", "a", "not a host", "a.b")
                .unwrap_err()
                .field,
            "fqdn"
        );
        assert_eq!(
            IdpTenantFields::new("n", "a", "a.b", "-x")
                .unwrap_err()
                .field,
            "loginDomain"
        );
    }

    #[test]
    fn a_patch_that_changes_nothing_keeps_the_version() {
        let now = Utc::now();
        let mut t = IdpTenant {
            id: 1,
            name: "EU".into(),
            azo_name: "acme".into(),
            fqdn: "acme.auth0.com".into(),
            login_domain: "login.acme.com".into(),
            created: now,
            modified: now,
            created_by: "a".into(),
            modified_by: "a".into(),
            version: 1,
        };
        let same = IdpTenantPatch {
            name: Some("EU".into()),
            ..IdpTenantPatch::default()
        };
        assert!(!t.apply(&same, now, "b").unwrap());
        assert_eq!(t.version, 1);
        let rename = IdpTenantPatch {
            name: Some("EU2".into()),
            ..IdpTenantPatch::default()
        };
        assert!(t.apply(&rename, now, "b").unwrap());
        assert_eq!((t.version, t.modified_by.as_str()), (2, "b"));
    }
}
