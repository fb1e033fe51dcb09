//! `/api/{tenantId}/admin/users` with Auth0 provisioning on, through REST
//! against a fake Auth0: accounts created or found, claimed with the Nexus
//! user id and linked in identity; a new account's person emailed once;
//! failures answered 503 and leaving nothing half done; retries converging.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

#[path = "../../../tenant-access-service/tests/auth0/fake.rs"]
mod fake;

use crate::helpers::{Answer, Backend, TestApp, create_tenant};
use fake::{CONNECTION, CONNECTION_ID, FakeAuth0, Fault};

/// Runs each test on SQLite and PostgreSQL against a fresh Nexus that
/// provisions into a fresh fake Auth0.
macro_rules! with_auth0 {
    ($($name:ident),* $(,)?) => {
        with_auth0!(@on sqlite, Sqlite, $($name),*);
        with_auth0!(@on postgres, Postgres, $($name),*);
    };
    (@on $module:ident, $backend:ident, $($name:ident),*) => {
        mod $module {
            $(#[tokio::test]
            async fn $name() {
                let fake = super::FakeAuth0::start().await;
                if let Some(app) = super::spawn(crate::helpers::Backend::$backend, &fake).await {
                    super::$name(&app, &fake).await;
                    app.stop().await;
                }
            })*
        }
    };
}

with_auth0!(
    a_new_user_gets_an_auth0_account_an_email_and_its_nexus_id,
    an_existing_auth0_user_is_attached_by_email,
    rate_limits_and_server_errors_on_the_way_are_absorbed,
    auth0_down_is_503_and_changes_nothing_until_a_retry_succeeds,
    an_email_that_fails_is_503_and_the_retry_emails_once,
    a_failure_after_the_account_is_made_converges_on_retry,
    a_lost_create_answer_is_found_and_attached,
    rename_reaches_auth0_and_delete_keeps_the_account,
);

/// Nexus with provisioning into `fake`, and the IdP tenant it links to.
async fn spawn(backend: Backend, fake: &FakeAuth0) -> Option<TestApp> {
    let settings = fake.settings();
    let app = TestApp::spawn_with(backend, |s| s.tenant_access.auth0 = Some(settings)).await?;
    let idp = create_tenant(&app, "acme-auth0").await;
    assert_eq!(idp["id"], fake.settings().idp_tenant_id);
    Some(app)
}

/// Calls the tenant back-office API of `acme` as its administrator.
async fn admin_call(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> Answer {
    let bearer = nexus::dev::token(
        &app.settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: "admin@console".to_owned(),
            scopes: vec![
                "tenant.access:read".to_owned(),
                "tenant.access:write".to_owned(),
            ],
            tenants: vec!["acme".to_owned()],
            ttl_secs: 600,
        },
    )
    .unwrap();
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("http://{}/api/acme/admin/users{path}", app.addr))
        .header("authorization", format!("Bearer {bearer}"));
    let body = match body {
        Some(json) => {
            request = request.header("content-type", "application/json");
            Full::new(Bytes::from(json.to_string()))
        }
        None => Full::new(Bytes::new()),
    };
    app.send(request.body(body).unwrap()).await
}

async fn post(app: &TestApp, email: &str) -> Answer {
    let body = json!({"email": email, "name": "Ann Lee", "role": "admin"});
    admin_call(app, "POST", "", Some(body)).await
}

/// The identity users with this email address.
async fn nexus_users(app: &TestApp, email: &str) -> Vec<Value> {
    let path = format!("/v1/users?emailAddress={}", email.replace('@', "%40"));
    let answer = app.call("GET", &path, None, true).await;
    answer.body["items"].as_array().unwrap().clone()
}

/// The user's identity links.
async fn links(app: &TestApp, user: &str) -> Vec<Value> {
    let path = format!("/v1/users/{user}/idp_tenants");
    let answer = app.call("GET", &path, None, true).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body.as_array().unwrap().clone()
}

async fn members(app: &TestApp) -> Vec<Value> {
    let answer = admin_call(app, "GET", "", None).await;
    answer.body.as_array().unwrap().clone()
}

/// One Auth0 account, one identity user, one link to that account and one
/// membership for `email`; answers the Nexus user id.
async fn exactly_one_of_each(app: &TestApp, fake: &FakeAuth0, email: &str) -> String {
    let accounts: Vec<Value> = fake
        .users()
        .into_iter()
        .filter(|u| u["email"] == email)
        .collect();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let users = nexus_users(app, email).await;
    assert_eq!(users.len(), 1, "{users:?}");
    let id = users[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(accounts[0]["app_metadata"]["nexus_user_id"], id.as_str());
    let links = links(app, &id).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["azoUserId"], accounts[0]["user_id"]);
    assert_eq!(links[0]["azoConnectionId"], CONNECTION_ID);
    assert_eq!(links[0]["strategy"], "auth0");
    let members = members(app).await;
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["id"], id.as_str());
    id
}

fn problem(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{:?}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
}

async fn a_new_user_gets_an_auth0_account_an_email_and_its_nexus_id(
    app: &TestApp,
    fake: &FakeAuth0,
) {
    let created = post(app, "ann@example.com").await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = exactly_one_of_each(app, fake, "ann@example.com").await;
    assert_eq!(created.body["id"], id.as_str());
    let account = fake.user_by_email("ann@example.com").unwrap();
    assert_eq!(account["name"], "Ann Lee");
    assert_eq!(account["identities"][0]["connection"], CONNECTION);
    // Auth0 emailed the person the link to set a password, once.
    assert_eq!(fake.emails(), ["ann@example.com"]);

    // The first login's $sync reaches the same Nexus user.
    let sync = json!({"audience": "https://api.example.com", "attributes": [],
        "connection": {"groups": [], "connectionId": CONNECTION_ID}, "clientUpnKey": null});
    let synced = app
        .call("PUT", &format!("/v1/users/{id}/$sync"), Some(sync), true)
        .await;
    assert_eq!(synced.status, 200, "{:?}", synced.body);
}

async fn an_existing_auth0_user_is_attached_by_email(app: &TestApp, fake: &FakeAuth0) {
    let account = fake.add_user("bob@example.com", CONNECTION);
    let created = post(app, "Bob@Example.com").await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    exactly_one_of_each(app, fake, "bob@example.com").await;
    assert_eq!(fake.count("POST", "/api/v2/users"), 0);
    // An account Nexus did not make already has a way to log in: no email.
    assert!(fake.emails().is_empty());
    let links = links(app, created.body["id"].as_str().unwrap()).await;
    assert_eq!(links[0]["azoUserId"], account.as_str());
}

async fn rate_limits_and_server_errors_on_the_way_are_absorbed(app: &TestApp, fake: &FakeAuth0) {
    fake.inject_on(
        "POST",
        "/api/v2/users",
        Fault::TooMany {
            retry_after: Some(1),
            reset_in: None,
        },
    );
    fake.inject_on("PATCH", "/api/v2/users/", Fault::Status(502));
    fake.inject_on("POST", "/dbconnections/change_password", Fault::Status(500));
    fake.inject_on(
        "POST",
        "/dbconnections/change_password",
        Fault::TooMany {
            retry_after: None,
            reset_in: Some(1),
        },
    );
    let created = post(app, "cy@example.com").await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    exactly_one_of_each(app, fake, "cy@example.com").await;
    assert_eq!(fake.count("POST", "/api/v2/users"), 2);
    assert_eq!(fake.count("POST", "/dbconnections/change_password"), 3);
    assert_eq!(fake.emails(), ["cy@example.com"]);
}

async fn auth0_down_is_503_and_changes_nothing_until_a_retry_succeeds(
    app: &TestApp,
    fake: &FakeAuth0,
) {
    fake.set_down(true);
    let refused = post(app, "dee@example.com").await;
    problem(&refused, 503);
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Auth0 Management API")),
        "the 503 names Auth0: {:?}",
        refused.body
    );
    assert!(nexus_users(app, "dee@example.com").await.is_empty());
    assert!(members(app).await.is_empty());

    fake.set_down(false);
    let created = post(app, "dee@example.com").await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    exactly_one_of_each(app, fake, "dee@example.com").await;
    assert_eq!(fake.emails(), ["dee@example.com"]);
}

async fn an_email_that_fails_is_503_and_the_retry_emails_once(app: &TestApp, fake: &FakeAuth0) {
    for _ in 0..fake.settings().max_attempts {
        fake.inject_on("POST", "/dbconnections/change_password", Fault::Status(503));
    }
    let refused = post(app, "hal@example.com").await;
    problem(&refused, 503);
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Auth0 Authentication API")),
        "{:?}",
        refused.body
    );
    assert!(members(app).await.is_empty());
    assert!(fake.emails().is_empty());

    let created = post(app, "hal@example.com").await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    exactly_one_of_each(app, fake, "hal@example.com").await;
    assert_eq!(fake.emails(), ["hal@example.com"]);
}

async fn a_failure_after_the_account_is_made_converges_on_retry(app: &TestApp, fake: &FakeAuth0) {
    // Every try of the claim fails: the account and the identity user exist,
    // the member does not.
    for _ in 0..fake.settings().max_attempts {
        fake.inject_on("PATCH", "/api/v2/users/", Fault::Status(503));
    }
    let refused = post(app, "eve@example.com").await;
    problem(&refused, 503);
    assert!(members(app).await.is_empty());
    assert_eq!(nexus_users(app, "eve@example.com").await.len(), 1);

    let created = post(app, "eve@example.com").await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    exactly_one_of_each(app, fake, "eve@example.com").await;
    // The claim had not been written, so the person is emailed once more,
    // and no more than that.
    assert_eq!(fake.emails_to("eve@example.com"), 2);

    // Once attached, the same POST is the contract's 409, and emails nobody.
    problem(&post(app, "eve@example.com").await, 409);
    assert_eq!(fake.emails_to("eve@example.com"), 2);
}

async fn a_lost_create_answer_is_found_and_attached(app: &TestApp, fake: &FakeAuth0) {
    fake.conflict_on_next_create();
    let created = post(app, "fay@example.com").await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    exactly_one_of_each(app, fake, "fay@example.com").await;
    // The account found after the 409 is one provisioning made: emailed.
    assert_eq!(fake.emails(), ["fay@example.com"]);
}

async fn rename_reaches_auth0_and_delete_keeps_the_account(app: &TestApp, fake: &FakeAuth0) {
    let created = post(app, "gus@example.com").await;
    let id = created.body["id"].as_str().unwrap().to_owned();

    let path = format!("/{id}");
    let rename = || {
        admin_call(
            app,
            "PUT",
            &path,
            Some(json!({"name": "Gus Grey", "role": null})),
        )
    };
    fake.set_down(true);
    let refused = rename().await;
    problem(&refused, 503);
    let user = app
        .call("GET", &format!("/v1/users/{id}"), None, true)
        .await;
    assert_eq!(user.body["displayName"], "Ann Lee");
    fake.set_down(false);

    let renamed = rename().await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(
        fake.user_by_email("gus@example.com").unwrap()["name"],
        "Gus Grey"
    );

    let removed = admin_call(app, "DELETE", &format!("/{id}"), None).await;
    assert_eq!(removed.status, 204);
    assert!(fake.user_by_email("gus@example.com").is_some());
    assert_eq!(links(app, &id).await.len(), 1);
}
