//! `[tenant_access.auth0]`: the Auth0 Management API that tenant-access
//! provisions back-office users into. Absent, provisioning is off and
//! tenant-access only touches Nexus, as the all-in-one does by default.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::ConfigError;

/// The Auth0 tenant, its machine-to-machine client and the connection new
/// accounts are made in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth0Settings {
    /// The Auth0 tenant's domain (`acme.eu.auth0.com`), or a base URL
    /// (`https://…`, `http://…` for a local stand-in).
    pub domain: String,
    /// The machine-to-machine application authorized for the Management API;
    /// also the application the invitation email is asked for, so the
    /// connection must be enabled for it.
    pub client_id: String,
    pub client_secret: SecretString,
    /// `audience` of the token request; unset, `https://<domain>/api/v2/`.
    #[serde(default)]
    pub audience: Option<String>,
    /// The database connection new accounts are created in (its name).
    pub connection: String,
    /// What the identity link records as `azoConnectionId`: the value the
    /// post-login Action sends for this connection (`con_…` by default, the
    /// name with `NEXUS_CONNECTION_FIELD=name`). Unset, the connection name.
    #[serde(default)]
    pub connection_id: Option<String>,
    /// The IdP tenant in identity that provisioned users are linked to.
    pub idp_tenant_id: i32,
    /// Time allowed for one Management API request.
    #[serde(default = "defaults::timeout_ms")]
    pub timeout_ms: u64,
    /// Tries of one call, the first included, on 429, 5xx and time-outs.
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// First pause between tries after a 5xx or time-out; doubled each time.
    #[serde(default = "defaults::backoff_ms")]
    pub backoff_ms: u64,
    /// Longest pause a 429's `Retry-After` / `X-RateLimit-Reset` may ask for;
    /// a longer one fails the call at once rather than hold the request.
    #[serde(default = "defaults::max_retry_wait_ms")]
    pub max_retry_wait_ms: u64,
}

mod defaults {
    pub fn timeout_ms() -> u64 {
        5_000
    }
    pub fn max_attempts() -> u32 {
        4
    }
    pub fn backoff_ms() -> u64 {
        200
    }
    pub fn max_retry_wait_ms() -> u64 {
        10_000
    }
}

impl Auth0Settings {
    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let required = [
            ("tenant_access.auth0.domain", self.domain.as_str()),
            ("tenant_access.auth0.client_id", self.client_id.as_str()),
            (
                "tenant_access.auth0.client_secret",
                self.client_secret.expose_secret(),
            ),
            ("tenant_access.auth0.connection", self.connection.as_str()),
        ];
        for (key, value) in required {
            if value.trim().is_empty() {
                return Err(ConfigError::invalid(key, "must not be empty"));
            }
        }
        if self.domain.contains("://")
            && !(self.domain.starts_with("https://") || self.domain.starts_with("http://"))
        {
            return Err(ConfigError::invalid(
                "tenant_access.auth0.domain",
                "must be a domain or an http(s) URL",
            ));
        }
        if self.idp_tenant_id <= 0 {
            return Err(ConfigError::invalid(
                "tenant_access.auth0.idp_tenant_id",
                "must be the id of an IdP tenant (greater than 0)",
            ));
        }
        if self.timeout_ms == 0 {
            return Err(ConfigError::invalid(
                "tenant_access.auth0.timeout_ms",
                "must be greater than 0",
            ));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(ConfigError::invalid(
                "tenant_access.auth0.max_attempts",
                "must be 1 to 10",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Mode, Settings};

    fn load(text: &str) -> Result<Settings, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nexus.toml");
        std::fs::write(&path, text).unwrap();
        Settings::load(Some(Path::new(&path)), Mode::AllInOne).map_err(|e| e.to_string())
    }

    const SECTION: &str = "[tenant_access.auth0]\ndomain = \"acme.eu.auth0.com\"\n\
        client_id = \"cid\"\nclient_secret = \"s3cret\"\n\
        connection = \"Username-Password-Authentication\"\nidp_tenant_id = 1\n";

    #[test]
    fn provisioning_is_off_unless_configured() {
        assert!(load("").unwrap().tenant_access.auth0.is_none());
        let auth0 = load(SECTION).unwrap().tenant_access.auth0.unwrap();
        assert_eq!(auth0.max_attempts, 4);
        assert_eq!(auth0.connection_id, None);
        assert!(!format!("{auth0:?}").contains("s3cret"));
    }

    #[test]
    fn the_former_ticket_keys_are_refused() {
        let err = load(&format!("{SECTION}ticket_ttl_secs = 3600\n")).unwrap_err();
        assert!(err.contains("ticket_ttl_secs"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key() {
        for (from, to, key) in [
            ("idp_tenant_id = 1", "idp_tenant_id = 0", "idp_tenant_id"),
            (
                "client_secret = \"s3cret\"",
                "client_secret = \"\"",
                "client_secret",
            ),
            (
                "domain = \"acme.eu.auth0.com\"",
                "domain = \"ftp://x\"",
                "domain",
            ),
            (
                "idp_tenant_id = 1",
                "idp_tenant_id = 1\nmax_attempts = 0",
                "max_attempts",
            ),
        ] {
            let err = load(&SECTION.replace(from, to)).unwrap_err();
            assert!(err.contains(&format!("tenant_access.auth0.{key}")), "{err}");
        }
    }
}
