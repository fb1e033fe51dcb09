//! The `[gateway]`, `[identity]`, `[upn]` and `[tenant_access]` sections:
//! where each part listens, which database it owns, and where it finds the
//! others.

use std::net::SocketAddr;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::{ConfigError, Mode, Settings};

/// The REST gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    pub listen: SocketAddr,
    /// Where `/metrics` and `/healthz` are served (unset: no admin listener).
    /// In the all-in-one this one listener serves every part's metrics.
    #[serde(default)]
    pub admin_listen: Option<SocketAddr>,
    /// gRPC address of the identity service (`http://host:port`, or several
    /// separated by commas); calls are balanced over every address the
    /// host names resolve to. The all-in-one fills it in itself.
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
    /// Requests per second each client address may make before
    /// authentication (0: no limit), and the burst: a flood of bad
    /// credentials is turned away before any is checked.
    pub rate_limit_per_address_per_second: f64,
    pub rate_limit_per_address_burst: u32,
    /// How long a client has to send a request's headers (an idle keep-alive
    /// connection is closed after it too).
    pub header_read_timeout_secs: u64,
    /// How long a request may take, body and answer included (408 after).
    pub request_timeout_secs: u64,
    /// The all-in-one's development ApplicationToken, used only while no
    /// `[auth]` credential is configured; unset, one is made in `data_dir`.
    pub dev_application_token: Option<SecretString>,
}

impl GatewaySettings {
    /// The service URLs of `nexus serve gateway`, by key.
    pub fn service_urls(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("gateway.identity_url", self.identity_url.as_deref()),
            ("gateway.upn_url", self.upn_url.as_deref()),
            (
                "gateway.tenant_access_url",
                self.tenant_access_url.as_deref(),
            ),
        ]
    }

    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, urls) in self.service_urls() {
            check_http_urls(key, urls)?;
        }
        for (key, rate) in [
            ("gateway.rate_limit_per_second", self.rate_limit_per_second),
            (
                "gateway.rate_limit_per_address_per_second",
                self.rate_limit_per_address_per_second,
            ),
        ] {
            if !(rate >= 0.0 && rate.is_finite()) {
                return Err(ConfigError::invalid(
                    key,
                    "must be 0 (off) or a positive number",
                ));
            }
        }
        for (key, secs) in [
            (
                "gateway.header_read_timeout_secs",
                self.header_read_timeout_secs,
            ),
            ("gateway.request_timeout_secs", self.request_timeout_secs),
        ] {
            if secs == 0 {
                return Err(ConfigError::invalid(key, "must be at least 1"));
            }
        }
        if self.body_limit_bytes == 0 {
            return Err(ConfigError::invalid(
                "gateway.body_limit_bytes",
                "must be greater than 0",
            ));
        }
        Ok(())
    }
}

/// One gRPC service: where it listens and which database it owns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    pub listen: SocketAddr,
    /// Where `nexus serve <service>` serves `/metrics` and `/healthz` (unset:
    /// no admin listener). The all-in-one refuses it: its metrics are all on
    /// `gateway.admin_listen`.
    #[serde(default)]
    pub admin_listen: Option<SocketAddr>,
    /// `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. Unset in the
    /// all-in-one: a SQLite file under `data_dir`.
    pub database_url: Option<SecretString>,
    /// The identity service's gRPC URL, for a service that asks it whether
    /// users exist (only `upn` reads it). Required for `nexus serve upn`;
    /// the all-in-one fills it in.
    #[serde(default)]
    pub identity_url: Option<String>,
    /// Whether `nexus serve` migrates the database before serving (the
    /// all-in-one always does). Off by default: `nexus migrate` runs once per
    /// release, and a replica of a newer version never changes the schema
    /// under the older ones still serving.
    #[serde(default)]
    pub migrate_on_start: bool,
}

/// The keys of one service's section, for messages, and the SQLite file the
/// all-in-one gives it.
#[derive(Debug, Clone, Copy)]
pub struct ServiceKeys {
    pub listen: &'static str,
    pub admin_listen: &'static str,
    pub database_url: &'static str,
    pub identity_url: &'static str,
    /// Whether the service calls the identity service (else `identity_url`
    /// must stay unset, so that a misplaced key is not silently ignored).
    pub reads_identity_url: bool,
    pub migrate_on_start: &'static str,
    pub file_name: &'static str,
}

pub const IDENTITY_KEYS: ServiceKeys = ServiceKeys {
    listen: "identity.listen",
    admin_listen: "identity.admin_listen",
    database_url: "identity.database_url",
    identity_url: "identity.identity_url",
    migrate_on_start: "identity.migrate_on_start",
    reads_identity_url: false,
    file_name: "identity.db",
};

pub const UPN_KEYS: ServiceKeys = ServiceKeys {
    listen: "upn.listen",
    admin_listen: "upn.admin_listen",
    database_url: "upn.database_url",
    identity_url: "upn.identity_url",
    migrate_on_start: "upn.migrate_on_start",
    reads_identity_url: true,
    file_name: "upn.db",
};

pub const TENANT_ACCESS_KEYS: ServiceKeys = ServiceKeys {
    listen: "tenant_access.listen",
    admin_listen: "tenant_access.admin_listen",
    database_url: "tenant_access.database_url",
    identity_url: "tenant_access.identity_url",
    migrate_on_start: "tenant_access.migrate_on_start",
    reads_identity_url: true,
    file_name: "tenant-access.db",
};

impl ServiceSettings {
    /// The checks serde cannot make, for the section named by `keys`.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self, keys: &ServiceKeys) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            check_database_url(keys.database_url, url.expose_secret())?;
        }
        if !keys.reads_identity_url && self.identity_url.is_some() {
            return Err(ConfigError::invalid(
                keys.identity_url,
                "is read only in [upn] and [tenant_access]",
            ));
        }
        check_http_urls(keys.identity_url, self.identity_url.as_deref())
    }

    /// The database URL: the configured one, or (all-in-one) a SQLite file
    /// named after the service under `data_dir`.
    ///
    /// # Errors
    /// In [`Mode::Component`], a missing URL.
    pub fn database_url(
        &self,
        settings: &Settings,
        keys: &ServiceKeys,
        mode: Mode,
    ) -> Result<SecretString, ConfigError> {
        match (&self.database_url, mode) {
            (Some(url), _) => Ok(url.clone()),
            (None, Mode::AllInOne) => {
                let path = settings.data_dir.join(keys.file_name);
                Ok(SecretString::from(format!("sqlite://{}", path.display())))
            }
            (None, Mode::Component) => Err(ConfigError::invalid(
                keys.database_url,
                "is required for `nexus serve`",
            )),
        }
    }
}

/// The tenant-access service: a [`ServiceSettings`] plus the roles it grants
/// and where it finds the identity service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantAccessSettings {
    pub listen: SocketAddr,
    /// As [`ServiceSettings::admin_listen`].
    #[serde(default)]
    pub admin_listen: Option<SocketAddr>,
    pub database_url: Option<SecretString>,
    /// gRPC address of the identity service (`http://host:port`), which
    /// tenant-access calls to find, create and rename users; required for
    /// `nexus serve tenant-access`, filled in by the all-in-one.
    pub identity_url: Option<String>,
    /// As [`ServiceSettings::migrate_on_start`].
    #[serde(default)]
    pub migrate_on_start: bool,
    /// The tenant roles this deployment grants: each 1 to 64 of `[a-z0-9._-]`.
    pub roles: Vec<String>,
    /// Provisioning into Auth0; absent, back-office users live in Nexus only.
    #[serde(default)]
    pub auth0: Option<super::Auth0Settings>,
}

impl TenantAccessSettings {
    /// The part every service has.
    pub fn service(&self) -> ServiceSettings {
        ServiceSettings {
            listen: self.listen,
            admin_listen: self.admin_listen,
            database_url: self.database_url.clone(),
            identity_url: self.identity_url.clone(),
            migrate_on_start: self.migrate_on_start,
        }
    }

    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.service().validate(&TENANT_ACCESS_KEYS)?;
        if let Some(auth0) = &self.auth0 {
            auth0.validate()?;
        }
        check_roles(&self.roles)
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

pub(super) fn check_http_url(key: &'static str, url: Option<&str>) -> Result<(), ConfigError> {
    match url {
        // A URL gRPC clients would refuse at start is refused here too.
        Some(url)
            if !(url.starts_with("http://") || url.starts_with("https://"))
                || url
                    .parse::<http::Uri>()
                    .map_or(true, |u| u.host().is_none()) =>
        {
            Err(ConfigError::invalid(key, "must be an http(s) URL"))
        }
        _ => Ok(()),
    }
}

/// A service address: one http(s) URL, or several separated by commas (the
/// client balances over all of them).
fn check_http_urls(key: &'static str, urls: Option<&str>) -> Result<(), ConfigError> {
    match urls {
        Some(urls) if urls.split(',').all(|u| u.trim().is_empty()) => {
            Err(ConfigError::invalid(key, "must be an http(s) URL"))
        }
        Some(urls) => urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .try_for_each(|u| check_http_url(key, Some(u))),
        None => Ok(()),
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
