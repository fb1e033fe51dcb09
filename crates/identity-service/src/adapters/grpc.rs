//! Inbound gRPC: `nexus.identity.v1.IdentityService` on tonic. Every call
//! must carry a bearer JWT holding the method's scope ([`scopes`]) or a
//! trusted component's signed principal, checked before any handler runs.

mod convert;
mod groups;
mod idp_tenants;
mod organizations;
mod profile;
mod provisioning;
pub mod scopes;
mod sync;

use std::sync::Arc;

use nexus_domain::{Clock, IdGenerator, SystemClock, UuidV7Ids};
use nexus_platform::caller_auth::{Authenticated, CallerAuth};
use nexus_platform::internal_auth::principal_of;
use nexus_platform::outbox::OutboxSignal;
use nexus_proto::identity::v1 as pb;
use nexus_proto::identity::v1::identity_service_server::{IdentityService, IdentityServiceServer};
use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use crate::adapters::db::SeaOrmIdentityStore;
use crate::application::groups::DirectoryGroupService;
use crate::application::provisioning::ProvisioningService;
use crate::application::{
    IdentityLinkService, IdpTenantService, OrganizationService, ProfileService, UserService,
};
use crate::domain::DirectoryError;

/// The identity gRPC service, wired to its database and outbox.
pub fn grpc_service(
    db: DatabaseConnection,
    signal: OutboxSignal,
    auth: &CallerAuth,
) -> Authenticated<IdentityServiceServer<IdentityGrpc>> {
    let store = SeaOrmIdentityStore::new(db, signal);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let server = IdentityServiceServer::new(IdentityGrpc {
        users: UserService::new(store.clone(), clock.clone(), ids.clone()),
        tenants: IdpTenantService::new(store.clone(), clock.clone(), ids.clone()),
        links: IdentityLinkService::new(store.clone(), clock.clone(), ids.clone()),
        profile: ProfileService::new(store.clone(), clock.clone(), ids.clone()),
        provisioning: ProvisioningService::new(store.clone(), clock.clone(), ids.clone()),
        groups: DirectoryGroupService::new(store.clone(), clock.clone(), ids.clone()),
        organizations: OrganizationService::new(store, clock, ids),
    });
    auth.layer(server, scopes::of_method)
}

/// Handlers of `IdentityService`.
pub struct IdentityGrpc {
    users: UserService<SeaOrmIdentityStore>,
    tenants: IdpTenantService<SeaOrmIdentityStore>,
    links: IdentityLinkService<SeaOrmIdentityStore>,
    profile: ProfileService<SeaOrmIdentityStore>,
    provisioning: ProvisioningService<SeaOrmIdentityStore>,
    organizations: OrganizationService<SeaOrmIdentityStore>,
    groups: DirectoryGroupService<SeaOrmIdentityStore>,
}

fn status(err: DirectoryError) -> Status {
    match err {
        DirectoryError::Invalid(v) => Status::invalid_argument(v.to_string()),
        DirectoryError::NotFound(m) => Status::not_found(m),
        DirectoryError::Conflict(m) => Status::already_exists(m),
        DirectoryError::FailedPrecondition(m) => Status::failed_precondition(m),
        DirectoryError::Unavailable(cause) => {
            tracing::error!(%cause, "identity storage failed");
            Status::internal("internal error")
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl IdentityService for IdentityGrpc {
    async fn create_user(&self, request: Request<pb::CreateUserRequest>) -> Answer<pb::User> {
        let principal = principal_of(&request)?;
        let input = convert::new_user_input(request.into_inner());
        let user = self
            .users
            .create_user(&input, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::user(&crate::ports::UserView::bare(
            user,
        ))))
    }

    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Answer<pb::User> {
        principal_of(&request)?;
        let (view, owner) = self
            .users
            .get_user_with_owner(&request.get_ref().user_id)
            .await
            .map_err(status)?;
        let mut user = convert::user(&view);
        user.owner = owner.as_ref().map(|o| Box::new(convert::user(o)));
        Ok(Response::new(user))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Answer<pb::ListUsersResponse> {
        principal_of(&request)?;
        let r = request.get_ref();
        let listing = self
            .users
            .list_users(
                u64::from(r.limit),
                &r.cursor,
                r.email_address.as_deref(),
                r.username.as_deref(),
            )
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListUsersResponse {
            users: listing.page.items.iter().map(convert::user).collect(),
            next_cursor: listing.page.next_cursor,
            owners: listing.owners.iter().map(convert::user).collect(),
        }))
    }

    async fn update_user(&self, request: Request<pb::UpdateUserRequest>) -> Answer<pb::User> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let id = r.user_id.clone();
        let patch = convert::user_patch(r);
        let view = self
            .users
            .update_user(&id, &patch, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::user(&view)))
    }

    async fn delete_user(
        &self,
        request: Request<pb::DeleteUserRequest>,
    ) -> Answer<pb::DeleteUserResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.users
            .delete_user(&r.user_id, r.expected_version, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteUserResponse {}))
    }

    async fn provision_user(&self, request: Request<pb::ProvisionUserRequest>) -> Answer<pb::User> {
        self.provision_user_(request).await
    }

    async fn apply_user_changes(
        &self,
        request: Request<pb::ApplyUserChangesRequest>,
    ) -> Answer<pb::User> {
        self.apply_user_changes_(request).await
    }

    async fn find_users_by_attribute(
        &self,
        request: Request<pb::FindUsersByAttributeRequest>,
    ) -> Answer<pb::FindUsersByAttributeResponse> {
        self.find_users_by_attribute_(request).await
    }

    async fn provision_group(
        &self,
        r: Request<pb::ProvisionGroupRequest>,
    ) -> Answer<pb::DirectoryGroup> {
        self.provision_group_(r).await
    }

    async fn get_directory_group(
        &self,
        r: Request<pb::GetDirectoryGroupRequest>,
    ) -> Answer<pb::DirectoryGroup> {
        self.get_directory_group_(r).await
    }

    async fn list_directory_groups(
        &self,
        r: Request<pb::ListDirectoryGroupsRequest>,
    ) -> Answer<pb::ListDirectoryGroupsResponse> {
        self.list_directory_groups_(r).await
    }

    async fn apply_group_changes(
        &self,
        r: Request<pb::ApplyGroupChangesRequest>,
    ) -> Answer<pb::DirectoryGroup> {
        self.apply_group_changes_(r).await
    }

    async fn delete_directory_group(
        &self,
        r: Request<pb::DeleteDirectoryGroupRequest>,
    ) -> Answer<pb::DeleteDirectoryGroupResponse> {
        self.delete_directory_group_(r).await
    }

    async fn list_attributes(
        &self,
        request: Request<pb::ListAttributesRequest>,
    ) -> Answer<pb::ListAttributesResponse> {
        self.list_attributes_(request).await
    }

    async fn put_attribute(
        &self,
        request: Request<pb::PutAttributeRequest>,
    ) -> Answer<pb::Attribute> {
        self.put_attribute_(request).await
    }

    async fn delete_attribute(
        &self,
        request: Request<pb::DeleteAttributeRequest>,
    ) -> Answer<pb::DeleteAttributeResponse> {
        self.delete_attribute_(request).await
    }

    async fn create_role(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Answer<pb::RoleDefinition> {
        self.create_role_(request).await
    }

    async fn get_role(&self, request: Request<pb::GetRoleRequest>) -> Answer<pb::RoleDefinition> {
        self.get_role_(request).await
    }

    async fn list_roles(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Answer<pb::ListRolesResponse> {
        self.list_roles_(request).await
    }

    async fn delete_role(
        &self,
        request: Request<pb::DeleteRoleRequest>,
    ) -> Answer<pb::DeleteRoleResponse> {
        self.delete_role_(request).await
    }

    async fn list_user_roles(
        &self,
        request: Request<pb::ListUserRolesRequest>,
    ) -> Answer<pb::ListUserRolesResponse> {
        self.list_user_roles_(request).await
    }

    async fn grant_role(&self, request: Request<pb::GrantRoleRequest>) -> Answer<pb::Role> {
        self.grant_role_(request).await
    }

    async fn revoke_role(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> Answer<pb::RevokeRoleResponse> {
        self.revoke_role_(request).await
    }

    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Answer<pb::Organization> {
        self.create_organization_(request).await
    }

    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Answer<pb::Organization> {
        self.get_organization_(request).await
    }

    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Answer<pb::ListOrganizationsResponse> {
        self.list_organizations_(request).await
    }

    async fn update_organization(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Answer<pb::Organization> {
        self.update_organization_(request).await
    }

    async fn delete_organization(
        &self,
        request: Request<pb::DeleteOrganizationRequest>,
    ) -> Answer<pb::DeleteOrganizationResponse> {
        self.delete_organization_(request).await
    }

    async fn list_memberships(
        &self,
        request: Request<pb::ListMembershipsRequest>,
    ) -> Answer<pb::ListMembershipsResponse> {
        self.list_memberships_(request).await
    }

    async fn put_membership(
        &self,
        request: Request<pb::PutMembershipRequest>,
    ) -> Answer<pb::Membership> {
        self.put_membership_(request).await
    }

    async fn delete_membership(
        &self,
        request: Request<pb::DeleteMembershipRequest>,
    ) -> Answer<pb::DeleteMembershipResponse> {
        self.delete_membership_(request).await
    }

    async fn create_idp_tenant(
        &self,
        request: Request<pb::CreateIdpTenantRequest>,
    ) -> Answer<pb::IdpTenant> {
        self.create_idp_tenant_(request).await
    }

    async fn get_idp_tenant(
        &self,
        request: Request<pb::GetIdpTenantRequest>,
    ) -> Answer<pb::IdpTenant> {
        self.get_idp_tenant_(request).await
    }

    async fn list_idp_tenants(
        &self,
        request: Request<pb::ListIdpTenantsRequest>,
    ) -> Answer<pb::ListIdpTenantsResponse> {
        self.list_idp_tenants_(request).await
    }

    async fn update_idp_tenant(
        &self,
        request: Request<pb::UpdateIdpTenantRequest>,
    ) -> Answer<pb::IdpTenant> {
        self.update_idp_tenant_(request).await
    }

    async fn delete_idp_tenant(
        &self,
        request: Request<pb::DeleteIdpTenantRequest>,
    ) -> Answer<pb::DeleteIdpTenantResponse> {
        self.delete_idp_tenant_(request).await
    }

    async fn link_identity(
        &self,
        request: Request<pb::LinkIdentityRequest>,
    ) -> Answer<pb::Identity> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let identity = self
            .links
            .link(
                &r.user_id,
                r.idp_tenant_id,
                &r.strategy,
                &r.azo_user_id,
                &r.azo_connection_id,
                &principal,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(convert::identity(&identity)))
    }

    async fn unlink_identity(
        &self,
        request: Request<pb::UnlinkIdentityRequest>,
    ) -> Answer<pb::UnlinkIdentityResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.links
            .unlink(&r.user_id, r.idp_tenant_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::UnlinkIdentityResponse {}))
    }

    async fn list_identities(
        &self,
        request: Request<pb::ListIdentitiesRequest>,
    ) -> Answer<pb::ListIdentitiesResponse> {
        principal_of(&request)?;
        let identities = self
            .links
            .identities(&request.get_ref().user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListIdentitiesResponse {
            identities: identities.iter().map(convert::identity).collect(),
        }))
    }

    async fn sync_user(
        &self,
        request: Request<pb::SyncUserRequest>,
    ) -> Answer<pb::SyncUserResponse> {
        self.sync_user_(request).await
    }
}
