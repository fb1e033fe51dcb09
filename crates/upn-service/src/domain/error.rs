//! Why a UPN operation failed: the variants a caller branches on.

use nexus_domain::{UserId, ValidationError};

/// Which uniqueness rule a change would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictRule {
    /// A user has at most one UPN per client key.
    OnePerUserAndKey,
    /// A value (case-insensitively) belongs to one user per client key.
    ValueTakenForKey,
}

/// Why a UPN operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UpnError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    NotFound(String),
    /// The change would break a uniqueness rule; the message names the rule
    /// and the UPN already holding the key or value.
    #[error("{message}")]
    Conflict { rule: ConflictRule, message: String },
    /// The caller's expected version is not the UPN's: nothing was changed.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The identity service, which says whether users exist, did not answer.
    #[error("user directory unavailable: {0}")]
    DirectoryUnavailable(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl UpnError {
    pub fn user_not_found(user: &UserId) -> Self {
        Self::NotFound(format!("user {user} not found"))
    }

    pub fn upn_not_found(user: &UserId, id: &str) -> Self {
        Self::NotFound(format!("custom UPN {id} of user {user} not found"))
    }

    pub fn version_mismatch(id: &str, current: u64) -> Self {
        Self::PreconditionFailed(format!(
            "If-Match: custom UPN {id} has changed (its ETag is now \"{current}\"); read it again"
        ))
    }

    /// The UPN `existing_id` of `existing_user` already holds what `rule`
    /// protects; `value` is the value asked for.
    pub fn conflict(
        rule: ConflictRule,
        key: &str,
        value: Option<&str>,
        existing_user: &str,
        existing_id: &str,
    ) -> Self {
        let path = format!("/v1/users/{existing_user}/custom-upns/{existing_id}");
        let message = match rule {
            ConflictRule::OnePerUserAndKey => format!(
                "clientUpnKey: the user already has a custom UPN for client key {key} ({path}); a user has one custom UPN per client key"
            ),
            ConflictRule::ValueTakenForKey => format!(
                "customUpnValue: {} is already the custom UPN of user {existing_user} for client key {key} ({path}); a value belongs to one user per client key, ignoring letter case",
                value.unwrap_or_default()
            ),
        };
        Self::Conflict { rule, message }
    }
}
