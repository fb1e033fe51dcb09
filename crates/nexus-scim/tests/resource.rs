//! Normalising POST/PUT bodies and `If-Match` checks through the public interface.

use nexus_scim::ScimType;
use nexus_scim::resource::normalize;
use nexus_scim::response::{etag, if_match_allows};
use nexus_scim::schema::{GROUP_RESOURCE, USER_RESOURCE};
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn normalized(body: &Value) -> Value {
    normalize(body, &USER_RESOURCE).unwrap_or_default()
}

#[test]
fn read_only_and_unknown_attributes_are_dropped_and_names_made_canonical() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "client-chosen", "meta": {"version": "x"}, "groups": [{"value": "g"}],
        "USERNAME": "ada", "externalid": "e-1", "Active": "False", "favouriteColour": "blue",
        "name": {"GivenName": "Ada"}
    });
    assert_eq!(
        normalized(&body),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada", "externalId": "e-1", "active": false, "name": {"givenName": "Ada"}
        })
    );
}

#[test]
fn the_enterprise_extension_is_kept_and_announced() {
    let body = json!({"userName": "ada", ENTERPRISE: {"department": "R&D", "manager": "m-1"}});
    let result = normalized(&body);
    assert_eq!(
        result[ENTERPRISE],
        json!({"department": "R&D", "manager": {"value": "m-1"}})
    );
    assert_eq!(
        result["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE])
    );
}

#[test]
fn bodies_that_break_the_schema_are_refused() {
    let cases = [
        (
            json!({"emails": [{"value": "a@x.io"}]}),
            ScimType::InvalidValue,
        ),
        (json!({"userName": ""}), ScimType::InvalidValue),
        (
            json!({"userName": "a", "active": "maybe"}),
            ScimType::InvalidValue,
        ),
        (
            json!({"userName": "a", "externalId": 7}),
            ScimType::InvalidValue,
        ),
        (
            json!({"userName": "a", "name": "Ada"}),
            ScimType::InvalidValue,
        ),
        (
            json!({"userName": "a", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}),
            ScimType::InvalidSyntax,
        ),
        (json!("ada"), ScimType::InvalidSyntax),
    ];
    for (body, expected) in cases {
        let error = normalize(&body, &USER_RESOURCE).err();
        assert_eq!(error.and_then(|e| e.scim_type), Some(expected), "{body}");
    }
}

#[test]
fn groups_need_a_display_name_and_keep_their_members() {
    let group = normalize(
        &json!({"displayName": "Admins", "members": [{"value": "u-1", "display": "Ada"}]}),
        &GROUP_RESOURCE,
    );
    assert_eq!(
        group.map(|g| g["members"].clone()).ok(),
        Some(json!([{"value": "u-1", "display": "Ada"}]))
    );
    let missing = normalize(&json!({"members": []}), &GROUP_RESOURCE).err();
    assert_eq!(
        missing.and_then(|e| e.scim_type),
        Some(ScimType::InvalidValue)
    );
}

#[test]
fn if_match_admits_the_current_version_only() {
    let current = etag(&json!({"id": "1", "userName": "ada"}));
    assert!(if_match_allows(&current, &current));
    assert!(if_match_allows("*", &current));
    assert!(if_match_allows(
        &format!("W/\"other\", {current}"),
        &current
    ));
    assert!(if_match_allows(current.trim_start_matches("W/"), &current));
    assert!(!if_match_allows("W/\"stale\"", &current));
}
