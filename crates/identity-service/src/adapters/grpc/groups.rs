//! Directory-group handlers of `IdentityService` (SCIM Groups): each write is one
//! transaction.

use nexus_platform::internal_auth::principal_of;
use nexus_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::convert::timestamp;
use super::{Answer, IdentityGrpc, status};
use crate::application::groups::GroupFilter;
use crate::domain::{DirectoryGroup, GroupChanges};

fn group(g: &DirectoryGroup) -> pb::DirectoryGroup {
    pb::DirectoryGroup {
        id: g.id,
        display_name: g.display_name.clone(),
        external_id: g.external_id.clone(),
        members: g
            .members
            .iter()
            .map(|m| pb::GroupMember {
                user_id: m.user_id.clone(),
                display: m.display.clone(),
            })
            .collect(),
        created: Some(timestamp(g.created)),
        modified: Some(timestamp(g.modified)),
        version: g.version,
    }
}

impl IdentityGrpc {
    pub(super) async fn provision_group_(
        &self,
        request: Request<pb::ProvisionGroupRequest>,
    ) -> Answer<pb::DirectoryGroup> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let created = self
            .groups
            .create(
                &r.display_name,
                r.external_id.as_deref(),
                &r.member_ids,
                &principal,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(group(&created)))
    }

    pub(super) async fn get_directory_group_(
        &self,
        request: Request<pb::GetDirectoryGroupRequest>,
    ) -> Answer<pb::DirectoryGroup> {
        principal_of(&request)?;
        let r = request.get_ref();
        let found = self
            .groups
            .get(r.id, !r.without_members)
            .await
            .map_err(status)?;
        Ok(Response::new(group(&found)))
    }

    pub(super) async fn list_directory_groups_(
        &self,
        request: Request<pb::ListDirectoryGroupsRequest>,
    ) -> Answer<pb::ListDirectoryGroupsResponse> {
        principal_of(&request)?;
        let r = request.into_inner();
        let filter = GroupFilter {
            display_name: r.display_name,
            external_id: r.external_id,
            member_id: r.member_id,
            with_members: r.with_members,
        };
        let page = self
            .groups
            .list(u64::from(r.limit), &r.cursor, filter)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListDirectoryGroupsResponse {
            groups: page.items.iter().map(group).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    pub(super) async fn apply_group_changes_(
        &self,
        request: Request<pb::ApplyGroupChangesRequest>,
    ) -> Answer<pb::DirectoryGroup> {
        let principal = principal_of(&request)?;
        let r = request.into_inner();
        let changes = GroupChanges::new(
            r.expected_version,
            r.display_name.as_deref(),
            r.external_id.as_ref().map(|n| n.value.as_deref()),
            &r.add_member_ids,
            &r.remove_member_ids,
        )
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let changed = self
            .groups
            .change(r.id, &changes, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(group(&changed)))
    }

    pub(super) async fn delete_directory_group_(
        &self,
        request: Request<pb::DeleteDirectoryGroupRequest>,
    ) -> Answer<pb::DeleteDirectoryGroupResponse> {
        let principal = principal_of(&request)?;
        let r = request.get_ref();
        self.groups
            .delete(r.id, r.expected_version, &principal)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteDirectoryGroupResponse {}))
    }
}
