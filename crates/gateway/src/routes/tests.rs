//! The scope the route table enforces on every `/v1` operation is the one the
//! OpenAPI document states: without it 403 naming it, with it alone no 403.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::auth::jwt::{DEV_ISSUER, JwtConfig, JwtVerifier, sign_hs256};
use crate::auth::scope::all_names;
use crate::auth::{ApplicationToken, Credentials};
use crate::{AppState, GatewayConfig, router};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-routes";
const APP_TOKEN: &str = "routes-test-application-token";

fn config() -> GatewayConfig {
    let verifier = JwtVerifier::new(JwtConfig {
        hs256_secret: Some(SECRET.to_vec()),
        issuer: Some(DEV_ISSUER.to_owned()),
        tenants_claim: "tenants".to_owned(),
        ..JwtConfig::default()
    })
    .unwrap();
    // Nothing listens on port 1: a call that passes the scope check fails
    // fast at the service, which is all these tests need.
    let nowhere = "http://127.0.0.1:1".to_owned();
    GatewayConfig {
        identity_url: nowhere.clone(),
        upn_url: nowhere.clone(),
        tenant_access_url: nowhere,
        internal_auth: nexus_platform::InternalAuth::new(b"routes-test-internal-secret-0123456789"),
        credentials: Credentials {
            jwt: Some(Arc::new(verifier)),
            application_tokens: vec![ApplicationToken::from_token("test", APP_TOKEN)],
            basic_users: Vec::new(),
        },
        body_limit_bytes: 4096,
        rate_limit_per_second: 0.0,
        rate_limit_burst: 1,
        tenant_roles: vec!["admin".to_owned()],
    }
}

fn token(scopes: &[String]) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    sign_hs256(
        SECRET,
        &json!({"sub": "tester", "iss": DEV_ISSUER, "exp": now + 300, "scope": scopes.join(" ")}),
    )
    .unwrap()
}

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
    let config = config();
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
