//! Why an operation on the identity directory failed: one kind for users, IdP
//! tenants, identities, roles, attributes and organizations alike, because the
//! operations span them (a link names a user and a tenant, a membership a user
//! and an organization) and callers branch on the same outcomes for each.

use nexus_domain::{UserId, ValidationError};

/// Why a directory operation failed. Messages are for callers: they name the
/// field or the missing resource, never storage details (except `Unavailable`,
/// which is logged and not sent).
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    FailedPrecondition(String),
    /// Storage or another dependency failed; the message is for logs only.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl DirectoryError {
    pub fn user_not_found(id: &UserId) -> Self {
        Self::NotFound(format!("user {id} not found"))
    }
}
