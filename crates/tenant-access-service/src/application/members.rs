//! A tenant's back-office users: list, read, attach, update, remove; and the
//! tenants of a user.

use std::sync::Arc;

use nexus_domain::{
    BoundedText, ChangeContext, Clock, EmailAddress, IdGenerator, Principal, ValidationError,
};

use super::provisioning;
use crate::domain::{Roles, TenantAccessError, TenantId, TenantMember, TenantUser};
use crate::ports::{IdpProvisioning, TenantMemberRepository, UserDirectory};

/// The largest page, and what an unbounded list answers at most.
pub const MAX_PAGE: u64 = 10_000;

/// A page of a tenant's users and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct TenantUserPage {
    pub items: Vec<TenantUser>,
    pub next_cursor: Option<String>,
}

/// The membership operations.
pub struct TenantUserService<R, D> {
    repo: R,
    directory: D,
    roles: Roles,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// Where back-office users get their login account, when configured.
    idp: Option<Arc<dyn IdpProvisioning>>,
}

/// The tenant, once the principal is known to be entitled to it.
fn entitled(tenant: &str, actor: &Principal) -> Result<TenantId, TenantAccessError> {
    let tenant = TenantId::parse(tenant)?;
    if actor.may_act_on_tenant(tenant.as_str()) {
        Ok(tenant)
    } else {
        Err(TenantAccessError::Forbidden(format!(
            "tenantId: not entitled to tenant {tenant}"
        )))
    }
}

/// A user id as identity makes them (1 to 64 of `[A-Za-z0-9_-]`).
fn user_id(raw: &str) -> Result<&str, TenantAccessError> {
    nexus_domain::UserId::parse(raw)?;
    Ok(raw)
}

fn display_name(raw: &str) -> Result<String, TenantAccessError> {
    Ok(BoundedText::parse("name", raw, 0, 255)?.into_string())
}

impl<R: TenantMemberRepository, D: UserDirectory> TenantUserService<R, D> {
    pub fn new(
        repo: R,
        directory: D,
        roles: Roles,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            repo,
            directory,
            roles,
            clock,
            ids,
            idp: None,
        }
    }

    /// Provisions attached users into `idp` and keeps its names in step.
    #[must_use]
    pub fn with_idp(mut self, idp: Arc<dyn IdpProvisioning>) -> Self {
        self.idp = Some(idp);
        self
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// A page of the tenant's users by user id; `limit` 0 means [`MAX_PAGE`].
    ///
    /// # Errors
    /// A bad tenant, limit or cursor; a tenant the actor is not entitled to.
    pub async fn list(
        &self,
        tenant: &str,
        limit: u64,
        cursor: &str,
        actor: &Principal,
    ) -> Result<TenantUserPage, TenantAccessError> {
        let tenant = entitled(tenant, actor)?;
        let limit = match limit {
            0 => MAX_PAGE,
            1..=MAX_PAGE => limit,
            _ => {
                return Err(
                    ValidationError::new("limit", format!("must be 1 to {MAX_PAGE}")).into(),
                );
            }
        };
        let after = if cursor.is_empty() {
            None
        } else {
            Some(user_id(cursor).map_err(|_| {
                TenantAccessError::from(ValidationError::new(
                    "cursor",
                    "is not a cursor of this list",
                ))
            })?)
        };
        let mut items = self.repo.list(&tenant, after, limit + 1).await?;
        let more = items.len() as u64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = if more {
            items.last().map(|u| u.id.clone())
        } else {
            None
        };
        Ok(TenantUserPage { items, next_cursor })
    }

    /// # Errors
    /// [`TenantAccessError::NotFound`] when the user has no access to the
    /// tenant, even if it exists elsewhere.
    pub async fn get(
        &self,
        tenant: &str,
        user: &str,
        actor: &Principal,
    ) -> Result<TenantUser, TenantAccessError> {
        let tenant = entitled(tenant, actor)?;
        let user = user_id(user)?;
        self.repo
            .get(&tenant, user)
            .await?
            .ok_or_else(|| TenantAccessError::no_access(&tenant, user))
    }

    /// Finds the identity user by email (case-insensitively) or creates it
    /// there (username = the email address, display name = `name`), then
    /// grants `role` in the tenant. With an identity provider configured, the
    /// user's account there is found or created, claimed and linked first
    /// (`application::provisioning` says in which order, and why). A user
    /// that already has a role there is a conflict, and nothing changes.
    ///
    /// # Errors
    /// Bad input, a conflict, or a failure of storage or the directory.
    pub async fn attach(
        &self,
        tenant: &str,
        email: &str,
        name: Option<&str>,
        role: &str,
        actor: &Principal,
    ) -> Result<TenantUser, TenantAccessError> {
        let tenant = entitled(tenant, actor)?;
        let email = EmailAddress::parse("email", email)?;
        let role = self.roles.parse(role)?;
        let name = name.map(display_name).transpose()?;
        let found = self.directory.find_by_email(email.as_str(), actor).await?;
        if let Some(user) = &found
            && self.repo.get(&tenant, &user.user_id).await?.is_some()
        {
            return Err(TenantAccessError::already_attached(&tenant, &user.user_id));
        }
        let new_email = found.is_none();
        let user = match (&self.idp, found) {
            (Some(idp), found) => {
                provisioning::provision(
                    idp.as_ref(),
                    &self.directory,
                    email.as_str(),
                    name.as_deref(),
                    found,
                    actor,
                )
                .await?
            }
            (None, Some(user)) => user,
            (None, None) => {
                match self
                    .directory
                    .create(email.as_str(), name.as_deref(), actor)
                    .await
                {
                    Ok(user) => user,
                    // Another attach of the same new email made the user
                    // meanwhile: this one attaches that user too.
                    Err(TenantAccessError::Conflict(message)) => self
                        .directory
                        .find_by_email(email.as_str(), actor)
                        .await?
                        .ok_or(TenantAccessError::Conflict(message))?,
                    Err(e) => return Err(e),
                }
            }
        };
        let member = TenantMember {
            tenant,
            user_id: user.user_id.clone(),
            role,
            version: 1,
        };
        match self.repo.attach(&member, &user, &self.ctx(actor)).await {
            // The email was new when this request began, so the membership is
            // a concurrent attach's: with the same role, both succeed.
            Err(TenantAccessError::Conflict(message)) if new_email => {
                match self.repo.get(&member.tenant, &member.user_id).await? {
                    Some(existing) if existing.tenant_role == member.role.to_string() => {
                        Ok(existing)
                    }
                    _ => Err(TenantAccessError::Conflict(message)),
                }
            }
            answer => answer,
        }
    }

    /// Replaces the role when given and the identity user's display name when
    /// given.
    ///
    /// # Errors
    /// [`TenantAccessError::NotFound`] when the user has no access there; bad
    /// input; a failure of storage or the directory.
    pub async fn update(
        &self,
        tenant: &str,
        user: &str,
        name: Option<&str>,
        role: Option<&str>,
        actor: &Principal,
    ) -> Result<TenantUser, TenantAccessError> {
        let tenant = entitled(tenant, actor)?;
        let user = user_id(user)?;
        let role = role.map(|r| self.roles.parse(r)).transpose()?;
        let name = name.map(display_name).transpose()?;
        // Checked first so that a user outside the tenant is not renamed.
        if self.repo.get(&tenant, user).await?.is_none() {
            return Err(TenantAccessError::no_access(&tenant, user));
        }
        // A user's name is global (every tenant and every login's claims show
        // it), so a tenant may rename only a user that belongs to it alone.
        if name.is_some()
            && self
                .repo
                .tenants_of(user)
                .await?
                .iter()
                .any(|(other, _)| *other != tenant.to_string())
        {
            return Err(TenantAccessError::Conflict(
                "name: the user also belongs to other tenants, so its name cannot be changed from one of them".to_owned(),
            ));
        }
        let renamed = match name {
            Some(name) => {
                if let Some(idp) = &self.idp {
                    provisioning::rename(idp.as_ref(), &self.directory, user, &name, actor).await?;
                }
                Some(self.directory.rename(user, &name, actor).await?)
            }
            None => None,
        };
        self.repo
            .update(
                &tenant,
                user,
                role.as_ref(),
                renamed.as_ref(),
                &self.ctx(actor),
            )
            .await
    }

    /// Removes the tenant access; the identity user stays.
    ///
    /// # Errors
    /// [`TenantAccessError::NotFound`] when the user has no access there.
    pub async fn remove(
        &self,
        tenant: &str,
        user: &str,
        actor: &Principal,
    ) -> Result<(), TenantAccessError> {
        let tenant = entitled(tenant, actor)?;
        let user = user_id(user)?;
        self.repo.remove(&tenant, user, &self.ctx(actor)).await
    }

    /// The tenants the user may administer, with its role in each.
    ///
    /// # Errors
    /// A bad user id or storage failure.
    pub async fn tenants_of(&self, user: &str) -> Result<Vec<(String, String)>, TenantAccessError> {
        self.repo.tenants_of(user_id(user)?).await
    }
}

#[cfg(test)]
mod tests;
