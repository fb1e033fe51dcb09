//! Each SCIM write is one identity transaction through REST: a refused PATCH changes
//! nothing and records nothing, every write records exactly one event, concurrent creates
//! of one userName leave one user, and `externalId eq` is answered by an indexed lookup.

use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_backends};
use crate::scim::{scim, scim_user};
use crate::scim_clients::events_of;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn provisioned(user_name: &str, email: &str, external_id: &str) -> Value {
    let mut user = scim_user(user_name, email);
    user["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]);
    user["externalId"] = json!(external_id);
    user["displayName"] = json!("Before");
    user[ENTERPRISE] = json!({"department": "Sales", "employeeNumber": "701984"});
    user
}

async fn create(app: &TestApp, user: Value) -> Value {
    let answer = scim(app, "POST", "/Users", Some(user), &[]).await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body
}

fn identity_db(app: &TestApp) -> DatabaseConnection {
    app.running
        .as_ref()
        .unwrap()
        .databases
        .iter()
        .find(|(c, _)| *c == nexus::Component::Identity)
        .map(|(_, db)| db.clone())
        .unwrap()
}

async fn a_refused_patch_changes_nothing_and_records_nothing(app: &TestApp) {
    let created = create(app, provisioned("erin", "erin@example.com", "ext-erin")).await;
    let id = created["id"].as_str().unwrap();
    // The display name is a good value; the department is longer than identity stores.
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "displayName", "value": "After"},
            {"op": "replace", "path": "externalId", "value": "ext-erin-2"},
            {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "x".repeat(5000)}
        ]
    });
    let refused = scim(app, "PATCH", &format!("/Users/{id}"), Some(patch), &[]).await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body["scimType"], "invalidValue");

    let now = scim(app, "GET", &format!("/Users/{id}"), None, &[]).await;
    assert_eq!(now.body["displayName"], "Before");
    assert_eq!(now.body["externalId"], "ext-erin");
    assert_eq!(now.body[ENTERPRISE]["department"], "Sales");
    assert_eq!(now.body["meta"]["version"], created["meta"]["version"]);
    assert_eq!(events_of(app, id).await, ["user.created"]);
}

async fn every_scim_write_records_one_event(app: &TestApp) {
    let created = create(app, provisioned("finn", "finn@example.com", "ext-finn")).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["externalId"], "ext-finn");
    assert_eq!(created[ENTERPRISE]["employeeNumber"], "701984");
    assert_eq!(events_of(app, id).await, ["user.created"]);

    // Fields and attributes together: a new display name, a new employee number, no
    // department any more.
    let mut replacement = provisioned("finn", "finn@example.com", "ext-finn");
    replacement["displayName"] = json!("Replaced");
    replacement[ENTERPRISE] = json!({"employeeNumber": "42"});
    let replaced = scim(app, "PUT", &format!("/Users/{id}"), Some(replacement), &[]).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!(replaced.body["displayName"], "Replaced");
    assert_eq!(replaced.body[ENTERPRISE]["employeeNumber"], "42");
    assert!(replaced.body[ENTERPRISE].get("department").is_none());
    assert_eq!(events_of(app, id).await, ["user.created", "user.updated"]);

    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Ops"},
            {"op": "remove", "path": "externalId"}
        ]
    });
    let patched = scim(app, "PATCH", &format!("/Users/{id}"), Some(patch), &[]).await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["active"], false);
    assert_eq!(patched.body[ENTERPRISE]["department"], "Ops");
    assert!(patched.body.get("externalId").is_none());
    assert_eq!(
        events_of(app, id).await,
        ["user.created", "user.updated", "user.updated"]
    );
}

async fn concurrent_creates_of_one_user_name_leave_one_user(app: &TestApp) {
    for round in 0..4 {
        let name = format!("race{round}");
        let first = scim_user(&name, &format!("race{round}a@example.com"));
        let second = scim_user(&name.to_uppercase(), &format!("race{round}b@example.com"));
        let (a, b) = tokio::join!(
            scim(app, "POST", "/Users", Some(first), &[]),
            scim(app, "POST", "/Users", Some(second), &[]),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{:?} {:?}", a.body, b.body);
        let refused = if a.status == 409 { &a } else { &b };
        assert_eq!(refused.body["scimType"], "uniqueness", "{:?}", refused.body);
        let found = scim(
            app,
            "GET",
            &format!("/Users?filter=userName%20eq%20%22{name}%22"),
            None,
            &[],
        )
        .await;
        assert_eq!(found.body["totalResults"], 1, "{:?}", found.body);
    }
}

/// The plan of the externalId lookup names the attribute value index.
async fn lookup_plan(db: &DatabaseConnection) -> String {
    let backend = db.get_database_backend();
    let txn = db.begin().await.unwrap();
    let explain = if backend == DbBackend::Postgres {
        // The tables are tiny: make the planner show whether an index could serve.
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        "EXPLAIN SELECT user_id FROM attributes WHERE name = 'scim.externalId' AND value = 'x'"
    } else {
        "EXPLAIN QUERY PLAN SELECT user_id FROM attributes WHERE name = 'scim.externalId' AND value = 'x'"
    };
    let rows = txn
        .query_all(Statement::from_string(backend, explain))
        .await
        .unwrap();
    let plan = rows
        .iter()
        .map(|row| {
            let column = if backend == DbBackend::Postgres {
                "QUERY PLAN"
            } else {
                "detail"
            };
            row.try_get::<String>("", column).unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n");
    txn.rollback().await.unwrap();
    plan
}

async fn external_id_eq_is_an_indexed_lookup(app: &TestApp) {
    let gina = create(app, provisioned("gina", "gina@example.com", "ext-Gina")).await;
    create(app, provisioned("hank", "hank@example.com", "ext-hank")).await;

    let found = scim(
        app,
        "GET",
        "/Users?filter=externalId%20eq%20%22ext-Gina%22",
        None,
        &[],
    )
    .await;
    assert_eq!(found.status, 200, "{:?}", found.body);
    assert_eq!(found.body["totalResults"], 1, "{:?}", found.body);
    assert_eq!(found.body["Resources"][0]["id"], gina["id"]);
    // externalId is case-exact.
    let other_case = scim(
        app,
        "GET",
        "/Users?filter=externalId%20eq%20%22EXT-GINA%22",
        None,
        &[],
    )
    .await;
    assert_eq!(other_case.body["totalResults"], 0, "{:?}", other_case.body);

    let plan = lookup_plan(&identity_db(app)).await;
    assert!(plan.contains("attributes_value"), "{plan}");
}

on_both_backends!(
    a_refused_patch_changes_nothing_and_records_nothing,
    every_scim_write_records_one_event,
    concurrent_creates_of_one_user_name_leave_one_user,
    external_id_eq_is_an_indexed_lookup,
);
