//! Inbound gRPC: `nexus.identity.v1.IdentityService` on tonic. Every call must
//! carry the gateway's signed principal (checked by an interceptor).

mod convert;

use std::sync::Arc;

use nexus_domain::{SystemClock, UuidV7Ids};
use nexus_platform::internal_auth::{InternalAuth, principal_of};
use nexus_platform::outbox::OutboxSignal;
use nexus_proto::identity::v1 as pb;
use nexus_proto::identity::v1::identity_service_server::{IdentityService, IdentityServiceServer};
use sea_orm::DatabaseConnection;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::adapters::db::SeaOrmUserRepository;
use crate::application::UserService;
use crate::domain::UserError;

/// The identity gRPC service, wired to its database and outbox.
pub fn grpc_service(
    db: DatabaseConnection,
    signal: OutboxSignal,
    auth: &InternalAuth,
) -> InterceptedService<
    IdentityServiceServer<IdentityGrpc>,
    impl tonic::service::Interceptor + Clone + use<>,
> {
    let repo = SeaOrmUserRepository::new(db, signal);
    let users = UserService::new(repo, Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let server = IdentityServiceServer::new(IdentityGrpc {
        users: Arc::new(users),
    });
    InterceptedService::new(server, auth.interceptor())
}

/// Handlers of `IdentityService`.
pub struct IdentityGrpc {
    users: Arc<UserService<SeaOrmUserRepository>>,
}

fn status(err: UserError) -> Status {
    match err {
        UserError::Invalid(v) => Status::invalid_argument(v.to_string()),
        UserError::NotFound(id) => Status::not_found(format!("user {id} not found")),
        UserError::DuplicateEmail(email) => Status::already_exists(format!(
            "emailAddress: a user with email address {email} already exists"
        )),
        UserError::Unavailable(cause) => {
            tracing::error!(%cause, "identity storage failed");
            Status::internal("internal error")
        }
    }
}

#[tonic::async_trait]
impl IdentityService for IdentityGrpc {
    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let principal = principal_of(&request)?;
        let input = convert::new_user_input(request.into_inner());
        let user = self
            .users
            .create_user(input, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::User::from(&user)))
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        principal_of(&request)?;
        let user = self
            .users
            .get_user(&request.get_ref().user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::User::from(&user)))
    }
}
