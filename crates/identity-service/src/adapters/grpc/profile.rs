//! Attribute and role handlers of `IdentityService`.

use nexus_platform::internal_auth::principal_of;
use nexus_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::{Answer, IdentityGrpc, convert, status};
use crate::domain::RoleDefinition;

fn time(
    t: Option<prost_types::Timestamp>,
    field: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Status> {
    t.map(|t| {
        u32::try_from(t.nanos)
            .ok()
            .and_then(|n| chrono::DateTime::from_timestamp(t.seconds, n))
            .ok_or_else(|| Status::invalid_argument(format!("{field}: not a valid time")))
    })
    .transpose()
}

fn definition(r: &RoleDefinition) -> pb::RoleDefinition {
    pb::RoleDefinition {
        id: r.id.clone(),
        audience: r.audience.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
    }
}

impl IdentityGrpc {
    pub(super) async fn list_attributes_(
        &self,
        request: Request<pb::ListAttributesRequest>,
    ) -> Answer<pb::ListAttributesResponse> {
        principal_of(&request)?;
        let list = self
            .profile
            .attributes(&request.get_ref().user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListAttributesResponse {
            attributes: list.iter().map(convert::attribute).collect(),
        }))
    }

    pub(super) async fn put_attribute_(
        &self,
        request: Request<pb::PutAttributeRequest>,
    ) -> Answer<pb::Attribute> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let expires = time(r.expires, "expires")?;
        let a = self
            .profile
            .put_attribute(&r.user_id, &r.name, r.value.as_deref(), expires, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::attribute(&a)))
    }

    pub(super) async fn delete_attribute_(
        &self,
        request: Request<pb::DeleteAttributeRequest>,
    ) -> Answer<pb::DeleteAttributeResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.profile
            .delete_attribute(&r.user_id, &r.name, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteAttributeResponse {}))
    }

    pub(super) async fn create_role_(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Answer<pb::RoleDefinition> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let role = self
            .profile
            .create_role(&r.audience, &r.name, r.description.as_deref(), &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(definition(&role)))
    }

    pub(super) async fn get_role_(
        &self,
        request: Request<pb::GetRoleRequest>,
    ) -> Answer<pb::RoleDefinition> {
        principal_of(&request)?;
        let role = self
            .profile
            .get_role(&request.get_ref().role_id)
            .await
            .map_err(status)?;
        Ok(Response::new(definition(&role)))
    }

    pub(super) async fn list_roles_(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Answer<pb::ListRolesResponse> {
        principal_of(&request)?;
        let r = request.get_ref();
        let page = self
            .profile
            .list_roles(r.audience.as_deref(), u64::from(r.limit), &r.cursor)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListRolesResponse {
            roles: page.items.iter().map(definition).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    pub(super) async fn delete_role_(
        &self,
        request: Request<pb::DeleteRoleRequest>,
    ) -> Answer<pb::DeleteRoleResponse> {
        let principal = principal_of(&request)?;
        self.profile
            .delete_role(&request.get_ref().role_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteRoleResponse {}))
    }

    pub(super) async fn list_user_roles_(
        &self,
        request: Request<pb::ListUserRolesRequest>,
    ) -> Answer<pb::ListUserRolesResponse> {
        principal_of(&request)?;
        let grants = self
            .profile
            .user_roles(&request.get_ref().user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListUserRolesResponse {
            roles: grants.iter().map(convert::role).collect(),
        }))
    }

    pub(super) async fn grant_role_(
        &self,
        request: Request<pb::GrantRoleRequest>,
    ) -> Answer<pb::Role> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let expires = time(r.expires, "expires")?;
        let grant = self
            .profile
            .grant_role(&r.user_id, &r.role_id, expires, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::role(&grant)))
    }

    pub(super) async fn revoke_role_(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> Answer<pb::RevokeRoleResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.profile
            .revoke_role(&r.user_id, &r.role_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::RevokeRoleResponse {}))
    }
}
