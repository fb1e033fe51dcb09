//! `/api/{tenantId}/admin/users` through REST, on SQLite and PostgreSQL: the
//! tenant's back-office users, OAuth2 scopes and tenants, and the user
//! projection fed by identity events.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use nexus_proto::events::v1::EventEnvelope;
use nexus_proto::events::v1::event_envelope::Payload;
use prost::Message as _;
use serde_json::{Value, json};

use crate::helpers::{
    Answer, TestApp, create_tenant, create_user, eventually, link_body, on_both_backends,
};

on_both_backends!(
    a_tenant_user_is_attached_read_updated_and_removed,
    an_existing_user_is_attached_by_email_in_any_case,
    bad_input_is_400_naming_the_field,
    credentials_scopes_and_tenants_are_checked,
    tenants_are_isolated,
    a_tenant_renames_only_users_it_alone_has,
    the_projection_follows_identity_events,
    long_lists_are_paginated_by_cursor,
    membership_changes_are_published,
);

const READ: &str = "tenant.access:read";
const WRITE: &str = "tenant.access:write";

fn token(app: &TestApp, scopes: &[&str], tenants: &[&str]) -> String {
    nexus::dev::token(
        &app.settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: "admin@console".to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            tenants: tenants.iter().map(|s| (*s).to_owned()).collect(),
            ttl_secs: 600,
        },
    )
    .unwrap()
}

/// A token with both scopes for `tenant`.
fn admin(app: &TestApp, tenant: &str) -> String {
    token(app, &[READ, WRITE], &[tenant])
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", app.addr));
    if let Some(t) = bearer {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(json) => {
            builder = builder.header("content-type", "application/json");
            Full::new(Bytes::from(serde_json::to_vec(&json).unwrap()))
        }
        None => Full::new(Bytes::new()),
    };
    app.send(builder.body(body).unwrap()).await
}

async fn attach(app: &TestApp, tenant: &str, email: &str, role: &str) -> Value {
    let answer = call(
        app,
        "POST",
        &format!("/api/{tenant}/admin/users"),
        Some(&admin(app, tenant)),
        Some(json!({"email": email, "name": "Ann Lee", "role": role})),
    )
    .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body
}

async fn list(app: &TestApp, tenant: &str) -> Vec<Value> {
    let answer = call(
        app,
        "GET",
        &format!("/api/{tenant}/admin/users"),
        Some(&admin(app, tenant)),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body.as_array().unwrap().clone()
}

fn problem(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{:?}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
}

async fn a_tenant_user_is_attached_read_updated_and_removed(app: &TestApp) {
    let t = admin(app, "acme");
    let created = call(
        app,
        "POST",
        "/api/acme/admin/users",
        Some(&t),
        Some(json!({"email": "ann@example.com", "name": "Ann Lee", "role": "admin"})),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/acme/admin/users/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));
    assert_eq!(
        created.body,
        json!({"id": id, "email": "ann@example.com", "name": "Ann Lee", "blocked": false,
               "lastLogin": null, "tenantRole": "admin"})
    );
    // The new identity user's username is its email address.
    let identity = app
        .call("GET", &format!("/v1/users/{id}"), None, true)
        .await;
    assert_eq!(identity.body["username"], "ann@example.com");

    let one = call(app, "GET", &path, Some(&t), None).await;
    assert_eq!((one.status, &one.body), (200, &created.body));
    assert_eq!(list(app, "acme").await, vec![created.body.clone()]);

    let twice = call(
        app,
        "POST",
        "/api/acme/admin/users",
        Some(&t),
        Some(json!({"email": "ANN@example.com", "role": "viewer"})),
    )
    .await;
    problem(&twice, 409);
    assert_eq!(list(app, "acme").await[0]["tenantRole"], "admin");

    let renamed = call(
        app,
        "PUT",
        &path,
        Some(&t),
        Some(json!({"name": "Ann Smith", "role": null})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(
        (&renamed.body["name"], &renamed.body["tenantRole"]),
        (&json!("Ann Smith"), &json!("admin"))
    );
    let identity = app
        .call("GET", &format!("/v1/users/{id}"), None, true)
        .await;
    assert_eq!(identity.body["displayName"], "Ann Smith");

    let demoted = call(app, "PUT", &path, Some(&t), Some(json!({"role": "viewer"}))).await;
    assert_eq!(demoted.status, 200);
    assert_eq!(
        (&demoted.body["name"], &demoted.body["tenantRole"]),
        (&json!("Ann Smith"), &json!("viewer"))
    );

    let removed = call(app, "DELETE", &path, Some(&t), None).await;
    assert_eq!(removed.status, 204);
    problem(&call(app, "DELETE", &path, Some(&t), None).await, 404);
    problem(&call(app, "GET", &path, Some(&t), None).await, 404);
    problem(
        &call(app, "PUT", &path, Some(&t), Some(json!({"role": "admin"}))).await,
        404,
    );
    assert!(list(app, "acme").await.is_empty());
    // The account stays.
    let identity = app
        .call("GET", &format!("/v1/users/{id}"), None, true)
        .await;
    assert_eq!(identity.status, 200);
}

async fn an_existing_user_is_attached_by_email_in_any_case(app: &TestApp) {
    let existing = create_user(app, "bob@example.com").await;
    let attached = attach(app, "acme", "BOB@Example.COM", "member").await;
    assert_eq!(attached["id"], existing.as_str());
    assert_eq!(attached["email"], "bob@example.com");
    // The existing user keeps its own name.
    assert_eq!(attached["name"], "Ann Lee");
    let users = app.call("GET", "/v1/users", None, true).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 1);
}

async fn bad_input_is_400_naming_the_field(app: &TestApp) {
    let t = admin(app, "acme");
    let post = |body: Value| {
        let t = t.clone();
        async move { call(app, "POST", "/api/acme/admin/users", Some(&t), Some(body)).await }
    };
    for (body, field) in [
        (json!({"email": "c@example.com", "role": "Root!"}), "role"),
        (
            json!({"email": "c@example.com", "role": "superuser"}),
            "role",
        ),
        (json!({"email": "c@example.com", "role": ""}), "role"),
        (json!({"email": "c@example.com"}), "role"),
        (json!({"role": "admin"}), "email"),
        (json!({"email": "", "role": "admin"}), "email"),
        (json!({"email": "not-an-email", "role": "admin"}), "email"),
    ] {
        let answer = post(body.clone()).await;
        problem(&answer, 400);
        let detail = answer.body["detail"].as_str().unwrap();
        assert!(detail.contains(field), "{body}: {detail}");
    }
    // Nothing was created by the refused calls.
    let users = app.call("GET", "/v1/users", None, true).await;
    assert_eq!(users.body["items"], json!([]));

    let bad_tenant = call(app, "GET", "/api/a%20b/admin/users", Some(&t), None).await;
    problem(&bad_tenant, 400);
    assert!(
        bad_tenant.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("tenantId")
    );
    let long = "t".repeat(129);
    problem(
        &call(
            app,
            "GET",
            &format!("/api/{long}/admin/users"),
            Some(&t),
            None,
        )
        .await,
        400,
    );

    let user = attach(app, "acme", "d@example.com", "member").await;
    let path = format!("/api/acme/admin/users/{}", user["id"].as_str().unwrap());
    for body in [
        json!({"name": "D"}),
        json!({"role": "superuser"}),
        json!({"role": "admin", "extra": 1}),
    ] {
        let answer = call(app, "PUT", &path, Some(&t), Some(body.clone())).await;
        problem(&answer, 400);
    }
    for query in ["limit=0", "limit=10001", "limit=x"] {
        let answer = call(
            app,
            "GET",
            &format!("/api/acme/admin/users?{query}"),
            Some(&t),
            None,
        )
        .await;
        problem(&answer, 400);
    }
}

async fn credentials_scopes_and_tenants_are_checked(app: &TestApp) {
    let user = attach(app, "acme", "e@example.com", "member").await;
    let id = user["id"].as_str().unwrap();
    let list_path = "/api/acme/admin/users";
    let one_path = format!("/api/acme/admin/users/{id}");
    let post_body = json!({"email": "f@example.com", "role": "member"});
    let put_body = json!({"role": "admin"});

    for bearer in [None, Some("not.a.jwt")] {
        problem(&call(app, "GET", list_path, bearer, None).await, 401);
        problem(&call(app, "GET", &one_path, bearer, None).await, 401);
        problem(
            &call(app, "POST", list_path, bearer, Some(post_body.clone())).await,
            401,
        );
        problem(
            &call(app, "PUT", &one_path, bearer, Some(put_body.clone())).await,
            401,
        );
        problem(&call(app, "DELETE", &one_path, bearer, None).await, 401);
    }

    let read_only = token(app, &[READ], &["acme"]);
    let write_only = token(app, &[WRITE], &["acme"]);
    let other_tenant = token(app, &[READ, WRITE], &["globex"]);
    for t in [&read_only, &other_tenant] {
        problem(
            &call(app, "POST", list_path, Some(t), Some(post_body.clone())).await,
            403,
        );
        problem(
            &call(app, "PUT", &one_path, Some(t), Some(put_body.clone())).await,
            403,
        );
        problem(&call(app, "DELETE", &one_path, Some(t), None).await, 403);
    }
    for t in [&write_only, &other_tenant] {
        problem(&call(app, "GET", list_path, Some(t), None).await, 403);
        problem(&call(app, "GET", &one_path, Some(t), None).await, 403);
    }
    // Nothing changed.
    assert_eq!(list(app, "acme").await, vec![user.clone()]);
    let users = app.call("GET", "/v1/users", None, true).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 1);

    // The scopes that fit are enough on their own.
    let one = call(app, "GET", &one_path, Some(&read_only), None).await;
    assert_eq!(one.status, 200);
    let put = call(app, "PUT", &one_path, Some(&write_only), Some(put_body)).await;
    assert_eq!(put.status, 200);
}

async fn tenants_are_isolated(app: &TestApp) {
    let in_a = attach(app, "tenant-a", "g@example.com", "owner").await;
    let in_b = attach(app, "tenant-b", "h@example.com", "owner").await;
    let b = admin(app, "tenant-b");
    let id = in_a["id"].as_str().unwrap();
    let answer = call(
        app,
        "GET",
        &format!("/api/tenant-b/admin/users/{id}"),
        Some(&b),
        None,
    )
    .await;
    problem(&answer, 404);
    problem(
        &call(
            app,
            "DELETE",
            &format!("/api/tenant-b/admin/users/{id}"),
            Some(&b),
            None,
        )
        .await,
        404,
    );
    assert_eq!(list(app, "tenant-b").await, vec![in_b]);
    assert_eq!(list(app, "tenant-a").await, vec![in_a]);
}

async fn a_tenant_renames_only_users_it_alone_has(app: &TestApp) {
    let shared = attach(app, "rename-a", "shared@example.com", "admin").await;
    let id = shared["id"].as_str().unwrap();
    assert_eq!(
        attach(app, "rename-b", "shared@example.com", "viewer").await["id"],
        shared["id"]
    );
    let in_a = format!("/api/rename-a/admin/users/{id}");
    let a = admin(app, "rename-a");
    let rename = json!({"name": "Mallory", "role": null});

    // Shared with another tenant: the global name is not tenant A's to change.
    let refused = call(app, "PUT", &in_a, Some(&a), Some(rename.clone())).await;
    problem(&refused, 409);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("other tenants"),
        "{:?}",
        refused.body
    );
    let in_b = call(
        app,
        "GET",
        &format!("/api/rename-b/admin/users/{id}"),
        Some(&admin(app, "rename-b")),
        None,
    )
    .await;
    assert_eq!(in_b.body["name"], "Ann Lee", "tenant B still sees the name");
    // The role is the tenant's own: it may still change it.
    let role_only = json!({"role": "viewer"});
    let demoted = call(app, "PUT", &in_a, Some(&a), Some(role_only)).await;
    assert_eq!(demoted.status, 200, "{:?}", demoted.body);

    // Once the user belongs to tenant A alone, A may rename it.
    let removed = call(
        app,
        "DELETE",
        &format!("/api/rename-b/admin/users/{id}"),
        Some(&admin(app, "rename-b")),
        None,
    )
    .await;
    assert_eq!(removed.status, 204, "{:?}", removed.body);
    let renamed = call(app, "PUT", &in_a, Some(&a), Some(rename)).await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "Mallory");
}

async fn the_projection_follows_identity_events(app: &TestApp) {
    let user = attach(app, "acme", "ivy@example.com", "admin").await;
    let id = user["id"].as_str().unwrap().to_owned();
    let also_in = attach(app, "globex", "ivy@example.com", "viewer").await;
    assert_eq!(also_in["id"], id.as_str());

    // A login through $sync shows up as lastLogin.
    let idp = create_tenant(app, "ivy-idp").await["id"].as_i64().unwrap();
    let linked = app
        .call(
            "PUT",
            &format!("/v1/users/{id}/idp_tenants/{idp}"),
            Some(link_body(&format!("auth0|{id}"), "con_1")),
            true,
        )
        .await;
    assert_eq!(linked.status, 200, "{:?}", linked.body);
    let synced = app
        .call(
            "PUT",
            &format!("/v1/users/{id}/$sync"),
            Some(json!({
                "audience": "https://api.example.com",
                "attributes": [],
                "connection": {"groups": [], "connectionId": "con_1"},
                "clientUpnKey": null,
            })),
            true,
        )
        .await;
    assert_eq!(synced.status, 200, "{:?}", synced.body);
    eventually(
        "acme's user with its last login",
        || list(app, "acme"),
        |users| users.len() == 1 && users[0]["lastLogin"].is_string(),
    )
    .await;

    // Blocking the identity user blocks it here.
    let blocked = app
        .call(
            "PATCH",
            &format!("/v1/users/{id}"),
            Some(json!({"isActive": false})),
            true,
        )
        .await;
    assert_eq!(blocked.status, 200, "{:?}", blocked.body);
    eventually(
        "acme's user blocked",
        || list(app, "acme"),
        |users| {
            users.len() == 1
                && users[0]["blocked"] == json!(true)
                && users[0]["lastLogin"].is_string()
        },
    )
    .await;

    // Deleting it in identity removes it from every tenant.
    let deleted = app
        .call("DELETE", &format!("/v1/users/{id}"), None, true)
        .await;
    assert_eq!(deleted.status, 204);
    eventually(
        "acme without the deleted user",
        || list(app, "acme"),
        Vec::is_empty,
    )
    .await;
    eventually(
        "globex without the deleted user",
        || list(app, "globex"),
        Vec::is_empty,
    )
    .await;
}

async fn long_lists_are_paginated_by_cursor(app: &TestApp) {
    let t = admin(app, "acme");
    let mut ids = Vec::new();
    for i in 0..3 {
        let user = attach(app, "acme", &format!("p{i}@example.com"), "member").await;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    ids.sort();
    let first = call(app, "GET", "/api/acme/admin/users?limit=2", Some(&t), None).await;
    assert_eq!(first.status, 200);
    let page: Vec<&str> = first
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(page, [ids[0].as_str(), ids[1].as_str()]);
    let cursor = first.header("x-next-cursor").unwrap().to_owned();
    assert!(first.header("link").unwrap().contains("rel=\"next\""));
    let second = call(
        app,
        "GET",
        &format!("/api/acme/admin/users?limit=2&cursor={cursor}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(second.body.as_array().unwrap().len(), 1);
    assert_eq!(second.body[0]["id"], ids[2].as_str());
    assert_eq!(second.header("x-next-cursor"), None);
    // Unpaginated, the whole list and no cursor.
    let all = call(app, "GET", "/api/acme/admin/users", Some(&t), None).await;
    assert_eq!(all.body.as_array().unwrap().len(), 3);
    assert_eq!(all.header("x-next-cursor"), None);
}

async fn membership_changes_are_published(app: &TestApp) {
    let bus = app
        .running
        .as_ref()
        .unwrap()
        .in_process_bus
        .clone()
        .unwrap();
    let mut events = bus.subscribe();
    let t = admin(app, "acme");
    let user = attach(app, "acme", "j@example.com", "member").await;
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/api/acme/admin/users/{id}");
    let put = call(app, "PUT", &path, Some(&t), Some(json!({"role": "admin"}))).await;
    assert_eq!(put.status, 200);
    assert_eq!(call(app, "DELETE", &path, Some(&t), None).await.status, 204);

    let mut seen = Vec::new();
    while seen.len() < 3 {
        let message = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("events within 5 s")
            .unwrap();
        if !message.subject.starts_with("nexus.tenant-access.") {
            continue;
        }
        let envelope = EventEnvelope::decode(message.payload).unwrap();
        assert_eq!(envelope.aggregate_type, "tenant_member");
        assert_eq!(envelope.aggregate_id, format!("acme/{id}"));
        assert_eq!(envelope.tenant.as_deref(), Some("acme"));
        let role = match envelope.payload.unwrap() {
            Payload::TenantMemberAttached(m)
            | Payload::TenantMemberUpdated(m)
            | Payload::TenantMemberRemoved(m) => m.role,
            other => panic!("{other:?}"),
        };
        seen.push((message.subject, envelope.aggregate_version, role));
    }
    assert_eq!(
        seen,
        [
            (
                "nexus.tenant-access.tenant_member.attached".to_owned(),
                1,
                "member".to_owned()
            ),
            (
                "nexus.tenant-access.tenant_member.updated".to_owned(),
                2,
                "admin".to_owned()
            ),
            (
                "nexus.tenant-access.tenant_member.removed".to_owned(),
                3,
                "admin".to_owned()
            ),
        ]
    );
}

/// The projection through the durable JetStream consumer instead of the
/// in-process bus: the same behaviour, with events crossing real NATS.
#[tokio::test]
async fn the_projection_follows_identity_events_over_jetstream() {
    let url = crate::helpers::nats_url();
    if let Err(e) = async_nats::connect(url.as_str()).await {
        crate::helpers::unavailable("NATS", &url, &e);
        return;
    }
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let Some(app) = TestApp::spawn_with(crate::helpers::Backend::Postgres, |s| {
        crate::helpers::use_nats(s, &tag);
    })
    .await
    else {
        return;
    };
    the_projection_follows_identity_events(&app).await;
    let bus = nexus_platform::events::NatsEventBus::connect(&app.settings.events)
        .await
        .unwrap();
    bus.jetstream()
        .delete_stream(bus.stream_name())
        .await
        .unwrap();
    app.stop().await;
}
