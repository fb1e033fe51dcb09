//! Inbound gRPC: `nexus.upn.v1.UpnService` on tonic. Every call must carry the
//! gateway's signed principal (checked by an interceptor).

mod convert;

use std::sync::Arc;

use nexus_domain::{Clock, IdGenerator, SystemClock, UuidV7Ids};
use nexus_platform::caller_auth::{Authenticated, CallerAuth};
use nexus_platform::internal_auth::principal_of;
use nexus_platform::outbox::OutboxSignal;
use nexus_platform::scope::Scope;
use nexus_platform::telemetry::grpc::TracedChannel as Channel;
use nexus_proto::common::v1 as common;
use nexus_proto::upn::v1 as pb;
use nexus_proto::upn::v1::upn_service_server::{UpnService, UpnServiceServer};
use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use crate::adapters::db::SeaOrmUpnRepository;
use crate::adapters::identity::GrpcUserDirectory;
use crate::application::UpnService as Upns;
use crate::domain::UpnError;

/// The UPN gRPC service, wired to its database, its outbox and the identity
/// service (`identity`, a channel to its gRPC address) for user existence.
pub fn grpc_service(
    db: DatabaseConnection,
    signal: OutboxSignal,
    identity: Channel,
    auth: &CallerAuth,
) -> Authenticated<UpnServiceServer<UpnGrpc>> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let upns = Upns::new(
        SeaOrmUpnRepository::new(db, signal),
        GrpcUserDirectory::new(identity, auth.internal()),
        clock,
        ids,
    );
    auth.layer(UpnServiceServer::new(UpnGrpc { upns }), scope_of_method)
}

/// The scope a bearer token needs for `method`: that of the `/v1` route it
/// serves. `DeleteUserUpns` follows a user's deletion.
pub fn scope_of_method(method: &str) -> Option<&'static str> {
    let scope = match method {
        "ListCustomUpns" | "GetCustomUpn" => Scope::UsersRead,
        "CreateCustomUpn" | "UpdateCustomUpn" | "DeleteCustomUpn" => Scope::CustomUpnsWrite,
        "DeleteUserUpns" => Scope::UsersDelete,
        _ => return None,
    };
    Some(scope.as_str())
}

/// Handlers of `UpnService`.
pub struct UpnGrpc {
    upns: Upns<SeaOrmUpnRepository, GrpcUserDirectory>,
}

fn status(err: UpnError) -> Status {
    match err {
        UpnError::Invalid(v) => Status::invalid_argument(v.to_string()),
        UpnError::NotFound(m) => Status::not_found(m),
        UpnError::Conflict { message, .. } => Status::already_exists(message),
        UpnError::PreconditionFailed(m) => Status::failed_precondition(m),
        UpnError::DirectoryUnavailable(cause) => {
            tracing::error!(%cause, "identity service unavailable");
            Status::unavailable("the identity service is unavailable")
        }
        UpnError::Unavailable(cause) => {
            tracing::error!(%cause, "upn service dependency failed");
            Status::internal("internal error")
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl UpnService for UpnGrpc {
    async fn list_custom_upns(
        &self,
        request: Request<pb::ListCustomUpnsRequest>,
    ) -> Answer<pb::ListCustomUpnsResponse> {
        let principal = principal_of(&request)?;
        let upns = self
            .upns
            .list(&request.get_ref().user_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListCustomUpnsResponse {
            custom_upns: upns.into_iter().map(Into::into).collect(),
        }))
    }

    async fn create_custom_upn(
        &self,
        request: Request<pb::CreateCustomUpnRequest>,
    ) -> Answer<common::CustomUpn> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let upn = self
            .upns
            .create(
                &r.user_id,
                r.client_upn_key.as_deref(),
                r.custom_upn_value.as_deref(),
                &principal,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(upn.into()))
    }

    async fn get_custom_upn(
        &self,
        request: Request<pb::GetCustomUpnRequest>,
    ) -> Answer<common::CustomUpn> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let upn = self
            .upns
            .get(&r.user_id, &r.id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(upn.into()))
    }

    async fn update_custom_upn(
        &self,
        request: Request<pb::UpdateCustomUpnRequest>,
    ) -> Answer<common::CustomUpn> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let patch = convert::upn_patch(&r);
        let upn = self
            .upns
            .update(&r.user_id, &r.id, &patch, r.expected_version, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(upn.into()))
    }

    async fn delete_custom_upn(
        &self,
        request: Request<pb::DeleteCustomUpnRequest>,
    ) -> Answer<pb::DeleteCustomUpnResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.upns
            .delete(&r.user_id, &r.id, r.expected_version, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteCustomUpnResponse {}))
    }

    async fn delete_user_upns(
        &self,
        request: Request<pb::DeleteUserUpnsRequest>,
    ) -> Answer<pb::DeleteUserUpnsResponse> {
        let principal = principal_of(&request)?;
        let deleted = self
            .upns
            .delete_user_upns(&request.get_ref().user_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteUserUpnsResponse {
            deleted: u32::try_from(deleted).unwrap_or(u32::MAX),
        }))
    }
}
