//! The `[auth]` section: the credentials the gateway accepts, the scopes each
//! may exercise, and the one place their secrets, digests and hashes are
//! checked.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::ConfigError;

/// Credentials the gateway accepts. When none is set, the all-in-one turns on
/// development credentials (a signing key and an ApplicationToken in
/// `data_dir`) if the gateway listens on a loopback address; when any is set,
/// those are off.
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
    /// An `https://` URL serving the JWKS, such as an Auth0 tenant's
    /// `/.well-known/jwks.json` (`http://` only to a loopback host); fetched on
    /// first use, when the keys are older than `jwks_max_age_secs`, and when a
    /// token names an unknown `kid` (key rotation).
    pub jwks_url: Option<String>,
    /// Keys of `jwks_url` older than this are fetched again.
    pub jwks_max_age_secs: u64,
    /// Bounds one fetch of `jwks_url`, body included.
    pub jwks_timeout_secs: u64,
    /// Turns HS256 on, with this shared secret.
    pub hs256_secret: Option<SecretString>,
    /// The required `iss`; must be set with any key source.
    pub issuer: Option<String>,
    /// The required `aud`; must be set with any key source.
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
    /// The `/v1` scopes calls with this token may exercise: a call gets those
    /// of its JWT that are listed here. Without `scopes`, none.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// One accepted HTTP Basic user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicUserSetting {
    pub username: String,
    /// argon2 PHC string (`$argon2id$v=19$…`).
    pub hash: String,
    /// The `/v1` scopes this user may exercise. Without `scopes`, none.
    #[serde(default)]
    pub scopes: Vec<String>,
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

    /// Whether a JWT key source is configured.
    fn has_key_source(&self) -> bool {
        self.jwt.jwks_file.is_some()
            || self.jwt.jwks_url.is_some()
            || self.jwt.hs256_secret.is_some()
    }

    /// The checks serde cannot make. `listen` is where the gateway listens in
    /// the all-in-one (`None` otherwise): development credentials, which are
    /// on while nothing is configured, are refused off loopback.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self, listen: Option<SocketAddr>) -> Result<(), ConfigError> {
        if let Some(listen) = listen
            && !self.is_configured()
            && !listen.ip().is_loopback()
        {
            return Err(ConfigError::invalid(
                "auth",
                format!(
                    "the gateway listens on {listen}, not a loopback address, and development credentials serve loopback only: configure [auth] (jwt with issuer and audience, application_tokens or basic_users) or listen on 127.0.0.1"
                ),
            ));
        }
        if let Some(url) = &self.jwt.jwks_url {
            check_jwks_url(url).map_err(|e| ConfigError::invalid("auth.jwt.jwks_url", e))?;
        }
        if let Some(path) = &self.jwt.jwks_file
            && let Err(e) = std::fs::metadata(path)
        {
            return Err(ConfigError::invalid(
                "auth.jwt.jwks_file",
                format!("{}: {e}", path.display()),
            ));
        }
        if self.jwt.jwks_max_age_secs == 0 || self.jwt.jwks_timeout_secs == 0 {
            return Err(ConfigError::invalid(
                "auth.jwt.jwks_max_age_secs",
                "jwks_max_age_secs and jwks_timeout_secs must be at least 1",
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
        // Without both, a token minted by the same IdP for another API (or
        // another tenant's) would be accepted here.
        if self.has_key_source() {
            let key_source = "is required with a key source (jwks_file, jwks_url or hs256_secret)";
            if self.jwt.issuer.as_deref().is_none_or(str::is_empty) {
                return Err(ConfigError::invalid("auth.jwt.issuer", key_source));
            }
            if self.jwt.audience.as_deref().is_none_or(str::is_empty) {
                return Err(ConfigError::invalid("auth.jwt.audience", key_source));
            }
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

/// An `https://` URL, or `http://` to a loopback host (a local key server in
/// development and tests): keys fetched in clear text over a network could be
/// replaced by anyone on the path.
///
/// # Errors
/// What is wrong with `url`.
pub fn check_jwks_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url.split_once("://").ok_or("must be an https:// URL")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err("must name a host".to_owned());
    }
    if scheme.eq_ignore_ascii_case("https") {
        return Ok(());
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if scheme.eq_ignore_ascii_case("http") && loopback {
        return Ok(());
    }
    Err("must be an https:// URL (http:// only to a loopback host)".to_owned())
}
