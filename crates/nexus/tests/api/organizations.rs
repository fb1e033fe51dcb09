//! Organizations, memberships and a user's organization through REST, on
//! SQLite and PostgreSQL.

use serde_json::{Value, json};

use crate::helpers::{TestApp, create_org, create_user, on_both_backends};

on_both_backends!(
    organization_lifecycle_with_the_contract_shape,
    memberships_carry_roles_and_organization_names,
    a_users_organization_is_set_by_patch,
);

const ORGANIZATION_FIELDS: [&str; 22] = [
    "id",
    "name",
    "type",
    "aliases",
    "contact",
    "created",
    "domains",
    "members",
    "isActive",
    "modified",
    "products",
    "createdBy",
    "modifiedBy",
    "displayName",
    "applications",
    "crmAccountId",
    "isMfaRequired",
    "isSelfService",
    "subscriptions",
    "technicalContact",
    "isEnabledForPreviewFeatures",
    "isDomainVerificationRequired",
];

const MEMBERSHIP_FIELDS: [&str; 14] = [
    "id",
    "user",
    "roles",
    "userId",
    "created",
    "isGuest",
    "modified",
    "createdBy",
    "modifiedBy",
    "isMfaRequired",
    "organizationId",
    "organizationName",
    "isMembershipMfaRequired",
    "organizationDisplayName",
];

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

async fn organization_lifecycle_with_the_contract_shape(app: &TestApp) {
    let org = create_org(app, "acme").await;
    assert_eq!(sorted_keys(&org), sorted(&ORGANIZATION_FIELDS));
    for empty in [
        "members",
        "products",
        "applications",
        "subscriptions",
        "aliases",
    ] {
        assert_eq!(org[empty], json!([]), "{empty}");
    }
    assert_eq!(
        (org["isActive"].as_bool(), org["isMfaRequired"].as_bool()),
        (Some(true), Some(true))
    );
    let id = org["id"].as_i64().unwrap();
    let path = format!("/v1/organizations/{id}");
    assert_eq!(app.call("GET", &path, None, true).await.body, org);

    let patched = app
        .call(
            "PATCH",
            &path,
            Some(json!({"displayName": null, "aliases": ["ACME"], "isSelfService": true})),
            true,
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(
        (
            patched.body["displayName"].clone(),
            patched.body["aliases"].clone()
        ),
        (Value::Null, json!(["ACME"]))
    );
    assert_eq!(patched.body["isSelfService"], true);

    create_org(app, "beta").await;
    let dup = app
        .call(
            "POST",
            "/v1/organizations",
            Some(json!({"name": "acme"})),
            true,
        )
        .await;
    assert_eq!(dup.status, 409);
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (
            json!({"name": "x", "domains": ["bad domain"]}),
            "domains[0]",
        ),
        (json!({"name": "x", "isActive": "yes"}), "isActive"),
    ] {
        let answer = app
            .call("POST", "/v1/organizations", Some(body.clone()), true)
            .await;
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            answer.body["detail"].as_str().unwrap().starts_with(field),
            "{:?}",
            answer.body
        );
    }
    assert_eq!(
        app.call("PATCH", &path, Some(json!({"members": []})), true)
            .await
            .status,
        400
    );

    let page = app
        .call("GET", "/v1/organizations?limit=1", None, true)
        .await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    let cursor = page.body["nextCursor"].as_str().unwrap();
    let next = app
        .call(
            "GET",
            &format!("/v1/organizations?limit=1&cursor={cursor}"),
            None,
            true,
        )
        .await;
    assert_eq!(next.body["items"][0]["name"], "beta");

    assert_eq!(app.call("DELETE", &path, None, true).await.status, 204);
    assert_eq!(app.call("GET", &path, None, true).await.status, 404);
    assert_eq!(
        app.call("GET", "/v1/organizations/x", None, true)
            .await
            .status,
        400
    );
}

async fn memberships_carry_roles_and_organization_names(app: &TestApp) {
    let org = create_org(app, "member").await;
    let org_id = org["id"].as_i64().unwrap();
    let role = app
        .call(
            "POST",
            "/v1/roles",
            Some(json!({"audience": "org", "name": "owner"})),
            true,
        )
        .await
        .body;
    let role_id = role["id"].as_str().unwrap();
    let user = create_user(app, "member@example.com").await;
    let path = format!("/v1/users/{user}/memberships/{org_id}");

    let put = app
        .call(
            "PUT",
            &path,
            Some(json!({"isGuest": true, "roles": [role_id]})),
            true,
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(sorted_keys(&put.body), sorted(&MEMBERSHIP_FIELDS));
    assert_eq!(put.body["organizationName"], "member");
    assert_eq!(put.body["organizationDisplayName"], "member Inc.");
    assert_eq!(put.body["isMfaRequired"], true);
    assert_eq!(put.body["isGuest"], true);
    assert_eq!(put.body["roles"][0]["name"], "owner");
    assert_eq!(put.body["user"], Value::Null);

    let again = app
        .call(
            "PUT",
            &path,
            Some(json!({"isGuest": false, "roles": []})),
            true,
        )
        .await;
    assert_eq!(again.body["id"], put.body["id"]);
    assert_eq!(
        (again.body["isGuest"].as_bool(), again.body["roles"].clone()),
        (Some(false), json!([]))
    );
    let user_json = app
        .call("GET", &format!("/v1/users/{user}"), None, true)
        .await;
    assert_eq!(user_json.body["memberOf"], json!([again.body]));
    assert_eq!(
        app.call("GET", &format!("/v1/users/{user}/memberships"), None, true)
            .await
            .body,
        json!([again.body])
    );

    assert_eq!(
        app.call(
            "PUT",
            &format!("/v1/users/{user}/memberships/999999"),
            Some(json!({})),
            true
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.call("PUT", &path, Some(json!({"roles": ["nope"]})), true)
            .await
            .status,
        404
    );
    assert_eq!(
        app.call("DELETE", &format!("/v1/organizations/{org_id}"), None, true)
            .await
            .status,
        409
    );
    assert_eq!(app.call("DELETE", &path, None, true).await.status, 204);
    assert_eq!(app.call("DELETE", &path, None, true).await.status, 404);
    assert_eq!(
        app.call("DELETE", &format!("/v1/organizations/{org_id}"), None, true)
            .await
            .status,
        204
    );
}

async fn a_users_organization_is_set_by_patch(app: &TestApp) {
    let org = create_org(app, "home").await;
    let org_id = org["id"].as_i64().unwrap();
    let user = create_user(app, "home@example.com").await;
    let path = format!("/v1/users/{user}");
    let set = app
        .call(
            "PATCH",
            &path,
            Some(json!({"organizationId": org_id})),
            true,
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["organizationId"], org_id);
    assert_eq!(set.body["organization"], org);
    assert_eq!(
        app.call(
            "PATCH",
            &path,
            Some(json!({"organizationId": 999_999})),
            true
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.call("PATCH", &path, Some(json!({"organizationId": "x"})), true)
            .await
            .status,
        400
    );
    let cleared = app
        .call("PATCH", &path, Some(json!({"organizationId": null})), true)
        .await;
    assert_eq!(
        (
            cleared.body["organizationId"].clone(),
            cleared.body["organization"].clone()
        ),
        (Value::Null, Value::Null)
    );
}
