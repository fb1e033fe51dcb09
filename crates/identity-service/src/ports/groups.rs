//! The directory-group port: SCIM Groups as organizations of type `scim` with
//! role-less memberships. Each write is one transaction recording the organization's
//! event and `user.updated` for each user whose membership changed.

use async_trait::async_trait;
use nexus_domain::ChangeContext;

use crate::domain::{DirectoryError, DirectoryGroup, GroupChanges, GroupQuery, NewGroup};

/// Where directory groups live. An organization of another type is not a group: reads
/// skip it and writes answer [`DirectoryError::NotFound`].
#[async_trait]
pub trait DirectoryGroupRepository: Send + Sync + 'static {
    /// Stores the group's organization and its memberships.
    ///
    /// # Errors
    /// [`DirectoryError::Conflict`] for a taken display name, [`DirectoryError::Invalid`]
    /// for a member that is not a user.
    async fn create_group(
        &self,
        group: &NewGroup,
        ctx: &ChangeContext<'_>,
    ) -> Result<DirectoryGroup, DirectoryError>;

    /// # Errors
    /// Storage failure.
    async fn group(
        &self,
        id: i32,
        with_members: bool,
    ) -> Result<Option<DirectoryGroup>, DirectoryError>;

    /// Groups with an id after `query.after`, by id, at most `query.limit`.
    ///
    /// # Errors
    /// Storage failure.
    async fn groups(&self, query: &GroupQuery) -> Result<Vec<DirectoryGroup>, DirectoryError>;

    /// Applies `changes` under the organization's row lock; the group's version grows by
    /// one when anything changed.
    ///
    /// # Errors
    /// Unknown group, [`DirectoryError::FailedPrecondition`] for another version, a taken
    /// display name, a member that is not a user, too many members.
    async fn change_group(
        &self,
        id: i32,
        changes: &GroupChanges,
        ctx: &ChangeContext<'_>,
    ) -> Result<DirectoryGroup, DirectoryError>;

    /// Deletes the group's memberships and organization, when it is at
    /// `expected_version` (if given).
    ///
    /// # Errors
    /// Unknown group, [`DirectoryError::FailedPrecondition`] for another version;
    /// [`DirectoryError::Conflict`] while it is a user's organization.
    async fn delete_group(
        &self,
        id: i32,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;
}
