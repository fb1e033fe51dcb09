//! PATCH through the public interface: RFC 7644 §3.5.2 operations, value-filter paths, and
//! the request shapes Entra ID and Okta send.

use nexus_scim::patch::{PatchOp, PatchRequest, apply_patch};
use nexus_scim::schema::{GROUP_RESOURCE, ResourceType, USER_RESOURCE};
use nexus_scim::{ScimError, ScimType};
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u-1",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {"resourceType": "User"}
    })
}

fn request(operations: Value) -> Value {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]});
    body["Operations"] = operations;
    body
}

fn try_patch_on(
    resource: &Value,
    resource_type: &ResourceType,
    operations: Value,
) -> Result<Value, ScimError> {
    let parsed = PatchRequest::from_json(&request(operations))?;
    apply_patch(resource, &parsed, resource_type)
}

fn patch(operations: Value) -> Value {
    match try_patch_on(&user(), &USER_RESOURCE, operations) {
        Ok(patched) => patched,
        Err(e) => unreachable!("patch should apply: {e}"),
    }
}

fn patch_error(operations: Value) -> ScimError {
    match try_patch_on(&user(), &USER_RESOURCE, operations) {
        Ok(patched) => unreachable!("patch should fail, gave {patched}"),
        Err(e) => e,
    }
}

#[test]
fn op_names_are_case_insensitive() {
    let parsed = PatchRequest::from_json(&request(json!([
        {"op": "Replace", "path": "displayName", "value": "B"},
        {"op": "ADD", "path": "nickName", "value": "Babs"},
        {"op": "remove", "path": "title"}
    ])));
    let ops: Vec<PatchOp> = parsed
        .map(|r| r.operations.iter().map(|o| o.op).collect())
        .unwrap_or_default();
    assert_eq!(ops, [PatchOp::Replace, PatchOp::Add, PatchOp::Remove]);
}

#[test]
fn malformed_requests_are_invalid_syntax() {
    for body in [
        json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
        json!({"Operations": []}),
        json!({"Operations": [{"op": "move", "path": "title"}]}),
        json!([]),
    ] {
        let error = PatchRequest::from_json(&body).err();
        assert_eq!(
            error.and_then(|e| e.scim_type),
            Some(ScimType::InvalidSyntax),
            "{body}"
        );
    }
}

#[test]
fn replace_add_and_remove_simple_attributes() {
    let patched = patch(json!([
        {"op": "replace", "path": "displayName", "value": "Babs Jensen"},
        {"op": "add", "path": "NAME.middleName", "value": "Jane"},
        {"op": "remove", "path": "name.givenName"}
    ]));
    assert_eq!(patched["displayName"], "Babs Jensen");
    assert_eq!(
        patched["name"],
        json!({"familyName": "Jensen", "middleName": "Jane"})
    );
}

#[test]
fn string_booleans_from_entra_become_booleans() {
    assert_eq!(
        patch(json!([{"op": "Replace", "path": "active", "value": "False"}]))["active"],
        false
    );
    assert_eq!(
        patch(json!([{"op": "Replace", "value": {"active": "True"}}]))["active"],
        true
    );
    let error = patch_error(json!([{"op": "replace", "path": "active", "value": "nope"}]));
    assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn pathless_operations_take_dotted_and_urn_qualified_keys() {
    let patched = patch(json!([{"op": "Replace", "value": {
        "name.givenName": "Babs",
        "displayName": "Babs J",
        format!("{ENTERPRISE}:department"): "Tour Operations",
        format!("{ENTERPRISE}:manager"): "m-42",
    }}]));
    assert_eq!(patched["name"]["givenName"], "Babs");
    assert_eq!(patched["name"]["familyName"], "Jensen");
    assert_eq!(
        patched[ENTERPRISE],
        json!({"department": "Tour Operations", "manager": {"value": "m-42"}})
    );
    assert!(
        patched["schemas"]
            .as_array()
            .is_some_and(|s| s.contains(&json!(ENTERPRISE)))
    );
}

#[test]
fn a_whole_extension_object_is_merged() {
    let patched = patch(
        json!([{"op": "add", "value": {ENTERPRISE: {"employeeNumber": "701984", "costCenter": "4130"}}}]),
    );
    assert_eq!(
        patched[ENTERPRISE],
        json!({"employeeNumber": "701984", "costCenter": "4130"})
    );
    let removed = try_patch_on(
        &patched,
        &USER_RESOURCE,
        json!([{"op": "remove", "path": ENTERPRISE}]),
    );
    let removed = removed.unwrap_or_default();
    assert!(removed.get(ENTERPRISE).is_none());
    assert_eq!(
        removed["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
}

#[test]
fn value_filter_paths_replace_the_matching_element_only() {
    let patched = patch(json!([
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "babs@example.com"}
    ]));
    assert_eq!(patched["emails"][0]["value"], "babs@example.com");
    assert_eq!(patched["emails"][1]["value"], "babs@jensen.org");
}

#[test]
fn add_through_a_filter_that_matches_nothing_creates_the_element() {
    let patched = patch(
        json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"}]),
    );
    assert_eq!(
        patched["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555"}])
    );
    let error = patch_error(
        json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x"}]),
    );
    assert_eq!(error.scim_type, Some(ScimType::NoTarget));
    let error = patch_error(
        json!([{"op": "add", "path": "emails[value co \"zz\"].type", "value": "other"}]),
    );
    assert_eq!(error.scim_type, Some(ScimType::NoTarget));
}

#[test]
fn a_new_primary_value_clears_the_old_primary() {
    let patched = patch(
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@x.io", "type": "other", "primary": true}]}]),
    );
    let primaries: Vec<&Value> = patched["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["primary"] == true)
        .collect();
    assert_eq!(
        primaries,
        [&json!({"value": "new@x.io", "type": "other", "primary": true})]
    );
    let patched = patch(
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    );
    assert_eq!(
        (
            patched["emails"][0]["primary"].clone(),
            patched["emails"][1]["primary"].clone()
        ),
        (json!(false), json!(true))
    );
}

#[test]
fn adding_an_existing_value_does_not_duplicate_it() {
    let patched = patch(
        json!([{"op": "add", "path": "emails", "value": {"value": "babs@jensen.org", "type": "home"}}]),
    );
    assert_eq!(patched["emails"].as_array().map(Vec::len), Some(2));
}

#[test]
fn remove_with_a_filter_removes_matching_elements() {
    let patched = patch(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]));
    assert_eq!(
        patched["emails"],
        json!([{"value": "bjensen@example.com", "type": "work", "primary": true}])
    );
    let patched = patch(json!([{"op": "remove", "path": "emails"}]));
    assert!(patched.get("emails").is_none());
}

#[test]
fn remove_without_path_is_no_target_and_required_attributes_stay() {
    assert_eq!(
        patch_error(json!([{"op": "remove"}])).scim_type,
        Some(ScimType::NoTarget)
    );
    assert_eq!(
        patch_error(json!([{"op": "remove", "path": "userName"}])).scim_type,
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        patch_error(json!([{"op": "replace", "path": "userName", "value": null}])).scim_type,
        Some(ScimType::InvalidValue)
    );
}

#[test]
fn read_only_attributes_are_refused_with_mutability() {
    for operations in [
        json!([{"op": "replace", "path": "id", "value": "other"}]),
        json!([{"op": "remove", "path": "meta"}]),
        json!([{"op": "replace", "value": {"id": "other"}}]),
        json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
    ] {
        assert_eq!(
            patch_error(operations.clone()).scim_type,
            Some(ScimType::Mutability),
            "{operations}"
        );
    }
    // The same id sent back unchanged is not a modification.
    assert_eq!(
        patch(json!([{"op": "replace", "value": {"id": "u-1", "title": "Guide"}}]))["title"],
        "Guide"
    );
}

#[test]
fn unknown_attributes_and_bad_paths_are_invalid_path() {
    for path in [
        "nope",
        "name.nope",
        "emails[type eq \"work\"].nope",
        "displayName[value pr]",
        "emails[type eq]",
        "urn:x:y:z",
    ] {
        let error = patch_error(json!([{"op": "replace", "path": path, "value": "x"}]));
        assert_eq!(error.scim_type, Some(ScimType::InvalidPath), "{path}");
    }
    let error = patch_error(json!([{"op": "replace", "value": {"nope": 1}}]));
    assert_eq!(error.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn values_of_the_wrong_type_are_invalid_value() {
    for (path, value) in [
        ("displayName", json!(12)),
        ("emails", json!([1])),
        ("name", json!([{}])),
        ("active", json!({})),
    ] {
        let error = patch_error(json!([{"op": "replace", "path": path, "value": value}]));
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue), "{path}");
    }
}

#[test]
fn a_failing_operation_leaves_nothing_applied() {
    let original = user();
    let result = try_patch_on(
        &original,
        &USER_RESOURCE,
        json!([
            {"op": "replace", "path": "displayName", "value": "changed"},
            {"op": "replace", "path": "id", "value": "x"}
        ]),
    );
    assert!(result.is_err());
    assert!(original.get("displayName").is_none());
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "g-1", "displayName": "Tour Guides",
        "members": [{"value": "u-1"}, {"value": "u-2"}, {"value": "u-3"}]
    })
}

fn members(operations: Value) -> Value {
    try_patch_on(&group(), &GROUP_RESOURCE, operations)
        .map(|g| g["members"].clone())
        .unwrap_or_default()
}

#[test]
fn group_members_are_added_and_removed_as_entra_and_okta_send_them() {
    assert_eq!(
        members(
            json!([{"op": "Add", "path": "members", "value": [{"value": "u-4"}, {"value": "u-1"}]}])
        ),
        json!([{"value": "u-1"}, {"value": "u-2"}, {"value": "u-3"}, {"value": "u-4"}])
    );
    assert_eq!(
        members(json!([{"op": "Remove", "path": "members", "value": [{"value": "u-2"}]}])),
        json!([{"value": "u-1"}, {"value": "u-3"}])
    );
    assert_eq!(
        members(json!([{"op": "remove", "path": "members[value eq \"u-3\"]"}])),
        json!([{"value": "u-1"}, {"value": "u-2"}])
    );
    assert_eq!(
        members(json!([{"op": "replace", "path": "members", "value": [{"value": "u-9"}]}])),
        json!([{"value": "u-9"}])
    );
    // Member ids are case-exact: "U-1" is another member.
    assert_eq!(
        members(json!([{"op": "remove", "path": "members[value eq \"U-1\"]"}])),
        Value::Null
    );
}

#[test]
fn okta_deactivation_and_rfc_examples() {
    // Okta: {"op": "replace", "value": {"active": false}}
    assert_eq!(
        patch(json!([{"op": "replace", "value": {"active": false}}]))["active"],
        false
    );
    // RFC 7644 §3.5.2.1: add with no path merges attributes.
    let patched = patch(
        json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}}]),
    );
    assert_eq!(patched["nickName"], "Babs");
    assert_eq!(patched["emails"].as_array().map(Vec::len), Some(2));
}

#[test]
fn immutable_member_values_cannot_be_replaced() {
    let result = try_patch_on(
        &group(),
        &GROUP_RESOURCE,
        json!([
            {"op": "replace", "path": "members[value eq \"u-1\"].value", "value": "u-9"}
        ]),
    );
    assert_eq!(
        result.err().and_then(|e| e.scim_type),
        Some(ScimType::Mutability)
    );
}

#[test]
fn replacing_a_group_display_name_keeps_its_members() {
    let patched = try_patch_on(
        &group(),
        &GROUP_RESOURCE,
        json!([
            {"op": "Replace", "value": {"id": "g-1", "displayName": "Guides"}}
        ]),
    )
    .unwrap_or_default();
    assert_eq!(patched["displayName"], "Guides");
    assert_eq!(patched["members"].as_array().map(Vec::len), Some(3));
}

#[test]
fn an_extension_value_carrying_its_schemas_member_sets_the_other_members() {
    let patched = try_patch_on(
        &user(),
        &USER_RESOURCE,
        json!([{"op": "replace", "path": ENTERPRISE, "value": {
            "schemas": [ENTERPRISE], "department": "Sales"
        }}]),
    )
    .unwrap();
    assert_eq!(patched[ENTERPRISE]["department"], "Sales");
    assert!(patched[ENTERPRISE].get("schemas").is_none());
}
