//! Custom UPNs through REST, on SQLite and PostgreSQL: the value rules, the
//! uniqueness rules, `ETag`/`If-Match`, merge-patch semantics and the
//! `custom_upn.created` event.

use bytes::Bytes;
use http_body_util::Full;
use nexus_proto::events::v1::EventEnvelope;
use nexus_proto::events::v1::event_envelope::Payload;
use prost::Message as _;
use serde_json::{Value, json};

use crate::helpers::{
    Answer, TEST_SUBJECT, TestApp, create_upn, create_user, on_both_backends, upn_body, upns_path,
};

on_both_backends!(
    a_upn_is_created_read_listed_patched_and_deleted,
    invalid_fields_are_400_naming_the_field_and_rule,
    unknown_users_and_upns_of_other_users_are_404,
    a_user_has_one_upn_per_client_key,
    a_value_belongs_to_one_user_per_client_key_ignoring_case,
    a_stale_if_match_is_412_and_changes_nothing,
    a_patch_leaves_absent_fields_and_clears_nulls,
    of_two_racing_patches_with_the_same_if_match_one_wins,
    each_change_publishes_a_custom_upn_event_with_its_version,
);

/// A PATCH with a merge-patch body and, when given, `If-Match`.
async fn patch(app: &TestApp, path: &str, body: &Value, if_match: Option<&str>) -> Answer {
    let mut builder = app
        .authed("PATCH", path)
        .header("content-type", "application/merge-patch+json");
    if let Some(tag) = if_match {
        builder = builder.header("if-match", tag);
    }
    let body = Full::new(Bytes::from(serde_json::to_vec(body).unwrap()));
    app.send(builder.body(body).unwrap()).await
}

async fn delete(app: &TestApp, path: &str, if_match: Option<&str>) -> Answer {
    let mut builder = app.authed("DELETE", path);
    if let Some(tag) = if_match {
        builder = builder.header("if-match", tag);
    }
    app.send(builder.body(Full::new(Bytes::new())).unwrap())
        .await
}

fn assert_problem(answer: &Answer, status: u16, detail_part: &str) {
    assert_eq!(answer.status, status, "{:?}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(answer.body["status"], status);
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(detail_part),
        "{detail:?} lacks {detail_part:?}"
    );
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z`: RFC 3339 in UTC.
fn is_rfc3339_utc(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let b = s.as_bytes();
        s.len() >= 20
            && s.ends_with('Z')
            && (b[4], b[7], b[10], b[13], b[16]) == (b'-', b'-', b'T', b':', b':')
    })
}

async fn a_upn_is_created_read_listed_patched_and_deleted(app: &TestApp) {
    let user = create_user(app, "upn-life@example.com").await;
    let created = create_upn(app, &user, "crm", "Ann.Lee@Corp.Example.com").await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{id}", upns_path(&user));
    assert_eq!(created.header("location"), Some(path.as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    let b = &created.body;
    assert_eq!(
        (&b["userId"], &b["clientUpnKey"], &b["customUpnValue"]),
        (
            &json!(user),
            &json!("crm"),
            &json!("Ann.Lee@Corp.Example.com")
        )
    );
    assert_eq!(
        (&b["createdBy"], &b["modifiedBy"]),
        (&json!(TEST_SUBJECT), &json!(TEST_SUBJECT))
    );
    assert!(
        is_rfc3339_utc(&b["created"]) && is_rfc3339_utc(&b["modified"]),
        "{b}"
    );
    let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "{keys:?}");

    let read = app.call("GET", &path, None, true).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.body, created.body);
    let list = app.call("GET", &upns_path(&user), None, true).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body, json!([created.body]));

    let patched = patch(
        app,
        &path,
        &json!({"customUpnValue": "ann@crm.example.com"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.header("etag"), Some("\"2\""));
    assert_eq!(patched.body["customUpnValue"], "ann@crm.example.com");
    assert_eq!(patched.body["clientUpnKey"], "crm");
    assert_eq!(patched.body["created"], created.body["created"]);

    let deleted = delete(app, &path, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, Value::Null);
    assert_problem(&app.call("GET", &path, None, true).await, 404, &id);
    assert_eq!(
        app.call("GET", &upns_path(&user), None, true).await.body,
        json!([])
    );
}

async fn invalid_fields_are_400_naming_the_field_and_rule(app: &TestApp) {
    let user = create_user(app, "upn-bad@example.com").await;
    let path = upns_path(&user);
    // "@example.com" is 12 characters: 1025 in all.
    let long_value = format!("{}@example.com", "a".repeat(1024 - 11));
    for (body, detail) in [
        (
            upn_body("k", "ann.example.com"),
            "customUpnValue: must take the form user_part@domain_part (no '@')",
        ),
        (
            upn_body("k", "ann@x@example.com"),
            "customUpnValue: must take the form user_part@domain_part (exactly one '@')",
        ),
        (
            upn_body("k", "@example.com"),
            "customUpnValue: the user part before '@' must not be empty",
        ),
        (
            upn_body("k", "ann lee@example.com"),
            "customUpnValue: the user part before '@' must not contain spaces",
        ),
        (
            upn_body("k", "ann@exa_mple..com"),
            "customUpnValue: the domain part after '@' must be a DNS name",
        ),
        (
            upn_body("k", &long_value),
            "customUpnValue: must be at most 1024 characters",
        ),
        (
            upn_body(&"k".repeat(256), "ann@example.com"),
            "clientUpnKey: must be at most 255 characters",
        ),
        (
            json!({"clientUpnKey": "k", "customUpnValue": "a@b.c", "upn": "x"}),
            "upn",
        ),
        (
            json!({"clientUpnKey": 7, "customUpnValue": "a@b.c"}),
            "clientUpnKey: invalid type",
        ),
        (json!({"clientUpnKey": "k"}), "customUpnValue: is required"),
        (
            json!({"customUpnValue": "a@b.c"}),
            "clientUpnKey: is required",
        ),
    ] {
        let answer = app.call("POST", &path, Some(body.clone()), true).await;
        assert_problem(&answer, 400, detail);
    }
    // 1024 characters are accepted: the bound is exact.
    let at_limit = format!("{}@example.com", "a".repeat(1024 - 12));
    create_upn(app, &user, "k", &at_limit).await;
    assert_eq!(
        app.call("GET", &path, None, true)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let created = create_upn(app, &user, "other", "ann@example.com").await;
    let upn_path = format!("{path}/{}", created.body["id"].as_str().unwrap());
    for (body, detail) in [
        (
            json!({"customUpnValue": "no-at"}),
            "customUpnValue: must take the form",
        ),
        (
            json!({"clientUpnKey": "x".repeat(256)}),
            "clientUpnKey: must be at most 255",
        ),
        (json!({"bogus": 1}), "bogus: unknown field"),
        (json!({"id": "x"}), "id: is read-only"),
        (
            json!({"customUpnValue": 3}),
            "customUpnValue: must be a string or null",
        ),
    ] {
        assert_problem(&patch(app, &upn_path, &body, None).await, 400, detail);
    }
    let unchanged = app.call("GET", &upn_path, None, true).await;
    assert_eq!(unchanged.body, created.body);
    assert_eq!(unchanged.header("etag"), Some("\"1\""));
}

async fn unknown_users_and_upns_of_other_users_are_404(app: &TestApp) {
    let ann = create_user(app, "upn-ann@example.com").await;
    let bob = create_user(app, "upn-bob@example.com").await;
    let anns = create_upn(app, &ann, "crm", "ann@example.com").await;
    let id = anns.body["id"].as_str().unwrap();

    let nobody = upns_path("nobody");
    assert_problem(
        &app.call("GET", &nobody, None, true).await,
        404,
        "user nobody not found",
    );
    assert_problem(
        &app.call(
            "POST",
            &nobody,
            Some(upn_body("crm", "x@example.com")),
            true,
        )
        .await,
        404,
        "user nobody not found",
    );
    assert_problem(
        &app.call("GET", &format!("{nobody}/{id}"), None, true).await,
        404,
        "user nobody",
    );

    let via_bob = format!("{}/{id}", upns_path(&bob));
    assert_problem(&app.call("GET", &via_bob, None, true).await, 404, id);
    assert_problem(
        &patch(app, &via_bob, &json!({"clientUpnKey": "x"}), None).await,
        404,
        id,
    );
    assert_problem(&delete(app, &via_bob, None).await, 404, id);
    let unknown = format!("{}/nonexistent", upns_path(&ann));
    assert_problem(
        &app.call("GET", &unknown, None, true).await,
        404,
        "nonexistent",
    );
    assert_problem(&delete(app, &unknown, None).await, 404, "nonexistent");

    let still = app
        .call("GET", &format!("{}/{id}", upns_path(&ann)), None, true)
        .await;
    assert_eq!(still.body, anns.body);
}

async fn a_user_has_one_upn_per_client_key(app: &TestApp) {
    let user = create_user(app, "upn-key@example.com").await;
    let first = create_upn(app, &user, "crm", "ann@example.com").await;
    let first_path = first.header("location").unwrap().to_owned();
    let again = app
        .call(
            "POST",
            &upns_path(&user),
            Some(upn_body("crm", "other@example.com")),
            true,
        )
        .await;
    assert_problem(
        &again,
        409,
        "clientUpnKey: the user already has a custom UPN for client key crm",
    );
    assert_problem(&again, 409, &first_path);

    // Another key is fine; moving it onto the taken key is not.
    let second = create_upn(app, &user, "erp", "other@example.com").await;
    let second_path = second.header("location").unwrap().to_owned();
    let moved = patch(app, &second_path, &json!({"clientUpnKey": "crm"}), None).await;
    assert_problem(&moved, 409, &first_path);
    assert_eq!(
        app.call("GET", &upns_path(&user), None, true)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn a_value_belongs_to_one_user_per_client_key_ignoring_case(app: &TestApp) {
    let ann = create_user(app, "upn-v1@example.com").await;
    let bob = create_user(app, "upn-v2@example.com").await;
    let anns = create_upn(app, &ann, "crm", "shared@example.com").await;
    let anns_path = anns.header("location").unwrap().to_owned();

    let taken = app
        .call(
            "POST",
            &upns_path(&bob),
            Some(upn_body("crm", "SHARED@Example.COM")),
            true,
        )
        .await;
    assert_problem(
        &taken,
        409,
        "customUpnValue: SHARED@Example.COM is already the custom UPN of user",
    );
    assert_problem(&taken, 409, &anns_path);

    // The same value under another client key is another application's UPN.
    let bobs = create_upn(app, &bob, "erp", "shared@example.com").await;
    let moved = patch(
        app,
        bobs.header("location").unwrap(),
        &json!({"clientUpnKey": "crm"}),
        None,
    )
    .await;
    assert_problem(&moved, 409, &anns_path);
}

async fn a_stale_if_match_is_412_and_changes_nothing(app: &TestApp) {
    let user = create_user(app, "upn-412@example.com").await;
    let created = create_upn(app, &user, "crm", "ann@example.com").await;
    let path = created.header("location").unwrap().to_owned();
    let v2 = patch(
        app,
        &path,
        &json!({"customUpnValue": "ann2@example.com"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(v2.status, 200);

    let stale = patch(
        app,
        &path,
        &json!({"customUpnValue": "ann3@example.com"}),
        Some("\"1\""),
    )
    .await;
    assert_problem(&stale, 412, "ETag");
    let weak = patch(
        app,
        &path,
        &json!({"customUpnValue": "ann3@example.com"}),
        Some("W/\"2\""),
    )
    .await;
    assert_problem(&weak, 412, "If-Match");
    assert_problem(&delete(app, &path, Some("\"1\"")).await, 412, "ETag");

    let now = app.call("GET", &path, None, true).await;
    assert_eq!(now.status, 200);
    assert_eq!(now.header("etag"), Some("\"2\""));
    assert_eq!(now.body, v2.body);

    let starred = patch(app, &path, &json!({"clientUpnKey": "erp"}), Some("*")).await;
    assert_eq!(starred.header("etag"), Some("\"3\""));
    assert_eq!(delete(app, &path, Some("\"3\"")).await.status, 204);
}

async fn a_patch_leaves_absent_fields_and_clears_nulls(app: &TestApp) {
    let user = create_user(app, "upn-null@example.com").await;
    let created = create_upn(app, &user, "crm", "ann@example.com").await;
    let path = created.header("location").unwrap().to_owned();

    let nothing = patch(app, &path, &json!({}), None).await;
    assert_eq!(nothing.status, 200);
    assert_eq!(nothing.header("etag"), Some("\"1\""));
    assert_eq!(nothing.body, created.body);

    let cleared = patch(app, &path, &json!({"clientUpnKey": null}), None).await;
    assert_eq!(cleared.status, 200, "{:?}", cleared.body);
    assert_eq!(cleared.body["clientUpnKey"], Value::Null);
    assert_eq!(cleared.body["customUpnValue"], "ann@example.com");
    assert_eq!(cleared.header("etag"), Some("\"2\""));

    let plain_json = app
        .call(
            "PATCH",
            &path,
            Some(json!({"customUpnValue": null, "clientUpnKey": "crm"})),
            true,
        )
        .await;
    assert_eq!(plain_json.status, 200, "{:?}", plain_json.body);
    assert_eq!(plain_json.body["clientUpnKey"], "crm");
    assert_eq!(plain_json.body["customUpnValue"], Value::Null);
    assert_eq!(
        app.call("GET", &path, None, true).await.body,
        plain_json.body
    );
}

async fn of_two_racing_patches_with_the_same_if_match_one_wins(app: &TestApp) {
    let user = create_user(app, "upn-race@example.com").await;
    let created = create_upn(app, &user, "crm", "ann@example.com").await;
    let path = created.header("location").unwrap().to_owned();
    for round in 1..=3u64 {
        let tag = format!("\"{round}\"");
        let body_a = json!({"customUpnValue": format!("a{round}@example.com")});
        let body_b = json!({"customUpnValue": format!("b{round}@example.com")});
        let (a, b) = tokio::join!(
            patch(app, &path, &body_a, Some(&tag)),
            patch(app, &path, &body_b, Some(&tag)),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "{:?} {:?}", a.body, b.body);
        let winner = if a.status == 200 { a } else { b };
        let now = app.call("GET", &path, None, true).await;
        assert_eq!(now.body, winner.body);
        assert_eq!(
            now.header("etag"),
            Some(format!("\"{}\"", round + 1).as_str())
        );
    }
}

async fn each_change_publishes_a_custom_upn_event_with_its_version(app: &TestApp) {
    let user = create_user(app, "upn-event@example.com").await;
    let mut events = app
        .running
        .as_ref()
        .unwrap()
        .in_process_bus
        .clone()
        .unwrap()
        .subscribe();
    let created = create_upn(app, &user, "crm", "ann@example.com").await;
    let id = created.body["id"].as_str().unwrap();
    let event = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            let event = events.recv().await.unwrap();
            if event.event_type == "custom_upn.created" {
                return event;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(event.subject, "nexus.upn.custom_upn.created");
    let envelope = EventEnvelope::decode(event.payload).unwrap();
    assert_eq!(
        (
            envelope.aggregate_type.as_str(),
            envelope.aggregate_id.as_str(),
            envelope.aggregate_version
        ),
        ("custom_upn", id, 1)
    );
    assert_eq!(
        (envelope.source.as_str(), envelope.actor.as_str()),
        ("upn", TEST_SUBJECT)
    );
    let Some(Payload::CustomUpnCreated(changed)) = envelope.payload else {
        panic!("payload: {:?}", envelope.payload);
    };
    assert_eq!(changed.id, id);
    assert_eq!(changed.user_id, user);
    assert_eq!(changed.client_upn_key.as_deref(), Some("crm"));
    assert_eq!(changed.custom_upn_value.as_deref(), Some("ann@example.com"));
    assert_eq!(changed.version, 1);

    // Later changes follow with the UPN's next versions.
    let path = created.header("location").unwrap().to_owned();
    let patched = patch(
        app,
        &path,
        &json!({"customUpnValue": "lee@example.com"}),
        None,
    )
    .await;
    assert_eq!(patched.status, 200);
    assert_eq!(delete(app, &path, None).await.status, 204);
    let mut later = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while later.len() < 2 {
            let event = events.recv().await.unwrap();
            if event.event_type.starts_with("custom_upn.") {
                let envelope = EventEnvelope::decode(event.payload).unwrap();
                later.push((event.event_type, envelope.aggregate_version));
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(
        later,
        [
            ("custom_upn.updated".to_owned(), 2),
            ("custom_upn.deleted".to_owned(), 3)
        ]
    );
}

const INTERNAL_SECRET: &str = "upn-tests-internal-auth-secret-32+bytes";

/// `DeleteUserUpns` over gRPC, as the consumer of `user.deleted` will call it:
/// every UPN of the user goes, each with a `custom_upn.deleted` event; other
/// users' UPNs stay.
async fn delete_user_upns_removes_only_that_users_upns(backend: crate::helpers::Backend) {
    use nexus_platform::InternalAuth;
    use nexus_proto::upn::v1::DeleteUserUpnsRequest;
    use nexus_proto::upn::v1::upn_service_client::UpnServiceClient;

    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.internal_auth.secret = Some(secrecy::SecretString::from(INTERNAL_SECRET));
    })
    .await
    else {
        return;
    };
    let ann = create_user(&app, "upn-gone@example.com").await;
    let bob = create_user(&app, "upn-stays@example.com").await;
    create_upn(&app, &ann, "crm", "ann@example.com").await;
    create_upn(&app, &ann, "erp", "ann@example.com").await;
    let bobs = create_upn(&app, &bob, "crm", "bob@example.com").await;
    let running = app.running.as_ref().unwrap();
    let mut events = running.in_process_bus.clone().unwrap().subscribe();

    let mut client = UpnServiceClient::connect(format!("http://{}", running.upn_addr.unwrap()))
        .await
        .unwrap();
    let mut request = tonic::Request::new(DeleteUserUpnsRequest {
        user_id: ann.clone(),
    });
    let principal = nexus_domain::Principal {
        subject: "user-deleted-consumer".into(),
        ..nexus_domain::Principal::default()
    };
    InternalAuth::new(INTERNAL_SECRET.as_bytes()).sign(
        request.metadata_mut(),
        &principal,
        "/nexus.upn.v1.UpnService/DeleteUserUpns",
    );
    let answer = client.delete_user_upns(request).await.unwrap().into_inner();
    assert_eq!(answer.deleted, 2);

    assert_eq!(
        app.call("GET", &upns_path(&ann), None, true).await.body,
        json!([])
    );
    assert_eq!(
        app.call("GET", &upns_path(&bob), None, true).await.body,
        json!([bobs.body])
    );
    let mut deleted = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while deleted.len() < 2 {
            let event = events.recv().await.unwrap();
            if event.event_type == "custom_upn.deleted" {
                let envelope = EventEnvelope::decode(event.payload).unwrap();
                assert_eq!(envelope.actor, "user-deleted-consumer");
                assert_eq!(envelope.aggregate_version, 2);
                let Some(Payload::CustomUpnDeleted(gone)) = envelope.payload else {
                    panic!("payload: {:?}", envelope.payload);
                };
                deleted.push((gone.user_id, gone.client_upn_key));
            }
        }
    })
    .await
    .unwrap();
    deleted.sort();
    assert_eq!(
        deleted,
        [
            (ann.clone(), Some("crm".to_owned())),
            (ann, Some("erp".to_owned()))
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn delete_user_upns_on_sqlite() {
    delete_user_upns_removes_only_that_users_upns(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test]
async fn delete_user_upns_on_postgres() {
    delete_user_upns_removes_only_that_users_upns(crate::helpers::Backend::Postgres).await;
}
