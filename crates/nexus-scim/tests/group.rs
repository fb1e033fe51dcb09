//! The SCIM Group ↔ Nexus directory group mapping through the public interface, with
//! request bodies in the shapes Entra ID and Okta send.

use chrono::{TimeZone, Utc};
use nexus_scim::ScimType;
use nexus_scim::group::{GroupMember, NexusGroup, group_from_scim, group_to_scim};
use nexus_scim::patch::{PatchRequest, apply_patch};
use nexus_scim::resource::normalize;
use nexus_scim::schema::GROUP_RESOURCE;
use serde_json::{Value, json};

fn stored() -> NexusGroup {
    NexusGroup {
        id: "7".into(),
        display_name: "Sales".into(),
        external_id: Some("ext-7".into()),
        members: vec![
            GroupMember {
                value: "u-1".into(),
                display: "Ada".into(),
            },
            GroupMember {
                value: "u-2".into(),
                display: String::new(),
            },
        ],
        created: Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).single(),
        modified: Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).single(),
        version: 3,
    }
}

fn patched(operations: &Value) -> Result<Vec<String>, nexus_scim::ScimError> {
    let document = group_to_scim(&stored(), "https://n.example/scim/v2", true);
    let request = PatchRequest::from_json(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations
    }))?;
    let document = apply_patch(&document, &request, &GROUP_RESOURCE)?;
    Ok(group_from_scim(&document)?.member_ids)
}

#[test]
fn a_stored_group_is_served_with_its_members_as_users() {
    let document = group_to_scim(&stored(), "https://n.example/scim/v2/", true);
    assert_eq!(document["displayName"], "Sales");
    assert_eq!(document["externalId"], "ext-7");
    assert_eq!(
        document["members"][0],
        json!({"value": "u-1", "display": "Ada", "type": "User",
               "$ref": "https://n.example/scim/v2/Users/u-1"})
    );
    assert!(document["members"][1].get("display").is_none());
    assert_eq!(document["meta"]["version"], "W/\"3\"");
    assert_eq!(
        document["meta"]["location"],
        "https://n.example/scim/v2/Groups/7"
    );
    assert_eq!(document["meta"]["created"], "2026-11-30T08:00:00.000Z");
    let without = group_to_scim(&stored(), "https://n.example/scim/v2", false);
    assert!(without.get("members").is_none());
}

#[test]
fn a_created_group_reads_back_the_same() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Sales",
        "externalId": "ext-7",
        "members": [{"value": "u-1", "type": "User"}, {"value": "u-2"}, {"value": "u-1"}]
    });
    let write = group_from_scim(&normalize(&body, &GROUP_RESOURCE).unwrap()).unwrap();
    assert_eq!(write.display_name, "Sales");
    assert_eq!(write.external_id.as_deref(), Some("ext-7"));
    assert_eq!(write.member_ids, ["u-1", "u-2"]);
}

#[test]
fn groups_without_a_name_or_with_group_members_are_refused() {
    let no_name = group_from_scim(&json!({"members": []})).unwrap_err();
    assert_eq!(no_name.scim_type, Some(ScimType::InvalidValue));
    let nested = group_from_scim(&json!({
        "displayName": "g", "members": [{"value": "g-2", "type": "Group"}]
    }))
    .unwrap_err();
    assert_eq!(
        (nested.status, nested.scim_type),
        (400, Some(ScimType::InvalidValue))
    );
    let no_value = group_from_scim(&json!({"displayName": "g", "members": [{}]})).unwrap_err();
    assert!(no_value.detail.contains("members[0]"));
}

#[test]
fn entra_adds_and_removes_members_with_value_lists() {
    assert_eq!(
        patched(&json!([{"op": "Add", "path": "members", "value": [{"value": "u-3"}]}])).unwrap(),
        ["u-1", "u-2", "u-3"]
    );
    assert_eq!(
        patched(&json!([{"op": "Remove", "path": "members", "value": [{"value": "u-1"}]}]))
            .unwrap(),
        ["u-2"]
    );
}

#[test]
fn okta_replaces_members_and_renames() {
    assert_eq!(
        patched(&json!([{"op": "replace", "path": "members",
                        "value": [{"value": "u-9", "display": "Zed"}]}]))
        .unwrap(),
        ["u-9"]
    );
    let document = group_to_scim(&stored(), "/scim/v2", true);
    let request = PatchRequest::from_json(&json!({
        "Operations": [{"op": "Replace", "value": {"id": "7", "displayName": "Sales EMEA"}}]
    }))
    .unwrap();
    let renamed = apply_patch(&document, &request, &GROUP_RESOURCE).unwrap();
    let write = group_from_scim(&renamed).unwrap();
    assert_eq!(write.display_name, "Sales EMEA");
    assert_eq!(write.member_ids, ["u-1", "u-2"]);
}

#[test]
fn a_member_is_removed_by_a_value_filter() {
    assert_eq!(
        patched(&json!([{"op": "remove", "path": "members[value eq \"u-2\"]"}])).unwrap(),
        ["u-1"]
    );
    assert_eq!(
        patched(&json!([{"op": "remove", "path": "members"}])).unwrap(),
        Vec::<String>::new()
    );
}
