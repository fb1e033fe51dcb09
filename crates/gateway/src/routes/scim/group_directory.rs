//! Nexus directory groups as SCIM sees them, read and written through identity's
//! directory-group operations: organizations of type `scim` whose members are
//! memberships. Each write is one identity call, one transaction.

use chrono::{DateTime, Utc};
use nexus_domain::Principal;
use nexus_proto::common::v1::NullableString;
use nexus_proto::identity::v1 as pb;
use nexus_scim::ScimError;
use nexus_scim::group::{GroupMember, GroupWrite, NexusGroup};

use super::Failure;
use super::request::stale;
use crate::AppState;

/// The most members a group has; identity refuses more, and SCIM answers `tooMany`.
pub const MAX_GROUP_MEMBERS: usize = 5_000;
/// The page of groups identity answers at most.
const PAGE: u32 = 1000;

/// What a group list asks identity for.
#[derive(Debug, Default)]
pub struct GroupLookup {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub member_id: Option<String>,
}

/// Identity's directory groups on behalf of one principal.
pub struct Groups<'a> {
    state: &'a AppState,
    principal: &'a Principal,
}

fn not_found(id: &str) -> Failure {
    ScimError::status(404, format!("Group {id} not found")).into()
}

/// The organization id a SCIM group id names; `None` for one no group has.
pub fn group_id(id: &str) -> Option<i32> {
    id.parse::<i32>().ok().filter(|id| *id > 0)
}

fn too_many(count: usize) -> Result<(), Failure> {
    if count > MAX_GROUP_MEMBERS {
        return Err(ScimError::bad_request(
            nexus_scim::ScimType::TooMany,
            format!("a group has at most {MAX_GROUP_MEMBERS} members"),
        )
        .into());
    }
    Ok(())
}

/// The write's refusals as SCIM answers: another version is 412, an unknown group 404.
fn write_failure(status: tonic::Status, id: &str) -> Failure {
    match status.code() {
        tonic::Code::FailedPrecondition => stale(),
        tonic::Code::NotFound => not_found(id),
        _ => status.into(),
    }
}

impl<'a> Groups<'a> {
    pub fn new(state: &'a AppState, principal: &'a Principal) -> Self {
        Self { state, principal }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        self.state.identity_request(self.principal, message)
    }

    /// The group with this id; 404 for an unknown id or an organization that is no group.
    pub async fn get(&self, id: &str, with_members: bool) -> Result<pb::DirectoryGroup, Failure> {
        let Some(number) = group_id(id) else {
            return Err(not_found(id));
        };
        let request = self.request(pb::GetDirectoryGroupRequest {
            id: number,
            without_members: !with_members,
        });
        match self.state.identity().get_directory_group(request).await {
            Ok(group) => Ok(group.into_inner()),
            Err(s) if s.code() == tonic::Code::NotFound => Err(not_found(id)),
            Err(s) => Err(s.into()),
        }
    }

    /// Every group the lookup matches, without members, up to `bound` (past it
    /// `tooMany`, naming `what`).
    pub async fn all(
        &self,
        lookup: &GroupLookup,
        bound: usize,
    ) -> Result<Vec<pb::DirectoryGroup>, Failure> {
        let mut groups = Vec::new();
        let mut cursor = String::new();
        loop {
            let request = self.request(pb::ListDirectoryGroupsRequest {
                limit: PAGE,
                cursor: cursor.clone(),
                display_name: lookup.display_name.clone(),
                external_id: lookup.external_id.clone(),
                member_id: lookup.member_id.clone(),
                with_members: false,
            });
            let answer = self
                .state
                .identity()
                .list_directory_groups(request)
                .await?
                .into_inner();
            groups.extend(answer.groups);
            if groups.len() > bound {
                return Err(ScimError::bad_request(
                    nexus_scim::ScimType::TooMany,
                    format!(
                        "the filter would be evaluated over more than {bound} groups; filter by displayName, externalId, id or members.value"
                    ),
                )
                .into());
            }
            match answer.next_cursor {
                Some(next) => cursor = next,
                None => return Ok(groups),
            }
        }
    }

    /// Creates the group with its members in one identity write.
    pub async fn create(&self, group: &GroupWrite) -> Result<pb::DirectoryGroup, Failure> {
        too_many(group.member_ids.len())?;
        let request = self.request(pb::ProvisionGroupRequest {
            display_name: group.display_name.clone(),
            external_id: group.external_id.clone(),
            member_ids: group.member_ids.clone(),
        });
        Ok(self
            .state
            .identity()
            .provision_group(request)
            .await?
            .into_inner())
    }

    /// Makes the stored group `current` (read with its members) match `group` in one
    /// identity write; 412 when it changed since it was read.
    pub async fn replace(
        &self,
        current: &pb::DirectoryGroup,
        group: &GroupWrite,
    ) -> Result<pb::DirectoryGroup, Failure> {
        too_many(group.member_ids.len())?;
        let has = |id: &String| current.members.iter().any(|m| &m.user_id == id);
        let add_member_ids: Vec<String> = group
            .member_ids
            .iter()
            .filter(|id| !has(id))
            .cloned()
            .collect();
        let remove_member_ids: Vec<String> = current
            .members
            .iter()
            .map(|m| m.user_id.clone())
            .filter(|id| !group.member_ids.contains(id))
            .collect();
        let request = self.request(pb::ApplyGroupChangesRequest {
            id: current.id,
            expected_version: Some(current.version),
            display_name: (group.display_name != current.display_name)
                .then(|| group.display_name.clone()),
            external_id: (group.external_id != current.external_id).then(|| NullableString {
                value: group.external_id.clone(),
            }),
            add_member_ids,
            remove_member_ids,
        });
        self.state
            .identity()
            .apply_group_changes(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| write_failure(s, &current.id.to_string()))
    }

    /// Deletes the group if it is still at `version`.
    pub async fn delete(&self, id: &str, version: Option<u64>) -> Result<(), Failure> {
        let number = group_id(id).ok_or_else(|| not_found(id))?;
        let request = self.request(pb::DeleteDirectoryGroupRequest {
            id: number,
            expected_version: version,
        });
        self.state
            .identity()
            .delete_directory_group(request)
            .await
            .map_err(|s| match s.code() {
                // Still some users' organization: a conflict with their state, not a
                // taken value, so no `uniqueness` type.
                tonic::Code::AlreadyExists => ScimError::status(409, s.message()).into(),
                _ => write_failure(s, id),
            })?;
        Ok(())
    }
}

fn time(t: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

/// The SCIM view of a stored group.
pub fn nexus_group(group: &pb::DirectoryGroup) -> NexusGroup {
    NexusGroup {
        id: group.id.to_string(),
        display_name: group.display_name.clone(),
        external_id: group.external_id.clone(),
        members: group
            .members
            .iter()
            .map(|m| GroupMember {
                value: m.user_id.clone(),
                display: m.display.clone(),
            })
            .collect(),
        created: time(group.created.as_ref()),
        modified: time(group.modified.as_ref()),
        version: group.version,
    }
}
