//! IdP tenant use cases.

use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal};

use crate::application::{Page, int_cursor, page, page_size};
use crate::domain::{DirectoryError, IdpTenant, IdpTenantFields, IdpTenantPatch};
use crate::ports::IdpTenantRepository;

/// Default and largest page of a list.
pub const DEFAULT_PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 1000;

pub struct IdpTenantService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn not_found(id: i32) -> DirectoryError {
    DirectoryError::NotFound(format!("IdP tenant {id} not found"))
}

impl<R: IdpTenantRepository> IdpTenantService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// # Errors
    /// A bad field, or a taken name.
    pub async fn create(
        &self,
        name: &str,
        azo_name: &str,
        fqdn: &str,
        login_domain: &str,
        actor: &Principal,
    ) -> Result<IdpTenant, DirectoryError> {
        let fields = IdpTenantFields::new(name, azo_name, fqdn, login_domain)?;
        self.repo.create_idp_tenant(&fields, &self.ctx(actor)).await
    }

    /// # Errors
    /// Not found.
    pub async fn get(&self, id: i32) -> Result<IdpTenant, DirectoryError> {
        self.repo
            .get_idp_tenant(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Cursor pagination by id; the cursor is the last id of the page.
    ///
    /// # Errors
    /// A bad limit or cursor.
    pub async fn list(&self, limit: u64, cursor: &str) -> Result<Page<IdpTenant>, DirectoryError> {
        let limit = page_size(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = int_cursor(cursor)?;
        let items = self.repo.list_idp_tenants(after, limit + 1).await?;
        Ok(page(items, limit, |t| t.id.to_string()))
    }

    /// # Errors
    /// Not found, a bad field, or a taken name.
    pub async fn update(
        &self,
        id: i32,
        patch: &IdpTenantPatch,
        actor: &Principal,
    ) -> Result<IdpTenant, DirectoryError> {
        self.repo
            .update_idp_tenant(id, patch, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Not found, or still linked.
    pub async fn delete(&self, id: i32, actor: &Principal) -> Result<(), DirectoryError> {
        self.repo.delete_idp_tenant(id, &self.ctx(actor)).await
    }
}
