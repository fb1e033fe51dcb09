//! Custom UPN use cases: list, create, read, update, delete, and the removal
//! of every UPN of a deleted user.

use std::sync::Arc;

use nexus_domain::{Clock, IdGenerator, Principal, UserId};

use crate::domain::{ChangeContext, CustomUpn, NewCustomUpn, UpnError, UpnEvent, UpnPatch};
use crate::ports::{UpnRepository, UserDirectory};

/// The custom UPN operations.
pub struct UpnService<R, D> {
    repo: R,
    users: D,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl<R: UpnRepository, D: UserDirectory> UpnService<R, D> {
    pub fn new(repo: R, users: D, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self {
            repo,
            users,
            clock,
            ids,
        }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext {
            actor: &actor.subject,
            now: self.clock.now(),
            ids: self.ids.as_ref(),
        }
    }

    /// The user, when the identity service knows it.
    async fn known_user(&self, user: &str, actor: &Principal) -> Result<UserId, UpnError> {
        let user = UserId::parse(user)?;
        if self.users.user_exists(&user, actor).await? {
            Ok(user)
        } else {
            Err(UpnError::user_not_found(&user))
        }
    }

    /// # Errors
    /// Unknown user, or storage failure.
    pub async fn list(&self, user: &str, actor: &Principal) -> Result<Vec<CustomUpn>, UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo.list_for_user(&user).await
    }

    /// Validates and stores a new UPN (version 1), recording
    /// `custom_upn.created`.
    ///
    /// # Errors
    /// A missing or bad field, an unknown user, a conflict.
    pub async fn create(
        &self,
        user: &str,
        client_upn_key: Option<&str>,
        custom_upn_value: Option<&str>,
        actor: &Principal,
    ) -> Result<CustomUpn, UpnError> {
        let user_id = UserId::parse(user)?;
        let new = NewCustomUpn::new(client_upn_key, custom_upn_value)?;
        let user = self.known_user(user_id.as_str(), actor).await?;
        let ctx = self.ctx(actor);
        // UPN ids are UUIDv7 like every other id: unique and time-ordered.
        let id = self.ids.event_id().0.simple().to_string();
        let upn = CustomUpn {
            id,
            user_id: user,
            client_upn_key: Some(new.client_upn_key),
            custom_upn_value: Some(new.custom_upn_value),
            created: ctx.now,
            modified: ctx.now,
            created_by: ctx.actor.to_owned(),
            modified_by: ctx.actor.to_owned(),
            version: 1,
        };
        let recorded = ctx.upn_event(UpnEvent::Created(upn.clone()));
        self.repo.create(&upn, &recorded).await?;
        Ok(upn)
    }

    /// # Errors
    /// Unknown user, or no such UPN of that user.
    pub async fn get(
        &self,
        user: &str,
        id: &str,
        actor: &Principal,
    ) -> Result<CustomUpn, UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo
            .get(&user, id)
            .await?
            .ok_or_else(|| UpnError::upn_not_found(&user, id))
    }

    /// # Errors
    /// Unknown user or UPN, a stale version, a bad field, a conflict.
    pub async fn update(
        &self,
        user: &str,
        id: &str,
        patch: &UpnPatch,
        expected_version: Option<u64>,
        actor: &Principal,
    ) -> Result<CustomUpn, UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo
            .update(&user, id, patch, expected_version, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Unknown user or UPN, a stale version.
    pub async fn delete(
        &self,
        user: &str,
        id: &str,
        expected_version: Option<u64>,
        actor: &Principal,
    ) -> Result<(), UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo
            .delete(&user, id, expected_version, &self.ctx(actor))
            .await
    }

    /// Deletes every UPN of `user` without asking whether it exists: this
    /// follows the user's deletion.
    ///
    /// # Errors
    /// A malformed id, or storage failure.
    pub async fn delete_user_upns(&self, user: &str, actor: &Principal) -> Result<u64, UpnError> {
        let user = UserId::parse(user)?;
        self.repo.delete_all_of_user(&user, &self.ctx(actor)).await
    }
}
