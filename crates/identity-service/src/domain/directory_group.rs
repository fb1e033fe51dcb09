//! Directory groups: the groups an enterprise directory provisions over SCIM, stored as
//! organizations of type [`DIRECTORY_GROUP_KIND`] whose members are memberships without
//! roles.
//!
//! Organizations rather than identity groups, because identity groups are what an
//! identity provider reports at each login and the login-time sync replaces them, so a
//! second writer would fight it; memberships are written only by administrators (and now
//! the directory) and reach the user's `memberOf` and claims. Only organizations of the
//! dedicated type are groups, so a directory never sees, renames or deletes an
//! organization an administrator made.

use chrono::{DateTime, Utc};
use nexus_domain::{BoundedText, UserId, ValidationError};

use super::OrganizationFields;
use super::organization::MAX_ORGANIZATION_NAME_LEN;

/// The organization `type` of a directory group.
pub const DIRECTORY_GROUP_KIND: &str = "scim";
/// The most members a directory group has: a larger group is refused, so a group is
/// always read and served whole.
pub const MAX_GROUP_MEMBERS: usize = 5_000;
/// Longest display name and external id.
pub const MAX_GROUP_TEXT_LEN: usize = 255;

const NAME_PREFIX: &str = "scim:";

/// A directory group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryGroup {
    /// The organization's id.
    pub id: i32,
    pub display_name: String,
    pub external_id: Option<String>,
    /// By user id; empty when the members were not asked for.
    pub members: Vec<GroupMember>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub version: u64,
}

/// A member of a directory group: a user, with the name it is displayed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub user_id: String,
    /// The user's display name, else its username.
    pub display: String,
}

/// The organization name of a group: its display name lower-cased under a prefix, so the
/// unique index on organization names makes display names unique case-insensitively
/// among groups (and a concurrent create of the same name fails in the database). A name
/// past the organization name's length keeps a prefix and a hash of the whole.
pub fn group_name(display_name: &str) -> String {
    let lower = display_name.to_lowercase();
    let full = format!("{NAME_PREFIX}{lower}");
    if full.chars().count() <= MAX_ORGANIZATION_NAME_LEN {
        return full;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in lower.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let keep = MAX_ORGANIZATION_NAME_LEN - NAME_PREFIX.len() - 17;
    let head: String = lower.chars().take(keep).collect();
    format!("{NAME_PREFIX}{head}~{hash:016x}")
}

fn display_name(value: &str) -> Result<String, ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new("displayName", "must not be blank"));
    }
    Ok(BoundedText::parse("displayName", value, 1, MAX_GROUP_TEXT_LEN)?.into_string())
}

fn external_id(value: Option<&str>) -> Result<Option<String>, ValidationError> {
    value
        .map(|v| BoundedText::parse("externalId", v, 1, MAX_GROUP_TEXT_LEN))
        .transpose()
        .map(|v| v.map(BoundedText::into_string))
}

fn members(ids: &[String], field: &str) -> Result<Vec<UserId>, ValidationError> {
    if ids.len() > MAX_GROUP_MEMBERS {
        return Err(too_many());
    }
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let id = UserId::parse(id).map_err(|_| {
            ValidationError::new(format!("{field}[{i}]"), format!("{id} is not a user"))
        })?;
        out.push(id);
    }
    out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    out.dedup();
    Ok(out)
}

/// The refusal of a group past [`MAX_GROUP_MEMBERS`].
pub fn too_many() -> ValidationError {
    ValidationError::new(
        "members",
        format!("a group has at most {MAX_GROUP_MEMBERS} members"),
    )
}

/// A group to create, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    pub fields: OrganizationFields,
    /// Sorted, distinct.
    pub members: Vec<UserId>,
}

impl NewGroup {
    /// # Errors
    /// A blank or long display name, a long external id, a member id that is not a user
    /// id, more than [`MAX_GROUP_MEMBERS`] members.
    pub fn new(
        display: &str,
        external: Option<&str>,
        member_ids: &[String],
    ) -> Result<Self, ValidationError> {
        let display = display_name(display)?;
        Ok(Self {
            fields: OrganizationFields {
                name: group_name(&display),
                kind: Some(DIRECTORY_GROUP_KIND.to_owned()),
                is_active: true,
                display_name: Some(display),
                external_id: external_id(external)?,
                ..OrganizationFields::default()
            },
            members: members(member_ids, "members")?,
        })
    }
}

/// One write of a group: its names and the members added and removed, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    /// Refused unless the stored group is at this version.
    pub expected_version: Option<u64>,
    pub display_name: Option<String>,
    /// `Some(None)` clears it.
    pub external_id: Option<Option<String>>,
    /// Sorted, distinct.
    pub add: Vec<UserId>,
    /// Sorted, distinct.
    pub remove: Vec<UserId>,
}

impl GroupChanges {
    /// # Errors
    /// As [`NewGroup::new`].
    pub fn new(
        expected_version: Option<u64>,
        display: Option<&str>,
        external: Option<Option<&str>>,
        add: &[String],
        remove: &[String],
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            expected_version,
            display_name: display.map(display_name).transpose()?,
            external_id: external.map(external_id).transpose()?,
            add: members(add, "members")?,
            remove: members(remove, "members")?,
        })
    }

    /// Applies the names to a group's organization fields; whether they changed.
    pub fn apply_to(&self, fields: &mut OrganizationFields) -> bool {
        let before = fields.clone();
        if let Some(display) = &self.display_name {
            fields.name = group_name(display);
            fields.display_name = Some(display.clone());
        }
        if let Some(external) = &self.external_id {
            fields.external_id.clone_from(external);
        }
        *fields != before
    }
}

/// A page request over groups.
#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    pub after: Option<i32>,
    pub limit: u64,
    /// Compared case-insensitively.
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub member: Option<UserId>,
    pub with_members: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ignore_case_and_fit_the_organization_name() {
        assert_eq!(group_name("Sales EMEA"), group_name("sales emea"));
        assert_eq!(group_name("Sales"), "scim:sales");
        let long = "x".repeat(300);
        let name = group_name(&long);
        assert_eq!(name.chars().count(), MAX_ORGANIZATION_NAME_LEN);
        assert_ne!(name, group_name(&"x".repeat(299)));
    }

    #[test]
    fn a_group_is_checked_field_by_field() {
        assert_eq!(
            NewGroup::new(" ", None, &[]).unwrap_err().field,
            "displayName"
        );
        assert_eq!(
            NewGroup::new("g", Some(""), &[]).unwrap_err().field,
            "externalId"
        );
        assert_eq!(
            NewGroup::new("g", None, &["not a user id!".into()])
                .unwrap_err()
                .field,
            "members[0]"
        );
        let many = vec![String::new(); MAX_GROUP_MEMBERS + 1];
        assert_eq!(
            NewGroup::new("g", None, &many).unwrap_err().field,
            "members"
        );
    }
}
