//! The `[database]`, `[events]`, `[telemetry]` and `[grpc_client]` sections: what every process shares, whichever part it
//! runs.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::services::check_http_url;

/// Connection-pool settings shared by every service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Pool size for PostgreSQL (SQLite always uses one writer connection).
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

impl DatabaseSettings {
    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_connections == 0 {
            return Err(ConfigError::invalid(
                "database.max_connections",
                "must be greater than 0",
            ));
        }
        Ok(())
    }
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
    /// An event more than this many versions above a copy's version is
    /// refused and dead-lettered (0: no bound).
    pub max_version_jump: u64,
    /// Credentials and TLS of the NATS connection.
    #[serde(default)]
    pub nats: super::NatsConnectSettings,
}

fn is_token(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl EventSettings {
    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.nats_url.starts_with("nats://") || self.nats_url.starts_with("tls://")) {
            return Err(ConfigError::invalid(
                "events.nats_url",
                "must start with nats:// or tls://",
            ));
        }
        self.nats.validate()?;
        if !is_token(&self.stream) {
            return Err(ConfigError::invalid(
                "events.stream",
                "must be letters, digits, '-' or '_'",
            ));
        }
        if !self.subject_prefix.is_empty() && !self.subject_prefix.split('.').all(is_token) {
            return Err(ConfigError::invalid(
                "events.subject_prefix",
                "must be dot-separated tokens of letters, digits, '-' or '_'",
            ));
        }
        if self.relay_batch_size == 0 {
            return Err(ConfigError::invalid(
                "events.relay_batch_size",
                "must be greater than 0",
            ));
        }
        if self.relay_poll_interval_ms == 0 {
            return Err(ConfigError::invalid(
                "events.relay_poll_interval_ms",
                "must be greater than 0",
            ));
        }
        if !(1..=5).contains(&self.stream_replicas) {
            return Err(ConfigError::invalid(
                "events.stream_replicas",
                "must be 1 to 5",
            ));
        }
        Ok(())
    }
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
    /// The share of traces started here that are recorded, 0.0 to 1.0. A
    /// trace whose caller sent a `traceparent` follows the caller's decision.
    pub sample_ratio: f64,
    /// The `service.name` of exported traces; unset, each process names
    /// itself (`nexus-gateway`, `nexus-identity`, …, `nexus` for the all-in-one).
    pub service_name: Option<String>,
}

impl TelemetrySettings {
    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_http_url("telemetry.otlp_endpoint", self.otlp_endpoint.as_deref())?;
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            return Err(ConfigError::invalid(
                "telemetry.sample_ratio",
                "must be from 0.0 to 1.0",
            ));
        }
        if self
            .service_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return Err(ConfigError::invalid(
                "telemetry.service_name",
                "must not be empty",
            ));
        }
        Ok(())
    }
}

/// The gRPC clients of a process: the gateway's of every service, upn's and
/// tenant-access's of identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcClientSettings {
    /// The deadline of every call, in milliseconds: a call still unanswered
    /// then fails with DEADLINE_EXCEEDED instead of holding its caller.
    pub call_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// How often service host names are looked up again, in seconds, to
    /// balance over replicas as they come and go.
    pub resolve_interval_secs: u64,
}

impl GrpcClientSettings {
    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("grpc_client.call_timeout_ms", self.call_timeout_ms),
            ("grpc_client.connect_timeout_ms", self.connect_timeout_ms),
            (
                "grpc_client.resolve_interval_secs",
                self.resolve_interval_secs,
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, "must be greater than 0"));
            }
        }
        Ok(())
    }

    /// As the client channels take them, without TLS settings (those are
    /// `[grpc_tls]`'s).
    pub fn options(&self) -> crate::grpc::ClientOptions {
        crate::grpc::ClientOptions {
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            call_timeout: Duration::from_millis(self.call_timeout_ms),
            resolve_interval: Duration::from_secs(self.resolve_interval_secs),
            tls: crate::grpc::ClientTls::default(),
        }
    }
}
