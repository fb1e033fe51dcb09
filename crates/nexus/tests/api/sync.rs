//! `PUT /v1/users/{userId}/$sync` through REST, on SQLite and PostgreSQL.

use std::collections::BTreeSet;

use nexus_proto::events::v1::EventEnvelope;
use prost::Message as _;
use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, create_tenant, create_user, eventually, link_body, on_both_backends,
};

on_both_backends!(
    sync_sets_groups_upserts_attributes_and_answers_claims,
    sync_errors_are_400_and_404,
    a_sync_without_changes_only_records_the_login,
    concurrent_syncs_end_consistent,
);

async fn linked_user(app: &TestApp, email: &str, connection: &str) -> String {
    let tid = create_tenant(app, &email.replace(['@', '.'], "-")).await["id"]
        .as_i64()
        .unwrap();
    let user = create_user(app, email).await;
    let linked = app
        .call(
            "PUT",
            &format!("/v1/users/{user}/idp_tenants/{tid}"),
            Some(link_body(&format!("auth0|{user}"), connection)),
            true,
        )
        .await;
    assert_eq!(linked.status, 200);
    user
}

fn sync_body(groups: &[&str], attributes: &Value) -> Value {
    json!({
        "audience": "https://api.example.com",
        "attributes": attributes,
        "connection": {"groups": groups, "connectionId": "con_1"},
        "clientUpnKey": null,
    })
}

fn groups_of(user: &Value) -> Vec<(i64, String)> {
    let mut groups: Vec<(i64, String)> = user["identities"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_i64().unwrap(),
                g["groupName"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    groups.sort_by(|a, b| a.1.cmp(&b.1));
    groups
}

async fn sync_sets_groups_upserts_attributes_and_answers_claims(app: &TestApp) {
    let user = linked_user(app, "sync@example.com", "con_1").await;
    let path = format!("/v1/users/{user}/$sync");

    let first = app
        .call(
            "PUT",
            &path,
            Some(sync_body(
                &["admins", "staff"],
                &json!([{"key": "dept", "value": "ops"}]),
            )),
            true,
        )
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let mut keys: Vec<&str> = first
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "displayName",
            "familyName",
            "givenName",
            "isAuthenticated",
            "roles",
            "user",
            "userId"
        ]
    );
    assert_eq!(first.body["userId"], user.as_str());
    assert_eq!(first.body["isAuthenticated"], true);
    assert_eq!(
        (
            first.body["givenName"].as_str(),
            first.body["familyName"].as_str()
        ),
        (Some("Ann"), Some("Lee"))
    );
    assert_eq!(first.body["displayName"], "Ann Lee");
    assert_eq!(first.body["roles"], json!([]));
    let groups = groups_of(&first.body["user"]);
    assert_eq!(
        groups.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(),
        ["admins", "staff"]
    );
    assert_eq!(first.body["user"]["attributes"][0]["name"], "dept");
    assert_eq!(first.body["user"]["attributes"][0]["value"], "ops");

    let second = app
        .call(
            "PUT",
            &path,
            Some(sync_body(
                &["staff", "devs"],
                &json!([{"key": "dept", "value": "eng"}, {"key": "site", "value": "ber"}]),
            )),
            true,
        )
        .await;
    assert_eq!(second.status, 200);
    let after = groups_of(&second.body["user"]);
    assert_eq!(
        after.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(),
        ["devs", "staff"]
    );
    let staff_before = groups.iter().find(|g| g.1 == "staff").unwrap().0;
    let staff_after = after.iter().find(|g| g.1 == "staff").unwrap().0;
    assert_eq!(staff_before, staff_after, "an unchanged group keeps its id");
    let attrs = second.body["user"]["attributes"].as_array().unwrap();
    assert_eq!(attrs.len(), 2);
    assert_eq!(attrs[0]["id"], first.body["user"]["attributes"][0]["id"]);
    assert_eq!(attrs[0]["value"], "eng");
    assert_eq!(attrs[1]["name"], "site");

    let read = app
        .call("GET", &format!("/v1/users/{user}"), None, true)
        .await;
    assert_eq!(read.body, second.body["user"]);
}

async fn sync_errors_are_400_and_404(app: &TestApp) {
    let user = linked_user(app, "err@example.com", "con_1").await;
    let path = format!("/v1/users/{user}/$sync");
    let unknown = app
        .call(
            "PUT",
            "/v1/users/nobody/$sync",
            Some(sync_body(&[], &json!([]))),
            true,
        )
        .await;
    assert_eq!(unknown.status, 404);
    let mut other = sync_body(&[], &json!([]));
    other["connection"]["connectionId"] = json!("con_other");
    let no_identity = app.call("PUT", &path, Some(other), true).await;
    assert_eq!(no_identity.status, 404);
    assert!(
        no_identity.body["detail"]
            .as_str()
            .unwrap()
            .contains("con_other")
    );

    let mut empty_audience = sync_body(&[], &json!([]));
    empty_audience["audience"] = json!("");
    let mut long_key = sync_body(&[], &json!([]));
    long_key["clientUpnKey"] = json!("k".repeat(256));
    let cases = [
        (empty_audience, "audience"),
        (long_key, "clientUpnKey"),
        (json!({"audience": "a", "attributes": []}), "connection"),
        (
            json!({"audience": "a", "connection": {"groups": [], "connectionId": "con_1"}}),
            "attributes",
        ),
        (
            json!({"attributes": [], "connection": {"groups": [], "connectionId": "con_1"}}),
            "audience",
        ),
        (
            json!({"audience": "a", "attributes": [], "connection": {"groups": []}}),
            "connectionId",
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
    let mut max_key = sync_body(&[], &json!([]));
    max_key["clientUpnKey"] = json!("k".repeat(255));
    assert_eq!(
        app.call("PUT", &path, Some(max_key), true).await.status,
        200
    );
}

async fn a_sync_without_changes_only_records_the_login(app: &TestApp) {
    let user = linked_user(app, "quiet@example.com", "con_1").await;
    let path = format!("/v1/users/{user}/$sync");
    let body = sync_body(&["g"], &json!([{"key": "k", "value": "v"}]));
    let first = app.call("PUT", &path, Some(body.clone()), true).await;
    assert_eq!(first.status, 200);
    // The first sync's events leave through the outbox after its answer:
    // listen only once they are all out.
    let identity = app
        .running
        .as_ref()
        .unwrap()
        .databases
        .iter()
        .find(|(c, _)| *c == nexus::Component::Identity)
        .map(|(_, db)| db.clone())
        .unwrap();
    let unsent = || async {
        let row = identity
            .query_one(Statement::from_string(
                identity.get_database_backend(),
                "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    eventually("the first sync's events sent", unsent, |n| *n == 0).await;

    let bus = app
        .running
        .as_ref()
        .unwrap()
        .in_process_bus
        .clone()
        .unwrap();
    let mut events = bus.subscribe();
    let again = app.call("PUT", &path, Some(body.clone()), true).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.body["user"]["modified"],
        first.body["user"]["modified"]
    );
    let event = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.event_type, "user.logged_in");
    let envelope = EventEnvelope::decode(event.payload).unwrap();
    assert_eq!(envelope.aggregate_id, user);

    let mut changed = body;
    changed["connection"]["groups"] = json!(["g", "h"]);
    assert_eq!(
        app.call("PUT", &path, Some(changed), true).await.status,
        200
    );
    let mut types = Vec::new();
    for _ in 0..2 {
        let e = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
            .await
            .unwrap()
            .unwrap();
        types.push(e.event_type);
    }
    assert_eq!(types, ["user.updated", "user.logged_in"]);
    assert!(events.try_recv().is_err(), "no other event");
}

async fn concurrent_syncs_end_consistent(app: &TestApp) {
    let user = linked_user(app, "race@example.com", "con_1").await;
    let path = format!("/v1/users/{user}/$sync");
    let sets: Vec<Vec<String>> = (0..20)
        .map(|i| vec![format!("g{i}"), format!("g{}", i + 1), "common".to_owned()])
        .collect();
    let calls = sets.iter().map(|set| {
        let groups: Vec<&str> = set.iter().map(String::as_str).collect();
        app.call(
            "PUT",
            &path,
            Some(sync_body(
                &groups,
                &json!([{"key": "last", "value": set[0]}]),
            )),
            true,
        )
    });
    let answers = futures::future::join_all(calls).await;
    for answer in &answers {
        assert_eq!(answer.status, 200, "{:?}", answer.body);
    }
    let read = app
        .call("GET", &format!("/v1/users/{user}"), None, true)
        .await;
    let final_groups: BTreeSet<String> = groups_of(&read.body).into_iter().map(|g| g.1).collect();
    assert!(
        sets.iter()
            .any(|s| s.iter().cloned().collect::<BTreeSet<_>>() == final_groups),
        "final groups {final_groups:?} are one of the requested sets"
    );
    let attributes = read.body["attributes"].as_array().unwrap();
    assert_eq!(attributes.len(), 1);
}
