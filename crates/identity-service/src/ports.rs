//! What the application layer needs from the outside, as traits named by role.

use async_trait::async_trait;
use nexus_domain::{EventMetadata, UserId};

use crate::domain::{User, UserError, UserEvent};

/// A change together with the event that describes it: stored atomically.
#[derive(Debug, Clone)]
pub struct Recorded<E> {
    pub metadata: EventMetadata,
    pub event: E,
}

/// Where users live. Every write also records its event in the same
/// transaction.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    /// Stores a new user and its `user.created` event.
    ///
    /// # Errors
    /// [`UserError::DuplicateEmail`] when the email is taken case-insensitively.
    async fn create(&self, user: &User, event: &Recorded<UserEvent>) -> Result<(), UserError>;

    /// # Errors
    /// [`UserError::Unavailable`] when storage fails.
    async fn find(&self, id: &UserId) -> Result<Option<User>, UserError>;
}
