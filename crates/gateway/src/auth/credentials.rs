//! The credentials the gateway accepts, built from `[auth]`: the JWT
//! verifier, the ApplicationTokens and the Basic users, each token and user
//! with the `/v1` scopes it may exercise. Checking a request against them is
//! [`Authenticator`](crate::auth::Authenticator)'s. Tokens, passwords and
//! secrets are never logged.

use std::sync::Arc;

use argon2::PasswordHash;
use axum::http::{HeaderMap, header};
use nexus_platform::config::{AuthSettings, BasicUserSetting};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::api::problem::ApiError;
use crate::auth::error::AuthError;
use crate::auth::jwt::{JwtConfig, JwtVerifier};
use crate::auth::scope;

/// Header carrying the calling application's token on `/v1`.
pub const APPLICATION_TOKEN_HEADER: &str = "applicationtoken";

/// An accepted `ApplicationToken`, kept as its SHA-256 digest only.
#[derive(Clone)]
pub struct ApplicationToken {
    pub name: String,
    digest: [u8; 32],
    /// The `/v1` scopes calls with this token may exercise.
    scopes: Vec<String>,
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
            scopes: Vec::new(),
        })
    }

    /// From the token itself: the development credentials, which hold every
    /// `/v1` scope.
    pub fn from_token(name: &str, token: &str) -> Self {
        Self {
            name: name.to_owned(),
            digest: Sha256::digest(token.as_bytes()).into(),
            scopes: scope::all_names(),
        }
    }

    /// The same token allowed `scopes` (replacing its own).
    ///
    /// # Errors
    /// A name that is not a `/v1` scope.
    pub fn with_scopes(mut self, scopes: &[String]) -> Result<Self, AuthError> {
        self.scopes = scope::known(scopes).map_err(|e| {
            AuthError::invalid("application_tokens", format!("`{}`: {e}", self.name))
        })?;
        Ok(self)
    }

    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
}

/// An accepted HTTP Basic user and its argon2 PHC hash.
#[derive(Clone)]
pub struct BasicUser {
    pub username: String,
    pub(crate) hash: String,
    /// The `/v1` scopes this user may exercise.
    scopes: Vec<String>,
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
            scopes: Vec::new(),
        })
    }

    /// From its `[auth]` entry, with its scopes.
    ///
    /// # Errors
    /// The hash is not a PHC string, or a scope is unknown.
    pub fn from_setting(setting: &BasicUserSetting) -> Result<Self, AuthError> {
        let mut user = Self::new(&setting.username, &setting.hash)?;
        user.scopes = scope::known(&setting.scopes).map_err(|e| {
            AuthError::invalid("basic_users", format!("`{}`: {e}", setting.username))
        })?;
        Ok(user)
    }

    pub fn scopes(&self) -> &[String] {
        &self.scopes
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
pub(crate) enum Presented<'a> {
    Bearer(&'a str),
    Basic(&'a str),
}

pub(crate) fn presented(headers: &HeaderMap) -> Result<Presented<'_>, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("missing credentials"))?;
    let (scheme, value) = authorization
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("unsupported authorization scheme"))?;
    let value = value.trim();
    // Schemes are case-insensitive (RFC 9110 §11.1).
    if scheme.eq_ignore_ascii_case("bearer") {
        if value.is_empty() {
            return Err(ApiError::unauthorized("missing credentials"));
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
        let verifier = match JwtConfig::from_settings(&settings.jwt) {
            Some(config) => Some(Arc::new(JwtVerifier::new(config)?)),
            None => None,
        };
        let application_tokens = settings
            .application_tokens
            .iter()
            .map(|t| ApplicationToken::from_hex(&t.name, &t.sha256)?.with_scopes(&t.scopes))
            .collect::<Result<_, _>>()?;
        let basic_users = settings
            .basic_users
            .iter()
            .map(BasicUser::from_setting)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            jwt: verifier,
            application_tokens,
            basic_users,
        })
    }

    /// The configured token `presented` is.
    pub(crate) fn application(&self, presented: &str) -> Result<&ApplicationToken, ApiError> {
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
}

#[cfg(test)]
mod tests;
