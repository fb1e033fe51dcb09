//! Applies identity events to the local user projection. Each application is
//! idempotent (version checks), so a redelivered event changes nothing.

use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator};

use crate::domain::{IdentityUserEvent, TenantAccessError};
use crate::ports::MemberUserProjection;

/// The actor recorded on changes the projection makes by itself.
pub const PROJECTION_ACTOR: &str = "tenant-access";

/// Keeps `member_users` in step with identity.
pub struct ProjectionService {
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl ProjectionService {
    pub fn new(clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { clock, ids }
    }

    /// Applies one identity event to `projection`. The projection is handed in
    /// per event because it works inside the transaction that also records
    /// the event as consumed, so the event counts once.
    ///
    /// # Errors
    /// Storage failure; the event may be applied again.
    pub async fn apply<P: MemberUserProjection + ?Sized>(
        &self,
        projection: &P,
        event: &IdentityUserEvent,
    ) -> Result<(), TenantAccessError> {
        match event {
            IdentityUserEvent::Changed(user) => projection.upsert_user(user).await,
            IdentityUserEvent::LoggedIn { user_id, at } => {
                projection.record_login(user_id, *at).await
            }
            IdentityUserEvent::Deleted { user_id, version } => {
                let ctx =
                    ChangeContext::new(PROJECTION_ACTOR, self.clock.as_ref(), self.ids.as_ref());
                projection.delete_user(user_id, *version, &ctx).await
            }
        }
    }

    /// Applies a burst of logins: each user keeps its latest login time,
    /// whatever the order of `logins`.
    ///
    /// # Errors
    /// Storage failure; the logins may be applied again.
    pub async fn apply_logins<P: MemberUserProjection + ?Sized>(
        &self,
        projection: &P,
        logins: &[(String, chrono::DateTime<chrono::Utc>)],
    ) -> Result<(), TenantAccessError> {
        projection.record_logins(logins).await
    }
}
