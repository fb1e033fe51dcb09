//! Organization and membership use cases.

use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal, UserId};

use crate::application::{Page, int_cursor, page, page_size};
use crate::domain::{
    DirectoryError, Membership, MembershipFields, Organization, OrganizationFields,
    OrganizationPatch,
};
use crate::ports::OrganizationRepository;

/// Default and largest page of the organization list.
pub const DEFAULT_PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 1000;

pub struct OrganizationService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl<R: OrganizationRepository> OrganizationService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// # Errors
    /// A bad field or a taken name.
    pub async fn create(
        &self,
        fields: OrganizationFields,
        actor: &Principal,
    ) -> Result<Organization, DirectoryError> {
        let fields = fields.check()?;
        self.repo
            .create_organization(&fields, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Unknown organization.
    pub async fn get(&self, id: i32) -> Result<Organization, DirectoryError> {
        self.repo
            .get_organization(id)
            .await?
            .ok_or_else(|| DirectoryError::NotFound(format!("organization {id} not found")))
    }

    /// # Errors
    /// A bad limit or cursor.
    pub async fn list(
        &self,
        limit: u64,
        cursor: &str,
    ) -> Result<Page<Organization>, DirectoryError> {
        let limit = page_size(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = int_cursor(cursor)?;
        let items = self.repo.list_organizations(after, limit + 1).await?;
        Ok(page(items, limit, |o| o.id.to_string()))
    }

    /// # Errors
    /// Unknown organization, a bad field, a taken name.
    pub async fn update(
        &self,
        id: i32,
        patch: &OrganizationPatch,
        actor: &Principal,
    ) -> Result<Organization, DirectoryError> {
        self.repo
            .update_organization(id, patch, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Unknown organization, or still in use.
    pub async fn delete(&self, id: i32, actor: &Principal) -> Result<(), DirectoryError> {
        self.repo.delete_organization(id, &self.ctx(actor)).await
    }

    /// # Errors
    /// Unknown user.
    pub async fn memberships(&self, user: &str) -> Result<Vec<Membership>, DirectoryError> {
        let now = self.clock.now();
        let mut list = self.repo.memberships(&UserId::parse(user)?).await?;
        for m in &mut list {
            m.roles
                .retain(|r| crate::domain::profile::unexpired(r.expires, now));
        }
        Ok(list)
    }

    /// # Errors
    /// Bad roles, unknown user, organization or role.
    pub async fn put_membership(
        &self,
        user: &str,
        organization: i32,
        is_guest: bool,
        is_membership_mfa_required: bool,
        role_ids: Vec<String>,
        actor: &Principal,
    ) -> Result<Membership, DirectoryError> {
        let user = UserId::parse(user)?;
        let fields = MembershipFields::new(is_guest, is_membership_mfa_required, role_ids)?;
        self.repo
            .put_membership(&user, organization, &fields, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Unknown user or membership.
    pub async fn delete_membership(
        &self,
        user: &str,
        organization: i32,
        actor: &Principal,
    ) -> Result<(), DirectoryError> {
        self.repo
            .delete_membership(&UserId::parse(user)?, organization, &self.ctx(actor))
            .await
    }
}
