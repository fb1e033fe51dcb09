//! The tenant-access aggregates and their rules. Pure: no I/O here.

pub mod events;
pub mod member;
pub mod projection;

pub use events::TenantMemberEvent;
pub use member::{RoleName, Roles, TenantId, TenantMember, TenantUser};
pub use projection::{IdentityUserEvent, MemberUser};

/// Why a tenant-access operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TenantAccessError {
    #[error("{0}")]
    Invalid(#[from] nexus_domain::ValidationError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The identity provider (Auth0) failed or refused; the message names it
    /// and is safe to show.
    #[error("{0}")]
    IdentityProvider(String),
}

impl TenantAccessError {
    pub fn no_access(tenant: &TenantId, user: &str) -> Self {
        Self::NotFound(format!(
            "userId: user {user} has no access to tenant {tenant}"
        ))
    }

    pub fn already_attached(tenant: &TenantId, user: &str) -> Self {
        Self::Conflict(format!(
            "email: user {user} already has a role in tenant {tenant}"
        ))
    }
}
