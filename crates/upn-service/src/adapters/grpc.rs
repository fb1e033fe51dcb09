//! Inbound gRPC: `nexus.upn.v1.UpnService`, behind the signed-principal check.

use chrono::{DateTime, Utc};
use nexus_domain::UserId;
use nexus_platform::internal_auth::{InternalAuth, principal_of};
use nexus_proto::upn::v1 as pb;
use nexus_proto::upn::v1::upn_service_server::{UpnService, UpnServiceServer};
use sea_orm::DatabaseConnection;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::adapters::db::SeaOrmUpnRepository;
use crate::domain::{CustomUpn, UpnError};
use crate::ports::UpnRepository;

/// The UPN gRPC service, wired to its database.
pub fn grpc_service(
    db: DatabaseConnection,
    auth: &InternalAuth,
) -> InterceptedService<UpnServiceServer<UpnGrpc>, impl tonic::service::Interceptor + Clone + use<>>
{
    InterceptedService::new(
        UpnServiceServer::new(UpnGrpc {
            repo: SeaOrmUpnRepository::new(db),
        }),
        auth.interceptor(),
    )
}

/// Handlers of `UpnService`.
pub struct UpnGrpc {
    repo: SeaOrmUpnRepository,
}

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

impl From<CustomUpn> for pb::CustomUpn {
    fn from(u: CustomUpn) -> Self {
        Self {
            id: u.id,
            user_id: u.user_id,
            created: Some(timestamp(u.created)),
            modified: Some(timestamp(u.modified)),
            created_by: u.created_by,
            modified_by: u.modified_by,
            client_upn_key: u.client_upn_key,
            custom_upn_value: u.custom_upn_value,
        }
    }
}

fn status(err: UpnError) -> Status {
    match err {
        UpnError::Invalid(v) => Status::invalid_argument(v.to_string()),
        UpnError::Unavailable(cause) => {
            tracing::error!(%cause, "upn storage failed");
            Status::internal("internal error")
        }
    }
}

#[tonic::async_trait]
impl UpnService for UpnGrpc {
    async fn list_custom_upns(
        &self,
        request: Request<pb::ListCustomUpnsRequest>,
    ) -> Result<Response<pb::ListCustomUpnsResponse>, Status> {
        principal_of(&request)?;
        let user = UserId::parse(&request.get_ref().user_id).map_err(|e| status(e.into()))?;
        let upns = self.repo.list_for_user(&user).await.map_err(status)?;
        Ok(Response::new(pb::ListCustomUpnsResponse {
            custom_upns: upns.into_iter().map(Into::into).collect(),
        }))
    }
}
