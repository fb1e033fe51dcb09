//! Authentication of REST calls. `/v1` accepts a bearer JWT together with an
//! `ApplicationToken` header, or HTTP Basic ([`authenticate`]); the tenant
//! back-office routes accept a bearer JWT alone, whose scopes and tenants are
//! checked by the handlers ([`authenticate_oauth`]). Anything else is 401
//! problem+json with `WWW-Authenticate`. Tokens, passwords and secrets are
//! never logged.

use std::sync::Arc;

use argon2::{Argon2, PasswordHash, PasswordVerifier as _};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use nexus_domain::Principal;
use nexus_platform::config::AuthSettings;
use secrecy::ExposeSecret as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::jwt::{JwtConfig, JwtVerifier};
use crate::problem::ApiError;

/// Header carrying the calling application's token on `/v1`.
pub const APPLICATION_TOKEN_HEADER: &str = "applicationtoken";

/// Why credentials could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("auth.{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl AuthError {
    pub(crate) fn invalid(key: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            key,
            message: message.into(),
        }
    }
}

/// An accepted `ApplicationToken`, kept as its SHA-256 digest only.
#[derive(Clone)]
pub struct ApplicationToken {
    pub name: String,
    digest: [u8; 32],
}

impl ApplicationToken {
    /// From a configured hex SHA-256 digest.
    ///
    /// # Errors
    /// The digest is not 64 hex digits.
    pub fn from_hex(name: &str, sha256_hex: &str) -> Result<Self, AuthError> {
        let digest = hex::decode(sha256_hex)
            .ok()
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or_else(|| {
                AuthError::invalid(
                    "application_tokens",
                    format!("`{name}`: sha256 must be 64 hex digits"),
                )
            })?;
        Ok(Self {
            name: name.to_owned(),
            digest,
        })
    }

    /// From the token itself (development credentials).
    pub fn from_token(name: &str, token: &str) -> Self {
        Self {
            name: name.to_owned(),
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }
}

/// An accepted HTTP Basic user and its argon2 PHC hash.
#[derive(Clone)]
pub struct BasicUser {
    pub username: String,
    hash: String,
}

impl BasicUser {
    /// # Errors
    /// The hash is not a PHC string.
    pub fn new(username: &str, hash: &str) -> Result<Self, AuthError> {
        PasswordHash::new(hash).map_err(|e| {
            AuthError::invalid(
                "basic_users",
                format!("`{username}`: hash is not a PHC string: {e}"),
            )
        })?;
        Ok(Self {
            username: username.to_owned(),
            hash: hash.to_owned(),
        })
    }
}

/// What the gateway accepts.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Verifies bearer JWTs; without it every bearer token is refused.
    pub jwt: Option<Arc<JwtVerifier>>,
    pub application_tokens: Vec<ApplicationToken>,
    pub basic_users: Vec<BasicUser>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("jwt", &self.jwt.is_some())
            .field("application_tokens", &self.application_tokens.len())
            .field("basic_users", &self.basic_users.len())
            .finish()
    }
}

/// Whether an `Authorization` header is a bearer token or Basic credentials.
enum Presented<'a> {
    Bearer(&'a str),
    Basic(&'a str),
}

fn presented(headers: &HeaderMap) -> Result<Presented<'_>, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("credentials are required"))?;
    let (scheme, value) = authorization
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("unsupported authorization scheme"))?;
    let value = value.trim();
    // Schemes are case-insensitive (RFC 9110 §11.1).
    if scheme.eq_ignore_ascii_case("bearer") {
        if value.is_empty() {
            return Err(ApiError::unauthorized("the bearer token is empty"));
        }
        Ok(Presented::Bearer(value))
    } else if scheme.eq_ignore_ascii_case("basic") {
        Ok(Presented::Basic(value))
    } else {
        Err(ApiError::unauthorized("unsupported authorization scheme"))
    }
}

impl Credentials {
    /// The configured credentials: JWKS file read, digests and hashes parsed.
    /// `jwks_url` keys are fetched when the first token needs them.
    ///
    /// # Errors
    /// A key that cannot be read or parsed, named.
    pub fn from_settings(settings: &AuthSettings) -> Result<Self, AuthError> {
        let jwt = &settings.jwt;
        let verifier =
            if jwt.jwks_file.is_some() || jwt.jwks_url.is_some() || jwt.hs256_secret.is_some() {
                Some(Arc::new(JwtVerifier::new(JwtConfig {
                    jwks_file: jwt.jwks_file.clone(),
                    jwks_url: jwt.jwks_url.clone(),
                    hs256_secret: jwt
                        .hs256_secret
                        .as_ref()
                        .map(|s| s.expose_secret().as_bytes().to_vec()),
                    issuer: jwt.issuer.clone(),
                    audience: jwt.audience.clone(),
                    leeway_secs: jwt.leeway_secs,
                    tenants_claim: jwt.tenants_claim.clone(),
                })?))
            } else {
                None
            };
        let application_tokens = settings
            .application_tokens
            .iter()
            .map(|t| ApplicationToken::from_hex(&t.name, &t.sha256))
            .collect::<Result<_, _>>()?;
        let basic_users = settings
            .basic_users
            .iter()
            .map(|u| BasicUser::new(&u.username, &u.hash))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            jwt: verifier,
            application_tokens,
            basic_users,
        })
    }

    /// The principal of a `/v1` request: a bearer JWT with an ApplicationToken,
    /// or HTTP Basic.
    ///
    /// # Errors
    /// 401 when the credentials are missing or wrong.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        match presented(headers)? {
            Presented::Basic(encoded) => self.basic(encoded).await,
            Presented::Bearer(token) => {
                let app_token = headers
                    .get(APPLICATION_TOKEN_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        ApiError::unauthorized(
                            "an ApplicationToken header is required with a bearer token",
                        )
                    })?;
                let app = self.application(app_token)?;
                let mut principal = self.bearer(token).await?;
                if principal.client.is_none() {
                    principal.client = Some(app.name.clone());
                }
                Ok(principal)
            }
        }
    }

    /// The principal of an OAuth2 request: a bearer JWT alone.
    ///
    /// # Errors
    /// 401 when the token is missing or not valid.
    pub async fn authenticate_oauth(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        match presented(headers)? {
            Presented::Bearer(token) => self.bearer(token).await,
            Presented::Basic(_) => Err(ApiError::unauthorized("a bearer token is required")),
        }
    }

    async fn bearer(&self, token: &str) -> Result<Principal, ApiError> {
        let verifier = self
            .jwt
            .as_ref()
            .ok_or_else(|| ApiError::unauthorized("bearer tokens are not accepted"))?;
        verifier.verify(token).await.map_err(|e| {
            tracing::debug!(reason = %e, "bearer token refused");
            ApiError::unauthorized(format!("the bearer token is not valid: {e}"))
        })
    }

    fn application(&self, presented: &str) -> Result<&ApplicationToken, ApiError> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Compare against every entry so timing does not reveal which matched.
        let mut found = None;
        for app in &self.application_tokens {
            if bool::from(app.digest.ct_eq(&digest)) {
                found = Some(app);
            }
        }
        found.ok_or_else(|| ApiError::unauthorized("the ApplicationToken is not valid"))
    }

    async fn basic(&self, encoded: &str) -> Result<Principal, ApiError> {
        let bad = || ApiError::unauthorized("the Basic credentials are not valid");
        let decoded = STANDARD.decode(encoded).map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (user, password) = decoded.split_once(':').ok_or_else(bad)?;
        let known = self
            .basic_users
            .iter()
            .find(|u| bool::from(u.username.as_bytes().ct_eq(user.as_bytes())));
        // An unknown name is checked against another user's hash and refused,
        // so that the time taken does not reveal which names exist.
        let (target, exists) = match (known, self.basic_users.first()) {
            (Some(u), _) => (u, true),
            (None, Some(first)) => (first, false),
            (None, None) => return Err(bad()),
        };
        let hash = target.hash.clone();
        let password = password.to_owned();
        // argon2 is deliberately slow: keep it off the async workers.
        let verified = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
        if verified && exists {
            Ok(Principal {
                subject: target.username.clone(),
                ..Principal::default()
            })
        } else {
            Err(bad())
        }
    }
}

/// The `/v1` middleware: stores the [`Principal`] in the request's
/// extensions or answers 401.
pub async fn authenticate(
    State(credentials): State<Arc<Credentials>>,
    mut request: Request,
    next: Next,
) -> Response {
    match credentials.authenticate(request.headers()).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// The OAuth2 middleware of `/api/{tenantId}/admin/**`: a bearer JWT alone.
/// Handlers check the scopes and tenants of the stored [`Principal`].
pub async fn authenticate_oauth(
    State(credentials): State<Arc<Credentials>>,
    mut request: Request,
    next: Next,
) -> Response {
    match credentials.authenticate_oauth(request.headers()).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{sign_der, sign_hs256};
    use argon2::PasswordHasher as _;
    use argon2::password_hash::SaltString;
    use axum::http::HeaderValue;
    use jsonwebtoken::Algorithm;
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

    fn creds(hs256: bool) -> Credentials {
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let hash = Argon2::default()
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        Credentials {
            jwt: Some(Arc::new(JwtVerifier::new(jwt_config(hs256)).unwrap())),
            application_tokens: vec![
                ApplicationToken::from_hex("console", &hex::encode(Sha256::digest(APP_TOKEN)))
                    .unwrap(),
            ],
            basic_users: vec![BasicUser::new("ops", &hash).unwrap()],
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

    async fn status(c: &Credentials, headers: &HeaderMap) -> u16 {
        c.authenticate(headers).await.unwrap_err().status.as_u16()
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
            let p = c.authenticate(&bearer(&token)).await.unwrap();
            assert_eq!(p.subject, "auth0|alice");
            assert_eq!(p.client.as_deref(), Some("console"));
            assert_eq!(
                p.scopes,
                ["tenant.access:read", "tenant.access:write", "users:write"]
            );
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
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(serde_json::to_vec(v).unwrap())
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
        for (name, token) in [
            ("expired", expired),
            ("nbf in the future", not_yet),
            ("nbf as text", nbf_as_text),
            ("wrong issuer", wrong_issuer),
            ("wrong audience", wrong_audience),
            ("no exp", no_exp),
            ("no sub", no_sub),
            ("wrong signature", wrong_signature),
            ("alg none", alg_none),
            ("HS256 against RS256 keys", hs_with_public_key),
            ("HS256 without hs256_secret", hs_with_secret),
            ("alg/key mismatch", alg_key_mismatch),
            ("not a JWT", "abc".to_owned()),
        ] {
            assert_eq!(status(&c, &bearer(&token)).await, 401, "{name}");
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
        let e = c.authenticate(&h).await.unwrap_err();
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
        assert_eq!(
            c.authenticate(&basic("ops:pw")).await.unwrap().subject,
            "ops"
        );
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
        let app =
            Router::new()
                .route(
                    "/api/{tenantId}/admin/users",
                    get(
                        |axum::Extension(p): axum::Extension<Principal>| async move {
                            p.scopes.join(" ")
                        },
                    ),
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
}
