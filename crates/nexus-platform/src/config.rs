//! Configuration: built-in defaults < a TOML file (`--config FILE` or
//! `NEXUS_CONFIG`) < environment variables `NEXUS__SECTION__KEY` (for example
//! `NEXUS__GATEWAY__LISTEN=127.0.0.1:9000`). Loaded into one typed [`Settings`]
//! and validated at start, one section at a time; secrets are
//! [`secrecy::SecretString`]s and never printed.

mod admin;
mod auth;
mod auth0;
mod component;
mod internal_auth;
mod nats;
mod runtime;
mod services;
mod tls;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use auth::{
    ApplicationTokenSetting, AuthSettings, BasicUserSetting, JwtSettings, MIN_HS256_SECRET_LEN,
    check_jwks_url,
};
pub use auth0::Auth0Settings;
pub use component::{Component, UnknownComponent};
pub use internal_auth::{
    InternalAuthSettings, InternalKeySetting, MAX_INTERNAL_KEYS, MIN_INTERNAL_SECRET_LEN,
};
pub use nats::NatsConnectSettings;
pub use runtime::{
    DatabaseSettings, EventBackend, EventSettings, GrpcClientSettings, LogFormat, TelemetrySettings,
};
pub use services::{
    GatewaySettings, IDENTITY_KEYS, ServiceKeys, ServiceSettings, TENANT_ACCESS_KEYS,
    TenantAccessSettings, UPN_KEYS,
};
pub use tls::GrpcTlsSettings;

/// Why the configuration was refused. The message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

impl ConfigError {
    /// A refusal of `key`, said in `message`.
    pub fn invalid(key: &'static str, message: impl Into<String>) -> Self {
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
    /// On SIGTERM, how long each server may take to finish its in-flight
    /// requests before it is stopped, in seconds.
    pub shutdown_drain_secs: u64,
    pub gateway: GatewaySettings,
    pub identity: ServiceSettings,
    pub upn: ServiceSettings,
    pub tenant_access: TenantAccessSettings,
    pub events: EventSettings,
    pub telemetry: TelemetrySettings,
    pub internal_auth: InternalAuthSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub grpc_client: GrpcClientSettings,
    #[serde(default)]
    pub grpc_tls: GrpcTlsSettings,
}

const DEFAULTS: &str = r#"
data_dir = "./nexus-data"
shutdown_drain_secs = 30

[gateway]
listen = "127.0.0.1:8080"
body_limit_bytes = 1048576
rate_limit_per_second = 0.0
rate_limit_burst = 50
rate_limit_per_address_per_second = 0.0
rate_limit_per_address_burst = 100
header_read_timeout_secs = 10
request_timeout_secs = 30

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
max_version_jump = 1000

[telemetry]
filter = "info"
format = "text"
sample_ratio = 1.0

[internal_auth]

[grpc_client]
call_timeout_ms = 10000
connect_timeout_ms = 5000
resolve_interval_secs = 10

[auth.jwt]
leeway_secs = 30
jwks_max_age_secs = 600
jwks_timeout_secs = 5
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

    /// The checks serde cannot make, section by section: what `nexus
    /// check-config` and every start-up run.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self, mode: Mode) -> Result<(), ConfigError> {
        if !(1..=3600).contains(&self.shutdown_drain_secs) {
            return Err(ConfigError::invalid(
                "shutdown_drain_secs",
                "must be 1 to 3600",
            ));
        }
        self.gateway.validate()?;
        self.identity.validate(&IDENTITY_KEYS)?;
        self.upn.validate(&UPN_KEYS)?;
        self.tenant_access.validate()?;
        self.database.validate()?;
        self.events.validate()?;
        self.internal_auth.validate(mode)?;
        let all_in_one_listen = (mode == Mode::AllInOne).then_some(self.gateway.listen);
        self.auth.validate(all_in_one_listen)?;
        self.grpc_client.validate()?;
        self.grpc_tls.validate()?;
        self.validate_admin_listeners(mode)?;
        self.telemetry.validate()
    }

    /// The event backend to use: the configured one, else the mode's default.
    pub fn event_backend(&self, mode: Mode) -> EventBackend {
        self.events.backend.unwrap_or(match mode {
            Mode::AllInOne => EventBackend::Memory,
            Mode::Component => EventBackend::Nats,
        })
    }
}

#[cfg(test)]
mod security_tests;
#[cfg(test)]
mod tests;
