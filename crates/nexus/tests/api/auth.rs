//! Configured authentication through REST: a JWKS file, a hashed
//! ApplicationToken and an argon2 Basic user; development credentials off.

use argon2::PasswordHasher as _;
use argon2::password_hash::SaltString;
use base64::Engine as _;
use bytes::Bytes;
use gateway::jwt::Algorithm;
use http_body_util::Full;
use nexus_platform::config::{ApplicationTokenSetting, BasicUserSetting};
use sha2::{Digest as _, Sha256};

use crate::helpers::{Backend, TestApp, new_user};

const APP_TOKEN: &str = "configured-application-token";
const ISSUER: &str = "https://issuer.example/";

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gateway/tests/fixtures")
        .join(name)
}

fn token(sub: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "sub": sub, "iss": ISSUER, "aud": "nexus", "exp": now + 300, "azp": "console",
    });
    let der = std::fs::read(fixture("rsa-private.der")).unwrap();
    gateway::jwt::sign_der(Algorithm::RS256, &der, Some("rsa-1"), &claims).unwrap()
}

fn post_user(
    app: &TestApp,
    email: &str,
    auth: &str,
    app_token: Option<&str>,
) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(format!("http://{}/v1/users", app.addr))
        .header("authorization", auth)
        .header("content-type", "application/json");
    if let Some(t) = app_token {
        builder = builder.header("applicationtoken", t);
    }
    builder
        .body(serde_json::to_vec(&new_user(email)).unwrap().into())
        .unwrap()
}

#[tokio::test]
async fn configured_credentials_are_checked_through_rest() {
    let salt = SaltString::encode_b64(b"integration-salt").unwrap();
    let hash = argon2::Argon2::default()
        .hash_password(b"s3cret", &salt)
        .unwrap()
        .to_string();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.auth.jwt.jwks_file = Some(fixture("jwks.json"));
        s.auth.jwt.issuer = Some(ISSUER.to_owned());
        s.auth.jwt.audience = Some("nexus".to_owned());
        s.auth.application_tokens = vec![ApplicationTokenSetting {
            name: "console".to_owned(),
            sha256: hex::encode(Sha256::digest(APP_TOKEN)),
        }];
        s.auth.basic_users = vec![BasicUserSetting {
            username: "ops".to_owned(),
            hash: hash.clone(),
        }];
    })
    .await
    .unwrap();
    // Configured auth turns development credentials off.
    assert!(app.app_token.is_empty());
    let basic = |creds: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(creds)
        )
    };

    let jwt = format!("Bearer {}", token("auth0|bob"));
    let created = app
        .send(post_user(&app, "jwt@example.com", &jwt, Some(APP_TOKEN)))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["createdBy"], "auth0|bob");

    let created = app
        .send(post_user(
            &app,
            "basic@example.com",
            &basic("ops:s3cret"),
            None,
        ))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["createdBy"], "ops");

    let forged = format!("Bearer {}x", token("auth0|bob"));
    for (name, request) in [
        (
            "bad token",
            post_user(&app, "a@example.com", &forged, Some(APP_TOKEN)),
        ),
        (
            "no ApplicationToken",
            post_user(&app, "b@example.com", &jwt, None),
        ),
        (
            "wrong ApplicationToken",
            post_user(&app, "c@example.com", &jwt, Some("nope")),
        ),
        (
            "wrong Basic password",
            post_user(&app, "d@example.com", &basic("ops:wrong"), None),
        ),
    ] {
        let answer = app.send(request).await;
        assert_eq!(answer.status, 401, "{name}");
        assert!(answer.header("www-authenticate").is_some(), "{name}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json"),
            "{name}"
        );
    }
    app.stop().await;
}
