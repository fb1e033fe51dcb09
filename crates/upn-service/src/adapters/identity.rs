//! [`UserDirectory`] over the identity service's gRPC `GetUser`, forwarding
//! the acting principal (the identity service refuses unsigned calls).

use async_trait::async_trait;
use nexus_domain::{Principal, UserId};
use nexus_platform::InternalAuth;
use nexus_platform::internal_auth::{SignedChannel, act_as};
use nexus_platform::telemetry::grpc::TracedChannel as Channel;
use nexus_proto::identity::v1 as pb;
use nexus_proto::identity::v1::identity_service_client::IdentityServiceClient;

use crate::domain::UpnError;
use crate::ports::UserDirectory;

/// Asks the identity service whether a user exists.
#[derive(Debug, Clone)]
pub struct GrpcUserDirectory {
    client: IdentityServiceClient<SignedChannel>,
}

impl GrpcUserDirectory {
    /// Calls on `identity`, signing the acting principal with `auth`'s
    /// current key for each method called.
    pub fn new(identity: Channel, auth: &InternalAuth) -> Self {
        Self {
            client: IdentityServiceClient::new(auth.signed(identity)),
        }
    }
}

#[async_trait]
impl UserDirectory for GrpcUserDirectory {
    async fn user_exists(&self, user: &UserId, actor: &Principal) -> Result<bool, UpnError> {
        let mut request = tonic::Request::new(pb::GetUserRequest {
            user_id: user.to_string(),
        });
        act_as(&mut request, actor);
        match self.client.clone().get_user(request).await {
            Ok(_) => Ok(true),
            Err(s) if s.code() == tonic::Code::NotFound => Ok(false),
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::Unavailable | tonic::Code::DeadlineExceeded
                ) =>
            {
                Err(UpnError::DirectoryUnavailable(s.message().to_owned()))
            }
            Err(s) => Err(UpnError::Unavailable(format!(
                "identity service GetUser: {:?}: {}",
                s.code(),
                s.message()
            ))),
        }
    }
}
