//! The `[internal_auth]` section: the keys with which trusted components
//! sign the principals they pass to the services (see
//! [`crate::internal_auth`]).

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::{ConfigError, Mode};
use crate::internal_auth::{DEFAULT_KEY_ID, InternalAuth, is_key_id};

/// The shared keys: `secret` (one key), or `keys` (one or two, for
/// rotation: the first signs, both are accepted). The all-in-one makes a
/// random key at start when neither is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalAuthSettings {
    pub secret: Option<SecretString>,
    #[serde(default)]
    pub keys: Vec<InternalKeySetting>,
}

/// One key of `[[internal_auth.keys]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalKeySetting {
    /// Named in every signature, so that verifiers pick the key: 1 to 32
    /// letters, digits, '-' or '_'.
    pub id: String,
    pub secret: SecretString,
}

/// Smallest accepted internal-auth secret, in bytes.
pub const MIN_INTERNAL_SECRET_LEN: usize = 32;
/// Keys accepted at once: the current one and the one being rotated in or out.
pub const MAX_INTERNAL_KEYS: usize = 2;

impl InternalAuthSettings {
    /// The checks serde cannot make; every component of a deployment needs
    /// a key, since each one either signs or verifies principals.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self, mode: Mode) -> Result<(), ConfigError> {
        let short = |key| {
            ConfigError::invalid(
                key,
                format!("must be at least {MIN_INTERNAL_SECRET_LEN} bytes"),
            )
        };
        match (&self.secret, self.keys.is_empty()) {
            (Some(_), false) => {
                return Err(ConfigError::invalid(
                    "internal_auth.keys",
                    "set either internal_auth.secret or internal_auth.keys, not both",
                ));
            }
            (Some(secret), true) if secret.expose_secret().len() < MIN_INTERNAL_SECRET_LEN => {
                return Err(short("internal_auth.secret"));
            }
            (None, true) if mode == Mode::Component => {
                return Err(ConfigError::invalid(
                    "internal_auth.secret",
                    "is required for `nexus serve` (the same value on the gateway and every service; or internal_auth.keys)",
                ));
            }
            _ => {}
        }
        if self.keys.len() > MAX_INTERNAL_KEYS {
            return Err(ConfigError::invalid(
                "internal_auth.keys",
                format!(
                    "at most {MAX_INTERNAL_KEYS} keys: the signing key and the one being rotated"
                ),
            ));
        }
        for (i, key) in self.keys.iter().enumerate() {
            if !is_key_id(&key.id) || self.keys[..i].iter().any(|k| k.id == key.id) {
                return Err(ConfigError::invalid(
                    "internal_auth.keys",
                    format!(
                        "id `{}` must be 1 to 32 letters, digits, '-' or '_', and unique",
                        key.id
                    ),
                ));
            }
            if key.secret.expose_secret().len() < MIN_INTERNAL_SECRET_LEN {
                return Err(short("internal_auth.keys"));
            }
        }
        Ok(())
    }

    /// The configured keys, the signing one first; `None` when none is
    /// configured.
    pub fn internal_auth(&self) -> Option<InternalAuth> {
        let keys: Vec<(String, Vec<u8>)> = match &self.secret {
            Some(secret) => vec![(
                DEFAULT_KEY_ID.to_owned(),
                secret.expose_secret().as_bytes().to_vec(),
            )],
            None => self
                .keys
                .iter()
                .map(|k| (k.id.clone(), k.secret.expose_secret().as_bytes().to_vec()))
                .collect(),
        };
        InternalAuth::with_keys(keys).ok()
    }
}
