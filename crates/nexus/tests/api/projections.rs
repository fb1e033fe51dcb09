//! Projections across services through REST: identity shows the upn
//! service's custom UPNs (and `$sync` narrows them to the client's key), and
//! the upn service deletes a deleted user's UPNs.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, create_tenant, create_upn, create_user, eventually, link_body, on_both_backends,
};

on_both_backends!(
    identity_shows_custom_upns_and_sync_narrows_them_to_the_client_key,
    a_deleted_users_custom_upns_are_deleted,
);

/// The user as identity shows it.
async fn user_of(app: &TestApp, user: &str) -> Value {
    app.call("GET", &format!("/v1/users/{user}"), None, true)
        .await
        .body
}

async fn identity_shows_custom_upns_and_sync_narrows_them_to_the_client_key(app: &TestApp) {
    let tid = create_tenant(app, "upns").await["id"].as_i64().unwrap();
    let user = create_user(app, "upn-owner@example.com").await;
    app.call(
        "PUT",
        &format!("/v1/users/{user}/idp_tenants/{tid}"),
        Some(link_body("auth0|upn", "con_1")),
        true,
    )
    .await;
    let crm = create_upn(app, &user, "crm", "ann@crm.example.com")
        .await
        .body;
    create_upn(app, &user, "erp", "ann@erp.example.com").await;

    let read = eventually(
        "identity's copy of both custom UPNs",
        || user_of(app, &user),
        |u| u["customUpns"].as_array().is_some_and(|l| l.len() == 2),
    )
    .await;
    assert_eq!(
        read["customUpns"][0], crm,
        "identity's copy equals the upn service's answer"
    );

    let sync = |key: Value| json!({"audience": "api", "attributes": [], "connection": {"groups": [], "connectionId": "con_1"}, "clientUpnKey": key});
    let narrowed = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/$sync"),
            Some(sync(json!("crm"))),
            true,
        )
        .await;
    assert_eq!(narrowed.status, 200);
    assert_eq!(narrowed.body["user"]["customUpns"], json!([crm]));
    let unknown = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/$sync"),
            Some(sync(json!("other"))),
            true,
        )
        .await;
    assert_eq!(unknown.body["user"]["customUpns"], json!([]));
    let all = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/$sync"),
            Some(sync(Value::Null)),
            true,
        )
        .await;
    assert_eq!(all.body["user"]["customUpns"].as_array().unwrap().len(), 2);

    let id = crm["id"].as_str().unwrap();
    let patched = app
        .call(
            "PATCH",
            &format!("/v1/users/{user}/custom-upns/{id}"),
            Some(json!({"customUpnValue": "a.lee@crm.example.com"})),
            true,
        )
        .await;
    assert_eq!(patched.status, 200);
    eventually(
        "identity's copy of the patched custom UPN",
        || user_of(app, &user),
        |u| u["customUpns"][0]["customUpnValue"] == "a.lee@crm.example.com",
    )
    .await;
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/v1/users/{user}/custom-upns/{id}"),
            None,
            true
        )
        .await
        .status,
        204
    );
    let after = eventually(
        "identity's copy without the deleted custom UPN",
        || user_of(app, &user),
        |u| u["customUpns"].as_array().is_some_and(|l| l.len() == 1),
    )
    .await;
    assert_eq!(after["customUpns"][0]["clientUpnKey"], "erp");
}

async fn a_deleted_users_custom_upns_are_deleted(app: &TestApp) {
    let user = create_user(app, "leaver@example.com").await;
    create_upn(app, &user, "crm", "leaver@crm.example.com").await;
    let bus = app
        .running
        .as_ref()
        .unwrap()
        .in_process_bus
        .clone()
        .unwrap();
    let mut events = bus.subscribe();
    assert_eq!(
        app.call("DELETE", &format!("/v1/users/{user}"), None, true)
            .await
            .status,
        204
    );
    let deleted = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let e = events.recv().await.unwrap();
            if e.event_type == "custom_upn.deleted" {
                return e;
            }
        }
    })
    .await
    .expect("custom_upn.deleted within 5 s");
    assert_eq!(deleted.source, "upn");
    // The value is free again: another user may take it for the same client.
    let other = create_user(app, "successor@example.com").await;
    create_upn(app, &other, "crm", "LEAVER@crm.example.com").await;
}
