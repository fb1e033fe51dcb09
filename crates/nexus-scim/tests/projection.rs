//! `attributes` / `excludedAttributes` projection and `sortBy` / `sortOrder` through the public
//! interface.

use std::cmp::Ordering;

use nexus_scim::ScimType;
use nexus_scim::filter::AttrPath;
use nexus_scim::projection::{
    SortOrder, compare_resources, parse_attribute_list, project, sort_resources,
};
use nexus_scim::schema::USER_RESOURCE;
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": "u-1",
        "externalId": "ext-1",
        "userName": "bjensen",
        "password": "never shown",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "b@x.io", "type": "work", "primary": true}, {"value": "h@x.io", "type": "home"}],
        "meta": {"resourceType": "User", "version": "W/\"1\""},
        ENTERPRISE: {"department": "Tours", "costCenter": "4130"}
    })
}

fn paths(list: &str) -> Vec<AttrPath> {
    parse_attribute_list(list).unwrap_or_default()
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

#[test]
fn attributes_keep_only_the_named_ones_plus_id_schemas_and_meta() {
    let projected = project(
        &user(),
        &USER_RESOURCE,
        &paths("userName, name.givenName, emails.value"),
        &[],
    );
    assert_eq!(
        keys(&projected),
        ["emails", "id", "meta", "name", "schemas", "userName"]
    );
    assert_eq!(projected["name"], json!({"givenName": "Barbara"}));
    assert_eq!(
        projected["emails"],
        json!([{"value": "b@x.io"}, {"value": "h@x.io"}])
    );
}

#[test]
fn attribute_names_are_case_insensitive_and_may_carry_the_core_urn() {
    let projected = project(
        &user(),
        &USER_RESOURCE,
        &paths("USERNAME,urn:ietf:params:scim:schemas:core:2.0:User:externalId"),
        &[],
    );
    assert_eq!(
        keys(&projected),
        ["externalId", "id", "meta", "schemas", "userName"]
    );
}

#[test]
fn extension_attributes_are_selected_by_urn() {
    let projected = project(
        &user(),
        &USER_RESOURCE,
        &paths(&format!("{ENTERPRISE}:department")),
        &[],
    );
    assert_eq!(projected[ENTERPRISE], json!({"department": "Tours"}));
    let projected = project(&user(), &USER_RESOURCE, &paths(ENTERPRISE), &[]);
    assert_eq!(
        projected[ENTERPRISE],
        json!({"department": "Tours", "costCenter": "4130"})
    );
    let projected = project(&user(), &USER_RESOURCE, &[], &paths(ENTERPRISE));
    assert!(projected.get(ENTERPRISE).is_none());
}

#[test]
fn excluded_attributes_drop_those_but_never_id_or_meta() {
    let projected = project(
        &user(),
        &USER_RESOURCE,
        &[],
        &paths("emails, name.familyName, id, meta"),
    );
    assert_eq!(
        keys(&projected),
        [
            "externalId",
            "id",
            "meta",
            "name",
            "schemas",
            ENTERPRISE,
            "userName"
        ]
    );
    assert_eq!(projected["name"], json!({"givenName": "Barbara"}));
}

#[test]
fn passwords_are_never_returned() {
    assert!(
        project(&user(), &USER_RESOURCE, &[], &[])
            .get("password")
            .is_none()
    );
    assert!(
        project(&user(), &USER_RESOURCE, &paths("password"), &[])
            .get("password")
            .is_none()
    );
}

#[test]
fn a_malformed_attribute_list_is_refused() {
    let error = parse_attribute_list("userName, 9lives").err();
    assert_eq!(error.and_then(|e| e.scim_type), Some(ScimType::InvalidPath));
}

fn people() -> Vec<Value> {
    vec![
        json!({"id": "1", "userName": "carol", "meta": {"created": "2024-01-02T00:00:00Z"}}),
        json!({"id": "2", "userName": "Alice", "emails": [{"value": "z@x.io"}, {"value": "a@x.io", "primary": true}],
               "meta": {"created": "2024-01-01T23:00:00-02:00"}}),
        json!({"id": "3", "meta": {"created": "2023-12-31T00:00:00Z"}}),
        json!({"id": "4", "userName": "bob", "emails": [{"value": "m@x.io"}]}),
    ]
}

fn order_of(sort_by: &str, order: SortOrder) -> Vec<String> {
    let mut list = people();
    let path = AttrPath::parse(sort_by).unwrap_or_else(|_| AttrPath::new("id", None));
    sort_resources(&mut list, &path, order, &USER_RESOURCE);
    list.iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn sorting_is_case_insensitive_with_blanks_last_ascending_and_first_descending() {
    assert_eq!(
        order_of("userName", SortOrder::Ascending),
        ["2", "4", "1", "3"]
    );
    assert_eq!(
        order_of("username", SortOrder::Descending),
        ["3", "1", "4", "2"]
    );
}

#[test]
fn multi_valued_attributes_sort_by_their_primary_value() {
    assert_eq!(
        order_of("emails", SortOrder::Ascending),
        ["2", "4", "1", "3"]
    );
    assert_eq!(
        order_of("emails.value", SortOrder::Descending),
        ["1", "3", "4", "2"]
    );
}

#[test]
fn date_times_sort_as_instants() {
    // "2024-01-01T23:00:00-02:00" is after "2024-01-02T00:00:00Z".
    assert_eq!(
        order_of("meta.created", SortOrder::Ascending),
        ["3", "1", "2", "4"]
    );
}

#[test]
fn sort_order_reads_case_insensitively() {
    assert_eq!(
        SortOrder::parse(Some("Descending")).ok(),
        Some(SortOrder::Descending)
    );
    assert_eq!(SortOrder::parse(None).ok(), Some(SortOrder::Ascending));
    assert_eq!(
        SortOrder::parse(Some("up")).err().and_then(|e| e.scim_type),
        Some(ScimType::InvalidValue)
    );
    let (a, b) = (json!({"id": "A"}), json!({"id": "a"}));
    assert_eq!(
        compare_resources(
            &a,
            &b,
            &AttrPath::new("id", None),
            SortOrder::Ascending,
            &USER_RESOURCE
        ),
        Ordering::Less
    );
}
