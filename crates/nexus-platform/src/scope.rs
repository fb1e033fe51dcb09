//! The scopes of Nexus's operations: one per kind of operation, so that a
//! credential holds only what its application needs and a leaked low-trust
//! token is not an administrator. The gateway's `/v1` route table and every
//! service's gRPC methods name the same scopes, so a token allows the same
//! operations whichever door it comes through.

/// A permission on `/v1` (and on the matching gRPC methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    UsersRead,
    UsersWrite,
    UsersDelete,
    IdentitiesWrite,
    UsersSync,
    CustomUpnsWrite,
    RolesAdmin,
    IdpTenantsAdmin,
    OrganizationsAdmin,
    ScimProvision,
}

/// Reading a tenant's back-office users (`/api/{tenantId}/admin/users`).
pub const TENANT_ACCESS_READ: &str = "tenant.access:read";
/// Changing a tenant's back-office users; does not imply reading them.
pub const TENANT_ACCESS_WRITE: &str = "tenant.access:write";

impl Scope {
    /// Every `/v1` scope.
    pub const ALL: [Self; 10] = [
        Self::UsersRead,
        Self::UsersWrite,
        Self::UsersDelete,
        Self::IdentitiesWrite,
        Self::UsersSync,
        Self::CustomUpnsWrite,
        Self::RolesAdmin,
        Self::IdpTenantsAdmin,
        Self::OrganizationsAdmin,
        Self::ScimProvision,
    ];

    /// The name tokens and configuration carry.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UsersRead => "users:read",
            Self::UsersWrite => "users:write",
            Self::UsersDelete => "users:delete",
            Self::IdentitiesWrite => "identities:write",
            Self::UsersSync => "users:sync",
            Self::CustomUpnsWrite => "custom-upns:write",
            Self::RolesAdmin => "roles:admin",
            Self::IdpTenantsAdmin => "idp-tenants:admin",
            Self::OrganizationsAdmin => "organizations:admin",
            Self::ScimProvision => "scim:provision",
        }
    }

    /// What the scope allows, for the OpenAPI document.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::UsersRead => {
                "read users and what they hold: links, custom UPNs, attributes, role grants, memberships"
            }
            Self::UsersWrite => "create and change users and their attributes",
            Self::UsersDelete => "delete users",
            Self::IdentitiesWrite => "link users to identity-provider tenants and unlink them",
            Self::UsersSync => "run the login-time sync of a user",
            Self::CustomUpnsWrite => "create, change and delete custom UPNs",
            Self::RolesAdmin => "define roles, read them, and grant or revoke them",
            Self::IdpTenantsAdmin => "read and manage identity-provider tenants",
            Self::OrganizationsAdmin => "read and manage organizations and memberships",
            Self::ScimProvision => {
                "provision users over SCIM 2.0 at /scim/v2 (a bearer token alone, no ApplicationToken)"
            }
        }
    }

    /// The scope named `name`, if `/v1` has one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The names of every `/v1` scope: what development credentials hold.
pub fn all_names() -> Vec<String> {
    Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect()
}

/// Checks configured scope names, so that a typo is refused at start rather
/// than found as a 403 in production.
///
/// # Errors
/// The first name that is not a `/v1` scope.
pub fn known(names: &[String]) -> Result<Vec<String>, String> {
    names
        .iter()
        .map(|n| {
            Scope::parse(n)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| format!("unknown scope `{n}`"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert!(known(&["users:read".to_owned()]).is_ok());
        let e = known(&["users:raed".to_owned()]).unwrap_err();
        assert!(e.contains("users:raed"), "{e}");
    }
}
