//! What the UPN use cases need from storage.

use async_trait::async_trait;
use nexus_domain::UserId;

use crate::domain::{CustomUpn, UpnError};

/// Where custom UPNs live.
#[async_trait]
pub trait UpnRepository: Send + Sync + 'static {
    /// A user's UPNs, oldest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_for_user(&self, user: &UserId) -> Result<Vec<CustomUpn>, UpnError>;
}
