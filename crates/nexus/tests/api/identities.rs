//! IdP tenants and LinkUserToTenant through REST, on SQLite and PostgreSQL.

use serde_json::{Value, json};

use crate::helpers::{TestApp, create_tenant, create_user, link_body, on_both_backends};

on_both_backends!(
    idp_tenant_lifecycle,
    idp_tenant_list_is_paginated_by_cursor,
    idp_tenant_bad_input_is_400_and_duplicates_409,
    link_fills_the_identity_from_the_tenant_and_is_idempotent,
    link_bounds_are_400_naming_the_field,
    link_to_unknown_user_or_tenant_is_404,
    an_auth0_user_belongs_to_one_nexus_user,
    unlink_removes_the_identity,
);

async fn idp_tenant_lifecycle(app: &TestApp) {
    let created = app
        .call(
            "POST",
            "/v1/idp_tenants",
            Some(json!({"name": "acme", "azoName": "acme-prod", "fqdn": "Acme-Prod.EU.auth0.com", "loginDomain": "login.acme.com"})),
            true,
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/idp_tenants/{id}").as_str())
    );
    assert_eq!(created.body["fqdn"], "acme-prod.eu.auth0.com");
    assert_eq!(created.body["createdBy"], crate::helpers::TEST_SUBJECT);

    let read = app
        .call("GET", &format!("/v1/idp_tenants/{id}"), None, true)
        .await;
    assert_eq!((read.status, &read.body), (200, &created.body));

    let patched = app
        .call(
            "PATCH",
            &format!("/v1/idp_tenants/{id}"),
            Some(json!({"loginDomain": "id.acme.com"})),
            true,
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["loginDomain"], "id.acme.com");
    assert_eq!(patched.body["name"], "acme");

    assert_eq!(
        app.call("DELETE", &format!("/v1/idp_tenants/{id}"), None, true)
            .await
            .status,
        204
    );
    assert_eq!(
        app.call("GET", &format!("/v1/idp_tenants/{id}"), None, true)
            .await
            .status,
        404
    );
    assert_eq!(
        app.call("DELETE", &format!("/v1/idp_tenants/{id}"), None, true)
            .await
            .status,
        404
    );
}

async fn idp_tenant_list_is_paginated_by_cursor(app: &TestApp) {
    for name in ["t1", "t2", "t3"] {
        create_tenant(app, name).await;
    }
    let first = app.call("GET", "/v1/idp_tenants?limit=2", None, true).await;
    assert_eq!(first.status, 200);
    let names: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["t1", "t2"]);
    let cursor = first.body["nextCursor"].as_str().expect("a next page");
    let second = app
        .call(
            "GET",
            &format!("/v1/idp_tenants?limit=2&cursor={cursor}"),
            None,
            true,
        )
        .await;
    let names: Vec<&str> = second.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["t3"]);
    assert_eq!(second.body["nextCursor"], Value::Null);

    for bad in ["limit=0", "limit=1001", "limit=x", "cursor=zzz"] {
        let answer = app
            .call("GET", &format!("/v1/idp_tenants?{bad}"), None, true)
            .await;
        assert_eq!(answer.status, 400, "{bad}: {:?}", answer.body);
    }
}

async fn idp_tenant_bad_input_is_400_and_duplicates_409(app: &TestApp) {
    create_tenant(app, "dup").await;
    let again = app
        .call("POST", "/v1/idp_tenants", Some(json!({"name": "dup", "azoName": "x", "fqdn": "x.auth0.com", "loginDomain": "x.com"})), true)
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body["detail"].as_str().unwrap().starts_with("name"));
    let cases = [
        (
            json!({"name": "", "azoName": "x", "fqdn": "x.com", "loginDomain": "x.com"}),
            "name",
        ),
        (
            json!({"name": "n", "azoName": "x", "fqdn": "not a host", "loginDomain": "x.com"}),
            "fqdn",
        ),
        (
            json!({"name": "n", "azoName": "x", "fqdn": "x.com"}),
            "loginDomain",
        ),
    ];
    for (body, field) in cases {
        let answer = app
            .call("POST", "/v1/idp_tenants", Some(body.clone()), true)
            .await;
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            answer.body["detail"].as_str().unwrap().contains(field),
            "{:?}",
            answer.body
        );
    }
    let not_int = app.call("GET", "/v1/idp_tenants/abc", None, true).await;
    assert_eq!(not_int.status, 400);
    assert!(
        not_int.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("idpTenantId")
    );
    let too_big = app
        .call("GET", "/v1/idp_tenants/2147483648", None, true)
        .await;
    assert_eq!(too_big.status, 400);
}

async fn link_fills_the_identity_from_the_tenant_and_is_idempotent(app: &TestApp) {
    let tenant = create_tenant(app, "eu").await;
    let tid = tenant["id"].as_i64().unwrap();
    let user = create_user(app, "link@example.com").await;
    let path = format!("/v1/users/{user}/idp_tenants/{tid}");

    let first = app
        .call("PUT", &path, Some(link_body("auth0|1", "con_1")), true)
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let identity = first.body.as_object().unwrap();
    let mut keys: Vec<&str> = identity.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "azoConnectionId",
            "azoTenantName",
            "azoUserId",
            "groups",
            "id",
            "idpTenantFqdn",
            "idpTenantId",
            "idpTenantName",
            "loginDomain",
            "strategy"
        ]
    );
    assert_eq!(first.body["idpTenantId"], tid);
    assert_eq!(first.body["idpTenantName"], "eu");
    assert_eq!(first.body["azoTenantName"], "eu-azo");
    assert_eq!(first.body["idpTenantFqdn"], "eu.eu.auth0.com");
    assert_eq!(first.body["loginDomain"], "login.eu.example");
    assert_eq!(first.body["groups"], json!([]));

    let same = app
        .call("PUT", &path, Some(link_body("auth0|1", "con_1")), true)
        .await;
    assert_eq!(same.body, first.body);
    let changed = app
        .call("PUT", &path, Some(link_body("auth0|1", "con_2")), true)
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body["id"], first.body["id"]);
    assert_eq!(changed.body["azoConnectionId"], "con_2");

    let list = app
        .call("GET", &format!("/v1/users/{user}/idp_tenants"), None, true)
        .await;
    assert_eq!(list.body, json!([changed.body]));
    let user_json = app
        .call("GET", &format!("/v1/users/{user}"), None, true)
        .await;
    assert_eq!(user_json.body["identities"], json!([changed.body]));
}

async fn link_bounds_are_400_naming_the_field(app: &TestApp) {
    let tid = create_tenant(app, "b").await["id"].as_i64().unwrap();
    let user = create_user(app, "bounds@example.com").await;
    let path = format!("/v1/users/{user}/idp_tenants/{tid}");
    let cases = [
        (
            json!({"strategy": "s".repeat(26), "azoUserId": "u", "azoConnectionId": "c"}),
            "strategy",
        ),
        (
            json!({"strategy": "", "azoUserId": "u", "azoConnectionId": "c"}),
            "strategy",
        ),
        (
            json!({"strategy": "s", "azoUserId": "u".repeat(251), "azoConnectionId": "c"}),
            "azoUserId",
        ),
        (
            json!({"strategy": "s", "azoUserId": "", "azoConnectionId": "c"}),
            "azoUserId",
        ),
        (
            json!({"strategy": "s", "azoUserId": "u", "azoConnectionId": "c".repeat(51)}),
            "azoConnectionId",
        ),
        (
            json!({"strategy": "s", "azoUserId": "u"}),
            "azoConnectionId",
        ),
    ];
    for (body, field) in cases {
        let answer = app.call("PUT", &path, Some(body.clone()), true).await;
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            answer.body["detail"].as_str().unwrap().contains(field),
            "{body}: {:?}",
            answer.body
        );
    }
    let max = json!({"strategy": "s".repeat(25), "azoUserId": "u".repeat(250), "azoConnectionId": "c".repeat(50)});
    assert_eq!(app.call("PUT", &path, Some(max), true).await.status, 200);
    let bad_id = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/idp_tenants/x"),
            Some(link_body("u", "c")),
            true,
        )
        .await;
    assert_eq!(bad_id.status, 400);
}

async fn link_to_unknown_user_or_tenant_is_404(app: &TestApp) {
    let tid = create_tenant(app, "k").await["id"].as_i64().unwrap();
    let user = create_user(app, "known@example.com").await;
    let no_user = app
        .call(
            "PUT",
            &format!("/v1/users/nobody/idp_tenants/{tid}"),
            Some(link_body("u", "c")),
            true,
        )
        .await;
    assert_eq!(no_user.status, 404);
    assert!(
        no_user.body["detail"]
            .as_str()
            .unwrap()
            .contains("user nobody")
    );
    let no_tenant = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/idp_tenants/999999"),
            Some(link_body("u", "c")),
            true,
        )
        .await;
    assert_eq!(no_tenant.status, 404);
    assert!(
        no_tenant.body["detail"]
            .as_str()
            .unwrap()
            .contains("IdP tenant 999999")
    );
}

async fn an_auth0_user_belongs_to_one_nexus_user(app: &TestApp) {
    let tid = create_tenant(app, "one").await["id"].as_i64().unwrap();
    let a = create_user(app, "a1@example.com").await;
    let b = create_user(app, "b1@example.com").await;
    assert_eq!(
        app.call(
            "PUT",
            &format!("/v1/users/{a}/idp_tenants/{tid}"),
            Some(link_body("auth0|x", "c")),
            true
        )
        .await
        .status,
        200
    );
    let clash = app
        .call(
            "PUT",
            &format!("/v1/users/{b}/idp_tenants/{tid}"),
            Some(link_body("auth0|x", "c")),
            true,
        )
        .await;
    assert_eq!(clash.status, 409);
    assert!(
        clash.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("azoUserId")
    );
    let list = app
        .call("GET", &format!("/v1/users/{b}/idp_tenants"), None, true)
        .await;
    assert_eq!(list.body, json!([]));
    let linked = app
        .call("DELETE", &format!("/v1/idp_tenants/{tid}"), None, true)
        .await;
    assert_eq!(linked.status, 409);
}

async fn unlink_removes_the_identity(app: &TestApp) {
    let tid = create_tenant(app, "u").await["id"].as_i64().unwrap();
    let user = create_user(app, "unlink@example.com").await;
    let path = format!("/v1/users/{user}/idp_tenants/{tid}");
    app.call("PUT", &path, Some(link_body("auth0|u", "c")), true)
        .await;
    assert_eq!(app.call("DELETE", &path, None, true).await.status, 204);
    assert_eq!(app.call("DELETE", &path, None, true).await.status, 404);
    let list = app
        .call("GET", &format!("/v1/users/{user}/idp_tenants"), None, true)
        .await;
    assert_eq!(list.body, json!([]));
    assert_eq!(
        app.call("GET", "/v1/users/nobody/idp_tenants", None, true)
            .await
            .status,
        404
    );
    assert_eq!(
        app.call("DELETE", &format!("/v1/idp_tenants/{tid}"), None, true)
            .await
            .status,
        204
    );
}
