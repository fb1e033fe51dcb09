//! `/v1/users` through REST, on SQLite and PostgreSQL.

use serde_json::json;

use crate::helpers::{Backend, TEST_SUBJECT, TestApp, new_user, on_both_backends};

/// Every field of the contract's User, hyphenated keys included.
const USER_FIELDS: [&str; 34] = [
    "id",
    "type",
    "owner",
    "roles",
    "created",
    "ownerId",
    "picture",
    "isActive",
    "language",
    "memberOf",
    "modified",
    "nickname",
    "username",
    "createdBy",
    "givenName",
    "attributes",
    "customUpns",
    "familyName",
    "identities",
    "modifiedBy",
    "displayName",
    "phoneNumber",
    "emailAddress",
    "organization",
    "isMfaDisabled",
    "subscriptions",
    "email-verified",
    "organizationId",
    "mfaEnrollmentStatus",
    "authenticationMethod",
    "recoveryEmailAddress",
    "applicationDeployments",
    "email-verify-sent-date",
    "email-verification-status-type",
];

on_both_backends!(
    created_user_is_read_back_with_the_contract_shape,
    duplicate_email_in_another_case_is_409,
    unknown_user_is_404_problem,
    invalid_bodies_are_400_naming_the_field,
    calls_without_valid_credentials_are_401,
    owner_is_embedded_when_owner_id_is_set,
    users_are_listed_by_cursor_and_filtered_case_insensitively,
    a_merge_patch_changes_named_fields_and_clears_nulls,
    a_deleted_user_is_gone_with_its_links,
);

async fn created_user_is_read_back_with_the_contract_shape(app: &TestApp) {
    let created = app
        .call("POST", "/v1/users", Some(new_user("ann@example.com")), true)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/users/{id}").as_str())
    );

    let read = app
        .call("GET", &format!("/v1/users/{id}"), None, true)
        .await;
    assert_eq!(read.status, 200);
    let user = read.body.as_object().expect("object");
    let mut keys: Vec<&str> = user.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = USER_FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);

    assert_eq!(read.body, created.body);
    assert_eq!(user["emailAddress"], "ann@example.com");
    assert_eq!(user["username"], "ann");
    assert_eq!(user["displayName"], "Ann Lee");
    assert_eq!(user["isActive"], true);
    assert_eq!(user["email-verified"], false);
    assert_eq!(user["createdBy"], TEST_SUBJECT);
    assert_eq!(user["modifiedBy"], TEST_SUBJECT);
    for list in [
        "roles",
        "memberOf",
        "attributes",
        "customUpns",
        "identities",
        "subscriptions",
        "applicationDeployments",
    ] {
        assert_eq!(user[list], json!([]), "{list}");
    }
    let created_at = user["created"].as_str().expect("created");
    assert!(
        created_at.ends_with('Z') && created_at.contains('T'),
        "{created_at}"
    );
    assert_eq!(user["created"], user["modified"]);
}

async fn duplicate_email_in_another_case_is_409(app: &TestApp) {
    assert_eq!(
        app.call("POST", "/v1/users", Some(new_user("bo@example.com")), true)
            .await
            .status,
        201
    );
    let dup = app
        .call("POST", "/v1/users", Some(new_user("BO@Example.COM")), true)
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.header("content-type"), Some("application/problem+json"));
    assert!(
        dup.body["detail"]
            .as_str()
            .unwrap()
            .contains("emailAddress")
    );
}

async fn unknown_user_is_404_problem(app: &TestApp) {
    let answer = app.call("GET", "/v1/users/doesnotexist", None, true).await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(answer.body["status"], 404);
    assert_eq!(answer.body["instance"], "/v1/users/doesnotexist");
    assert!(answer.header("x-request-id").is_some());

    let malformed = app.call("GET", "/v1/users/not%20an%20id", None, true).await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("userId")
    );
}

async fn invalid_bodies_are_400_naming_the_field(app: &TestApp) {
    let cases = [
        (json!({"username": "x"}), "emailAddress"),
        (
            json!({"emailAddress": "no-at-sign", "username": "x"}),
            "emailAddress",
        ),
        (
            json!({"emailAddress": "a@example.com", "username": ""}),
            "username",
        ),
        (
            json!({"emailAddress": "a@example.com", "username": "x", "givenName": "g".repeat(256)}),
            "givenName",
        ),
        (
            json!({"emailAddress": "a@example.com", "username": "x", "isActive": "yes"}),
            "isActive",
        ),
        (
            json!({"emailAddress": "a@example.com", "username": "x", "unknown": 1}),
            "unknown",
        ),
    ];
    for (body, field) in cases {
        let answer = app
            .call("POST", "/v1/users", Some(body.clone()), true)
            .await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json")
        );
        let detail = answer.body["detail"].as_str().unwrap();
        assert!(detail.contains(field), "{body} -> {detail}");
    }
    let array = app
        .send(
            app.authed("POST", "/v1/users")
                .header("content-type", "application/json")
                .body(r#"["a@example.com","x"]"#.into())
                .unwrap(),
        )
        .await;
    assert_eq!(array.status, 400, "a struct written as an array is refused");
    let not_json = app
        .send(
            app.authed("POST", "/v1/users")
                .header("content-type", "application/json")
                .body("{".into())
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, 400);
    let wrong_type = app
        .send(
            app.authed("POST", "/v1/users")
                .header("content-type", "text/plain")
                .body("x".into())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong_type.status, 415);
    let huge = format!("{{\"emailAddress\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let too_large = app
        .send(
            app.authed("POST", "/v1/users")
                .header("content-type", "application/json")
                .body(huge.into())
                .unwrap(),
        )
        .await;
    assert_eq!(too_large.status, 413);

    // Nothing of the above was stored.
    let ok = app
        .call("POST", "/v1/users", Some(new_user("a@example.com")), true)
        .await;
    assert_eq!(ok.status, 201);
}

async fn calls_without_valid_credentials_are_401(app: &TestApp) {
    let none = app.call("GET", "/v1/users/x", None, false).await;
    assert_eq!(none.status, 401);
    assert!(none.header("www-authenticate").is_some());
    assert_eq!(
        none.header("content-type"),
        Some("application/problem+json")
    );
    let wrong = app
        .send(
            http::Request::builder()
                .uri(format!("http://{}/v1/users", app.addr))
                .method("POST")
                .header("authorization", "Bearer t")
                .header("applicationtoken", "wrong")
                .header("content-type", "application/json")
                .body(
                    serde_json::to_vec(&new_user("c@example.com"))
                        .unwrap()
                        .into(),
                )
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let not_a_jwt = app
        .send(
            http::Request::builder()
                .uri(format!("http://{}/v1/users/x", app.addr))
                .header("authorization", "Bearer not-a-jwt")
                .header("applicationtoken", &app.app_token)
                .body(Vec::new().into())
                .unwrap(),
        )
        .await;
    assert_eq!(not_a_jwt.status, 401);
    assert!(not_a_jwt.header("www-authenticate").is_some());
    let health = app.call("GET", "/healthz", None, false).await;
    assert_eq!(health.status, 200);
    let ready = app.call("GET", "/readyz", None, false).await;
    assert_eq!(ready.status, 200, "{:?}", ready.body);
}

async fn owner_is_embedded_when_owner_id_is_set(app: &TestApp) {
    let owner = app
        .call(
            "POST",
            "/v1/users",
            Some(new_user("owner@example.com")),
            true,
        )
        .await;
    let owner_id = owner.body["id"].as_str().unwrap();
    let mut body = new_user("owned@example.com");
    body["ownerId"] = json!(owner_id);
    let owned = app.call("POST", "/v1/users", Some(body), true).await;
    assert_eq!(owned.status, 201);
    assert_eq!(owned.body["ownerId"], owner_id);
    assert_eq!(owned.body["owner"]["id"], owner_id);
    assert_eq!(owned.body["owner"]["emailAddress"], "owner@example.com");
    let owned_id = owned.body["id"].as_str().unwrap();

    // A list embeds the same owner, whether the owner is on the page or not.
    let read = app
        .call("GET", &format!("/v1/users/{owned_id}"), None, true)
        .await;
    let both = app.call("GET", "/v1/users?limit=200", None, true).await;
    assert_eq!(both.status, 200);
    let listed = both.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == owned_id)
        .unwrap();
    assert_eq!(listed, &read.body);
    let after_owner = app
        .call("GET", &format!("/v1/users?cursor={owner_id}"), None, true)
        .await;
    let items = after_owner.body["items"].as_array().unwrap();
    assert!(items.iter().all(|u| u["id"] != owner_id), "{items:?}");
    let listed = items.iter().find(|u| u["id"] == owned_id).unwrap();
    assert_eq!(listed, &read.body);
    assert_eq!(listed["owner"]["id"], owner_id);
    assert_eq!(listed["owner"]["owner"], serde_json::Value::Null);
}

#[tokio::test]
async fn two_instances_run_side_by_side_on_port_zero() {
    let a = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let b = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_ne!(a.addr, b.addr);
    let created = a
        .call(
            "POST",
            "/v1/users",
            Some(new_user("solo@example.com")),
            true,
        )
        .await;
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        b.call("GET", &format!("/v1/users/{id}"), None, true)
            .await
            .status,
        404
    );
    a.stop().await;
    b.stop().await;
}

async fn users_are_listed_by_cursor_and_filtered_case_insensitively(app: &TestApp) {
    let mut ids = Vec::new();
    for email in ["l1@example.com", "l2@example.com", "L3@Example.com"] {
        ids.push(
            app.call("POST", "/v1/users", Some(new_user(email)), true)
                .await
                .body["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let first = app.call("GET", "/v1/users?limit=2", None, true).await;
    assert_eq!(first.status, 200);
    let page: Vec<&str> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(page, [ids[0].as_str(), ids[1].as_str()]);
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let second = app
        .call(
            "GET",
            &format!("/v1/users?limit=2&cursor={cursor}"),
            None,
            true,
        )
        .await;
    assert_eq!(second.body["items"][0]["id"], ids[2].as_str());
    assert_eq!(second.body["nextCursor"], serde_json::Value::Null);

    let by_email = app
        .call("GET", "/v1/users?emailAddress=l3%40example.COM", None, true)
        .await;
    assert_eq!(by_email.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_email.body["items"][0]["id"], ids[2].as_str());
    let by_username = app.call("GET", "/v1/users?username=L2", None, true).await;
    assert_eq!(by_username.body["items"][0]["id"], ids[1].as_str());
    let none = app.call("GET", "/v1/users?username=l", None, true).await;
    assert_eq!(none.body["items"], json!([]));
    for bad in ["limit=0", "limit=201", "cursor=a%20b", "unknown=1"] {
        assert_eq!(
            app.call("GET", &format!("/v1/users?{bad}"), None, true)
                .await
                .status,
            400,
            "{bad}"
        );
    }
}

async fn a_merge_patch_changes_named_fields_and_clears_nulls(app: &TestApp) {
    let mut body = new_user("patch@example.com");
    body["nickname"] = json!("annie");
    let created = app.call("POST", "/v1/users", Some(body), true).await;
    let id = created.body["id"].as_str().unwrap();
    let path = format!("/v1/users/{id}");

    let patched = app
        .call("PATCH", &path, Some(json!({"nickname": null, "displayName": "A. Lee", "isActive": false, "email-verified": true})), true)
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["nickname"], serde_json::Value::Null);
    assert_eq!(patched.body["displayName"], "A. Lee");
    assert_eq!(patched.body["isActive"], false);
    assert_eq!(patched.body["email-verified"], true);
    assert_eq!(patched.body["givenName"], "Ann");
    assert_eq!(patched.body["created"], created.body["created"]);

    let other = app
        .call(
            "POST",
            "/v1/users",
            Some(new_user("taken@example.com")),
            true,
        )
        .await;
    assert_eq!(other.status, 201);
    let clash = app
        .call(
            "PATCH",
            &path,
            Some(json!({"emailAddress": "TAKEN@example.com"})),
            true,
        )
        .await;
    assert_eq!(clash.status, 409);
    for (bad, field) in [
        (json!({"emailAddress": "nope"}), "emailAddress"),
        (json!({"id": "x"}), "id"),
        (json!({"whatever": 1}), "whatever"),
        (json!({"isActive": null}), "isActive"),
    ] {
        let answer = app.call("PATCH", &path, Some(bad.clone()), true).await;
        assert_eq!(answer.status, 400, "{bad}");
        assert!(
            answer.body["detail"].as_str().unwrap().starts_with(field),
            "{:?}",
            answer.body
        );
    }
    let unchanged = app.call("GET", &path, None, true).await;
    assert_eq!(
        unchanged.body, patched.body,
        "refused patches change nothing"
    );
    assert_eq!(
        app.call(
            "PATCH",
            "/v1/users/nobody",
            Some(json!({"nickname": "x"})),
            true
        )
        .await
        .status,
        404
    );
}

async fn a_deleted_user_is_gone_with_its_links(app: &TestApp) {
    let created = app
        .call(
            "POST",
            "/v1/users",
            Some(new_user("gone@example.com")),
            true,
        )
        .await;
    let id = created.body["id"].as_str().unwrap();
    let tenant = app
        .call("POST", "/v1/idp_tenants", Some(json!({"name": "del", "azoName": "d", "fqdn": "d.auth0.com", "loginDomain": "d.com"})), true)
        .await;
    let tid = tenant.body["id"].as_i64().unwrap();
    let link = json!({"strategy": "auth0", "azoUserId": "auth0|gone", "azoConnectionId": "c"});
    assert_eq!(
        app.call(
            "PUT",
            &format!("/v1/users/{id}/idp_tenants/{tid}"),
            Some(link.clone()),
            true
        )
        .await
        .status,
        200
    );

    assert_eq!(
        app.call("DELETE", &format!("/v1/users/{id}"), None, true)
            .await
            .status,
        204
    );
    assert_eq!(
        app.call("GET", &format!("/v1/users/{id}"), None, true)
            .await
            .status,
        404
    );
    assert_eq!(
        app.call("DELETE", &format!("/v1/users/{id}"), None, true)
            .await
            .status,
        404
    );
    // The Auth0 user and the email address are free again.
    let again = app
        .call(
            "POST",
            "/v1/users",
            Some(new_user("gone@example.com")),
            true,
        )
        .await;
    assert_eq!(again.status, 201);
    let new_id = again.body["id"].as_str().unwrap();
    assert_eq!(
        app.call(
            "PUT",
            &format!("/v1/users/{new_id}/idp_tenants/{tid}"),
            Some(link),
            true
        )
        .await
        .status,
        200
    );
}
