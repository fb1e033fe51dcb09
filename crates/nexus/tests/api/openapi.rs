//! The OpenAPI document: served, complete, exact on the contract's bounds; and
//! every documented operation refuses a call without credentials.

use serde_json::Value;

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn the_document_states_the_contract_bounds_and_security() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc = app.call("GET", "/openapi.json", None, false).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemas = &doc.body["components"]["schemas"];
    let link = &schemas["LinkBody"]["properties"];
    assert_eq!(
        (
            link["strategy"]["minLength"].as_u64(),
            link["strategy"]["maxLength"].as_u64()
        ),
        (Some(1), Some(25))
    );
    assert_eq!(link["azoUserId"]["maxLength"], 250);
    assert_eq!(link["azoConnectionId"]["maxLength"], 50);
    assert_eq!(
        schemas["SyncBody"]["properties"]["audience"]["minLength"],
        1
    );
    assert_eq!(
        schemas["SyncBody"]["properties"]["clientUpnKey"]["maxLength"],
        255
    );
    let user = schemas["UserJson"]["properties"].as_object().unwrap();
    for key in [
        "email-verified",
        "email-verify-sent-date",
        "email-verification-status-type",
        "customUpns",
        "memberOf",
    ] {
        assert!(user.contains_key(key), "{key}");
    }
    let security = doc.body["components"]["securitySchemes"]
        .as_object()
        .unwrap();
    for scheme in ["bearer", "applicationToken", "basic"] {
        assert!(security.contains_key(scheme), "{scheme}");
    }
    let sync = &doc.body["paths"]["/v1/users/{userId}/$sync"]["put"];
    assert_eq!(sync["operationId"], "SyncUserIdentity");
    let docs = app.call("GET", "/docs", None, false).await;
    assert_eq!(docs.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn every_documented_operation_needs_credentials() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc = app.call("GET", "/openapi.json", None, false).await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let public = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
            });
            let concrete = path
                .replace("{userId}", "u1")
                .replace("{idpTenantId}", "1")
                .replace("{organizationId}", "1")
                .replace("{roleId}", "r1")
                .replace("{name}", "n")
                .replace("{upnId}", "x1")
                .replace("{tenantId}", "t1");
            let body = if matches!(method.as_str(), "post" | "put" | "patch") {
                Some(Value::Object(Default::default()))
            } else {
                None
            };
            let answer = app
                .call(&method.to_uppercase(), &concrete, body, false)
                .await;
            if public {
                assert_ne!(answer.status, 401, "{method} {path} is public");
            } else {
                assert_eq!(answer.status, 401, "{method} {path} without credentials");
                assert!(
                    answer.header("www-authenticate").is_some(),
                    "{method} {path}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} operations checked");
    app.stop().await;
}

/// `docs/openapi.json` is the document the all-in-one serves with its default
/// tenant roles, so that the contract can be read (and clients generated)
/// from the repository alone. `NEXUS_WRITE_OPENAPI=1` rewrites it.
#[tokio::test]
async fn the_committed_document_is_the_served_one() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let served = app.call("GET", "/openapi.json", None, false).await;
    assert_eq!(served.status, 200);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let pretty = format!("{}\n", serde_json::to_string_pretty(&served.body).unwrap());
    if std::env::var_os("NEXUS_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
            .unwrap_or_default();
    assert!(
        committed == served.body,
        "docs/openapi.json differs from the served document: run the test with NEXUS_WRITE_OPENAPI=1"
    );
}
