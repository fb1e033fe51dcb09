//! The request sequences Entra ID and Okta send when they provision a user (from their public
//! SCIM provisioning documentation), replayed through REST: the user ends as each client
//! expects, and the changes are the same `user.*` events `/v1` records.

use nexus_proto::events::v1::EventEnvelope;
use prost::Message as _;
use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_backends};
use crate::scim::scim;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The types of the events recorded for `user_id`, in order.
async fn events_of(app: &TestApp, user_id: &str) -> Vec<String> {
    let identity = app
        .running
        .as_ref()
        .unwrap()
        .databases
        .iter()
        .find(|(c, _)| *c == nexus::Component::Identity)
        .map(|(_, db)| db.clone())
        .unwrap();
    let rows = identity
        .query_all(Statement::from_string(
            identity.get_database_backend(),
            "SELECT payload FROM outbox ORDER BY seq",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            EventEnvelope::decode(row.try_get::<Vec<u8>>("", "payload").unwrap().as_slice())
                .unwrap()
        })
        .filter(|e| e.aggregate_id == user_id)
        .map(|e| e.r#type)
        .collect()
}

async fn v1_user(app: &TestApp, id: &str) -> Value {
    let answer = app
        .call("GET", &format!("/v1/users/{id}"), None, true)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

async fn entra_id_provisions_updates_and_disables_a_user(app: &TestApp) {
    let user_name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1";
    let lookup = scim(
        app,
        "GET",
        "/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22",
        None,
        &[],
    )
    .await;
    assert_eq!(lookup.status, 200, "{:?}", lookup.body);
    assert_eq!(lookup.body["totalResults"], 0);

    let created = scim(
        app,
        "POST",
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": user_name,
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "roles": []
        })),
        &[],
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();

    let found = scim(
        app,
        "GET",
        "/Users?filter=userName+eq+%22test_user_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22",
        None,
        &[],
    )
    .await;
    assert_eq!(found.body["Resources"][0]["id"], id.as_str());

    let updated = scim(
        app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
                {"op": "Add", "value": {
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
                    "displayName": "Updated Name"
                }}
            ]
        })),
        &[],
    )
    .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body[ENTERPRISE]["department"], "Sales");

    let disabled = scim(
        app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
        })),
        &[],
    )
    .await;
    assert_eq!(disabled.status, 200, "{:?}", disabled.body);
    assert_eq!(disabled.body["active"], false);

    let user = v1_user(app, &id).await;
    assert_eq!(
        user["emailAddress"]
            .as_str()
            .map(str::to_lowercase)
            .as_deref(),
        Some("updatedemail@microsoft.com")
    );
    assert_eq!(user["familyName"], "updatedFamilyName");
    assert_eq!(user["displayName"], "Updated Name");
    assert_eq!(user["isActive"], false);
    let events = events_of(app, &id).await;
    assert_eq!(events.first().map(String::as_str), Some("user.created"));
    assert!(events.iter().any(|e| e == "user.updated"), "{events:?}");
}

async fn okta_provisions_replaces_and_deactivates_a_user(app: &TestApp) {
    let lookup = scim(
        app,
        "GET",
        "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
        None,
        &[],
    )
    .await;
    assert_eq!(lookup.body["totalResults"], 0, "{:?}", lookup.body);

    let okta_user = |given: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "test.user@okta.local",
            "name": {"givenName": given, "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        })
    };
    let created = scim(app, "POST", "/Users", Some(okta_user("Test")), &[]).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert!(created.body.get("password").is_none());
    let id = created.body["id"].as_str().unwrap().to_owned();

    let mut replacement = okta_user("Another");
    replacement["id"] = json!(id);
    let replaced = scim(app, "PUT", &format!("/Users/{id}"), Some(replacement), &[]).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!(replaced.body["name"]["givenName"], "Another");
    assert_eq!(replaced.body["externalId"], "00ujl29u0le5T6Aj10h7");

    let deactivated = scim(
        app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        })),
        &[],
    )
    .await;
    assert_eq!(deactivated.status, 200, "{:?}", deactivated.body);

    let user = v1_user(app, &id).await;
    assert_eq!(user["givenName"], "Another");
    assert_eq!(user["isActive"], false);
    let events = events_of(app, &id).await;
    assert_eq!(events.first().map(String::as_str), Some("user.created"));
    // The externalId attribute set after the create, the replacement, the deactivation.
    assert_eq!(
        events.iter().filter(|e| *e == "user.updated").count(),
        3,
        "{events:?}"
    );
}

on_both_backends!(
    entra_id_provisions_updates_and_disables_a_user,
    okta_provisions_replaces_and_deactivates_a_user,
);
