//! Inbound gRPC: `nexus.tenant_access.v1.TenantAccessService`, behind the
//! signed-principal check.

use nexus_platform::internal_auth::{InternalAuth, principal_of};
use nexus_proto::tenant_access::v1 as pb;
use nexus_proto::tenant_access::v1::tenant_access_service_server::{
    TenantAccessService, TenantAccessServiceServer,
};
use sea_orm::DatabaseConnection;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::adapters::db::SeaOrmTenantMemberRepository;
use crate::domain::{TenantAccessError, TenantUser};
use crate::ports::TenantMemberRepository;

/// The tenant-access gRPC service, wired to its database.
pub fn grpc_service(
    db: DatabaseConnection,
    auth: &InternalAuth,
) -> InterceptedService<
    TenantAccessServiceServer<TenantAccessGrpc>,
    impl tonic::service::Interceptor + Clone + use<>,
> {
    InterceptedService::new(
        TenantAccessServiceServer::new(TenantAccessGrpc {
            repo: SeaOrmTenantMemberRepository::new(db),
        }),
        auth.interceptor(),
    )
}

/// Handlers of `TenantAccessService`.
pub struct TenantAccessGrpc {
    repo: SeaOrmTenantMemberRepository,
}

impl From<TenantUser> for pb::TenantUser {
    fn from(u: TenantUser) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            blocked: u.blocked,
            last_login: u.last_login.map(|t| prost_types::Timestamp {
                seconds: t.timestamp(),
                nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
            }),
            tenant_role: Some(u.tenant_role),
        }
    }
}

fn status(err: TenantAccessError) -> Status {
    match err {
        TenantAccessError::Invalid(v) => Status::invalid_argument(v.to_string()),
        TenantAccessError::Unavailable(cause) => {
            tracing::error!(%cause, "tenant-access storage failed");
            Status::internal("internal error")
        }
    }
}

#[tonic::async_trait]
impl TenantAccessService for TenantAccessGrpc {
    async fn list_tenant_users(
        &self,
        request: Request<pb::ListTenantUsersRequest>,
    ) -> Result<Response<pb::ListTenantUsersResponse>, Status> {
        let principal = principal_of(&request)?;
        let tenant = &request.get_ref().tenant_id;
        if tenant.is_empty() || tenant.len() > 128 {
            return Err(Status::invalid_argument(
                "tenantId: must be 1 to 128 characters",
            ));
        }
        if !principal.may_act_on_tenant(tenant) {
            return Err(Status::permission_denied("not entitled to this tenant"));
        }
        let users = self.repo.list(tenant).await.map_err(status)?;
        Ok(Response::new(pb::ListTenantUsersResponse {
            users: users.into_iter().map(Into::into).collect(),
        }))
    }
}
