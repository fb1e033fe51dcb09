//! Configuration: built-in defaults < a TOML file (`--config FILE` or
//! `NEXUS_CONFIG`) < environment variables `NEXUS__SECTION__KEY` (for example
//! `NEXUS__GATEWAY__LISTEN=127.0.0.1:9000`). Loaded into one typed [`Settings`]
//! and validated at start; secrets are [`SecretString`]s and never printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Why the configuration was refused. The message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

impl ConfigError {
    fn invalid(key: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            key,
            message: message.into(),
        }
    }
}

/// Every setting of a `nexus` process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where the all-in-one keeps its SQLite files and development keys.
    pub data_dir: PathBuf,
    pub gateway: GatewaySettings,
    pub identity: ServiceSettings,
    pub upn: ServiceSettings,
    pub tenant_access: TenantAccessSettings,
    pub events: EventSettings,
    pub telemetry: TelemetrySettings,
    pub internal_auth: InternalAuthSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
}

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

    fn validate(&self) -> Result<(), ConfigError> {
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

/// The REST gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    pub listen: SocketAddr,
    /// gRPC address of the identity service (`http://host:port`); the
    /// all-in-one fills it in itself.
    pub identity_url: Option<String>,
    pub upn_url: Option<String>,
    pub tenant_access_url: Option<String>,
    /// Largest accepted request body, in bytes (413 above it).
    pub body_limit_bytes: usize,
    /// Requests per second each principal may make (0: no limit); over it,
    /// 429 with `Retry-After`.
    pub rate_limit_per_second: f64,
    /// How many requests a principal may make at once before the rate applies.
    pub rate_limit_burst: u32,
    /// The all-in-one's development ApplicationToken, used only while no
    /// `[auth]` credential is configured; unset, one is made in `data_dir`.
    pub dev_application_token: Option<SecretString>,
}

/// One gRPC service: where it listens and which database it owns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    pub listen: SocketAddr,
    /// `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. Unset in the
    /// all-in-one: a SQLite file under `data_dir`.
    pub database_url: Option<SecretString>,
    /// The identity service's gRPC URL, for a service that asks it whether
    /// users exist (only `upn` reads it). Required for `nexus serve upn`;
    /// the all-in-one fills it in.
    #[serde(default)]
    pub identity_url: Option<String>,
}

/// The tenant-access service: a [`ServiceSettings`] plus the roles it grants
/// and where it finds the identity service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantAccessSettings {
    pub listen: SocketAddr,
    pub database_url: Option<SecretString>,
    /// gRPC address of the identity service (`http://host:port`), which
    /// tenant-access calls to find, create and rename users; required for
    /// `nexus serve tenant-access`, filled in by the all-in-one.
    pub identity_url: Option<String>,
    /// The tenant roles this deployment grants: each 1 to 64 of `[a-z0-9._-]`.
    pub roles: Vec<String>,
}

impl TenantAccessSettings {
    /// The part every service has.
    pub fn service(&self) -> ServiceSettings {
        ServiceSettings {
            listen: self.listen,
            database_url: self.database_url.clone(),
            identity_url: self.identity_url.clone(),
        }
    }
}

/// Connection-pool settings shared by every service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Pool size for PostgreSQL (SQLite always uses one writer connection).
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventBackend {
    /// In-process delivery: the all-in-one's default.
    Memory,
    /// NATS JetStream: what `nexus serve` uses.
    Nats,
}

/// The event bus and the outbox relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// `memory` or `nats`; unset means `memory` for the all-in-one and `nats`
    /// for `nexus serve`.
    pub backend: Option<EventBackend>,
    pub nats_url: String,
    /// The JetStream stream that holds `nexus.>`.
    pub stream: String,
    /// Prepended to every subject (`<prefix>.nexus.identity.user.created`), so
    /// that several Nexus environments can share one NATS cluster; empty by
    /// default.
    pub subject_prefix: String,
    /// Replicas of the stream (3 on a NATS cluster).
    pub stream_replicas: usize,
    /// How long the stream keeps events, in seconds (0: no limit).
    pub stream_max_age_secs: u64,
    /// How many bytes the stream keeps before dropping the oldest events (0: no
    /// limit).
    pub stream_max_bytes: u64,
    /// How many events the stream keeps before dropping the oldest (0: no limit).
    pub stream_max_msgs: u64,
    /// Rows the outbox relay publishes per round.
    pub relay_batch_size: u64,
    /// How often the relay looks for rows it was not told about, in milliseconds.
    pub relay_poll_interval_ms: u64,
    /// How long published outbox rows are kept before they are pruned, in seconds.
    pub outbox_retention_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Logs and traces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// A `RUST_LOG`-style filter; `RUST_LOG` itself wins when set.
    pub filter: String,
    pub format: LogFormat,
    /// OTLP/gRPC endpoint (`http://collector:4317`); traces are exported when set.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
}

/// The shared key with which the gateway signs the principal it passes to the
/// services. The all-in-one makes a random one at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalAuthSettings {
    pub secret: Option<SecretString>,
}

/// Smallest accepted internal-auth secret, in bytes.
pub const MIN_INTERNAL_SECRET_LEN: usize = 32;

const DEFAULTS: &str = r#"
data_dir = "./nexus-data"

[gateway]
listen = "127.0.0.1:8080"
body_limit_bytes = 1048576
rate_limit_per_second = 0.0
rate_limit_burst = 50

[identity]
listen = "127.0.0.1:50051"

[upn]
listen = "127.0.0.1:50052"

[tenant_access]
listen = "127.0.0.1:50053"
roles = ["owner", "admin", "member", "viewer"]

[database]
max_connections = 10
connect_timeout_secs = 10

[events]
nats_url = "nats://127.0.0.1:4222"
stream = "NEXUS"
subject_prefix = ""
stream_replicas = 1
stream_max_age_secs = 604800
stream_max_bytes = 0
stream_max_msgs = 0
relay_batch_size = 256
relay_poll_interval_ms = 1000
outbox_retention_secs = 604800

[telemetry]
filter = "info"
format = "text"
service_name = "nexus"

[internal_auth]

[auth.jwt]
leeway_secs = 30
tenants_claim = "tenants"
"#;

/// Which process the settings are for: it decides a few defaults and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    AllInOne,
    Component,
}

impl Settings {
    /// Loads defaults, then `file` (or `NEXUS_CONFIG` when `file` is `None`), then
    /// the environment, and validates the result for `mode`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the offending key.
    pub fn load(file: Option<&Path>, mode: Mode) -> Result<Self, ConfigError> {
        let env_file = std::env::var_os("NEXUS_CONFIG").map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let settings: Self = builder
            .add_source(
                config::Environment::with_prefix("NEXUS")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        settings.validate(mode)?;
        Ok(settings)
    }

    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self, mode: Mode) -> Result<(), ConfigError> {
        for (key, svc) in [
            ("identity.database_url", &self.identity),
            ("upn.database_url", &self.upn),
            ("tenant_access.database_url", &self.tenant_access.service()),
        ] {
            if let Some(url) = &svc.database_url {
                check_database_url(key, url.expose_secret())?;
            }
        }
        check_roles(&self.tenant_access.roles)?;
        if self.identity.identity_url.is_some() {
            return Err(ConfigError::invalid(
                "identity.identity_url",
                "is read only in [upn] and [tenant_access]",
            ));
        }
        for (key, url) in [
            ("upn.identity_url", &self.upn.identity_url),
            (
                "tenant_access.identity_url",
                &self.tenant_access.identity_url,
            ),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(ConfigError::invalid(key, "must be an http(s) URL"));
            }
        }
        if !(self.gateway.rate_limit_per_second >= 0.0
            && self.gateway.rate_limit_per_second.is_finite())
        {
            return Err(ConfigError::invalid(
                "gateway.rate_limit_per_second",
                "must be 0 (off) or a positive number",
            ));
        }
        if self.gateway.body_limit_bytes == 0 {
            return Err(ConfigError::invalid(
                "gateway.body_limit_bytes",
                "must be greater than 0",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::invalid(
                "database.max_connections",
                "must be greater than 0",
            ));
        }
        if !(self.events.nats_url.starts_with("nats://")
            || self.events.nats_url.starts_with("tls://"))
        {
            return Err(ConfigError::invalid(
                "events.nats_url",
                "must start with nats:// or tls://",
            ));
        }
        if self.events.stream.is_empty()
            || !self
                .events
                .stream
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ConfigError::invalid(
                "events.stream",
                "must be letters, digits, '-' or '_'",
            ));
        }
        if !self.events.subject_prefix.is_empty()
            && !self.events.subject_prefix.split('.').all(|t| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
        {
            return Err(ConfigError::invalid(
                "events.subject_prefix",
                "must be dot-separated tokens of letters, digits, '-' or '_'",
            ));
        }
        if self.events.relay_batch_size == 0 {
            return Err(ConfigError::invalid(
                "events.relay_batch_size",
                "must be greater than 0",
            ));
        }
        if self.events.relay_poll_interval_ms == 0 {
            return Err(ConfigError::invalid(
                "events.relay_poll_interval_ms",
                "must be greater than 0",
            ));
        }
        if !(1..=5).contains(&self.events.stream_replicas) {
            return Err(ConfigError::invalid(
                "events.stream_replicas",
                "must be 1 to 5",
            ));
        }
        if let Some(secret) = &self.internal_auth.secret {
            if secret.expose_secret().len() < MIN_INTERNAL_SECRET_LEN {
                return Err(ConfigError::invalid(
                    "internal_auth.secret",
                    format!("must be at least {MIN_INTERNAL_SECRET_LEN} bytes"),
                ));
            }
        } else if mode == Mode::Component {
            return Err(ConfigError::invalid(
                "internal_auth.secret",
                "is required for `nexus serve` (the same value on the gateway and every service)",
            ));
        }
        self.auth.validate()?;
        if let Some(endpoint) = &self.telemetry.otlp_endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(ConfigError::invalid(
                "telemetry.otlp_endpoint",
                "must be an http(s) URL",
            ));
        }
        Ok(())
    }

    /// The event backend to use: the configured one, else the mode's default.
    pub fn event_backend(&self, mode: Mode) -> EventBackend {
        self.events.backend.unwrap_or(match mode {
            Mode::AllInOne => EventBackend::Memory,
            Mode::Component => EventBackend::Nats,
        })
    }
}

/// Tenant roles: at least one, each 1 to 64 of `[a-z0-9._-]`, no duplicates.
fn check_roles(roles: &[String]) -> Result<(), ConfigError> {
    const KEY: &str = "tenant_access.roles";
    if roles.is_empty() {
        return Err(ConfigError::invalid(KEY, "must name at least one role"));
    }
    for (i, role) in roles.iter().enumerate() {
        let well_formed = (1..=64).contains(&role.len())
            && role.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if !well_formed {
            return Err(ConfigError::invalid(
                KEY,
                format!("`{role}` must be 1 to 64 of lower-case letters, digits, '.', '_' or '-'"),
            ));
        }
        if roles[..i].contains(role) {
            return Err(ConfigError::invalid(
                KEY,
                format!("`{role}` is listed twice"),
            ));
        }
    }
    Ok(())
}

/// The database URL of a service: the configured one, or (all-in-one) a SQLite
/// file named after the service under `data_dir`.
///
/// # Errors
/// In [`Mode::Component`], a missing URL.
pub fn database_url(
    settings: &Settings,
    key: &'static str,
    svc: &ServiceSettings,
    file_name: &str,
    mode: Mode,
) -> Result<SecretString, ConfigError> {
    match (&svc.database_url, mode) {
        (Some(url), _) => Ok(url.clone()),
        (None, Mode::AllInOne) => {
            let path = settings.data_dir.join(file_name);
            Ok(SecretString::from(format!("sqlite://{}", path.display())))
        }
        (None, Mode::Component) => Err(ConfigError::invalid(key, "is required for `nexus serve`")),
    }
}

fn check_database_url(key: &'static str, url: &str) -> Result<(), ConfigError> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        // The URL may hold a password: only its scheme is named.
        let scheme = url.split(':').next().unwrap_or_default();
        Err(ConfigError::invalid(
            key,
            format!("unsupported scheme `{scheme}`: use sqlite: or postgres://"),
        ))
    }
}

#[cfg(test)]
mod tests;
