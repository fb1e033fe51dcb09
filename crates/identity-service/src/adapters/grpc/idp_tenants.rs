//! IdP tenant handlers of `IdentityService`.

use nexus_platform::internal_auth::principal_of;
use nexus_proto::identity::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, IdentityGrpc, convert, status};
use crate::domain::IdpTenantPatch;

impl IdentityGrpc {
    pub(super) async fn create_idp_tenant_(
        &self,
        request: Request<pb::CreateIdpTenantRequest>,
    ) -> Answer<pb::IdpTenant> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        let tenant = self
            .tenants
            .create(&r.name, &r.azo_name, &r.fqdn, &r.login_domain, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::idp_tenant(&tenant)))
    }

    pub(super) async fn get_idp_tenant_(
        &self,
        request: Request<pb::GetIdpTenantRequest>,
    ) -> Answer<pb::IdpTenant> {
        principal_of(&request)?;
        let tenant = self
            .tenants
            .get(request.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::idp_tenant(&tenant)))
    }

    pub(super) async fn list_idp_tenants_(
        &self,
        request: Request<pb::ListIdpTenantsRequest>,
    ) -> Answer<pb::ListIdpTenantsResponse> {
        principal_of(&request)?;
        let r = request.get_ref();
        let page = self
            .tenants
            .list(u64::from(r.limit), &r.cursor)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListIdpTenantsResponse {
            idp_tenants: page.items.iter().map(convert::idp_tenant).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    pub(super) async fn update_idp_tenant_(
        &self,
        request: Request<pb::UpdateIdpTenantRequest>,
    ) -> Answer<pb::IdpTenant> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let patch = IdpTenantPatch {
            name: r.name,
            azo_name: r.azo_name,
            fqdn: r.fqdn,
            login_domain: r.login_domain,
        };
        let tenant = self
            .tenants
            .update(r.id, &patch, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::idp_tenant(&tenant)))
    }

    pub(super) async fn delete_idp_tenant_(
        &self,
        request: Request<pb::DeleteIdpTenantRequest>,
    ) -> Answer<pb::DeleteIdpTenantResponse> {
        let principal = principal_of(&request)?;
        self.tenants
            .delete(request.get_ref().id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteIdpTenantResponse {}))
    }
}
