//! A user's access to a tenant: validated tenant ids and role names, the
//! membership row and the user as a tenant administrator sees it.

use std::fmt;

use chrono::{DateTime, Utc};
use nexus_domain::ValidationError;

/// A tenant id: 1 to 128 of `[A-Za-z0-9._-]`, so it is safe in paths,
/// subjects and aggregate ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    /// # Errors
    /// A [`ValidationError`] naming `tenantId`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.is_empty() || raw.len() > 128 {
            return Err(ValidationError::new(
                "tenantId",
                "must be 1 to 128 characters",
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(ValidationError::new(
                "tenantId",
                "must be letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role name: 1 to 64 of `[a-z0-9._-]`, one of the deployment's [`Roles`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleName(String);

impl RoleName {
    /// Checks the shape only; [`Roles::parse`] also checks the set.
    ///
    /// # Errors
    /// A [`ValidationError`] naming `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        if raw.is_empty() || raw.len() > 64 {
            return Err(ValidationError::new(field, "must be 1 to 64 characters"));
        }
        if !raw.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        }) {
            return Err(ValidationError::new(
                field,
                "must be lower-case letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The roles a deployment grants; anything else is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<RoleName>);

impl Roles {
    /// The set when nothing is configured.
    pub const DEFAULT: [&'static str; 4] = ["owner", "admin", "member", "viewer"];

    /// # Errors
    /// An empty set or a malformed name, naming `tenant_access.roles`.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<Self, ValidationError> {
        if names.is_empty() {
            return Err(ValidationError::new(
                "tenant_access.roles",
                "must name at least one role",
            ));
        }
        names
            .iter()
            .map(|n| RoleName::parse("tenant_access.roles", n.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// A configured role named `raw`.
    ///
    /// # Errors
    /// A [`ValidationError`] naming `role`.
    pub fn parse(&self, raw: &str) -> Result<RoleName, ValidationError> {
        let role = RoleName::parse("role", raw)?;
        if self.0.contains(&role) {
            Ok(role)
        } else {
            let known: Vec<&str> = self.0.iter().map(RoleName::as_str).collect();
            Err(ValidationError::new(
                "role",
                format!("must be one of {}", known.join(", ")),
            ))
        }
    }
}

impl Default for Roles {
    fn default() -> Self {
        Self(
            Self::DEFAULT
                .iter()
                .map(|n| RoleName((*n).to_owned()))
                .collect(),
        )
    }
}

/// A user's access to a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantMember {
    pub tenant: TenantId,
    pub user_id: String,
    pub role: RoleName,
    /// Starts at 1; each change adds one.
    pub version: u64,
}

/// A user with access to a tenant, and its role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub blocked: bool,
    pub last_login: Option<DateTime<Utc>>,
    pub tenant_role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_bounded_and_path_safe() {
        assert!(TenantId::parse("acme-1.eu_west").is_ok());
        for bad in ["", "a/b", "a b", "é", &"x".repeat(129)] {
            let e = TenantId::parse(bad).unwrap_err();
            assert_eq!(e.field, "tenantId", "{bad}");
        }
    }

    #[test]
    fn roles_must_be_well_formed_and_configured() {
        let roles = Roles::default();
        assert_eq!(roles.parse("admin").unwrap().as_str(), "admin");
        for bad in ["", "Admin", "root", "a b", &"a".repeat(65)] {
            assert_eq!(roles.parse(bad).unwrap_err().field, "role", "{bad}");
        }
        let custom = Roles::new(&["billing.read"]).unwrap();
        assert!(custom.parse("billing.read").is_ok());
        assert!(custom.parse("admin").is_err());
        assert!(Roles::new::<&str>(&[]).is_err());
        assert_eq!(
            Roles::new(&["Bad"]).unwrap_err().field,
            "tenant_access.roles"
        );
    }
}
