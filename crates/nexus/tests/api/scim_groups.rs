//! SCIM Groups through REST: a group is an organization of type `scim` whose members are
//! role-less memberships. Create, read, list by the filters clients send, PATCH in the
//! shapes Entra ID and Okta send, PUT, DELETE, `If-Match`, the events each write
//! records, and an administrator's organization that SCIM cannot see.

use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_backends};
use crate::scim::{scim, scim_user};
use crate::scim_clients::events_of;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn user(app: &TestApp, name: &str) -> String {
    let answer = scim(
        app,
        "POST",
        "/Users",
        Some(scim_user(name, &format!("{name}@example.com"))),
        &[],
    )
    .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body["id"].as_str().unwrap().to_owned()
}

fn group(name: &str, external_id: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "externalId": external_id,
        "members": members
    })
}

async fn create(app: &TestApp, body: Value) -> Value {
    let answer = scim(app, "POST", "/Groups", Some(body), &[]).await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

async fn patch(app: &TestApp, id: &str, operations: Value) -> Value {
    let body = json!({"schemas": [PATCH_OP], "Operations": operations});
    let answer = scim(app, "PATCH", &format!("/Groups/{id}"), Some(body), &[]).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

async fn a_group_is_created_read_and_listed_by_the_filters_clients_send(app: &TestApp) {
    let ada = user(app, "ada").await;
    let bob = user(app, "bob").await;
    let created = create(app, group("Sales", "ext-sales", &[&ada, &bob])).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["displayName"], "Sales");
    assert_eq!(created["externalId"], "ext-sales");
    assert_eq!(member_ids(&created), sorted(&[&ada, &bob]));
    let first = &created["members"][0];
    assert_eq!(first["type"], "User");
    // A member's display name is its user's, shown on request.
    assert!(first.get("display").is_none(), "{first}");
    let shown = scim(
        app,
        "GET",
        &format!("/Groups/{id}?attributes=members.display,members.value"),
        None,
        &[],
    )
    .await;
    let displays: Vec<&str> = shown.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["display"].as_str().unwrap())
        .collect();
    assert!(
        displays.iter().all(|d| ["ada", "bob"].contains(d)),
        "{displays:?}"
    );
    assert_eq!(
        first["$ref"].as_str().unwrap(),
        format!(
            "http://{}/scim/v2/Users/{}",
            app.addr,
            first["value"].as_str().unwrap()
        )
    );
    assert_eq!(created["meta"]["resourceType"], "Group");

    let read = scim(app, "GET", &format!("/Groups/{id}"), None, &[]).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created);
    let etag = read.headers.get("etag").unwrap().to_str().unwrap();
    assert_eq!(etag, created["meta"]["version"].as_str().unwrap());

    let _other = create(app, group("Support", "ext-support", &[&ada])).await;
    for (filter, expected) in [
        ("displayName eq \"SALES\"", vec![id]),
        ("externalId eq \"ext-sales\"", vec![id]),
        ("externalId eq \"EXT-SALES\"", vec![]),
        (&format!("id eq \"{id}\"") as &str, vec![id]),
        (&format!("members.value eq \"{bob}\""), vec![id]),
        (&format!("members[value eq \"{bob}\"]"), vec![id]),
        ("displayName sw \"Sal\"", vec![id]),
        ("displayName eq \"nobody\"", vec![]),
        ("id eq \"not-a-number\"", vec![]),
    ] {
        let query = format!(
            "/Groups?filter={}&excludedAttributes=members",
            urlencoding(filter)
        );
        let found = scim(app, "GET", &query, None, &[]).await;
        assert_eq!(found.status, 200, "{filter}: {:?}", found.body);
        let ids: Vec<&str> = found.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{filter}");
        for g in found.body["Resources"].as_array().unwrap() {
            assert!(g.get("members").is_none(), "{filter}: {g}");
        }
    }
    let with_ada = scim(
        app,
        "GET",
        &format!(
            "/Groups?filter={}&sortBy=displayName&sortOrder=descending&count=1",
            urlencoding(&format!("members.value eq \"{ada}\""))
        ),
        None,
        &[],
    )
    .await;
    assert_eq!(with_ada.body["totalResults"], 2, "{:?}", with_ada.body);
    assert_eq!(with_ada.body["Resources"][0]["displayName"], "Support");
    assert_eq!(member_ids(&with_ada.body["Resources"][0]), [ada.as_str()]);

    let taken = scim(app, "POST", "/Groups", Some(group("sales", "x", &[])), &[]).await;
    assert_eq!(taken.status, 409, "{:?}", taken.body);
    assert_eq!(taken.body["scimType"], "uniqueness");
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn members_change_in_the_shapes_entra_and_okta_send(app: &TestApp) {
    let ada = user(app, "ada").await;
    let bob = user(app, "bob").await;
    let cy = user(app, "cy").await;
    let created = create(app, group("Ops", "ext-ops", &[&ada])).await;
    let id = created["id"].as_str().unwrap();

    // Entra ID: add, then remove with a value list.
    let added = patch(
        app,
        id,
        json!([{"op": "Add", "path": "members", "value": [{"value": bob}, {"value": cy}]}]),
    )
    .await;
    assert_eq!(member_ids(&added), sorted(&[&ada, &bob, &cy]));
    let removed = patch(
        app,
        id,
        json!([{"op": "Remove", "path": "members", "value": [{"value": ada}]}]),
    )
    .await;
    assert_eq!(member_ids(&removed), sorted(&[&bob, &cy]));
    // A value filter.
    let filtered = patch(
        app,
        id,
        json!([{"op": "remove", "path": format!("members[value eq \"{cy}\"]")}]),
    )
    .await;
    assert_eq!(member_ids(&filtered), [bob.as_str()]);
    // Okta: replace the members, and rename with a capitalised op.
    let replaced = patch(
        app,
        id,
        json!([
            {"op": "replace", "path": "members", "value": [{"value": ada, "display": "ada"}]},
            {"op": "Replace", "value": {"id": id, "displayName": "Operations"}}
        ]),
    )
    .await;
    assert_eq!(member_ids(&replaced), [ada.as_str()]);
    assert_eq!(replaced["displayName"], "Operations");
    assert_ne!(replaced["meta"]["version"], created["meta"]["version"]);

    // Memberships are the users' own: they appear in memberOf.
    let member = app
        .call("GET", &format!("/v1/users/{ada}"), None, true)
        .await;
    let member_of = member.body["memberOf"].as_array().unwrap();
    assert_eq!(member_of.len(), 1, "{member_of:?}");
    assert_eq!(member_of[0]["organizationDisplayName"], "Operations");
    assert_eq!(member_of[0]["isGuest"], false);
    assert_eq!(member_of[0]["roles"], json!([]));

    // Events: a membership change is a change of its user, as /v1 records it.
    assert_eq!(
        events_of(app, &bob).await,
        ["user.created", "user.updated", "user.updated"]
    );
    assert_eq!(
        events_of(app, &ada).await,
        [
            "user.created",
            "user.updated",
            "user.updated",
            "user.updated"
        ]
    );
    assert_eq!(
        events_of(app, id).await,
        [
            "organization.created",
            "organization.updated",
            "organization.updated",
            "organization.updated",
            "organization.updated"
        ]
    );
}

async fn put_replaces_and_delete_removes_the_group_and_its_memberships(app: &TestApp) {
    let ada = user(app, "ada").await;
    let bob = user(app, "bob").await;
    let created = create(app, group("Eng", "ext-eng", &[&ada])).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/Groups/{id}");

    let mut body = group("Engineering", "ext-eng-2", &[&bob]);
    body["id"] = json!(id);
    let replaced = scim(app, "PUT", &path, Some(body), &[]).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!(replaced.body["displayName"], "Engineering");
    assert_eq!(replaced.body["externalId"], "ext-eng-2");
    assert_eq!(member_ids(&replaced.body), [bob.as_str()]);

    // If-Match: a stale version is 412 and changes nothing.
    let stale = created["meta"]["version"].as_str().unwrap();
    let refused = scim(
        app,
        "PATCH",
        &path,
        Some(json!({"schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]})),
        &[("if-match", stale)],
    )
    .await;
    assert_eq!(refused.status, 412, "{:?}", refused.body);
    let refused = scim(app, "DELETE", &path, None, &[("if-match", stale)]).await;
    assert_eq!(refused.status, 412, "{:?}", refused.body);
    let now = scim(app, "GET", &path, None, &[]).await;
    assert_eq!(now.body["displayName"], "Engineering");

    let current = now.body["meta"]["version"].as_str().unwrap();
    let deleted = scim(app, "DELETE", &path, None, &[("if-match", current)]).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    assert_eq!(scim(app, "GET", &path, None, &[]).await.status, 404);
    let member = app
        .call("GET", &format!("/v1/users/{bob}"), None, true)
        .await;
    assert_eq!(member.body["memberOf"], json!([]));
    assert_eq!(
        events_of(app, id).await.last().map(String::as_str),
        Some("organization.deleted")
    );
    // A deleted user leaves the groups it was in.
    let kept = create(app, group("Kept", "ext-kept", &[&ada, &bob])).await;
    let kept_id = kept["id"].as_str().unwrap();
    let gone = scim(app, "DELETE", &format!("/Users/{ada}"), None, &[]).await;
    assert_eq!(gone.status, 204);
    let after = scim(app, "GET", &format!("/Groups/{kept_id}"), None, &[]).await;
    assert_eq!(member_ids(&after.body), [bob.as_str()]);
}

async fn bad_members_and_foreign_organizations_are_refused(app: &TestApp) {
    let ada = user(app, "ada").await;
    // A member id that is no user is 400 invalidValue, and creates nothing.
    let bad = scim(
        app,
        "POST",
        "/Groups",
        Some(group("Bad", "ext-bad", &[&ada, "no-such-user"])),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    assert_eq!(bad.body["scimType"], "invalidValue");
    let none = scim(
        app,
        "GET",
        "/Groups?filter=displayName%20eq%20%22Bad%22",
        None,
        &[],
    )
    .await;
    assert_eq!(none.body["totalResults"], 0);
    assert_eq!(events_of(app, &ada).await, ["user.created"]);

    let created = create(app, group("Good", "ext-good", &[&ada])).await;
    let id = created["id"].as_str().unwrap();
    let body = json!({"schemas": [PATCH_OP],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "ghost"}]}]});
    let refused = scim(app, "PATCH", &format!("/Groups/{id}"), Some(body), &[]).await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body["scimType"], "invalidValue");
    let nested = scim(
        app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Nested", "members": [{"value": id, "type": "Group"}]})),
        &[],
    )
    .await;
    assert_eq!(nested.status, 400, "{:?}", nested.body);

    // An organization an administrator made is not a group: invisible and untouchable.
    let org = app
        .call(
            "POST",
            "/v1/organizations",
            Some(json!({"name": "admin-made", "displayName": "Admin Made"})),
            true,
        )
        .await;
    assert_eq!(org.status, 201, "{:?}", org.body);
    let org_id = org.body["id"].as_i64().unwrap().to_string();
    let path = format!("/Groups/{org_id}");
    assert_eq!(scim(app, "GET", &path, None, &[]).await.status, 404);
    assert_eq!(scim(app, "DELETE", &path, None, &[]).await.status, 404);
    let rename = json!({"schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Mine"}]});
    assert_eq!(
        scim(app, "PATCH", &path, Some(rename), &[]).await.status,
        404
    );
    let listed = scim(app, "GET", "/Groups", None, &[]).await;
    let ids: Vec<&str> = listed.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id]);
    let still = app
        .call("GET", &format!("/v1/organizations/{org_id}"), None, true)
        .await;
    assert_eq!(still.body["displayName"], "Admin Made");

    // A group that is a user's organization stays until the user moves: 409 without
    // `uniqueness`, as nothing is taken.
    let home = app
        .call(
            "PATCH",
            &format!("/v1/users/{ada}"),
            Some(json!({"organizationId": id.parse::<i64>().unwrap()})),
            true,
        )
        .await;
    assert_eq!(home.status, 200, "{:?}", home.body);
    let refused = scim(app, "DELETE", &format!("/Groups/{id}"), None, &[]).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert!(refused.body.get("scimType").is_none(), "{:?}", refused.body);
    assert_eq!(
        scim(app, "GET", &format!("/Groups/{id}"), None, &[])
            .await
            .status,
        200
    );
}

async fn concurrent_creates_of_one_name_leave_one_group_and_bounds_hold(app: &TestApp) {
    for round in 0..3 {
        let name = format!("Race {round}");
        let (a, b) = tokio::join!(
            scim(app, "POST", "/Groups", Some(group(&name, "a", &[])), &[]),
            scim(
                app,
                "POST",
                "/Groups",
                Some(group(&name.to_uppercase(), "b", &[])),
                &[]
            ),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{:?} {:?}", a.body, b.body);
        let refused = if a.status == 409 { &a } else { &b };
        assert_eq!(refused.body["scimType"], "uniqueness", "{:?}", refused.body);
    }
    // More members than a group may have is refused before anything is written.
    let ids: Vec<String> = (0..5001).map(|i| format!("u{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let huge = scim(app, "POST", "/Groups", Some(group("Huge", "h", &ids)), &[]).await;
    assert_eq!(huge.status, 400, "{:?}", huge.body);
    assert_eq!(huge.body["scimType"], "tooMany");
}

on_both_backends!(
    a_group_is_created_read_and_listed_by_the_filters_clients_send,
    members_change_in_the_shapes_entra_and_okta_send,
    put_replaces_and_delete_removes_the_group_and_its_memberships,
    bad_members_and_foreign_organizations_are_refused,
    concurrent_creates_of_one_name_leave_one_group_and_bounds_hold,
);
