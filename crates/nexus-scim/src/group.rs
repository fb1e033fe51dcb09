//! The mapping between a SCIM Group (RFC 7643 §4.2) and a Nexus directory group — an
//! organization of type `scim` whose members are memberships — as a pure pair of
//! functions: [`group_to_scim`] and [`group_from_scim`].
//!
//! | SCIM Group | Nexus |
//! |---|---|
//! | `id` | the organization's id |
//! | `displayName` | the organization's `displayName` |
//! | `externalId` | the organization's external id |
//! | `members[].value` / `display` | a member's user id / display name (`type` `User`, `$ref` its `/Users` location) |
//! | `meta.version` | the group's version, which every change (members included) increments |
//!
//! Nexus groups hold users only: a member of `type` `Group` is refused.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::ScimError;
use crate::json::get_ci;
use crate::schema::GROUP_URN;

/// A directory group as Nexus stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NexusGroup {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<GroupMember>,
    pub created: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    pub version: u64,
}

/// A member: a user id and the name it is displayed by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupMember {
    pub value: String,
    pub display: String,
}

/// What a SCIM Group document asks Nexus to store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupWrite {
    pub display_name: String,
    pub external_id: Option<String>,
    /// User ids, distinct, in the order given.
    pub member_ids: Vec<String>,
}

fn time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// The weak ETag of a group at a version.
pub fn group_version(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// The SCIM Group representation; `base_url` is the `/scim/v2` root. `members` is left
/// out when `with_members` is false (a list that excluded it).
pub fn group_to_scim(group: &NexusGroup, base_url: &str, with_members: bool) -> Value {
    let base = base_url.trim_end_matches('/');
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([GROUP_URN]));
    doc.insert("id".into(), json!(group.id));
    if let Some(external_id) = &group.external_id {
        doc.insert("externalId".into(), json!(external_id));
    }
    doc.insert("displayName".into(), json!(group.display_name));
    if with_members && !group.members.is_empty() {
        let members: Vec<Value> = group
            .members
            .iter()
            .map(|m| {
                let mut member = json!({
                    "value": m.value,
                    "type": "User",
                    "$ref": format!("{base}/Users/{}", m.value),
                });
                if !m.display.is_empty() {
                    member["display"] = json!(m.display);
                }
                member
            })
            .collect();
        doc.insert("members".into(), Value::Array(members));
    }
    let mut meta = Map::new();
    meta.insert("resourceType".into(), json!("Group"));
    if let Some(created) = time(group.created) {
        meta.insert("created".into(), json!(created));
    }
    if let Some(modified) = time(group.modified) {
        meta.insert("lastModified".into(), json!(modified));
    }
    meta.insert(
        "location".into(),
        json!(format!("{base}/Groups/{}", group.id)),
    );
    meta.insert("version".into(), json!(group_version(group.version)));
    doc.insert("meta".into(), Value::Object(meta));
    Value::Object(doc)
}

/// The group a SCIM Group document describes (a normalised POST/PUT body or a patched
/// document): `displayName` required, `members` users by id.
pub fn group_from_scim(resource: &Value) -> Result<GroupWrite, ScimError> {
    if !resource.is_object() {
        return Err(ScimError::invalid_syntax("a Group must be a JSON object"));
    }
    let display_name = match get_ci(resource, "displayName") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ScimError::invalid_value("displayName is required"));
        }
        Some(_) => return Err(ScimError::invalid_value("displayName must be a string")),
    };
    let external_id = match get_ci(resource, "externalId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if id.is_empty() => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(ScimError::invalid_value("externalId must be a string")),
    };
    let items = match get_ci(resource, "members") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ScimError::invalid_value("members must be a list")),
    };
    let mut member_ids: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let value = match get_ci(item, "value") {
            Some(Value::String(v)) if !v.is_empty() => v.clone(),
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "members[{i}].value must be a user id"
                )));
            }
        };
        match get_ci(item, "type") {
            None | Some(Value::Null) => {}
            Some(Value::String(t)) if t.eq_ignore_ascii_case("User") => {}
            Some(_) => {
                return Err(ScimError::invalid_value(format!(
                    "members[{i}]: a Nexus group holds users only"
                )));
            }
        }
        if !member_ids.contains(&value) {
            member_ids.push(value);
        }
    }
    Ok(GroupWrite {
        display_name,
        external_id,
        member_ids,
    })
}
