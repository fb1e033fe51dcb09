//! The login-time sync handler of `IdentityService`: groups, attributes and login time,
//! then the claims.

use nexus_platform::internal_auth::principal_of;
use nexus_proto::identity::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, IdentityGrpc, convert, status};
use crate::domain::SyncFields;

impl IdentityGrpc {
    pub(super) async fn sync_user_(
        &self,
        request: Request<pb::SyncUserRequest>,
    ) -> Answer<pb::SyncUserResponse> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let fields = SyncFields::new(
            &r.audience,
            &r.connection_id,
            r.groups,
            r.attributes.into_iter().map(|a| (a.key, a.value)).collect(),
            r.client_upn_key,
        )
        .map_err(|e| status(e.into()))?;
        let outcome = self
            .links
            .sync(&r.user_id, fields, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::SyncUserResponse {
            user_id: outcome.view.user.id.to_string(),
            user: Some(convert::user(&outcome.view)),
            roles: outcome.roles.iter().map(convert::role).collect(),
            given_name: outcome.names.given_name,
            family_name: outcome.names.family_name,
            display_name: outcome.names.display_name,
            is_authenticated: true,
        }))
    }
}
