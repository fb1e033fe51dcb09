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

use crate::api::problem::ApiError;
use crate::auth::error::AuthError;
use crate::auth::jwt::{JwtConfig, JwtVerifier};

/// Header carrying the calling application's token on `/v1`.
pub const APPLICATION_TOKEN_HEADER: &str = "applicationtoken";

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
mod tests;
