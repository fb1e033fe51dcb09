//! Least privilege on `/v1` through REST: each route group answers a token
//! holding its scope, and refuses one holding every other scope with 403
//! naming the missing one; an ApplicationToken narrows what its JWTs may do.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

use crate::helpers::{
    Answer, Backend, TEST_SUBJECT, TestApp, create_org, create_role, create_tenant, create_user,
    link_body, new_user, upn_body, upns_path,
};

fn token(app: &TestApp, scopes: &[String]) -> String {
    assert!(!scopes.is_empty(), "an empty list would mean every scope");
    nexus::dev::token(
        &app.settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: TEST_SUBJECT.to_owned(),
            scopes: scopes.to_vec(),
            tenants: Vec::new(),
            ttl_secs: 600,
        },
    )
    .unwrap()
}

async fn call_as(
    app: &TestApp,
    bearer: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", app.addr))
        .header("authorization", format!("Bearer {bearer}"))
        .header("applicationtoken", &app.app_token);
    let body = match body {
        Some(json) => {
            builder = builder.header("content-type", "application/json");
            Full::new(Bytes::from(serde_json::to_vec(json).unwrap()))
        }
        None => Full::new(Bytes::new()),
    };
    app.send(builder.body(body).unwrap()).await
}

/// One operation of a route group, the scope it needs, and the status it
/// answers when allowed.
struct Case {
    scope: &'static str,
    method: &'static str,
    path: String,
    body: Option<Value>,
    allowed: u16,
}

#[tokio::test]
async fn every_route_group_needs_its_own_scope() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let user = create_user(&app, "scoped@example.com").await;
    let doomed = create_user(&app, "doomed@example.com").await;
    let tenant = create_tenant(&app, "scoped").await["id"].clone();
    create_org(&app, "scoped-org").await;
    create_role(&app, "api://scoped", "reader").await;
    let sync = json!({
        "audience": "api://scoped",
        "attributes": [],
        "connection": {"groups": [], "connectionId": "con_1"},
        "clientUpnKey": null,
    });
    let cases = [
        Case {
            scope: "users:read",
            method: "GET",
            path: format!("/v1/users/{user}"),
            body: None,
            allowed: 200,
        },
        Case {
            scope: "users:write",
            method: "POST",
            path: "/v1/users".to_owned(),
            body: Some(new_user("written@example.com")),
            allowed: 201,
        },
        Case {
            scope: "users:delete",
            method: "DELETE",
            path: format!("/v1/users/{doomed}"),
            body: None,
            allowed: 204,
        },
        Case {
            scope: "identities:write",
            method: "PUT",
            path: format!("/v1/users/{user}/idp_tenants/{tenant}"),
            body: Some(link_body("auth0|scoped", "con_1")),
            allowed: 200,
        },
        Case {
            scope: "users:sync",
            method: "PUT",
            path: format!("/v1/users/{user}/$sync"),
            body: Some(sync),
            allowed: 200,
        },
        Case {
            scope: "custom-upns:write",
            method: "POST",
            path: upns_path(&user),
            body: Some(upn_body("app-1", "scoped@upn.example")),
            allowed: 201,
        },
        Case {
            scope: "roles:admin",
            method: "POST",
            path: "/v1/roles".to_owned(),
            body: Some(json!({"audience": "api://scoped", "name": "writer"})),
            allowed: 201,
        },
        Case {
            scope: "idp-tenants:admin",
            method: "GET",
            path: format!("/v1/idp_tenants/{tenant}"),
            body: None,
            allowed: 200,
        },
        Case {
            scope: "organizations:admin",
            method: "GET",
            path: "/v1/organizations".to_owned(),
            body: None,
            allowed: 200,
        },
    ];
    let every = gateway::auth::scope::all_names();
    for case in &cases {
        let others: Vec<String> = every.iter().filter(|s| *s != case.scope).cloned().collect();
        let at = format!("{} {}", case.method, case.path);
        let refused = call_as(
            &app,
            &token(&app, &others),
            case.method,
            &case.path,
            case.body.as_ref(),
        )
        .await;
        assert_eq!(refused.status, 403, "{at}: {:?}", refused.body);
        assert_eq!(
            refused.body["detail"],
            format!("this operation needs the scope {}", case.scope),
            "{at}"
        );
        assert_eq!(
            refused.header("content-type"),
            Some("application/problem+json")
        );
        let only = token(&app, &[case.scope.to_owned()]);
        let allowed = call_as(&app, &only, case.method, &case.path, case.body.as_ref()).await;
        assert_eq!(allowed.status, case.allowed, "{at}: {:?}", allowed.body);
    }
    app.stop().await;
}
