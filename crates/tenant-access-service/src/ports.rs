//! What the tenant-access use cases need from the outside, as traits named by
//! role. Every membership change records its event in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nexus_domain::{ChangeContext, Principal};

use crate::domain::{MemberUser, RoleName, TenantAccessError, TenantId, TenantMember, TenantUser};

/// Where memberships and the user projection live.
#[async_trait]
pub trait TenantMemberRepository: Send + Sync + 'static {
    /// Back-office users of `tenant` with a user id after `after`, by user id,
    /// at most `limit`.
    ///
    /// # Errors
    /// Storage failure.
    async fn list(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<TenantUser>, TenantAccessError>;

    /// # Errors
    /// Storage failure.
    async fn get(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> Result<Option<TenantUser>, TenantAccessError>;

    /// Stores the membership and (version-checked) the user's copy; records
    /// `tenant_member.attached`.
    ///
    /// # Errors
    /// [`TenantAccessError::Conflict`] when the user already has a role there.
    async fn attach(
        &self,
        member: &TenantMember,
        user: &MemberUser,
        ctx: &ChangeContext<'_>,
    ) -> Result<TenantUser, TenantAccessError>;

    /// Replaces the role when `role` is given (recording
    /// `tenant_member.updated` when it differs) and refreshes the user's copy
    /// when `user` is given.
    ///
    /// # Errors
    /// [`TenantAccessError::NotFound`] when the user has no access there.
    async fn update(
        &self,
        tenant: &TenantId,
        user_id: &str,
        role: Option<&RoleName>,
        user: Option<&MemberUser>,
        ctx: &ChangeContext<'_>,
    ) -> Result<TenantUser, TenantAccessError>;

    /// Removes the membership; records `tenant_member.removed`.
    ///
    /// # Errors
    /// [`TenantAccessError::NotFound`] when the user has no access there.
    async fn remove(
        &self,
        tenant: &TenantId,
        user_id: &str,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), TenantAccessError>;

    /// Every tenant the user may administer, with its role, by tenant id.
    ///
    /// # Errors
    /// Storage failure.
    async fn tenants_of(&self, user_id: &str) -> Result<Vec<(String, String)>, TenantAccessError>;
}

/// The projection of identity users, fed by identity events. An instance
/// works inside one consumer transaction, so every change it makes commits
/// together with the record that the event was consumed.
#[async_trait]
pub trait MemberUserProjection: Send + Sync {
    /// Stores `user` unless the copy held is as new or newer.
    ///
    /// # Errors
    /// Storage failure.
    async fn upsert_user(&self, user: &MemberUser) -> Result<(), TenantAccessError>;

    /// Keeps the later of the held and the given login time.
    ///
    /// # Errors
    /// Storage failure.
    async fn record_login(&self, user_id: &str, at: DateTime<Utc>)
    -> Result<(), TenantAccessError>;

    /// [`MemberUserProjection::record_login`] for each of `logins`, in one
    /// go where the storage can: each user keeps the latest login time.
    ///
    /// # Errors
    /// Storage failure.
    async fn record_logins(
        &self,
        logins: &[(String, DateTime<Utc>)],
    ) -> Result<(), TenantAccessError> {
        for (user_id, at) in logins {
            self.record_login(user_id, *at).await?;
        }
        Ok(())
    }

    /// The user is gone from identity: removes it from every tenant (recording
    /// `tenant_member.removed` for each) and keeps only its version, so an
    /// older event arriving late changes nothing.
    ///
    /// # Errors
    /// Storage failure.
    async fn delete_user(
        &self,
        user_id: &str,
        version: u64,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), TenantAccessError>;
}

/// The identity service, which owns user accounts. Calls act as `actor`.
#[async_trait]
pub trait UserDirectory: Send + Sync + 'static {
    /// The user with this email address, matched case-insensitively.
    ///
    /// # Errors
    /// The directory failed.
    async fn find_by_email(
        &self,
        email: &str,
        actor: &Principal,
    ) -> Result<Option<MemberUser>, TenantAccessError>;

    /// Creates a user.
    ///
    /// # Errors
    /// Refused input or a failure of the directory.
    async fn create(
        &self,
        email: &str,
        name: Option<&str>,
        actor: &Principal,
    ) -> Result<MemberUser, TenantAccessError>;

    /// Links the user to `account` in the identity provider (identity's
    /// `LinkIdentity`: idempotent, a second call updates the link).
    ///
    /// # Errors
    /// Unknown user or IdP tenant; the account linked to another user.
    async fn link(
        &self,
        user_id: &str,
        target: &IdpLinkTarget,
        account: &str,
        actor: &Principal,
    ) -> Result<(), TenantAccessError>;

    /// The provider account the user is linked to in IdP tenant
    /// `idp_tenant_id`, if any.
    ///
    /// # Errors
    /// The directory failed.
    async fn linked_account(
        &self,
        user_id: &str,
        idp_tenant_id: i32,
        actor: &Principal,
    ) -> Result<Option<String>, TenantAccessError>;

    /// Sets the user's display name.
    ///
    /// # Errors
    /// Unknown user, refused input, or a failure of the directory.
    async fn rename(
        &self,
        user_id: &str,
        name: &str,
        actor: &Principal,
    ) -> Result<MemberUser, TenantAccessError>;
}

/// An account in the identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpAccount {
    /// The provider's user id (`auth0|…`): the identity link's `azoUserId`.
    pub id: String,
    /// The Nexus user the account was provisioned for
    /// (`app_metadata.nexus_user_id`), once written.
    pub nexus_user_id: Option<String>,
    /// Made by provisioning: the person has no password yet and is owed a
    /// way to set one.
    pub created_by_nexus: bool,
}

/// Where provisioned accounts are linked in identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpLinkTarget {
    pub idp_tenant_id: i32,
    /// `auth0`.
    pub strategy: String,
    /// The identity's `azoConnectionId`.
    pub connection_id: String,
}

/// The identity provider's user store (Auth0's Management API), where
/// back-office users get the account they log in with. Failures are
/// [`TenantAccessError::IdentityProvider`], after the adapter's retries.
#[async_trait]
pub trait IdpProvisioning: Send + Sync + 'static {
    /// Where accounts of this provider are linked in identity.
    fn link_target(&self) -> &IdpLinkTarget;

    /// The account with this email address in the configured connection.
    ///
    /// # Errors
    /// The provider failed.
    async fn find_by_email(&self, email: &str) -> Result<Option<IdpAccount>, TenantAccessError>;

    /// Creates an account without a usable password; one that already
    /// exists is found and answered instead.
    ///
    /// # Errors
    /// The provider failed or refused.
    async fn create(
        &self,
        email: &str,
        name: Option<&str>,
    ) -> Result<IdpAccount, TenantAccessError>;

    /// Emails the person of `account`, at `email`, a link with which they
    /// set the password.
    ///
    /// # Errors
    /// The provider failed or refused.
    async fn invite(&self, account: &str, email: &str) -> Result<(), TenantAccessError>;

    /// Records the Nexus user id on the account, where the post-login Action
    /// reads it.
    ///
    /// # Errors
    /// The provider failed.
    async fn claim(&self, account: &str, nexus_user_id: &str) -> Result<(), TenantAccessError>;

    /// Sets the account's display name.
    ///
    /// # Errors
    /// The provider failed or refused.
    async fn rename(&self, account: &str, name: &str) -> Result<(), TenantAccessError>;
}
