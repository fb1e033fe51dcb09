//! Provisioning handlers of `IdentityService`: user fields and attributes written in
//! one transaction.

use nexus_platform::internal_auth::principal_of;
use nexus_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::{Answer, IdentityGrpc, convert, status};
use crate::application::provisioning::attribute_writes;
use crate::ports::provisioning::UserChanges;

fn pairs(values: Vec<pb::AttributeValue>) -> Vec<(String, String)> {
    values.into_iter().map(|a| (a.name, a.value)).collect()
}

impl IdentityGrpc {
    pub(super) async fn provision_user_(
        &self,
        request: Request<pb::ProvisionUserRequest>,
    ) -> Answer<pb::User> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let attributes = attribute_writes(&pairs(r.attributes), &[])
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let input = convert::new_user_input(r.user.unwrap_or_default());
        let view = self
            .provisioning
            .provision(&input, &attributes, r.unique_username, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::user(&view)))
    }

    pub(super) async fn apply_user_changes_(
        &self,
        request: Request<pb::ApplyUserChangesRequest>,
    ) -> Answer<pb::User> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let changes = r
            .changes
            .ok_or_else(|| Status::invalid_argument("changes: required"))?;
        let id = changes.user_id.clone();
        let put_attributes = attribute_writes(&pairs(r.put_attributes), &r.delete_attributes)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let changes = UserChanges {
            patch: convert::user_patch(changes),
            expected_version: r.expected_version,
            put_attributes,
            delete_attributes: r.delete_attributes,
            unique_username: r.unique_username,
        };
        let view = self
            .provisioning
            .apply_changes(&id, &changes, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::user(&view)))
    }

    pub(super) async fn find_users_by_attribute_(
        &self,
        request: Request<pb::FindUsersByAttributeRequest>,
    ) -> Answer<pb::FindUsersByAttributeResponse> {
        principal_of(&request)?;
        let r = request.get_ref();
        let views = self
            .provisioning
            .find_by_attribute(&r.name, &r.value, u64::from(r.limit))
            .await
            .map_err(status)?;
        Ok(Response::new(pb::FindUsersByAttributeResponse {
            users: views.iter().map(convert::user).collect(),
        }))
    }
}
