//! What the application layer needs from the outside, as traits named by role.
//! Every write records its event in the same transaction as the change.

pub mod groups;
pub mod provisioning;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nexus_domain::{ChangeContext, Recorded, UserId};

use crate::domain::{
    Attribute, AttributeFields, CustomUpn, DirectoryError, Identity, IdpTenant, IdpTenantFields,
    IdpTenantPatch, LinkFields, Membership, MembershipFields, Organization, OrganizationFields,
    OrganizationPatch, RoleDefinition, RoleFields, RoleGrant, SyncFields, User, UserEvent,
    UserPatch,
};

/// A user with everything that hangs off it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub user: User,
    pub identities: Vec<Identity>,
    pub attributes: Vec<Attribute>,
    pub roles: Vec<RoleGrant>,
    pub memberships: Vec<Membership>,
    /// The user's custom UPNs (a projection of the upn service's).
    pub custom_upns: Vec<CustomUpn>,
    /// The organization of `user.organization_id`.
    pub organization: Option<Organization>,
}

impl UserView {
    /// A user with nothing hanging off it yet.
    pub fn bare(user: User) -> Self {
        Self {
            user,
            identities: Vec::new(),
            attributes: Vec::new(),
            roles: Vec::new(),
            memberships: Vec::new(),
            custom_upns: Vec::new(),
            organization: None,
        }
    }

    /// Drops attributes and grants that have expired at `now`.
    #[must_use]
    pub fn unexpired(mut self, now: DateTime<Utc>) -> Self {
        use crate::domain::profile::unexpired;
        self.attributes.retain(|a| unexpired(a.expires, now));
        self.roles.retain(|r| unexpired(r.expires, now));
        for m in &mut self.memberships {
            m.roles.retain(|r| unexpired(r.expires, now));
        }
        self
    }
}

/// Where users live.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    /// Stores a new user and its `user.created` event.
    ///
    /// # Errors
    /// [`DirectoryError::Conflict`] when the email is taken case-insensitively.
    async fn create(&self, user: &User, event: &Recorded<UserEvent>) -> Result<(), DirectoryError>;

    /// # Errors
    /// Storage failure.
    async fn view(&self, id: &UserId) -> Result<Option<UserView>, DirectoryError>;

    /// The user's view and, when its `ownerId` names a user, the owner's.
    ///
    /// # Errors
    /// Storage failure.
    async fn view_with_owner(
        &self,
        id: &UserId,
    ) -> Result<Option<(UserView, Option<UserView>)>, DirectoryError> {
        let Some(view) = self.view(id).await? else {
            return Ok(None);
        };
        let owner = match &view.user.owner_id {
            Some(owner) => self.view(owner).await?,
            None => None,
        };
        Ok(Some((view, owner)))
    }

    /// Users with an id after `after`, by id, at most `limit`, matching the
    /// lower-cased email address and username when given, with the users
    /// that own one of them.
    ///
    /// # Errors
    /// Storage failure.
    async fn list(&self, query: &UserQuery) -> Result<ListedUsers, DirectoryError>;

    /// The users with these ids that exist, by id.
    ///
    /// # Errors
    /// Storage failure.
    async fn views(&self, ids: &[UserId]) -> Result<Vec<UserView>, DirectoryError>;

    /// Applies `patch` to the user (under its row lock) and records
    /// `user.updated` when anything changed.
    ///
    /// # Errors
    /// Unknown user, a bad field, a taken email address.
    async fn update(
        &self,
        id: &UserId,
        patch: &UserPatch,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError>;

    /// Deletes the user and everything that hangs off it, when it is at
    /// `expected_version` (if given, checked under the user's row lock); records
    /// `user.deleted`, and `user.updated` for each user whose `ownerId` it clears.
    ///
    /// # Errors
    /// Unknown user, [`DirectoryError::FailedPrecondition`] for another version.
    async fn delete(
        &self,
        id: &UserId,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;
}

/// The users of a [`UserQuery`] and their owners.
#[derive(Debug, Default)]
pub struct ListedUsers {
    /// The users the query lists, by id.
    pub users: Vec<UserView>,
    /// The users that own a listed user and are not listed themselves, by id.
    pub owners: Vec<UserView>,
}

/// A page request over users.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub after: Option<String>,
    pub limit: u64,
    /// Lower-cased.
    pub email_normalized: Option<String>,
    /// Lower-cased.
    pub username_normalized: Option<String>,
}

/// Where IdP tenants live.
#[async_trait]
pub trait IdpTenantRepository: Send + Sync + 'static {
    /// # Errors
    /// [`DirectoryError::Conflict`] when the name is taken.
    async fn create_idp_tenant(
        &self,
        fields: &IdpTenantFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<IdpTenant, DirectoryError>;

    /// # Errors
    /// Storage failure.
    async fn get_idp_tenant(&self, id: i32) -> Result<Option<IdpTenant>, DirectoryError>;

    /// Tenants with an id greater than `after`, by id, at most `limit`.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_idp_tenants(
        &self,
        after: Option<i32>,
        limit: u64,
    ) -> Result<Vec<IdpTenant>, DirectoryError>;

    /// # Errors
    /// Not found, a bad field, or a name conflict.
    async fn update_idp_tenant(
        &self,
        id: i32,
        patch: &IdpTenantPatch,
        ctx: &ChangeContext<'_>,
    ) -> Result<IdpTenant, DirectoryError>;

    /// # Errors
    /// Not found, or identities still linked to it.
    async fn delete_idp_tenant(
        &self,
        id: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;
}

/// Where identities (links), their groups, attributes and logins live.
#[async_trait]
pub trait IdentityRepository: Send + Sync + 'static {
    /// Creates or updates the user's link to the IdP tenant.
    ///
    /// # Errors
    /// Unknown user or tenant; the Auth0 user linked to another user.
    async fn link(
        &self,
        user: &UserId,
        idp_tenant_id: i32,
        fields: &LinkFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Identity, DirectoryError>;

    /// # Errors
    /// Unknown user, or no link to that tenant.
    async fn unlink(
        &self,
        user: &UserId,
        idp_tenant_id: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;

    /// # Errors
    /// Unknown user.
    async fn identities(&self, user: &UserId) -> Result<Vec<Identity>, DirectoryError>;

    /// Applies a login: groups of the connection's identity, attributes, login
    /// time. Returns the user as it is after the sync.
    ///
    /// # Errors
    /// Unknown user, or no identity on the connection.
    async fn sync(
        &self,
        user: &UserId,
        fields: &SyncFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError>;
}

/// Where a user's attributes live. Each change bumps the user's version and
/// records `user.updated`.
#[async_trait]
pub trait AttributeRepository: Send + Sync + 'static {
    /// # Errors
    /// Unknown user.
    async fn attributes(&self, user: &UserId) -> Result<Vec<Attribute>, DirectoryError>;

    /// Creates or replaces the attribute named `fields.name`.
    ///
    /// # Errors
    /// Unknown user.
    async fn put_attribute(
        &self,
        user: &UserId,
        fields: &AttributeFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Attribute, DirectoryError>;

    /// # Errors
    /// Unknown user or attribute.
    async fn delete_attribute(
        &self,
        user: &UserId,
        name: &str,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;
}

/// Where role definitions and grants live.
#[async_trait]
pub trait RoleRepository: Send + Sync + 'static {
    /// # Errors
    /// [`DirectoryError::Conflict`] when the audience already has a role of that name.
    async fn create_role(
        &self,
        fields: &RoleFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<RoleDefinition, DirectoryError>;

    /// # Errors
    /// Storage failure.
    async fn get_role(&self, id: &str) -> Result<Option<RoleDefinition>, DirectoryError>;

    /// Roles with an id after `after`, by id, at most `limit`.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_roles(
        &self,
        audience: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<RoleDefinition>, DirectoryError>;

    /// Deletes the role, its grants and its places in memberships (each
    /// grantee, and the user of each membership that held it, gets
    /// `user.updated`).
    ///
    /// # Errors
    /// Unknown role.
    async fn delete_role(&self, id: &str, ctx: &ChangeContext<'_>) -> Result<(), DirectoryError>;

    /// Grants (or re-grants with a new expiry) a role to a user.
    ///
    /// # Errors
    /// Unknown user or role.
    async fn grant_role(
        &self,
        user: &UserId,
        role: &str,
        expires: Option<DateTime<Utc>>,
        ctx: &ChangeContext<'_>,
    ) -> Result<RoleGrant, DirectoryError>;

    /// # Errors
    /// Unknown user, or no such grant.
    async fn revoke_role(
        &self,
        user: &UserId,
        role: &str,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;

    /// # Errors
    /// Unknown user.
    async fn grants(&self, user: &UserId) -> Result<Vec<RoleGrant>, DirectoryError>;
}

/// Where organizations and memberships live. Membership changes are changes
/// of the user (version bump, `user.updated`).
#[async_trait]
pub trait OrganizationRepository: Send + Sync + 'static {
    /// # Errors
    /// [`DirectoryError::Conflict`] when the name is taken.
    async fn create_organization(
        &self,
        fields: &OrganizationFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Organization, DirectoryError>;

    /// # Errors
    /// Storage failure.
    async fn get_organization(&self, id: i32) -> Result<Option<Organization>, DirectoryError>;

    /// # Errors
    /// Storage failure.
    async fn list_organizations(
        &self,
        after: Option<i32>,
        limit: u64,
    ) -> Result<Vec<Organization>, DirectoryError>;

    /// # Errors
    /// Unknown organization, a bad field, a taken name.
    async fn update_organization(
        &self,
        id: i32,
        patch: &OrganizationPatch,
        ctx: &ChangeContext<'_>,
    ) -> Result<Organization, DirectoryError>;

    /// # Errors
    /// Unknown organization; [`DirectoryError::Conflict`] while it has members or users.
    async fn delete_organization(
        &self,
        id: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;

    /// # Errors
    /// Unknown user.
    async fn memberships(&self, user: &UserId) -> Result<Vec<Membership>, DirectoryError>;

    /// Creates or replaces the user's membership of the organization.
    ///
    /// # Errors
    /// Unknown user, organization or role.
    async fn put_membership(
        &self,
        user: &UserId,
        organization: i32,
        fields: &MembershipFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Membership, DirectoryError>;

    /// # Errors
    /// Unknown user or membership.
    async fn delete_membership(
        &self,
        user: &UserId,
        organization: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError>;
}
