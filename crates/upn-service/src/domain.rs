//! The custom UPN as the service keeps it.

use chrono::{DateTime, Utc};

/// A per-application login name of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomUpn {
    pub id: String,
    pub user_id: String,
    pub client_upn_key: Option<String>,
    pub custom_upn_value: Option<String>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub created_by: String,
    pub modified_by: String,
}

/// Why a UPN operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UpnError {
    #[error("{0}")]
    Invalid(#[from] nexus_domain::ValidationError),
    #[error("unavailable: {0}")]
    Unavailable(String),
}
