//! IdP tenant use cases.

use std::sync::Arc;

use nexus_domain::{Clock, IdGenerator, Principal, ValidationError};

use crate::domain::{ChangeContext, IdpTenant, IdpTenantFields, IdpTenantPatch, UserError};
use crate::ports::IdpTenantRepository;

/// Default and largest page of a list.
pub const DEFAULT_PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 1000;

/// A page of IdP tenants and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct IdpTenantPage {
    pub items: Vec<IdpTenant>,
    pub next_cursor: Option<String>,
}

pub struct IdpTenantService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn not_found(id: i32) -> UserError {
    UserError::NotFound(format!("IdP tenant {id} not found"))
}

impl<R: IdpTenantRepository> IdpTenantService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext {
            actor: &actor.subject,
            now: self.clock.now(),
            ids: self.ids.as_ref(),
        }
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
    ) -> Result<IdpTenant, UserError> {
        let fields = IdpTenantFields::new(name, azo_name, fqdn, login_domain)?;
        self.repo.create_idp_tenant(&fields, &self.ctx(actor)).await
    }

    /// # Errors
    /// Not found.
    pub async fn get(&self, id: i32) -> Result<IdpTenant, UserError> {
        self.repo
            .get_idp_tenant(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Cursor pagination by id; the cursor is the last id of the page.
    ///
    /// # Errors
    /// A bad limit or cursor.
    pub async fn list(&self, limit: u64, cursor: &str) -> Result<IdpTenantPage, UserError> {
        let limit = match limit {
            0 => DEFAULT_PAGE,
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
            Some(
                cursor
                    .parse::<i32>()
                    .map_err(|_| ValidationError::new("cursor", "is not a cursor of this list"))?,
            )
        };
        let mut items = self.repo.list_idp_tenants(after, limit + 1).await?;
        let more = items.len() as u64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = if more {
            items.last().map(|t| t.id.to_string())
        } else {
            None
        };
        Ok(IdpTenantPage { items, next_cursor })
    }

    /// # Errors
    /// Not found, a bad field, or a taken name.
    pub async fn update(
        &self,
        id: i32,
        patch: &IdpTenantPatch,
        actor: &Principal,
    ) -> Result<IdpTenant, UserError> {
        self.repo
            .update_idp_tenant(id, patch, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Not found, or still linked.
    pub async fn delete(&self, id: i32, actor: &Principal) -> Result<(), UserError> {
        self.repo.delete_idp_tenant(id, &self.ctx(actor)).await
    }
}
