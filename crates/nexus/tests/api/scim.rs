//! SCIM 2.0 at `/scim/v2` through REST: the Users lifecycle, list filters, ETags, uniqueness,
//! bad filters and authentication by a bearer token alone.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

use crate::helpers::{Answer, TEST_SUBJECT, TestApp, on_both_backends};

/// A SCIM call with the tests' bearer token and no ApplicationToken.
pub async fn scim(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    scim_as(app, &app.bearer, method, path, body, headers).await
}

pub async fn scim_as(
    app: &TestApp,
    bearer: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("http://{}/scim/v2{path}", app.addr))
        .header("content-type", "application/scim+json");
    if !bearer.is_empty() {
        builder = builder.header("authorization", format!("Bearer {bearer}"));
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(serde_json::to_vec(&b).unwrap()));
    app.send(builder.body(Full::new(body)).unwrap()).await
}

/// A minimal SCIM User.
pub fn scim_user(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true
    })
}

async fn create(app: &TestApp, user_name: &str, email: &str) -> Value {
    let answer = scim(
        app,
        "POST",
        "/Users",
        Some(scim_user(user_name, email)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body
}

fn filter(expression: &str) -> String {
    let encoded: String = expression
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/Users?filter={encoded}")
}

async fn users_lifecycle(app: &TestApp) {
    let created = create(app, "bjensen", "bjensen@example.com").await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["meta"]["resourceType"], "User");
    assert!(created["meta"]["created"].is_string());
    assert!(
        created["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );

    let read = scim(app, "GET", &format!("/Users/{id}"), None, &[]).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("content-type"), Some("application/scim+json"));
    assert_eq!(read.header("etag"), read.body["meta"]["version"].as_str());
    assert_eq!(read.body["userName"], "bjensen");
    assert_eq!(read.body["emails"][0]["value"], "bjensen@example.com");

    let mut replacement = scim_user("bjensen", "bjensen@example.com");
    replacement["externalId"] = json!("ext-1");
    replacement["name"] = json!({"givenName": "Babs"});
    replacement["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
        json!({"department": "Tour Operations"});
    let replaced = scim(app, "PUT", &format!("/Users/{id}"), Some(replacement), &[]).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!(replaced.body["name"], json!({"givenName": "Babs"}));
    assert_eq!(replaced.body["externalId"], "ext-1");
    let attributes = app
        .call("GET", &format!("/v1/users/{id}/attributes"), None, true)
        .await;
    let names: Vec<&str> = attributes.body["attributes"]
        .as_array()
        .or(attributes.body.as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(
        names.contains(&"scim.externalId") && names.contains(&"scim.department"),
        "{:?}",
        attributes.body
    );

    let patched = scim(
        app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Babs Jensen"}]
        })),
        &[],
    )
    .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["displayName"], "Babs Jensen");
    assert_eq!(patched.body["externalId"], "ext-1");

    let deleted = scim(app, "DELETE", &format!("/Users/{id}"), None, &[]).await;
    assert_eq!(deleted.status, 204);
    let gone = scim(app, "GET", &format!("/Users/{id}"), None, &[]).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["status"], "404");
}

async fn list_filters_sort_and_page(app: &TestApp) {
    create(app, "alice", "alice@example.com").await;
    create(app, "bob", "bob@corp.example").await;
    create(app, "carol", "carol@corp.example").await;

    let by_name = scim(app, "GET", &filter("userName eq \"ALICE\""), None, &[]).await;
    assert_eq!(by_name.status, 200, "{:?}", by_name.body);
    assert_eq!(by_name.body["totalResults"], 1);
    assert_eq!(by_name.body["Resources"][0]["userName"], "alice");

    let by_email = scim(
        app,
        "GET",
        &filter("emails.value eq \"bob@corp.example\""),
        None,
        &[],
    )
    .await;
    assert_eq!(by_email.body["totalResults"], 1);
    assert_eq!(by_email.body["Resources"][0]["userName"], "bob");

    let evaluated = scim(
        app,
        "GET",
        &format!(
            "{}&sortBy=userName&sortOrder=descending",
            filter("emails[value ew \"corp.example\"] and not (userName eq \"nobody\")")
        ),
        None,
        &[],
    )
    .await;
    assert_eq!(evaluated.status, 200, "{:?}", evaluated.body);
    let names: Vec<&str> = evaluated.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["carol", "bob"]);

    let page = scim(
        app,
        "GET",
        "/Users?sortBy=userName&startIndex=2&count=1&attributes=userName",
        None,
        &[],
    )
    .await;
    assert_eq!(page.body["totalResults"], 3);
    assert_eq!(page.body["itemsPerPage"], 1);
    assert_eq!(page.body["Resources"][0]["userName"], "bob");
    assert!(page.body["Resources"][0].get("emails").is_none());

    let bad = scim(app, "GET", &filter("userName eq"), None, &[]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["scimType"], "invalidFilter");
}

async fn stale_if_match_and_uniqueness_are_refused(app: &TestApp) {
    let created = create(app, "dana", "dana@example.com").await;
    let id = created["id"].as_str().unwrap();
    let version = created["meta"]["version"].as_str().unwrap().to_owned();
    let rename = |name: &str| json!({"Operations": [{"op": "replace", "path": "displayName", "value": name}]});
    let fresh = scim(
        app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(rename("D")),
        &[("if-match", &version)],
    )
    .await;
    assert_eq!(fresh.status, 200, "{:?}", fresh.body);
    let stale = scim(
        app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(rename("E")),
        &[("if-match", &version)],
    )
    .await;
    assert_eq!(stale.status, 412, "{:?}", stale.body);
    let now = scim(app, "GET", &format!("/Users/{id}"), None, &[]).await;
    assert_eq!(now.body["displayName"], "D");

    let same_name = scim(
        app,
        "POST",
        "/Users",
        Some(scim_user("DANA", "other@example.com")),
        &[],
    )
    .await;
    assert_eq!(same_name.status, 409, "{:?}", same_name.body);
    assert_eq!(same_name.body["scimType"], "uniqueness");
    let same_email = scim(
        app,
        "POST",
        "/Users",
        Some(scim_user("dana2", "DANA@example.com")),
        &[],
    )
    .await;
    assert_eq!(same_email.status, 409, "{:?}", same_email.body);
    assert_eq!(same_email.body["scimType"], "uniqueness");
}

async fn a_bearer_alone_needs_the_provisioning_scope(app: &TestApp) {
    let anonymous = scim_as(app, "", "GET", "/Users", None, &[]).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.body["status"], "401");
    assert!(anonymous.header("www-authenticate").is_some());

    let without_scope = nexus::dev::token(
        &app.settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: TEST_SUBJECT.to_owned(),
            scopes: vec!["users:read".to_owned(), "users:write".to_owned()],
            tenants: Vec::new(),
            ttl_secs: 600,
        },
    )
    .unwrap();
    let refused = scim_as(app, &without_scope, "GET", "/Users", None, &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["status"], "403");

    let config = scim(app, "GET", "/ServiceProviderConfig", None, &[]).await;
    assert_eq!(config.status, 200);
    assert_eq!(config.body["patch"]["supported"], true);
}

on_both_backends!(
    users_lifecycle,
    list_filters_sort_and_page,
    stale_if_match_and_uniqueness_are_refused,
    a_bearer_alone_needs_the_provisioning_scope,
);
