//! Organization and membership handlers of `IdentityService`.

use nexus_platform::internal_auth::principal_of;
use nexus_proto::identity::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, IdentityGrpc, convert, status};
use crate::domain::{OrganizationFields, OrganizationPatch};

impl IdentityGrpc {
    pub(super) async fn create_organization_(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Answer<pb::Organization> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let fields = OrganizationFields {
            name: r.name,
            kind: r.r#type,
            aliases: r.aliases,
            contact: r.contact,
            domains: r.domains,
            is_active: r.is_active.unwrap_or(true),
            display_name: r.display_name,
            crm_account_id: r.crm_account_id,
            is_mfa_required: r.is_mfa_required.unwrap_or(false),
            is_self_service: r.is_self_service.unwrap_or(false),
            technical_contact: r.technical_contact,
            is_enabled_for_preview_features: r.is_enabled_for_preview_features.unwrap_or(false),
            is_domain_verification_required: r.is_domain_verification_required.unwrap_or(false),
            external_id: None,
        };
        let org = self
            .organizations
            .create(fields, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::organization(&org)))
    }

    pub(super) async fn get_organization_(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Answer<pb::Organization> {
        principal_of(&request)?;
        let org = self
            .organizations
            .get(request.get_ref().id)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::organization(&org)))
    }

    pub(super) async fn list_organizations_(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Answer<pb::ListOrganizationsResponse> {
        principal_of(&request)?;
        let r = request.get_ref();
        let page = self
            .organizations
            .list(u64::from(r.limit), &r.cursor)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListOrganizationsResponse {
            organizations: page.items.iter().map(convert::organization).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    pub(super) async fn update_organization_(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Answer<pb::Organization> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let patch = OrganizationPatch {
            name: r.name,
            kind: convert::nullable(r.r#type),
            aliases: r.aliases.map(|l| l.values),
            contact: convert::nullable(r.contact),
            domains: r.domains.map(|l| l.values),
            is_active: r.is_active,
            display_name: convert::nullable(r.display_name),
            crm_account_id: convert::nullable(r.crm_account_id),
            is_mfa_required: r.is_mfa_required,
            is_self_service: r.is_self_service,
            technical_contact: convert::nullable(r.technical_contact),
            is_enabled_for_preview_features: r.is_enabled_for_preview_features,
            is_domain_verification_required: r.is_domain_verification_required,
        };
        let org = self
            .organizations
            .update(r.id, &patch, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::organization(&org)))
    }

    pub(super) async fn delete_organization_(
        &self,
        request: Request<pb::DeleteOrganizationRequest>,
    ) -> Answer<pb::DeleteOrganizationResponse> {
        let principal = principal_of(&request)?;
        self.organizations
            .delete(request.get_ref().id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteOrganizationResponse {}))
    }

    pub(super) async fn list_memberships_(
        &self,
        request: Request<pb::ListMembershipsRequest>,
    ) -> Answer<pb::ListMembershipsResponse> {
        principal_of(&request)?;
        let list = self
            .organizations
            .memberships(&request.get_ref().user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListMembershipsResponse {
            memberships: list.iter().map(convert::membership).collect(),
        }))
    }

    pub(super) async fn put_membership_(
        &self,
        request: Request<pb::PutMembershipRequest>,
    ) -> Answer<pb::Membership> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let m = self
            .organizations
            .put_membership(
                &r.user_id,
                r.organization_id,
                r.is_guest,
                r.is_membership_mfa_required,
                r.role_ids,
                &principal,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(convert::membership(&m)))
    }

    pub(super) async fn delete_membership_(
        &self,
        request: Request<pb::DeleteMembershipRequest>,
    ) -> Answer<pb::DeleteMembershipResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.organizations
            .delete_membership(&r.user_id, r.organization_id, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteMembershipResponse {}))
    }
}
