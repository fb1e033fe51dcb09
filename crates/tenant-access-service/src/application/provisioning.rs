//! Provisioning a back-office user into the identity provider (Auth0) while
//! attaching it to a tenant, and keeping the provider's display name in step.
//!
//! The steps run in this order so that a failure at any of them leaves
//! nothing that a retried `POST` would not reuse, and no member without an
//! account:
//! 1. the provider account is found by email, or created (a 409 is found and
//!    reused). First, so that a provider that is down changes nothing in
//!    Nexus at all.
//! 2. the identity user is found by email, or created. A retry finds it.
//! 3. the account is claimed: the person is emailed a link to set the
//!    password (only for an account made by provisioning and not yet claimed)
//!    and `app_metadata.nexus_user_id` is written. An email is sent again only
//!    if the claim failed, so the person ends with at least one way to set the
//!    password.
//! 4. the identity link is written (idempotent in identity).
//! 5. the caller writes the membership last: a member always has an account,
//!    an identity user and a link.
//!
//! Every step finds before it creates, so any number of retries after any
//! failure ends with one account, one identity user, one link and one
//! membership.

use nexus_domain::Principal;

use crate::domain::{MemberUser, TenantAccessError};
use crate::ports::{IdpProvisioning, UserDirectory};

/// Steps 1 to 4: the identity user `email` names, with its provider account
/// claimed and linked. `found` is the identity user already looked up.
///
/// # Errors
/// A failure of the provider or the directory; an account claimed by another
/// Nexus user is a conflict.
pub(super) async fn provision<D: UserDirectory>(
    idp: &dyn IdpProvisioning,
    directory: &D,
    email: &str,
    name: Option<&str>,
    found: Option<MemberUser>,
    actor: &Principal,
) -> Result<MemberUser, TenantAccessError> {
    let account = match idp.find_by_email(email).await? {
        Some(account) => account,
        None => idp.create(email, name).await?,
    };
    let user = match found {
        Some(user) => user,
        None => directory.create(email, name, actor).await?,
    };
    match account.nexus_user_id.as_deref() {
        Some(id) if id == user.user_id => {}
        Some(other) => {
            return Err(TenantAccessError::Conflict(format!(
                "email: the Auth0 account {} belongs to Nexus user {other}",
                account.id
            )));
        }
        None => {
            if account.created_by_nexus {
                idp.invite(&account.id, email).await?;
            }
            idp.claim(&account.id, &user.user_id).await?;
        }
    }
    directory
        .link(&user.user_id, idp.link_target(), &account.id, actor)
        .await?;
    Ok(user)
}

/// Renames the provider account linked to `user`, before identity's user is
/// renamed: a provider failure then changes nothing. A user without a link in
/// the provider's IdP tenant has no account there to rename.
///
/// # Errors
/// A failure of the provider or the directory.
pub(super) async fn rename<D: UserDirectory>(
    idp: &dyn IdpProvisioning,
    directory: &D,
    user: &str,
    name: &str,
    actor: &Principal,
) -> Result<(), TenantAccessError> {
    let tenant = idp.link_target().idp_tenant_id;
    match directory.linked_account(user, tenant, actor).await? {
        Some(account) => idp.rename(&account, name).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
