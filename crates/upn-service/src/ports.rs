//! What the UPN use cases need from the outside, as traits named by role.
//! Every write records its event in the same transaction as the change.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, Principal, Recorded, UserId};

use crate::domain::{CustomUpn, UpnError, UpnEvent, UpnPatch};

/// Where custom UPNs live. Uniqueness is checked inside the write transaction
/// (for a message naming the conflicting UPN), with unique indexes as the
/// backstop against a concurrent write.
#[async_trait]
pub trait UpnRepository: Send + Sync + 'static {
    /// A user's UPNs, oldest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_for_user(&self, user: &UserId) -> Result<Vec<CustomUpn>, UpnError>;

    /// The UPN `id` when it belongs to `user`.
    ///
    /// # Errors
    /// Storage failure.
    async fn get(&self, user: &UserId, id: &str) -> Result<Option<CustomUpn>, UpnError>;

    /// Stores a new UPN and its `custom_upn.created` event.
    ///
    /// # Errors
    /// [`UpnError::Conflict`] naming the rule and the UPN in the way.
    async fn create(&self, upn: &CustomUpn, event: &Recorded<UpnEvent>) -> Result<(), UpnError>;

    /// Applies `patch` when the UPN's version is `expected_version` (any
    /// version when `None`), recording `custom_upn.updated` when anything
    /// changed.
    ///
    /// # Errors
    /// Not found, a stale version, a bad field, a conflict.
    async fn update(
        &self,
        user: &UserId,
        id: &str,
        patch: &UpnPatch,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<CustomUpn, UpnError>;

    /// Deletes the UPN when its version is `expected_version` (any when
    /// `None`), recording `custom_upn.deleted`.
    ///
    /// # Errors
    /// Not found, a stale version.
    async fn delete(
        &self,
        user: &UserId,
        id: &str,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), UpnError>;

    /// Deletes every UPN of `user`, one `custom_upn.deleted` each; returns how
    /// many.
    ///
    /// # Errors
    /// Storage failure.
    async fn delete_all_of_user(
        &self,
        user: &UserId,
        ctx: &ChangeContext<'_>,
    ) -> Result<u64, UpnError>;
}

/// Who the users are: the identity service owns them.
#[async_trait]
pub trait UserDirectory: Send + Sync + 'static {
    /// Whether `user` exists, asked on behalf of `actor`.
    ///
    /// # Errors
    /// The directory is unreachable.
    async fn user_exists(&self, user: &UserId, actor: &Principal) -> Result<bool, UpnError>;
}
