//! The Auth0 adapter against a fake Auth0: the token cache, rate limits,
//! retries, time-outs, a 409 on create and the invitation email.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "auth0/fake.rs"]
mod fake;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake::{CONNECTION, FakeAuth0, Fault};
use tenant_access_service::adapters::auth0::Auth0Provisioning;
use tenant_access_service::domain::TenantAccessError;
use tenant_access_service::ports::IdpProvisioning;

async fn adapter() -> (FakeAuth0, Arc<Auth0Provisioning>) {
    let fake = FakeAuth0::start().await;
    let adapter = Arc::new(Auth0Provisioning::new(&fake.settings()));
    (fake, adapter)
}

fn names_auth0(err: &TenantAccessError) {
    match err {
        TenantAccessError::IdentityProvider(m) => assert!(m.contains("Auth0"), "{m}"),
        other => panic!("expected an identity-provider failure, got {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let (fake, auth0) = adapter().await;
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let auth0 = auth0.clone();
            tokio::spawn(async move { auth0.find_by_email(&format!("P{i}@example.com")).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), None);
    }
    auth0.find_by_email("again@example.com").await.unwrap();
    assert_eq!(fake.token_requests(), 1);
}

#[tokio::test]
async fn the_token_is_renewed_shortly_before_it_expires() {
    let (fake, auth0) = adapter().await;
    // A 2 s token is renewed after half its lifetime.
    fake.set_token_ttl(2);
    for _ in 0..2 {
        auth0.find_by_email("a@example.com").await.unwrap();
    }
    assert_eq!(fake.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    auth0.find_by_email("b@example.com").await.unwrap();
    assert_eq!(fake.token_requests(), 2);
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once() {
    let (fake, auth0) = adapter().await;
    auth0.find_by_email("a@example.com").await.unwrap();
    fake.revoke_tokens();
    auth0.find_by_email("a@example.com").await.unwrap();
    assert_eq!(fake.token_requests(), 2);
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let (fake, auth0) = adapter().await;
    auth0.find_by_email("warm@example.com").await.unwrap();
    fake.inject_on(
        "GET",
        "/api/v2/users-by-email",
        Fault::TooMany {
            retry_after: Some(1),
            reset_in: None,
        },
    );
    let started = Instant::now();
    auth0.find_by_email("a@example.com").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(fake.count("GET", "/api/v2/users-by-email"), 3);
}

#[tokio::test]
async fn a_429_without_retry_after_waits_until_the_rate_limit_resets() {
    let (fake, auth0) = adapter().await;
    auth0.find_by_email("warm@example.com").await.unwrap();
    fake.inject_on(
        "GET",
        "/api/v2/users-by-email",
        Fault::TooMany {
            retry_after: None,
            reset_in: Some(2),
        },
    );
    let started = Instant::now();
    auth0.find_by_email("a@example.com").await.unwrap();
    // The reset is an epoch second: the wait is between 1 and 2 s.
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn a_429_asking_longer_than_allowed_fails_at_once() {
    let (fake, auth0) = adapter().await;
    fake.inject(Fault::TooMany {
        retry_after: Some(60),
        reset_in: None,
    });
    let started = Instant::now();
    let err = auth0.find_by_email("a@example.com").await.unwrap_err();
    names_auth0(&err);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn server_errors_and_time_outs_are_retried_with_backoff() {
    let (fake, auth0) = adapter().await;
    fake.inject(Fault::Status(503));
    fake.inject(Fault::Status(500));
    // Slower than the 500 ms the client waits: a time-out.
    fake.inject(Fault::Slow(Duration::from_millis(800)));
    let id = fake.add_user("ann@example.com", CONNECTION);
    let found = auth0
        .find_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    let seen = fake.seen();
    // Three failed tries of the token request, then the token and the call.
    assert_eq!(seen.len(), 5, "{seen:?}");
    // 20 ms, then 40 ms between the first tries.
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(20));
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(40));
}

#[tokio::test]
async fn a_down_auth0_fails_after_the_bounded_tries_naming_auth0() {
    let (fake, auth0) = adapter().await;
    fake.set_down(true);
    let err = auth0.find_by_email("a@example.com").await.unwrap_err();
    names_auth0(&err);
    assert_eq!(fake.seen().len(), 4);
}

#[tokio::test]
async fn a_slow_answer_within_the_time_out_is_waited_for() {
    let (fake, auth0) = adapter().await;
    fake.inject(Fault::Slow(Duration::from_millis(200)));
    auth0.find_by_email("a@example.com").await.unwrap();
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(fake.seen().len(), 2);
}

#[tokio::test]
async fn create_makes_an_account_without_a_known_password_and_a_409_finds_it() {
    let (fake, auth0) = adapter().await;
    let made = auth0
        .create("new@example.com", Some("New Person"))
        .await
        .unwrap();
    assert!(made.created_by_nexus);
    assert_eq!(made.nexus_user_id, None);
    let user = fake.user_by_email("new@example.com").unwrap();
    assert_eq!(user["name"], "New Person");

    fake.conflict_on_next_create();
    let again = auth0.create("lost@example.com", None).await.unwrap();
    assert_eq!(
        fake.user_by_email("lost@example.com").unwrap()["user_id"],
        again.id.as_str()
    );
    assert_eq!(fake.users().len(), 2);
}

#[tokio::test]
async fn accounts_in_other_connections_are_not_found() {
    let (fake, auth0) = adapter().await;
    fake.add_user("ann@example.com", "google-oauth2");
    assert_eq!(auth0.find_by_email("ann@example.com").await.unwrap(), None);
}

#[tokio::test]
async fn invite_claim_and_rename_reach_the_account() {
    let (fake, auth0) = adapter().await;
    let id = fake.add_user("ann@example.com", CONNECTION);
    auth0.invite(&id, "ann@example.com").await.unwrap();
    auth0.claim(&id, "nexus-1").await.unwrap();
    auth0.rename(&id, "Ann").await.unwrap();
    let user = fake.user_by_email("ann@example.com").unwrap();
    assert_eq!(user["app_metadata"]["nexus_user_id"], "nexus-1");
    assert_eq!(user["name"], "Ann");
    assert_eq!(fake.emails(), ["ann@example.com"]);
    let found = auth0
        .find_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.nexus_user_id.as_deref(), Some("nexus-1"));
}

#[tokio::test]
async fn the_invitation_is_an_email_asked_without_a_token() {
    let (fake, auth0) = adapter().await;
    let id = fake.add_user("ann@example.com", CONNECTION);
    auth0.invite(&id, "Ann@Example.com").await.unwrap();
    assert_eq!(fake.emails(), ["ann@example.com"]);
    assert_eq!(fake.token_requests(), 0);
    assert_eq!(fake.count("POST", "/dbconnections/change_password"), 1);
}

#[tokio::test]
async fn the_invitation_is_retried_on_429_and_5xx() {
    let (fake, auth0) = adapter().await;
    let id = fake.add_user("ann@example.com", CONNECTION);
    fake.inject_on(
        "POST",
        "/dbconnections/change_password",
        Fault::TooMany {
            retry_after: Some(1),
            reset_in: None,
        },
    );
    fake.inject_on("POST", "/dbconnections/change_password", Fault::Status(502));
    auth0.invite(&id, "ann@example.com").await.unwrap();
    assert_eq!(fake.count("POST", "/dbconnections/change_password"), 3);
    assert_eq!(fake.emails(), ["ann@example.com"]);

    fake.set_down(true);
    let err = auth0.invite(&id, "ann@example.com").await.unwrap_err();
    match &err {
        TenantAccessError::IdentityProvider(m) => {
            assert!(m.starts_with("Auth0 Authentication API"), "{m}");
        }
        other => panic!("expected an identity-provider failure, got {other:?}"),
    }
    assert_eq!(fake.emails().len(), 1);
}

#[tokio::test]
async fn a_wrong_client_or_connection_is_refused_naming_auth0() {
    let fake = FakeAuth0::start().await;
    let mut settings = fake.settings();
    settings.client_id = "another-client".to_owned();
    let auth0 = Auth0Provisioning::new(&settings);
    let err = auth0
        .invite("auth0|1", "ann@example.com")
        .await
        .unwrap_err();
    names_auth0(&err);
    assert!(err.to_string().contains("400"), "{err}");
    assert!(err.to_string().contains("Unknown client"), "{err}");

    let mut settings = fake.settings();
    settings.connection = "elsewhere".to_owned();
    let auth0 = Auth0Provisioning::new(&settings);
    let err = auth0
        .invite("auth0|1", "ann@example.com")
        .await
        .unwrap_err();
    names_auth0(&err);
    assert!(err.to_string().contains("connection not found"), "{err}");
    // A refusal is not retried.
    assert_eq!(fake.count("POST", "/dbconnections/change_password"), 2);
    assert!(fake.emails().is_empty());
}

#[tokio::test]
async fn an_unknown_account_is_a_failure_naming_auth0() {
    let (_fake, auth0) = adapter().await;
    let err = auth0.rename("auth0|missing", "Ann").await.unwrap_err();
    names_auth0(&err);
}
