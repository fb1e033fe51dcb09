//! Discovery documents, list and error responses, paging and ETags through the public
//! interface.

use nexus_scim::discovery::{
    find_resource_type, find_schema, resource_types, schemas, service_provider_config,
};
use nexus_scim::response::{Page, error_response, etag, list_response};
use nexus_scim::{ScimError, ScimType};
use serde_json::{Value, json};

const BASE: &str = "https://nexus.example.com/scim/v2/";

#[test]
fn service_provider_config_states_what_is_supported() {
    let config = service_provider_config(BASE, 200);
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(
        config["filter"],
        json!({"supported": true, "maxResults": 200})
    );
    assert_eq!(config["sort"]["supported"], true);
    assert_eq!(config["etag"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    assert_eq!(config["changePassword"]["supported"], false);
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    assert_eq!(
        config["meta"]["location"],
        "https://nexus.example.com/scim/v2/ServiceProviderConfig"
    );
}

#[test]
fn resource_types_list_users_with_the_enterprise_extension_and_groups() {
    let list = resource_types(BASE);
    assert_eq!(list["totalResults"], 2);
    let user = &list["Resources"][0];
    assert_eq!(
        (user["id"].clone(), user["endpoint"].clone()),
        (json!("User"), json!("/Users"))
    );
    assert_eq!(
        user["schemaExtensions"],
        json!([{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}])
    );
    assert_eq!(
        user["meta"]["location"],
        "https://nexus.example.com/scim/v2/ResourceTypes/User"
    );
    assert_eq!(
        list["Resources"][1]["schema"],
        "urn:ietf:params:scim:schemas:core:2.0:Group"
    );
    assert_eq!(
        find_resource_type("group").map(|rt| rt.endpoint),
        Some("/Groups")
    );
}

fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or(&Value::Null)
}

#[test]
fn schemas_describe_every_attribute_with_its_characteristics() {
    let list = schemas(BASE);
    assert_eq!(list["totalResults"], 3);
    let user = &list["Resources"][0];
    assert_eq!(user["id"], "urn:ietf:params:scim:schemas:core:2.0:User");
    let user_name = attribute(user, "userName");
    assert_eq!(
        (
            user_name["required"].clone(),
            user_name["caseExact"].clone(),
            user_name["uniqueness"].clone()
        ),
        (json!(true), json!(false), json!("server"))
    );
    let password = attribute(user, "password");
    assert_eq!(
        (password["mutability"].clone(), password["returned"].clone()),
        (json!("writeOnly"), json!("never"))
    );
    let emails = attribute(user, "emails");
    assert_eq!(
        (emails["type"].clone(), emails["multiValued"].clone()),
        (json!("complex"), json!(true))
    );
    let email_type = emails["subAttributes"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["name"] == "type"))
        .cloned();
    assert_eq!(
        email_type.map(|t| t["canonicalValues"].clone()),
        Some(json!(["work", "home", "other"]))
    );
    assert_eq!(attribute(user, "groups")["mutability"], "readOnly");
    let enterprise = &list["Resources"][2];
    assert_eq!(
        attribute(enterprise, "manager")["subAttributes"][0]["name"],
        "value"
    );
    assert!(find_schema("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP").is_some());
}

#[test]
fn list_responses_carry_paging_fields() {
    let list = list_response(vec![json!({"id": "1"})], 5, 3);
    assert_eq!(
        list,
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 5, "startIndex": 3, "itemsPerPage": 1, "Resources": [{"id": "1"}]
        })
    );
}

#[test]
fn error_responses_have_the_status_as_a_string() {
    let body = error_response(&ScimError::invalid_filter(4, "expected an operator"));
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(
        (body["status"].clone(), body["scimType"].clone()),
        (json!("400"), json!("invalidFilter"))
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("position 4"))
    );
    let body = error_response(&ScimError::status(404, "no such user"));
    assert_eq!(body["status"], "404");
    assert!(body.get("scimType").is_none());
    assert_eq!(ScimType::Uniqueness.as_str(), "uniqueness");
}

#[test]
fn paging_parameters_are_read_leniently() {
    assert_eq!(
        Page::from_query(None, None, 100),
        Page {
            start_index: 1,
            count: 100
        }
    );
    assert_eq!(
        Page::from_query(Some(0), Some(-4), 100),
        Page {
            start_index: 1,
            count: 0
        }
    );
    assert_eq!(
        Page::from_query(Some(3), Some(1000), 50),
        Page {
            start_index: 3,
            count: 50
        }
    );
    let items = [1, 2, 3, 4, 5];
    assert_eq!(Page::from_query(Some(2), Some(2), 10).slice(&items), [2, 3]);
    assert_eq!(Page::from_query(Some(5), Some(9), 10).slice(&items), [5]);
    assert!(
        Page::from_query(Some(9), Some(2), 10)
            .slice(&items)
            .is_empty()
    );
    assert_eq!(Page::from_query(Some(4), None, 10).offset(), 3);
}

#[test]
fn etags_follow_content_not_meta() {
    let a = json!({"id": "1", "userName": "a", "meta": {"lastModified": "x"}});
    let same = json!({"userName": "a", "id": "1", "meta": {"lastModified": "y"}});
    let changed = json!({"id": "1", "userName": "b"});
    assert_eq!(etag(&a), etag(&same));
    assert_ne!(etag(&a), etag(&changed));
    assert!(etag(&a).starts_with("W/\""));
}
