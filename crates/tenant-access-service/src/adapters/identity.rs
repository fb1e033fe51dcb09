//! [`UserDirectory`] over the identity service's gRPC API. Calls carry the
//! acting principal, signed with the shared internal-auth secret, so identity
//! records who made the change.

use async_trait::async_trait;
use nexus_domain::Principal;
use nexus_platform::InternalAuth;
use nexus_platform::internal_auth::{SignedChannel, act_as};
use nexus_platform::telemetry::grpc::TracedChannel as Channel;
use nexus_proto::common::v1 as common;
use nexus_proto::identity::v1 as pb;
use nexus_proto::identity::v1::identity_service_client::IdentityServiceClient;

use crate::adapters::events::time_of;
use crate::domain::{MemberUser, TenantAccessError};
use crate::ports::{IdpLinkTarget, UserDirectory};

/// The identity service, over a channel its process builds.
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

    fn request<T>(&self, actor: &Principal, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        act_as(&mut request, actor);
        request
    }
}

impl From<pb::User> for MemberUser {
    fn from(u: pb::User) -> Self {
        Self {
            name: Some(u.display_name).filter(|n| !n.is_empty()),
            blocked: !u.is_active,
            last_login: u.last_login.as_ref().and_then(time_of),
            user_id: u.id,
            email: u.email_address,
            version: u.version,
        }
    }
}

/// Identity's refusals keep their meaning; its field names are mapped to this
/// API's (`emailAddress` is `email`, `displayName` is `name`).
fn refused(status: &tonic::Status) -> TenantAccessError {
    use tonic::Code;
    let message = status
        .message()
        .replace("emailAddress", "email")
        .replace("displayName", "name");
    match status.code() {
        Code::InvalidArgument => {
            let (field, rule) = message.split_once(": ").unwrap_or(("body", &message));
            nexus_domain::ValidationError::new(field, rule).into()
        }
        Code::NotFound => TenantAccessError::NotFound(message),
        Code::AlreadyExists => TenantAccessError::Conflict(message),
        code => TenantAccessError::Unavailable(format!("identity service: {code:?}: {message}")),
    }
}

#[async_trait]
impl UserDirectory for GrpcUserDirectory {
    async fn find_by_email(
        &self,
        email: &str,
        actor: &Principal,
    ) -> Result<Option<MemberUser>, TenantAccessError> {
        let request = self.request(
            actor,
            pb::ListUsersRequest {
                limit: 1,
                cursor: String::new(),
                email_address: Some(email.to_owned()),
                username: None,
            },
        );
        let page = self
            .client
            .clone()
            .list_users(request)
            .await
            .map_err(|s| refused(&s))?
            .into_inner();
        Ok(page.users.into_iter().next().map(Into::into))
    }

    async fn create(
        &self,
        email: &str,
        name: Option<&str>,
        actor: &Principal,
    ) -> Result<MemberUser, TenantAccessError> {
        // The email address is unique, so it is also the username: a tenant
        // administrator names a person by email only.
        let request = self.request(
            actor,
            pb::CreateUserRequest {
                email_address: email.to_owned(),
                username: email.to_owned(),
                display_name: name.unwrap_or_default().to_owned(),
                ..pb::CreateUserRequest::default()
            },
        );
        Ok(self
            .client
            .clone()
            .create_user(request)
            .await
            .map_err(|s| refused(&s))?
            .into_inner()
            .into())
    }

    async fn link(
        &self,
        user_id: &str,
        target: &IdpLinkTarget,
        account: &str,
        actor: &Principal,
    ) -> Result<(), TenantAccessError> {
        let request = self.request(
            actor,
            pb::LinkIdentityRequest {
                user_id: user_id.to_owned(),
                idp_tenant_id: target.idp_tenant_id,
                strategy: target.strategy.clone(),
                azo_user_id: account.to_owned(),
                azo_connection_id: target.connection_id.clone(),
            },
        );
        self.client
            .clone()
            .link_identity(request)
            .await
            .map_err(|s| refused(&s))?;
        Ok(())
    }

    async fn linked_account(
        &self,
        user_id: &str,
        idp_tenant_id: i32,
        actor: &Principal,
    ) -> Result<Option<String>, TenantAccessError> {
        let request = self.request(
            actor,
            pb::ListIdentitiesRequest {
                user_id: user_id.to_owned(),
            },
        );
        let identities = self
            .client
            .clone()
            .list_identities(request)
            .await
            .map_err(|s| refused(&s))?
            .into_inner()
            .identities;
        Ok(identities
            .into_iter()
            .find(|i| i.idp_tenant_id == idp_tenant_id)
            .map(|i| i.azo_user_id))
    }

    async fn rename(
        &self,
        user_id: &str,
        name: &str,
        actor: &Principal,
    ) -> Result<MemberUser, TenantAccessError> {
        let request = self.request(
            actor,
            pb::UpdateUserRequest {
                user_id: user_id.to_owned(),
                display_name: Some(common::NullableString {
                    value: Some(name.to_owned()),
                }),
                ..pb::UpdateUserRequest::default()
            },
        );
        Ok(self
            .client
            .clone()
            .update_user(request)
            .await
            .map_err(|s| refused(&s))?
            .into_inner()
            .into())
    }
}
