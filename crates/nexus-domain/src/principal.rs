//! Who is acting: the authenticated caller of a request, as the gateway saw it.

use serde::{Deserialize, Serialize};

/// The acting principal of a call. `subject` is what `createdBy`/`modifiedBy`
/// record: the token subject or the Basic user name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Principal {
    pub subject: String,
    /// The application (client) that presented the credentials, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Tenants this principal may act on.
    #[serde(default)]
    pub tenants: Vec<String>,
}

impl Principal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    pub fn may_act_on_tenant(&self, tenant: &str) -> bool {
        self.tenants.iter().any(|t| t == tenant)
    }
}
