//! Identity links and the login-time sync.

use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal, UserId};

use crate::domain::sync::{NameClaims, name_claims, roles_for};
use crate::domain::{DirectoryError, Identity, LinkFields, RoleGrant, SyncFields};
use crate::ports::{IdentityRepository, UserView};

/// What a sync answers: the user after the sync and its claims.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    pub view: UserView,
    /// Unexpired grants for the sync's audience.
    pub roles: Vec<RoleGrant>,
    pub names: NameClaims,
    pub client_upn_key: Option<String>,
}

pub struct IdentityLinkService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl<R: IdentityRepository> IdentityLinkService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// # Errors
    /// Bad bounds, unknown user or tenant, or the Auth0 user taken.
    pub async fn link(
        &self,
        user: &str,
        idp_tenant_id: i32,
        strategy: &str,
        azo_user_id: &str,
        azo_connection_id: &str,
        actor: &Principal,
    ) -> Result<Identity, DirectoryError> {
        let user = UserId::parse(user)?;
        let fields = LinkFields::new(strategy, azo_user_id, azo_connection_id)?;
        self.repo
            .link(&user, idp_tenant_id, &fields, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Unknown user or link.
    pub async fn unlink(
        &self,
        user: &str,
        idp_tenant_id: i32,
        actor: &Principal,
    ) -> Result<(), DirectoryError> {
        let user = UserId::parse(user)?;
        self.repo
            .unlink(&user, idp_tenant_id, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Unknown user.
    pub async fn identities(&self, user: &str) -> Result<Vec<Identity>, DirectoryError> {
        self.repo.identities(&UserId::parse(user)?).await
    }

    /// # Errors
    /// Bad bounds, unknown user, or no identity on the connection.
    pub async fn sync(
        &self,
        user: &str,
        fields: SyncFields,
        actor: &Principal,
    ) -> Result<SyncOutcome, DirectoryError> {
        let user = UserId::parse(user)?;
        let ctx = self.ctx(actor);
        let now = ctx.now;
        let mut view = self.repo.sync(&user, &fields, &ctx).await?.unexpired(now);
        crate::domain::custom_upn::for_client(
            &mut view.custom_upns,
            fields.client_upn_key.as_deref(),
        );
        Ok(SyncOutcome {
            roles: roles_for(&view.roles, &fields.audience, now),
            names: name_claims(&view.user),
            view,
            client_upn_key: fields.client_upn_key,
        })
    }
}
