//! Attribute and role use cases.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal, UserId};

use crate::application::{Page, page, page_size};
use crate::domain::profile::unexpired;
use crate::domain::{
    Attribute, AttributeFields, DirectoryError, RoleDefinition, RoleFields, RoleGrant,
};
use crate::ports::{AttributeRepository, RoleRepository};

/// Default and largest page of the role list.
pub const DEFAULT_PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 1000;

pub struct ProfileService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn role_not_found(id: &str) -> DirectoryError {
    DirectoryError::NotFound(format!("role {id} not found"))
}

impl<R: AttributeRepository + RoleRepository> ProfileService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// # Errors
    /// Unknown user.
    pub async fn attributes(&self, user: &str) -> Result<Vec<Attribute>, DirectoryError> {
        let now = self.clock.now();
        let mut list = self.repo.attributes(&UserId::parse(user)?).await?;
        list.retain(|a| unexpired(a.expires, now));
        Ok(list)
    }

    /// # Errors
    /// Bad fields or unknown user.
    pub async fn put_attribute(
        &self,
        user: &str,
        name: &str,
        value: Option<&str>,
        expires: Option<DateTime<Utc>>,
        actor: &Principal,
    ) -> Result<Attribute, DirectoryError> {
        let user = UserId::parse(user)?;
        let ctx = self.ctx(actor);
        let fields = AttributeFields::new(name, value, expires)?;
        self.repo.put_attribute(&user, &fields, &ctx).await
    }

    /// # Errors
    /// Unknown user or attribute.
    pub async fn delete_attribute(
        &self,
        user: &str,
        name: &str,
        actor: &Principal,
    ) -> Result<(), DirectoryError> {
        self.repo
            .delete_attribute(&UserId::parse(user)?, name, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Bad fields, or the name is taken in the audience.
    pub async fn create_role(
        &self,
        audience: &str,
        name: &str,
        description: Option<&str>,
        actor: &Principal,
    ) -> Result<RoleDefinition, DirectoryError> {
        let fields = RoleFields::new(audience, name, description)?;
        self.repo.create_role(&fields, &self.ctx(actor)).await
    }

    /// # Errors
    /// Unknown role.
    pub async fn get_role(&self, id: &str) -> Result<RoleDefinition, DirectoryError> {
        self.repo
            .get_role(id)
            .await?
            .ok_or_else(|| role_not_found(id))
    }

    /// # Errors
    /// A bad limit.
    pub async fn list_roles(
        &self,
        audience: Option<&str>,
        limit: u64,
        cursor: &str,
    ) -> Result<Page<RoleDefinition>, DirectoryError> {
        let limit = page_size(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = (!cursor.is_empty()).then_some(cursor);
        let items = self.repo.list_roles(audience, after, limit + 1).await?;
        Ok(page(items, limit, |r| r.id.clone()))
    }

    /// # Errors
    /// Unknown role.
    pub async fn delete_role(&self, id: &str, actor: &Principal) -> Result<(), DirectoryError> {
        self.repo.delete_role(id, &self.ctx(actor)).await
    }

    /// # Errors
    /// A past expiry, unknown user or role.
    pub async fn grant_role(
        &self,
        user: &str,
        role: &str,
        expires: Option<DateTime<Utc>>,
        actor: &Principal,
    ) -> Result<RoleGrant, DirectoryError> {
        let user = UserId::parse(user)?;
        let ctx = self.ctx(actor);
        self.repo.grant_role(&user, role, expires, &ctx).await
    }

    /// # Errors
    /// Unknown user or grant.
    pub async fn revoke_role(
        &self,
        user: &str,
        role: &str,
        actor: &Principal,
    ) -> Result<(), DirectoryError> {
        self.repo
            .revoke_role(&UserId::parse(user)?, role, &self.ctx(actor))
            .await
    }

    /// The user's unexpired grants, all audiences.
    ///
    /// # Errors
    /// Unknown user.
    pub async fn user_roles(&self, user: &str) -> Result<Vec<RoleGrant>, DirectoryError> {
        let now = self.clock.now();
        let mut grants = self.repo.grants(&UserId::parse(user)?).await?;
        grants.retain(|g| unexpired(g.expires, now));
        Ok(grants)
    }
}
