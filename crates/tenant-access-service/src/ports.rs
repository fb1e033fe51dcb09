//! What the tenant-access use cases need from storage.

use async_trait::async_trait;

use crate::domain::{TenantAccessError, TenantUser};

/// Where tenant memberships and the user projection live.
#[async_trait]
pub trait TenantMemberRepository: Send + Sync + 'static {
    /// Every back-office user of `tenant`, ordered by user id.
    ///
    /// # Errors
    /// Storage failure.
    async fn list(&self, tenant: &str) -> Result<Vec<TenantUser>, TenantAccessError>;
}
