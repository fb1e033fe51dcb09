//! The scope the route table enforces on every `/v1` operation is the one the
//! OpenAPI document states: without it 403 naming it, with it alone no 403.

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;
use tower::ServiceExt as _;

use crate::auth::scope::all_names;
use crate::test_support::{APP_TOKEN, config, token};
use crate::{AppState, router};

/// Every `/v1` operation of the document with the scope it states.
fn operations() -> Vec<(String, String, String)> {
    let doc = crate::openapi::document_for(&["admin".to_owned()]);
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let security = op["security"].as_array().expect("per-operation security");
            let scopes = security
                .iter()
                .find_map(|s| s.get("oauth2"))
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{method} {path}: no oauth2 scopes"));
            assert_eq!(scopes.len(), 1, "{method} {path}: one scope");
            assert!(
                security.iter().any(|s| s.get("applicationToken").is_some()),
                "{method} {path}"
            );
            let concrete = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "x1" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            found.push((
                method.to_uppercase(),
                concrete,
                scopes[0].as_str().unwrap().to_owned(),
            ));
        }
    }
    found
}

#[tokio::test]
async fn every_v1_operation_needs_the_scope_its_document_states() {
    let config = config(4096);
    let app = router(AppState::new(&config).unwrap(), &config);
    let ops = operations();
    assert_eq!(ops.len(), 37, "every /v1 operation is covered");
    for (method, path, scope) in ops {
        let others: Vec<String> = all_names().into_iter().filter(|s| *s != scope).collect();
        let call = |scopes: Vec<String>| {
            let request = Request::builder()
                .method(method.as_str())
                .uri(&path)
                .header("authorization", format!("Bearer {}", token(&scopes)))
                .header("applicationtoken", APP_TOKEN)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap();
            app.clone().oneshot(request)
        };
        let refused = call(others).await.unwrap();
        assert_eq!(refused.status(), 403, "{method} {path} without {scope}");
        let body = axum::body::to_bytes(refused.into_body(), 4096)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["detail"],
            format!("this operation needs the scope {scope}"),
            "{method} {path}"
        );
        let allowed = call(vec![scope.clone()]).await.unwrap();
        assert!(
            ![401, 403].contains(&allowed.status().as_u16()),
            "{method} {path} with {scope}: {}",
            allowed.status()
        );
    }
}
