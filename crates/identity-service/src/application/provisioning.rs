//! Provisioning use cases: a user created or changed together with its attributes,
//! all or nothing, recording one event.

use std::collections::HashSet;
use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal, UserId, ValidationError};

use crate::application::page_size;
use crate::domain::{AttributeFields, DirectoryError, NewUser, NewUserInput, User, UserEvent};
use crate::ports::UserView;
use crate::ports::provisioning::{ProvisioningRepository, UserChanges};

/// Default and largest answer of an attribute lookup.
pub const DEFAULT_MATCHES: u64 = 50;
pub const MAX_MATCHES: u64 = 200;

/// The provisioning operations.
pub struct ProvisioningService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// Checked attribute writes; a name may appear once.
///
/// # Errors
/// A bad name or value, or a name given twice.
pub fn attribute_writes(
    pairs: &[(String, String)],
    deletes: &[String],
) -> Result<Vec<AttributeFields>, ValidationError> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        if !seen.insert(name.as_str()) {
            return Err(ValidationError::new(
                "attributes",
                format!("{name} is given more than once"),
            ));
        }
        out.push(AttributeFields::new(name, Some(value), None)?);
    }
    for name in deletes {
        if !seen.insert(name.as_str()) {
            return Err(ValidationError::new(
                "deleteAttributes",
                format!("{name} is both put and deleted, or deleted twice"),
            ));
        }
    }
    Ok(out)
}

impl<R: ProvisioningRepository> ProvisioningService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// Validates and stores a new user with its attributes, recording one `user.created`.
    ///
    /// # Errors
    /// Invalid input, a taken email address (or username, when `unique_username`).
    pub async fn provision(
        &self,
        input: &NewUserInput,
        attributes: &[AttributeFields],
        unique_username: bool,
        actor: &Principal,
    ) -> Result<UserView, DirectoryError> {
        let new = NewUser::new(input)?;
        let ctx = self.ctx(actor);
        let user = User::create(new, self.ids.user_id(), ctx.now, ctx.actor);
        let recorded = ctx.record(UserEvent::Created(user.clone()));
        self.repo
            .provision(&user, attributes, unique_username, &recorded)
            .await
    }

    /// Applies the changes in one transaction, recording one `user.updated` when
    /// anything changed.
    ///
    /// # Errors
    /// Unknown user, another version than expected, a bad field, a taken email
    /// address or username.
    pub async fn apply_changes(
        &self,
        id: &str,
        changes: &UserChanges,
        actor: &Principal,
    ) -> Result<UserView, DirectoryError> {
        let id = UserId::parse(id)?;
        let ctx = self.ctx(actor);
        let now = ctx.now;
        Ok(self
            .repo
            .apply_changes(&id, changes, &ctx)
            .await?
            .unexpired(now))
    }

    /// Users holding attribute `name` with exactly `value`.
    ///
    /// # Errors
    /// An empty name or a bad limit.
    pub async fn find_by_attribute(
        &self,
        name: &str,
        value: &str,
        limit: u64,
    ) -> Result<Vec<UserView>, DirectoryError> {
        if name.is_empty() {
            return Err(ValidationError::new("name", "must not be empty").into());
        }
        let limit = page_size(limit, DEFAULT_MATCHES, MAX_MATCHES)?;
        let now = self.clock.now();
        Ok(self
            .repo
            .find_by_attribute(name, value, limit)
            .await?
            .into_iter()
            .map(|v| v.unexpired(now))
            .collect())
    }
}
