//! Credentials against tokens of every algorithm, bad tokens, Basic users and
//! JWKS URLs.

use super::*;
use crate::auth::authenticator::{Authenticator, authenticate_oauth};
use crate::auth::jwt::{sign_der, sign_hs256};
use argon2::Argon2;
use argon2::PasswordHasher as _;
use argon2::password_hash::SaltString;
use axum::extract::Request;
use axum::http::HeaderValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::Algorithm;
use nexus_domain::Principal;
use serde_json::{Value, json};
use std::path::PathBuf;

const HS_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test";
const APP_TOKEN: &str = "app-secret";
const ISSUER: &str = "https://issuer.example/";
const AUDIENCE: &str = "nexus-api";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn key(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims() -> Value {
    json!({
        "sub": "auth0|alice",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now() + 300,
        "azp": "console",
        "scope": "tenant.access:read tenant.access:write",
        "permissions": ["users:write"],
        "tenants": ["t1", "t2"],
    })
}

fn jwt_config(hs256: bool) -> JwtConfig {
    JwtConfig {
        jwks_file: Some(fixture("jwks.json")),
        hs256_secret: hs256.then(|| HS_SECRET.to_vec()),
        issuer: Some(ISSUER.to_owned()),
        audience: Some(AUDIENCE.to_owned()),
        leeway_secs: 30,
        tenants_claim: "tenants".to_owned(),
        ..JwtConfig::default()
    }
}

fn creds(hs256: bool) -> Authenticator {
    Authenticator::new(credentials(hs256))
}

fn credentials(hs256: bool) -> Credentials {
    let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
    let hash = Argon2::default()
        .hash_password(b"pw", &salt)
        .unwrap()
        .to_string();
    Credentials {
        jwt: Some(Arc::new(JwtVerifier::new(jwt_config(hs256)).unwrap())),
        application_tokens: vec![
            ApplicationToken::from_hex("console", &hex::encode(Sha256::digest(APP_TOKEN)))
                .unwrap()
                .with_scopes(&["users:read".to_owned(), "users:write".to_owned()])
                .unwrap(),
        ],
        basic_users: vec![
            BasicUser::from_setting(&nexus_platform::config::BasicUserSetting {
                username: "ops".to_owned(),
                hash,
                scopes: vec!["users:read".to_owned()],
            })
            .unwrap(),
        ],
    }
}

fn rs256(claims: &Value) -> String {
    sign_der(
        Algorithm::RS256,
        &key("rsa-private.der"),
        Some("rsa-1"),
        claims,
    )
    .unwrap()
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h.insert("applicationtoken", HeaderValue::from_static(APP_TOKEN));
    h
}

async fn status(c: &Authenticator, headers: &HeaderMap) -> u16 {
    c.authenticate(headers, None)
        .await
        .unwrap_err()
        .status
        .as_u16()
}

#[tokio::test]
async fn good_tokens_of_every_algorithm_are_accepted_with_scopes_and_tenants() {
    let c = creds(true);
    let tokens = [
        rs256(&claims()),
        sign_der(
            Algorithm::ES256,
            &key("ec-private.pk8.der"),
            Some("ec-1"),
            &claims(),
        )
        .unwrap(),
        sign_der(
            Algorithm::EdDSA,
            &key("ed-private.pk8.der"),
            Some("ed-1"),
            &claims(),
        )
        .unwrap(),
        sign_hs256(HS_SECRET, &claims()).unwrap(),
    ];
    for token in tokens {
        let p = c.authenticate(&bearer(&token), None).await.unwrap();
        assert_eq!(p.subject, "auth0|alice");
        assert_eq!(p.client.as_deref(), Some("console"));
        // The JWT's scopes that its ApplicationToken also lists.
        assert_eq!(p.scopes, ["users:write"]);
        assert_eq!(p.tenants, ["t1", "t2"]);
    }
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let c = creds(false);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = claims();
        f(&mut v);
        rs256(&v)
    };
    let expired = with(&|v| v["exp"] = json!(now() - 120));
    let not_yet = with(&|v| v["nbf"] = json!(now() + 600));
    let nbf_as_text = with(&|v| v["nbf"] = json!("99999999999"));
    let wrong_issuer = with(&|v| v["iss"] = json!("https://evil.example/"));
    let wrong_audience = with(&|v| v["aud"] = json!("other-api"));
    let no_exp = with(&|v| {
        v.as_object_mut().unwrap().remove("exp");
    });
    let no_sub = with(&|v| {
        v.as_object_mut().unwrap().remove("sub");
    });
    // The header and claims of one token with the signature of another.
    let wrong_signature = {
        let good = rs256(&claims());
        let other = rs256(&json!({"sub": "mallory", "exp": now() + 300}));
        let (head_body, _) = good.rsplit_once('.').unwrap();
        let (_, sig) = other.rsplit_once('.').unwrap();
        format!("{head_body}.{sig}")
    };
    let alg_none = {
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
        };
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims())
        )
    };
    // HS256 signed with the RSA key's public JWK as secret: the classic
    // key-confusion attack; HS256 is off without hs256_secret.
    let jwks = std::fs::read(fixture("jwks.json")).unwrap();
    let hs_with_public_key = sign_hs256(&jwks, &claims()).unwrap();
    let hs_with_secret = sign_hs256(HS_SECRET, &claims()).unwrap();
    // The header names an RSA key id but says ES256.
    let alg_key_mismatch = sign_der(
        Algorithm::ES256,
        &key("ec-private.pk8.der"),
        Some("rsa-1"),
        &claims(),
    )
    .unwrap();
    for (token, reason) in [
        (expired, "token expired"),
        (not_yet, "token not yet valid"),
        (nbf_as_text, "malformed token"),
        (wrong_issuer, "wrong issuer"),
        (wrong_audience, "wrong audience"),
        (no_exp, "malformed token"),
        (no_sub, "malformed token"),
        (wrong_signature, "bad signature"),
        (alg_none, "malformed token"),
        (hs_with_public_key, "unsupported algorithm"),
        (hs_with_secret, "unsupported algorithm"),
        (alg_key_mismatch, "unknown key"),
        ("abc".to_owned(), "malformed token"),
    ] {
        let e = c.authenticate(&bearer(&token), None).await.unwrap_err();
        assert_eq!(e.status, 401, "{reason}");
        assert_eq!(e.detail, reason);
    }
}

#[tokio::test]
async fn a_jwt_needs_a_valid_application_token_on_v1() {
    let c = creds(false);
    let token = rs256(&claims());
    let mut h = bearer(&token);
    h.remove("applicationtoken");
    assert_eq!(status(&c, &h).await, 401, "missing ApplicationToken");
    h.insert("applicationtoken", HeaderValue::from_static("wrong"));
    assert_eq!(status(&c, &h).await, 401, "wrong ApplicationToken");
    let e = c.authenticate(&h, None).await.unwrap_err();
    assert!(e.headers.iter().any(|(n, _)| n == header::WWW_AUTHENTICATE));
    for other in ["", "Digest x", "Bearer "] {
        let mut h = HeaderMap::new();
        if !other.is_empty() {
            h.insert("authorization", HeaderValue::from_str(other).unwrap());
        }
        assert_eq!(status(&c, &h).await, 401, "{other:?}");
    }
}

#[tokio::test]
async fn basic_checks_name_and_password_against_the_argon2_hash() {
    let c = creds(false);
    let basic = |s: &str| {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(s))).unwrap(),
        );
        h
    };
    let ops = c.authenticate(&basic("ops:pw"), None).await.unwrap();
    assert_eq!(ops.subject, "ops");
    assert_eq!(ops.scopes, ["users:read"], "the user's configured scopes");
    for bad in ["ops:nope", "nobody:pw", "garbage"] {
        assert_eq!(status(&c, &basic(bad)).await, 401, "{bad}");
    }
}

#[tokio::test]
async fn oauth_routes_take_a_bearer_jwt_alone() {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    let credentials = Arc::new(creds(false));
    let app: Router = Router::new()
        .route(
            "/api/{tenantId}/admin/users",
            get(|axum::Extension(p): axum::Extension<Principal>| async move { p.scopes.join(" ") }),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            credentials,
            authenticate_oauth,
        ));
    let call = |auth: Option<String>| {
        let mut r = Request::builder().uri("/api/t1/admin/users");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        app.clone().oneshot(r.body(Body::empty()).unwrap())
    };
    let ok = call(Some(format!("Bearer {}", rs256(&claims()))))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body = axum::body::to_bytes(ok.into_body(), 1024).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("tenant.access:read"));
    let basic = format!("Basic {}", STANDARD.encode("ops:pw"));
    for auth in [None, Some(basic), Some("Bearer nope".to_owned())] {
        let r = call(auth).await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}

#[tokio::test]
async fn keys_are_fetched_from_a_jwks_url() {
    let jwks = std::fs::read_to_string(fixture("jwks.json")).unwrap();
    let server = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { jwks }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, server).await });
    let verifier = JwtVerifier::new(JwtConfig {
        jwks_file: None,
        jwks_url: Some(format!("http://{addr}/jwks")),
        ..jwt_config(false)
    })
    .unwrap();
    let p = verifier.verify(&rs256(&claims())).await.unwrap();
    assert_eq!(p.subject, "auth0|alice");
    let unknown_kid = sign_der(
        Algorithm::RS256,
        &key("rsa-private.der"),
        Some("rsa-9"),
        &claims(),
    )
    .unwrap();
    assert!(verifier.verify(&unknown_kid).await.is_err());
}

#[tokio::test]
async fn configuration_errors_name_their_key() {
    let e = ApplicationToken::from_hex("x", "zz")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("application_tokens"), "{e}");
    let e = BasicUser::new("u", "plaintext").err().unwrap().to_string();
    assert!(e.contains("basic_users"), "{e}");
    let mut config = jwt_config(false);
    config.jwks_file = Some(fixture("missing.json"));
    let e = JwtVerifier::new(config).err().unwrap().to_string();
    assert!(e.contains("jwt.jwks_file"), "{e}");
}
