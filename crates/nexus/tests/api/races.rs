//! Cross-service races through REST, on SQLite and PostgreSQL: a custom UPN
//! created while its user is deleted, and a tenant attach racing the user's
//! deletion, end with nothing behind; two concurrent attaches of one new
//! email both succeed with the same user.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, create_user, on_both_backends, upn_body, upns_path};

on_both_backends!(
    a_upn_created_while_its_user_is_deleted_leaves_nothing_behind,
    an_attach_racing_the_users_deletion_leaves_no_member_behind,
    two_concurrent_attaches_of_one_new_email_both_succeed_with_the_same_user,
);

const ROUNDS: usize = 15;

fn db(app: &TestApp, component: nexus::Component) -> DatabaseConnection {
    app.running
        .as_ref()
        .unwrap()
        .databases
        .iter()
        .find(|(c, _)| *c == component)
        .map(|(_, db)| db.clone())
        .unwrap()
}

async fn strings(db: &DatabaseConnection, sql: &str) -> BTreeSet<String> {
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Polls until `count` answers 0; fails after 20 s naming `what`.
async fn none_left<F: Future<Output = usize>>(what: &str, mut count: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let n = count().await;
        if n == 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{n} {what} left");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn a_upn_created_while_its_user_is_deleted_leaves_nothing_behind(app: &TestApp) {
    let mut created = 0;
    for n in 0..ROUNDS {
        let user = create_user(app, &format!("race-upn{n}@example.com")).await;
        let body = upn_body("crm", &format!("race{n}@crm.example.com"));
        let path = upns_path(&user);
        let delete_path = format!("/v1/users/{user}");
        let (upn, deleted) = tokio::join!(
            app.call("POST", &path, Some(body), true),
            app.call("DELETE", &delete_path, None, true),
        );
        assert_eq!(deleted.status, 204);
        assert!(
            [201, 404].contains(&upn.status),
            "{} {:?}",
            upn.status,
            upn.body
        );
        created += usize::from(upn.status == 201);
    }
    let (identity, upn) = (
        db(app, nexus::Component::Identity),
        db(app, nexus::Component::Upn),
    );
    none_left("UPNs of deleted users", || async {
        let users = strings(&identity, "SELECT id FROM users").await;
        strings(&upn, "SELECT user_id FROM custom_upns")
            .await
            .iter()
            .filter(|u| !users.contains(*u))
            .count()
    })
    .await;
    println!("UPN create racing user deletion: rounds {ROUNDS}, created {created}, orphans 0");
}

fn tenant_token(app: &TestApp) -> String {
    nexus::dev::token(
        &app.settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: "admin@console".to_owned(),
            scopes: vec!["tenant.access:read".into(), "tenant.access:write".into()],
            tenants: vec!["acme".into()],
            ttl_secs: 600,
        },
    )
    .unwrap()
}

async fn attach(app: &TestApp, token: &str, email: &str) -> (u16, Value) {
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{}/api/acme/admin/users", app.addr))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            serde_json::to_vec(&json!({"email": email, "name": "Racer", "role": "member"}))
                .unwrap(),
        )))
        .unwrap();
    let answer = app.send(request).await;
    (answer.status, answer.body)
}

async fn an_attach_racing_the_users_deletion_leaves_no_member_behind(app: &TestApp) {
    let token = tenant_token(app);
    let mut attached = 0;
    for n in 0..ROUNDS {
        let email = format!("race-member{n}@example.com");
        let user = create_user(app, &email).await;
        let delete_path = format!("/v1/users/{user}");
        let ((status, body), deleted) = tokio::join!(
            attach(app, &token, &email),
            app.call("DELETE", &delete_path, None, true),
        );
        assert_eq!(deleted.status, 204);
        assert!(status < 500, "{status} {body}");
        attached += usize::from(status == 201);
    }
    let (identity, tenant) = (
        db(app, nexus::Component::Identity),
        db(app, nexus::Component::TenantAccess),
    );
    none_left("members of deleted users", || async {
        let users = strings(&identity, "SELECT id FROM users").await;
        let members = strings(&tenant, "SELECT user_id FROM tenant_members").await;
        let empty = strings(
            &tenant,
            "SELECT m.user_id FROM tenant_members m JOIN member_users u ON u.user_id = m.user_id WHERE u.email = ''",
        )
        .await;
        members.iter().filter(|m| !users.contains(*m)).count() + empty.len()
    })
    .await;
    println!(
        "attach racing user deletion: rounds {ROUNDS}, attached {attached}, members left behind 0"
    );
}

async fn two_concurrent_attaches_of_one_new_email_both_succeed_with_the_same_user(app: &TestApp) {
    let token = tenant_token(app);
    let (mut both, mut after) = (0, 0);
    for n in 0..ROUNDS {
        let email = format!("twice{n}@example.com");
        let ((a, first), (b, second)) =
            tokio::join!(attach(app, &token, &email), attach(app, &token, &email));
        match (a, b) {
            (201, 201) => {
                assert_eq!(first["id"], second["id"]);
                both += 1;
            }
            // One found the other's attach already committed before it
            // began: the contract's 409, naming that same user. Never the
            // identity service's "email taken", never a second user.
            (201, 409) | (409, 201) => {
                let (won, lost) = if a == 201 {
                    (&first, &second)
                } else {
                    (&second, &first)
                };
                let id = won["id"].as_str().unwrap();
                let detail = lost["detail"].as_str().unwrap();
                assert!(
                    detail.contains(&format!("user {id} already has a role")),
                    "{detail}"
                );
                after += 1;
            }
            _ => panic!("{a} {first} / {b} {second}"),
        }
    }
    println!(
        "concurrent attaches of a new email: rounds {ROUNDS}, both 201 {both}, one after the other {after}, failures 0"
    );
    // Attaching a member again is still the contract's 409.
    let (again, _) = attach(app, &token, "twice0@example.com").await;
    assert_eq!(again, 409);
}
