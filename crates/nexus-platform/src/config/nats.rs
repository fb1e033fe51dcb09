//! The `[events.nats]` section: how a process authenticates to NATS and
//! verifies it. Each service should have its own NATS user, allowed to
//! publish only its own subjects (see `deploy/nats/`).

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use super::ConfigError;

/// NATS credentials (one kind at most) and TLS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConnectSettings {
    /// A `.creds` file (user JWT and nkey seed) of decentralized NATS auth.
    pub credentials_file: Option<PathBuf>,
    /// A file holding an nkey seed (`SU…`) of a user the server lists by
    /// public key.
    pub nkey_seed_file: Option<PathBuf>,
    /// A user and password the server lists.
    pub user: Option<String>,
    pub password: Option<SecretString>,
    /// CA certificates (PEM) the server's certificate is verified against;
    /// setting it requires TLS.
    pub tls_ca_file: Option<PathBuf>,
    /// A client certificate and key (PEM), for servers that verify clients.
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// Refuse a connection without TLS (also implied by a `tls://` URL).
    #[serde(default)]
    pub require_tls: bool,
}

fn exists(key: &'static str, path: Option<&PathBuf>) -> Result<(), ConfigError> {
    match path.map(|p| (p, std::fs::metadata(p))) {
        Some((p, Err(e))) => Err(ConfigError::invalid(key, format!("{}: {e}", p.display()))),
        _ => Ok(()),
    }
}

impl NatsConnectSettings {
    /// The checks serde cannot make.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let kinds = [
            self.credentials_file.is_some(),
            self.nkey_seed_file.is_some(),
            self.user.is_some() || self.password.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            return Err(ConfigError::invalid(
                "events.nats",
                "set one of credentials_file, nkey_seed_file or user and password",
            ));
        }
        if self.user.is_some() != self.password.is_some() {
            return Err(ConfigError::invalid(
                "events.nats.password",
                "user and password go together",
            ));
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err(ConfigError::invalid(
                "events.nats.tls_key_file",
                "tls_cert_file and tls_key_file go together",
            ));
        }
        exists(
            "events.nats.credentials_file",
            self.credentials_file.as_ref(),
        )?;
        exists("events.nats.nkey_seed_file", self.nkey_seed_file.as_ref())?;
        exists("events.nats.tls_ca_file", self.tls_ca_file.as_ref())?;
        exists("events.nats.tls_cert_file", self.tls_cert_file.as_ref())?;
        exists("events.nats.tls_key_file", self.tls_key_file.as_ref())
    }

    /// The nkey seed of `nkey_seed_file`.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn nkey_seed(path: &Path) -> std::io::Result<String> {
        Ok(std::fs::read_to_string(path)?.trim().to_owned())
    }
}
