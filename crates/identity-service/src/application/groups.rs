//! Directory-group use cases (SCIM Groups): a group and its members created, changed or
//! deleted in one write.

use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal, UserId};

use crate::application::{Page, int_cursor, page, page_size};
use crate::domain::{DirectoryError, DirectoryGroup, GroupChanges, GroupQuery, NewGroup};
use crate::ports::groups::DirectoryGroupRepository;

/// Default and largest page of the group list.
pub const DEFAULT_PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 1000;

/// What a group list filters on.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub member_id: Option<String>,
    pub with_members: bool,
}

pub struct DirectoryGroupService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn not_found(id: i32) -> DirectoryError {
    DirectoryError::NotFound(format!("group {id} not found"))
}

impl<R: DirectoryGroupRepository> DirectoryGroupService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// # Errors
    /// A bad field, a taken display name, a member that is not a user.
    pub async fn create(
        &self,
        display_name: &str,
        external_id: Option<&str>,
        member_ids: &[String],
        actor: &Principal,
    ) -> Result<DirectoryGroup, DirectoryError> {
        let group = NewGroup::new(display_name, external_id, member_ids)?;
        self.repo.create_group(&group, &self.ctx(actor)).await
    }

    /// # Errors
    /// Unknown group.
    pub async fn get(&self, id: i32, with_members: bool) -> Result<DirectoryGroup, DirectoryError> {
        self.repo
            .group(id, with_members)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// # Errors
    /// A bad limit, cursor or member id.
    pub async fn list(
        &self,
        limit: u64,
        cursor: &str,
        filter: GroupFilter,
    ) -> Result<Page<DirectoryGroup>, DirectoryError> {
        let limit = page_size(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let member = match filter.member_id.as_deref() {
            // An id that cannot be a user's is a member of no group.
            Some(id) => match UserId::parse(id) {
                Ok(id) => Some(id),
                Err(_) => return Ok(page(Vec::new(), limit, |_| String::new())),
            },
            None => None,
        };
        let query = GroupQuery {
            after: int_cursor(cursor)?,
            limit: limit + 1,
            display_name: filter.display_name,
            external_id: filter.external_id,
            member,
            with_members: filter.with_members,
        };
        let items = self.repo.groups(&query).await?;
        Ok(page(items, limit, |g: &DirectoryGroup| g.id.to_string()))
    }

    /// # Errors
    /// Unknown group, another version, a bad field, a taken display name, a member that
    /// is not a user, too many members.
    pub async fn change(
        &self,
        id: i32,
        changes: &GroupChanges,
        actor: &Principal,
    ) -> Result<DirectoryGroup, DirectoryError> {
        self.repo.change_group(id, changes, &self.ctx(actor)).await
    }

    /// # Errors
    /// Unknown group, another version, or still a user's organization.
    pub async fn delete(
        &self,
        id: i32,
        expected_version: Option<u64>,
        actor: &Principal,
    ) -> Result<(), DirectoryError> {
        self.repo
            .delete_group(id, expected_version, &self.ctx(actor))
            .await
    }
}
