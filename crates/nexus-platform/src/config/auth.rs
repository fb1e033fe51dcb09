//! The `[auth]` section: the credentials the gateway accepts, and the one
//! place their secrets, digests and hashes are checked.

use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::ConfigError;

/// Credentials the gateway accepts. When none is set, the all-in-one turns on
/// development credentials (a signing key and an ApplicationToken in
/// `data_dir`); when any is set, those are off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt: JwtSettings,
    /// Accepted `ApplicationToken`s, stored as SHA-256 digests.
    #[serde(default)]
    pub application_tokens: Vec<ApplicationTokenSetting>,
    /// Accepted HTTP Basic users, with argon2 password hashes.
    #[serde(default)]
    pub basic_users: Vec<BasicUserSetting>,
}

/// How bearer JWTs are verified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// A JWKS file with the issuer's public keys (RS256, ES256, EdDSA).
    pub jwks_file: Option<PathBuf>,
    /// An `https://` (or `http://`) URL serving the JWKS, such as an Auth0
    /// tenant's `/.well-known/jwks.json`; fetched on first use and again when a
    /// token names an unknown `kid` (key rotation).
    pub jwks_url: Option<String>,
    /// Turns HS256 on, with this shared secret.
    pub hs256_secret: Option<SecretString>,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// The claim holding the tenants (an array of strings).
    pub tenants_claim: String,
}

/// One accepted `ApplicationToken`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationTokenSetting {
    /// The application's name, recorded as the principal's client.
    pub name: String,
    /// Hex SHA-256 of the token.
    pub sha256: String,
}

/// One accepted HTTP Basic user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicUserSetting {
    pub username: String,
    /// argon2 PHC string (`$argon2id$v=19$…`).
    pub hash: String,
}

/// Smallest accepted HS256 secret, in bytes.
pub const MIN_HS256_SECRET_LEN: usize = 32;

impl AuthSettings {
    /// Whether any credential is configured (which turns development
    /// credentials off).
    pub fn is_configured(&self) -> bool {
        self.jwt.jwks_file.is_some()
            || self.jwt.jwks_url.is_some()
            || self.jwt.hs256_secret.is_some()
            || !self.application_tokens.is_empty()
            || !self.basic_users.is_empty()
    }

    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.jwt.jwks_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::invalid(
                "auth.jwt.jwks_url",
                "must be an https:// or http:// URL",
            ));
        }
        if let Some(secret) = &self.jwt.hs256_secret
            && secret.expose_secret().len() < MIN_HS256_SECRET_LEN
        {
            return Err(ConfigError::invalid(
                "auth.jwt.hs256_secret",
                format!("must be at least {MIN_HS256_SECRET_LEN} bytes"),
            ));
        }
        if self.jwt.tenants_claim.is_empty() {
            return Err(ConfigError::invalid(
                "auth.jwt.tenants_claim",
                "must not be empty",
            ));
        }
        for token in &self.application_tokens {
            let digest = hex::decode(&token.sha256).ok().filter(|d| d.len() == 32);
            if digest.is_none() || token.name.is_empty() {
                return Err(ConfigError::invalid(
                    "auth.application_tokens",
                    format!(
                        "`{}`: needs a name and sha256 = 64 hex digits (SHA-256 of the token)",
                        token.name
                    ),
                ));
            }
        }
        for user in &self.basic_users {
            let parsed = argon2::PasswordHash::new(&user.hash);
            if user.username.is_empty() || user.username.contains(':') {
                return Err(ConfigError::invalid(
                    "auth.basic_users",
                    format!(
                        "`{}`: the username must be non-empty without ':'",
                        user.username
                    ),
                ));
            }
            if !parsed.is_ok_and(|h| h.algorithm.as_str().starts_with("argon2")) {
                return Err(ConfigError::invalid(
                    "auth.basic_users",
                    format!("`{}`: hash must be an argon2 PHC string", user.username),
                ));
            }
        }
        Ok(())
    }
}
