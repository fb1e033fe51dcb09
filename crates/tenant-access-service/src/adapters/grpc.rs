//! Inbound gRPC: `nexus.tenant_access.v1.TenantAccessService`, behind the
//! signed-principal check. Every tenant operation also checks that principal
//! against the tenant (in the application layer).

use std::sync::Arc;

use nexus_domain::{Clock, IdGenerator, SystemClock, UuidV7Ids};
use nexus_platform::caller_auth::{Authenticated, CallerAuth};
use nexus_platform::config::Auth0Settings;
use nexus_platform::internal_auth::principal_of;
use nexus_platform::outbox::OutboxSignal;
use nexus_platform::scope::{Scope, TENANT_ACCESS_READ, TENANT_ACCESS_WRITE};
use nexus_platform::telemetry::grpc::TracedChannel as Channel;
use nexus_proto::tenant_access::v1 as pb;
use nexus_proto::tenant_access::v1::tenant_access_service_server::{
    TenantAccessService, TenantAccessServiceServer,
};
use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use crate::adapters::auth0::Auth0Provisioning;
use crate::adapters::db::SeaOrmTenantAccessStore;
use crate::adapters::identity::GrpcUserDirectory;
use crate::application::TenantUserService;
use crate::domain::{Roles, TenantAccessError, TenantUser};
use nexus_platform::time::to_timestamp as timestamp;

/// What the service needs besides its database.
#[derive(Debug, Clone)]
pub struct TenantAccessConfig {
    /// A channel to the identity service (balanced over its replicas by the
    /// process that builds it).
    pub identity: Channel,
    pub roles: Roles,
    /// Provisioning into Auth0; `None` keeps back-office users in Nexus only.
    pub auth0: Option<Auth0Settings>,
}

/// Why the service could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TenantAccessConfigError {
    #[error("tenant_access.identity_url: {0}")]
    IdentityUrl(#[from] tonic::transport::Error),
}

/// The tenant-access gRPC service, wired to its database, outbox and the
/// identity service.
///
/// # Errors
/// None at present: the caller builds the identity channel and checks its URL.
pub fn grpc_service(
    db: DatabaseConnection,
    signal: OutboxSignal,
    auth: &CallerAuth,
    config: &TenantAccessConfig,
) -> Result<Authenticated<TenantAccessServiceServer<TenantAccessGrpc>>, TenantAccessConfigError> {
    let directory = GrpcUserDirectory::new(config.identity.clone(), auth.internal());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let mut members = TenantUserService::new(
        SeaOrmTenantAccessStore::new(db, signal),
        directory,
        config.roles.clone(),
        clock,
        ids,
    );
    if let Some(auth0) = &config.auth0 {
        members = members.with_idp(Arc::new(Auth0Provisioning::new(auth0)));
    }
    Ok(auth.layer(
        TenantAccessServiceServer::new(TenantAccessGrpc { members }),
        scope_of_method,
    ))
}

/// The scope a bearer token needs for `method`: that of the REST route it
/// serves (the tenant itself is checked by the use case).
pub fn scope_of_method(method: &str) -> Option<&'static str> {
    match method {
        "ListTenantUsers" | "GetTenantUser" => Some(TENANT_ACCESS_READ),
        "AttachTenantUser" | "UpdateTenantUser" | "RemoveTenantUser" => Some(TENANT_ACCESS_WRITE),
        "ListUserTenants" => Some(Scope::UsersRead.as_str()),
        _ => None,
    }
}

/// Handlers of `TenantAccessService`.
pub struct TenantAccessGrpc {
    members: TenantUserService<SeaOrmTenantAccessStore, GrpcUserDirectory>,
}

impl From<TenantUser> for pb::TenantUser {
    fn from(u: TenantUser) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            blocked: u.blocked,
            last_login: u.last_login.map(timestamp),
            tenant_role: Some(u.tenant_role),
        }
    }
}

fn status(err: TenantAccessError) -> Status {
    match err {
        TenantAccessError::Invalid(v) => Status::invalid_argument(v.to_string()),
        TenantAccessError::NotFound(m) => Status::not_found(m),
        TenantAccessError::Conflict(m) => Status::already_exists(m),
        TenantAccessError::Forbidden(m) => Status::permission_denied(m),
        TenantAccessError::Unavailable(cause) => {
            tracing::error!(%cause, "tenant-access failed");
            Status::internal("internal error")
        }
        // Unavailable is the gateway's 503: a dependency failed, retry later.
        TenantAccessError::IdentityProvider(message) => {
            tracing::error!(%message, "identity provider failed");
            let mut status = Status::unavailable(message);
            status.metadata_mut().insert(
                nexus_platform::grpc::DEPENDENCY_METADATA,
                tonic::metadata::MetadataValue::from_static("auth0"),
            );
            status
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl TenantAccessService for TenantAccessGrpc {
    async fn list_tenant_users(
        &self,
        request: Request<pb::ListTenantUsersRequest>,
    ) -> Answer<pb::ListTenantUsersResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let page = self
            .members
            .list(&r.tenant_id, u64::from(r.limit), &r.cursor, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListTenantUsersResponse {
            users: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    async fn get_tenant_user(
        &self,
        request: Request<pb::GetTenantUserRequest>,
    ) -> Answer<pb::TenantUser> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let user = self
            .members
            .get(&r.tenant_id, &r.user_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(user.into()))
    }

    async fn attach_tenant_user(
        &self,
        request: Request<pb::AttachTenantUserRequest>,
    ) -> Answer<pb::TenantUser> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let user = self
            .members
            .attach(
                &r.tenant_id,
                &r.email,
                r.name.as_deref(),
                &r.role,
                &principal,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(user.into()))
    }

    async fn update_tenant_user(
        &self,
        request: Request<pb::UpdateTenantUserRequest>,
    ) -> Answer<pb::TenantUser> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let user = self
            .members
            .update(
                &r.tenant_id,
                &r.user_id,
                r.name.as_deref(),
                r.role.as_deref(),
                &principal,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(user.into()))
    }

    async fn remove_tenant_user(
        &self,
        request: Request<pb::RemoveTenantUserRequest>,
    ) -> Answer<pb::RemoveTenantUserResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.members
            .remove(&r.tenant_id, &r.user_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::RemoveTenantUserResponse {}))
    }

    async fn list_user_tenants(
        &self,
        request: Request<pb::ListUserTenantsRequest>,
    ) -> Answer<pb::ListUserTenantsResponse> {
        principal_of(&request)?;
        let tenants = self
            .members
            .tenants_of(&request.get_ref().user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListUserTenantsResponse {
            tenants: tenants
                .into_iter()
                .map(|(tenant_id, role)| pb::UserTenant { tenant_id, role })
                .collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_provider_failure_is_unavailable_and_names_it() {
        let status = status(TenantAccessError::IdentityProvider(
            "Auth0 Management API: unavailable after 4 tries".into(),
        ));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(status.message().starts_with("Auth0"));
        assert_eq!(
            status
                .metadata()
                .get(nexus_platform::grpc::DEPENDENCY_METADATA)
                .and_then(|v| v.to_str().ok()),
            Some("auth0")
        );
    }
}
