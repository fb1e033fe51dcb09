//! The `/scim/v2` edge without a running identity: authentication, scope, discovery and the
//! errors answered before any service call.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

use crate::test_support::{config, token};
use crate::{AppState, router};

async fn call(path: &str, bearer: Option<&str>) -> (StatusCode, String, Value) {
    let config = config(1 << 20);
    let app = router(AppState::new(&config).unwrap(), &config);
    let mut request = Request::get(path).header("host", "nexus.example");
    if let Some(bearer) = bearer {
        request = request.header("authorization", format!("Bearer {bearer}"));
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn without_a_bearer_scim_answers_401_in_the_scim_error_schema() {
    let (status, content_type, body) = call("/scim/v2/Users", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(content_type, "application/scim+json");
    assert_eq!(body["status"], "401");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
}

#[tokio::test]
async fn a_bearer_without_the_provisioning_scope_is_403() {
    let bearer = token(&["users:read".to_owned(), "users:write".to_owned()]);
    let (status, _, body) = call("/scim/v2/ServiceProviderConfig", Some(&bearer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["status"], "403");
}

#[tokio::test]
async fn a_bearer_alone_with_the_scope_reads_discovery_without_an_application_token() {
    let bearer = token(&["scim:provision".to_owned()]);
    let (status, content_type, body) = call("/scim/v2/ResourceTypes", Some(&bearer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(content_type, "application/scim+json");
    assert_eq!(body["totalResults"], 2);
    assert_eq!(body["Resources"][0]["id"], "User");
    assert_eq!(body["Resources"][1]["id"], "Group");
    let (_, _, schemas) = call("/scim/v2/Schemas", Some(&bearer)).await;
    assert_eq!(schemas["totalResults"], 3);
    let group = &schemas["Resources"][2];
    let names: Vec<&str> = group["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["displayName", "members"]);
    let (status, _, config) = call("/scim/v2/ServiceProviderConfig", Some(&bearer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        config["meta"]["location"],
        "http://nexus.example/scim/v2/ServiceProviderConfig"
    );
    let (status, _, _) = call("/scim/v2/Schemas/urn:nope", Some(&bearer)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_filter_is_400_invalid_filter_before_any_service_call() {
    let bearer = token(&["scim:provision".to_owned()]);
    let (status, _, body) = call("/scim/v2/Users?filter=userName%20eq", Some(&bearer)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["scimType"], "invalidFilter");
}

#[tokio::test]
async fn an_unknown_scim_path_is_a_scim_404() {
    let bearer = token(&["scim:provision".to_owned()]);
    let (status, content_type, body) = call("/scim/v2/Nothing", Some(&bearer)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/scim+json");
    assert_eq!(body["status"], "404");
}

#[tokio::test]
async fn an_unreachable_identity_is_503_not_500() {
    let bearer = token(&["scim:provision".to_owned()]);
    let (status, _, body) = call(
        "/scim/v2/Users/0190d8a1-0000-7000-8000-000000000000",
        Some(&bearer),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "503");
}

#[tokio::test]
async fn the_served_user_schema_lists_only_what_nexus_stores_and_requires_an_email() {
    let bearer = token(&["scim:provision".to_owned()]);
    let (status, _, schema) = call(
        "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        Some(&bearer),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{schema}");
    let attributes = schema["attributes"].as_array().unwrap();
    let find = |name: &str| attributes.iter().find(|a| a["name"] == name);
    assert!(find("addresses").is_none() && find("photos").is_none());
    let emails = find("emails").unwrap();
    assert_eq!(emails["required"], true);
    let subs: Vec<&str> = emails["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["value", "type"]);
    assert_eq!(find("active").unwrap()["required"], true);
}
