//! The verification keys of a JWKS, from a file or a URL. A key set is
//! published for many consumers, so keys Nexus cannot use (encryption keys,
//! unsupported algorithms, unknown key types) are skipped with a log line
//! rather than making the whole set unusable. A URL's keys are refreshed when
//! they are older than a maximum age (so that a revoked key stops working) and
//! when a token names an unknown `kid` (rotation), never more often than
//! [`MIN_REFRESH`]; each fetch, body included, is bounded by a timeout.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use crate::jwt::crypto::family_of;

/// Shortest time between two fetches: unknown `kid`s cannot make the gateway
/// hammer the key server.
pub const MIN_REFRESH: Duration = Duration::from_secs(30);
const MAX_JWKS_BYTES: usize = 1 << 20;

/// One verification key of a JWKS.
pub struct Key {
    pub kid: Option<String>,
    /// The JWK's `alg`, when it names one: then only that algorithm is accepted.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
}

/// Why a JWK is not used; logged with its `kid`.
fn unusable(jwk: &Jwk) -> Option<&'static str> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return Some("not a signature key");
    }
    // Symmetric keys are never taken from a JWKS: HS256 needs
    // auth.jwt.hs256_secret, so a public key set cannot enable it.
    if matches!(
        jwk.algorithm,
        AlgorithmParameters::OctetKey(_) | AlgorithmParameters::Other(_)
    ) {
        return Some("not an asymmetric signature key");
    }
    None
}

/// The usable keys of a JWKS document.
///
/// # Errors
/// The document is not a JSON object with a `keys` array.
pub fn parse(text: &[u8]) -> Result<Vec<Key>, String> {
    let set: Value = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let entries = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("no `keys` array")?;
    let mut keys = Vec::new();
    for entry in entries {
        let kid = entry.get("kid").and_then(Value::as_str).unwrap_or("");
        let jwk: Jwk = match serde_json::from_value(entry.clone()) {
            Ok(jwk) => jwk,
            Err(_) => {
                tracing::info!(kid, "JWKS key skipped: unsupported key type or algorithm");
                continue;
            }
        };
        if let Some(why) = unusable(&jwk) {
            tracing::info!(kid, why, "JWKS key skipped");
            continue;
        }
        let alg = match jwk.common.key_algorithm.map(Algorithm::try_from) {
            None => None,
            Some(Ok(alg)) if family_of(alg).is_some() => Some(alg),
            Some(_) => {
                tracing::info!(kid, "JWKS key skipped: unsupported algorithm");
                continue;
            }
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            tracing::info!(kid, "JWKS key skipped: unreadable key");
            continue;
        };
        keys.push(Key {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
        });
    }
    Ok(keys)
}

/// The keys of `keys` a token with `alg` and `kid` may be checked against.
pub fn candidates<'a>(keys: &'a [Key], alg: Algorithm, kid: Option<&str>) -> Vec<&'a Key> {
    keys.iter()
        .filter(|k| Some(k.key.family()) == family_of(alg))
        .filter(|k| k.alg.is_none_or(|a| a == alg))
        .filter(|k| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)))
        .collect()
}

/// The keys fetched from a URL, and when.
#[derive(Default)]
struct Fetched {
    keys: Vec<Key>,
    at: Option<Instant>,
}

/// A JWKS URL and the keys last fetched from it.
pub struct Remote {
    url: http::Uri,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    fetched: RwLock<Fetched>,
    attempted: tokio::sync::Mutex<Option<Instant>>,
    max_age: Duration,
    timeout: Duration,
}

impl Remote {
    pub fn new(url: http::Uri, max_age: Duration, timeout: Duration) -> Self {
        // TLS with the Mozilla root certificates built in, so a slim container
        // image needs no CA bundle. Plain http is refused by the configuration
        // unless the host is a loopback address.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            url,
            client: Client::builder(TokioExecutor::new()).build(connector),
            fetched: RwLock::new(Fetched::default()),
            attempted: tokio::sync::Mutex::new(None),
            max_age,
            timeout,
        }
    }

    /// Whether the keys are missing or older than the maximum age.
    pub fn stale(&self) -> bool {
        self.fetched
            .read()
            .map_or(true, |f| f.at.is_none_or(|at| at.elapsed() >= self.max_age))
    }

    /// Runs `f` over the current keys.
    pub fn with_keys<T>(&self, f: impl FnOnce(&[Key]) -> T) -> Option<T> {
        self.fetched.read().ok().map(|f_| f(&f_.keys))
    }

    /// Fetches the keys again unless a fetch was tried within [`MIN_REFRESH`]
    /// (or the maximum age, when shorter). A failed fetch keeps the old keys.
    pub async fn refresh(&self) {
        let mut attempted = self.attempted.lock().await;
        let spacing = MIN_REFRESH.min(self.max_age);
        if attempted.is_some_and(|at| at.elapsed() < spacing) {
            return;
        }
        *attempted = Some(Instant::now());
        match tokio::time::timeout(self.timeout, self.fetch()).await {
            Ok(Ok(keys)) => {
                tracing::info!(keys = keys.len(), url = %self.url, "JWKS fetched");
                if let Ok(mut slot) = self.fetched.write() {
                    *slot = Fetched {
                        keys,
                        at: Some(Instant::now()),
                    };
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, url = %self.url, "JWKS fetch failed"),
            Err(_) => tracing::warn!(url = %self.url, "JWKS fetch timed out"),
        }
    }

    async fn fetch(&self) -> Result<Vec<Key>, String> {
        let request = http::Request::get(self.url.clone())
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        parse(&body).map_err(|e| format!("not a JWKS: {e}"))
    }
}

#[cfg(test)]
mod tests;
