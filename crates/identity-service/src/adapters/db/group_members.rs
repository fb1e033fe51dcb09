//! Reading directory groups: the members of groups in one batch, each shown by its
//! user's display name (else its username), and an organization row as a group.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{memberships, users};
use super::lists::{int_in, text_in};
use super::unavailable;
use crate::domain::directory_group::DIRECTORY_GROUP_KIND;
use crate::domain::{DirectoryError, DirectoryGroup, GroupMember, Organization};

/// Whether the organization is a directory group.
pub fn is_group(org: &Organization) -> bool {
    org.fields.kind.as_deref() == Some(DIRECTORY_GROUP_KIND)
}

/// The group an organization is, with these members.
pub fn to_group(org: Organization, members: Vec<GroupMember>) -> DirectoryGroup {
    DirectoryGroup {
        id: org.id,
        display_name: org.fields.display_name.unwrap_or(org.fields.name),
        external_id: org.fields.external_id,
        members,
        created: org.created,
        modified: org.modified,
        version: org.version,
    }
}

/// The members of each organization, by user id.
pub async fn members_by_group<C: ConnectionTrait>(
    conn: &C,
    organizations: &[i32],
) -> Result<HashMap<i32, Vec<GroupMember>>, DirectoryError> {
    if organizations.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = conn.get_database_backend();
    let rows = memberships::Entity::find()
        .filter(int_in(
            backend,
            memberships::Column::OrganizationId,
            organizations.iter().copied(),
        ))
        .order_by_asc(memberships::Column::UserId)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    let mut user_ids: Vec<String> = rows.iter().map(|m| m.user_id.clone()).collect();
    user_ids.sort();
    user_ids.dedup();
    let names: HashMap<String, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(text_in(backend, users::Column::Id, user_ids))
            .all(conn)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(|u| {
                let display = if u.display_name.is_empty() {
                    u.username
                } else {
                    u.display_name
                };
                (u.id, display)
            })
            .collect()
    };
    let mut out: HashMap<i32, Vec<GroupMember>> = HashMap::new();
    for m in rows {
        let display = names.get(&m.user_id).cloned().unwrap_or_default();
        out.entry(m.organization_id).or_default().push(GroupMember {
            user_id: m.user_id,
            display,
        });
    }
    Ok(out)
}
