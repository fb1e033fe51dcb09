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

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(sub: &str) -> serde_json::Value {
    serde_json::json!({
        "sub": sub, "iss": ISSUER, "aud": "nexus", "exp": now() + 300, "azp": "console",
        "scope": "users:write users:delete",
    })
}

fn signed(claims: &serde_json::Value, kid: &str) -> String {
    let der = std::fs::read(fixture("rsa-private.der")).unwrap();
    gateway::jwt::sign_der(Algorithm::RS256, &der, Some(kid), claims).unwrap()
}

fn token(sub: &str) -> String {
    signed(&claims(sub), "rsa-1")
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

async fn configured_app() -> TestApp {
    let salt = SaltString::encode_b64(b"integration-salt").unwrap();
    let hash = argon2::Argon2::default()
        .hash_password(b"s3cret", &salt)
        .unwrap()
        .to_string();
    TestApp::spawn_with(Backend::Sqlite, |s| {
        s.auth.jwt.jwks_file = Some(fixture("jwks.json"));
        s.auth.jwt.issuer = Some(ISSUER.to_owned());
        s.auth.jwt.audience = Some("nexus".to_owned());
        s.auth.application_tokens = vec![ApplicationTokenSetting {
            name: "console".to_owned(),
            sha256: hex::encode(Sha256::digest(APP_TOKEN)),
            scopes: vec!["users:read".to_owned(), "users:write".to_owned()],
        }];
        s.auth.basic_users = vec![BasicUserSetting {
            username: "ops".to_owned(),
            hash: hash.clone(),
            scopes: vec!["users:write".to_owned()],
        }];
    })
    .await
    .unwrap()
}

fn basic(creds: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(creds)
    )
}

#[tokio::test]
async fn configured_credentials_are_checked_through_rest() {
    let app = configured_app().await;
    // Configured auth turns development credentials off.
    assert!(app.app_token.is_empty());

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

fn get_as(app: &TestApp, path: &str, auth: &str, app_token: bool) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method("GET")
        .uri(format!("http://{}{path}", app.addr));
    if !auth.is_empty() {
        builder = builder.header("authorization", auth);
    }
    if app_token {
        builder = builder.header("applicationtoken", APP_TOKEN);
    }
    builder.body(Full::new(Bytes::new())).unwrap()
}

#[tokio::test]
async fn each_token_defect_is_refused_with_its_own_reason() {
    let app = configured_app().await;
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims("auth0|bob");
        f(&mut c);
        format!("Bearer {}", signed(&c, "rsa-1"))
    };
    let good = token("auth0|bob");
    let (head_body, _) = good.rsplit_once('.').unwrap();
    let other = signed(
        &serde_json::json!({"sub": "x", "exp": now() + 300}),
        "rsa-1",
    );
    let (_, other_signature) = other.rsplit_once('.').unwrap();
    for (auth, reason) in [
        (String::new(), "missing credentials"),
        (with(&|c| c["exp"] = (now() - 600).into()), "token expired"),
        (
            format!("Bearer {head_body}.{other_signature}"),
            "bad signature",
        ),
        (with(&|c| c["aud"] = "another-api".into()), "wrong audience"),
        (
            with(&|c| c["iss"] = "https://evil.example/".into()),
            "wrong issuer",
        ),
        ("Bearer not-a-jwt".to_owned(), "malformed token"),
        (
            format!("Bearer {}", signed(&claims("auth0|bob"), "rsa-rotated")),
            "unknown key",
        ),
    ] {
        let answer = app.send(get_as(&app, "/v1/users", &auth, true)).await;
        assert_eq!(answer.status, 401, "{reason}: {:?}", answer.body);
        assert_eq!(answer.body["detail"], reason);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_request_holds_only_the_scopes_its_credential_is_allowed() {
    let app = configured_app().await;
    let user = app
        .send(post_user(
            &app,
            "scoped@example.com",
            &format!("Bearer {}", token("auth0|bob")),
            Some(APP_TOKEN),
        ))
        .await;
    assert_eq!(user.status, 201, "{:?}", user.body);
    let path = format!("/v1/users/{}", user.body["id"].as_str().unwrap());
    // The JWT holds users:delete, but its ApplicationToken does not list it.
    let delete = http::Request::builder()
        .method("DELETE")
        .uri(format!("http://{}{path}", app.addr))
        .header("authorization", format!("Bearer {}", token("auth0|bob")))
        .header("applicationtoken", APP_TOKEN)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let refused = app.send(delete).await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    assert_eq!(
        refused.body["detail"],
        "this operation needs the scope users:delete"
    );
    // The ApplicationToken lists users:read, but the JWT does not hold it.
    let jwt = format!("Bearer {}", token("auth0|bob"));
    let read = app.send(get_as(&app, &path, &jwt, true)).await;
    assert_eq!(read.status, 403, "{:?}", read.body);
    // The Basic user holds users:write alone.
    let read = app
        .send(get_as(&app, &path, &basic("ops:s3cret"), false))
        .await;
    assert_eq!(read.status, 403, "{:?}", read.body);
    assert_eq!(
        read.body["detail"],
        "this operation needs the scope users:read"
    );
    app.stop().await;
}
