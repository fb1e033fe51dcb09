//! A tenant's back-office user, as the service answers it.

use chrono::{DateTime, Utc};

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

/// Why a tenant-access operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TenantAccessError {
    #[error("{0}")]
    Invalid(#[from] nexus_domain::ValidationError),
    #[error("unavailable: {0}")]
    Unavailable(String),
}
