//! Attributes, roles and grants through REST, and the roles a sync answers,
//! on SQLite and PostgreSQL.

use serde_json::json;

use crate::helpers::{
    TestApp, create_role, create_tenant, create_user, link_body, on_both_backends,
};

on_both_backends!(
    attributes_are_put_listed_and_deleted_by_name,
    roles_are_defined_per_audience_and_granted,
    sync_answers_the_unexpired_grants_of_its_audience,
);

async fn attributes_are_put_listed_and_deleted_by_name(app: &TestApp) {
    let user = create_user(app, "attr@example.com").await;
    let base = format!("/v1/users/{user}/attributes");
    let put = app
        .call(
            "PUT",
            &format!("{base}/dept"),
            Some(json!({"value": "ops"})),
            true,
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(
        (
            put.body["name"].as_str(),
            put.body["value"].as_str(),
            put.body["userId"].as_str()
        ),
        (Some("dept"), Some("ops"), Some(user.as_str()))
    );
    let replaced = app
        .call(
            "PUT",
            &format!("{base}/dept"),
            Some(json!({"value": "eng", "expires": "2999-01-01T00:00:00Z"})),
            true,
        )
        .await;
    assert_eq!(replaced.body["id"], put.body["id"]);
    assert_eq!(replaced.body["expires"], "2999-01-01T00:00:00Z");
    let list = app.call("GET", &base, None, true).await;
    assert_eq!(list.body, json!([replaced.body]));
    let read = app
        .call("GET", &format!("/v1/users/{user}"), None, true)
        .await;
    assert_eq!(read.body["attributes"], list.body);

    for (body, field) in [
        (json!({"value": "x", "expires": "tomorrow"}), "expires"),
        (json!({"value": 3}), "value"),
    ] {
        let answer = app
            .call("PUT", &format!("{base}/k"), Some(body.clone()), true)
            .await;
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            answer.body["detail"].as_str().unwrap().starts_with(field),
            "{:?}",
            answer.body
        );
    }
    let expired = app
        .call(
            "PUT",
            &format!("{base}/old"),
            Some(json!({"value": "x", "expires": "2000-01-01T00:00:00Z"})),
            true,
        )
        .await;
    assert_eq!(expired.status, 200);
    assert_eq!(
        app.call("GET", &base, None, true).await.body,
        list.body,
        "an expired attribute is not listed"
    );
    let long = app
        .call(
            "PUT",
            &format!("{base}/{}", "n".repeat(256)),
            Some(json!({"value": "x"})),
            true,
        )
        .await;
    assert_eq!(long.status, 400);

    assert_eq!(
        app.call("DELETE", &format!("{base}/dept"), None, true)
            .await
            .status,
        204
    );
    assert_eq!(
        app.call("DELETE", &format!("{base}/dept"), None, true)
            .await
            .status,
        404
    );
    assert_eq!(app.call("GET", &base, None, true).await.body, json!([]));
    assert_eq!(
        app.call("GET", "/v1/users/nobody/attributes", None, true)
            .await
            .status,
        404
    );
    assert_eq!(
        app.call(
            "PUT",
            "/v1/users/nobody/attributes/a",
            Some(json!({"value": "x"})),
            true
        )
        .await
        .status,
        404
    );
}

async fn roles_are_defined_per_audience_and_granted(app: &TestApp) {
    let admin = create_role(app, "api://billing", "admin").await;
    let id = admin["id"].as_str().unwrap();
    create_role(app, "api://crm", "admin").await;
    let dup = app
        .call(
            "POST",
            "/v1/roles",
            Some(json!({"audience": "api://billing", "name": "admin"})),
            true,
        )
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(
        app.call(
            "POST",
            "/v1/roles",
            Some(json!({"audience": "", "name": "x"})),
            true
        )
        .await
        .status,
        400
    );
    let billing = app
        .call("GET", "/v1/roles?audience=api://billing", None, true)
        .await;
    assert_eq!(billing.body["items"], json!([admin]));
    assert_eq!(
        app.call("GET", &format!("/v1/roles/{id}"), None, true)
            .await
            .body,
        admin
    );

    let user = create_user(app, "granted@example.com").await;
    let grant = app
        .call("PUT", &format!("/v1/users/{user}/roles/{id}"), None, true)
        .await;
    assert_eq!(grant.status, 200, "{:?}", grant.body);
    assert_eq!(
        grant.body,
        json!({"id": id, "name": "admin", "expires": null, "description": "admin of api://billing"})
    );
    let with_expiry = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/roles/{id}"),
            Some(json!({"expires": "2999-01-01T00:00:00Z"})),
            true,
        )
        .await;
    assert_eq!(with_expiry.body["expires"], "2999-01-01T00:00:00Z");
    let roles = app
        .call("GET", &format!("/v1/users/{user}/roles"), None, true)
        .await;
    assert_eq!(roles.body, json!([with_expiry.body]));
    assert_eq!(
        app.call("GET", &format!("/v1/users/{user}"), None, true)
            .await
            .body["roles"],
        roles.body
    );
    assert_eq!(
        app.call("PUT", &format!("/v1/users/{user}/roles/nope"), None, true)
            .await
            .status,
        404
    );
    let past = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/roles/{id}"),
            Some(json!({"expires": "2001-01-01T00:00:00Z"})),
            true,
        )
        .await;
    assert_eq!(
        past.status, 200,
        "a past expiry is stored, and counts as revoked"
    );
    assert_eq!(
        app.call("GET", &format!("/v1/users/{user}/roles"), None, true)
            .await
            .body,
        json!([])
    );

    assert_eq!(
        app.call(
            "DELETE",
            &format!("/v1/users/{user}/roles/{id}"),
            None,
            true
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/v1/users/{user}/roles/{id}"),
            None,
            true
        )
        .await
        .status,
        404
    );
    app.call("PUT", &format!("/v1/users/{user}/roles/{id}"), None, true)
        .await;
    assert_eq!(
        app.call("DELETE", &format!("/v1/roles/{id}"), None, true)
            .await
            .status,
        204
    );
    assert_eq!(
        app.call("GET", &format!("/v1/users/{user}/roles"), None, true)
            .await
            .body,
        json!([])
    );
    assert_eq!(
        app.call("GET", &format!("/v1/roles/{id}"), None, true)
            .await
            .status,
        404
    );
}

async fn sync_answers_the_unexpired_grants_of_its_audience(app: &TestApp) {
    let tid = create_tenant(app, "roles").await["id"].as_i64().unwrap();
    let user = create_user(app, "claims@example.com").await;
    app.call(
        "PUT",
        &format!("/v1/users/{user}/idp_tenants/{tid}"),
        Some(link_body("auth0|claims", "con_1")),
        true,
    )
    .await;
    let reader = create_role(app, "https://api.example.com", "reader").await;
    let other = create_role(app, "https://other.example.com", "writer").await;
    for role in [&reader, &other] {
        let id = role["id"].as_str().unwrap();
        assert_eq!(
            app.call("PUT", &format!("/v1/users/{user}/roles/{id}"), None, true)
                .await
                .status,
            200
        );
    }
    let sync = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/$sync"),
            Some(json!({"audience": "https://api.example.com", "attributes": [], "connection": {"groups": [], "connectionId": "con_1"}})),
            true,
        )
        .await;
    assert_eq!(sync.status, 200, "{:?}", sync.body);
    let names: Vec<&str> = sync.body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["reader"]);
    assert_eq!(sync.body["user"]["roles"].as_array().unwrap().len(), 2);
}
