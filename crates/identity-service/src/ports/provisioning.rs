//! The provisioning port: a user's fields and attributes written together, in one
//! transaction recording one event.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, Recorded, UserId};

use super::UserView;
use crate::domain::{AttributeFields, DirectoryError, User, UserEvent, UserPatch};

/// Everything one provisioning write changes on a user.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub patch: UserPatch,
    /// The write is refused unless the stored user is at this version.
    pub expected_version: Option<u64>,
    /// Attributes to create or replace (names distinct).
    pub put_attributes: Vec<AttributeFields>,
    /// Attributes to delete; names the user lacks are skipped.
    pub delete_attributes: Vec<String>,
    /// Refuse a username another user has, case-insensitively.
    pub unique_username: bool,
}

/// Where provisioning writes land: each is all or nothing.
#[async_trait]
pub trait ProvisioningRepository: Send + Sync + 'static {
    /// Stores a new user with its attributes and its `user.created` event.
    ///
    /// # Errors
    /// [`DirectoryError::Conflict`] when the email (or, when `unique_username`, the
    /// username) is taken case-insensitively.
    async fn provision(
        &self,
        user: &User,
        attributes: &[AttributeFields],
        unique_username: bool,
        event: &Recorded<UserEvent>,
    ) -> Result<UserView, DirectoryError>;

    /// Applies `changes` under the user's row lock; records one `user.updated`
    /// when anything changed.
    ///
    /// # Errors
    /// Unknown user, [`DirectoryError::FailedPrecondition`] for another version, a bad
    /// field, a taken email address or username.
    async fn apply_changes(
        &self,
        id: &UserId,
        changes: &UserChanges,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError>;

    /// Users holding attribute `name` with exactly `value`, by id, at most `limit`.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_by_attribute(
        &self,
        name: &str,
        value: &str,
        limit: u64,
    ) -> Result<Vec<UserView>, DirectoryError>;
}
