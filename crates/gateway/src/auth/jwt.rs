//! Bearer JWT verification: RS256, ES256 and EdDSA against a JWKS (a file, or
//! an `https://` (or `http://`) URL fetched on first use and again when a token names an
//! unknown `kid`), HS256 only with a configured secret. `exp` is required;
//! `nbf`, `iss` and `aud` are checked with a leeway.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
pub use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use nexus_domain::Principal;
use serde_json::Value;

use crate::auth::error::AuthError;
use crate::auth::jwt_crypto::family_of;

/// The issuer of development tokens.
pub const DEV_ISSUER: &str = "nexus-dev";

/// How bearer tokens are verified.
#[derive(Clone, Default)]
pub struct JwtConfig {
    pub jwks_file: Option<PathBuf>,
    pub jwks_url: Option<String>,
    pub hs256_secret: Option<Vec<u8>>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway_secs: u64,
    pub tenants_claim: String,
}

/// Why a token was refused; said in the 401's detail.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed or unsupported token ({0})")]
    Malformed(String),
    #[error("HS256 tokens are not accepted")]
    HmacNotAccepted,
    #[error("no key matches the token's kid and algorithm")]
    NoKey,
    #[error("{0}")]
    Rejected(String),
    #[error("the token has no `sub`")]
    NoSubject,
}

/// One verification key of the JWKS.
struct Key {
    kid: Option<String>,
    /// The JWK's `alg`, when it names one: then only that algorithm is accepted.
    alg: Option<Algorithm>,
    key: DecodingKey,
}

/// The keys of a JWKS URL and when they were last fetched.
struct Remote {
    url: http::Uri,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    keys: RwLock<Vec<Key>>,
    refreshed: tokio::sync::Mutex<Option<Instant>>,
}

/// Shortest time between two JWKS fetches: unknown `kid`s cannot make the
/// gateway hammer the key server.
const MIN_REFRESH: Duration = Duration::from_secs(30);
const MAX_JWKS_BYTES: usize = 1 << 20;

/// Verifies bearer tokens into [`Principal`]s.
pub struct JwtVerifier {
    keys: Vec<Key>,
    remote: Option<Remote>,
    hs256: Option<DecodingKey>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: u64,
    tenants_claim: String,
}

fn parse_jwks(text: &[u8]) -> Result<Vec<Key>, String> {
    let set: JwkSet = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        // Symmetric keys are never taken from a JWKS: HS256 needs
        // auth.jwt.hs256_secret, so a public key set cannot enable it.
        if matches!(
            jwk.algorithm,
            AlgorithmParameters::OctetKey(_) | AlgorithmParameters::Other(_)
        ) {
            continue;
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
        let alg = match jwk.common.key_algorithm {
            Some(a) => Some(Algorithm::try_from(a).map_err(|e| e.to_string())?),
            None => None,
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
fn candidates<'a>(keys: &'a [Key], alg: Algorithm, kid: Option<&str>) -> Vec<&'a Key> {
    keys.iter()
        .filter(|k| Some(k.key.family()) == family_of(alg))
        .filter(|k| k.alg.is_none_or(|a| a == alg))
        .filter(|k| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)))
        .collect()
}

impl JwtVerifier {
    /// # Errors
    /// The JWKS file cannot be read or parsed, or the URL is not http(s).
    pub fn new(config: JwtConfig) -> Result<Self, AuthError> {
        crate::auth::jwt_crypto::install();
        let keys = match &config.jwks_file {
            Some(path) => {
                let text = std::fs::read(path).map_err(|e| {
                    AuthError::invalid("jwt.jwks_file", format!("{}: {e}", path.display()))
                })?;
                parse_jwks(&text).map_err(|e| {
                    AuthError::invalid("jwt.jwks_file", format!("{}: {e}", path.display()))
                })?
            }
            None => Vec::new(),
        };
        let remote = match &config.jwks_url {
            Some(url) => {
                let uri: http::Uri = url
                    .parse()
                    .map_err(|e| AuthError::invalid("jwt.jwks_url", format!("{e}")))?;
                if !matches!(uri.scheme_str(), Some("https" | "http")) {
                    return Err(AuthError::invalid(
                        "jwt.jwks_url",
                        "must be an https:// (or http://) URL",
                    ));
                }
                // TLS with the Mozilla root certificates built in, so a slim
                // container image needs no CA bundle.
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_webpki_roots()
                    .https_or_http()
                    .enable_http1()
                    .build();
                Some(Remote {
                    url: uri,
                    client: Client::builder(TokioExecutor::new()).build(connector),
                    keys: RwLock::new(Vec::new()),
                    refreshed: tokio::sync::Mutex::new(None),
                })
            }
            None => None,
        };
        let hs256 = match &config.hs256_secret {
            Some(secret) => Some(
                DecodingKey::from_secret(secret)
                    .map_err(|e| AuthError::invalid("jwt.hs256_secret", e.to_string()))?,
            ),
            None => None,
        };
        Ok(Self {
            keys,
            remote,
            hs256,
            issuer: config.issuer,
            audience: config.audience,
            leeway_secs: config.leeway_secs,
            tenants_claim: config.tenants_claim,
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.leeway_secs;
        v.validate_exp = true;
        v.validate_nbf = true;
        let mut required: HashSet<String> = HashSet::from(["exp".to_owned()]);
        match &self.issuer {
            Some(iss) => {
                v.set_issuer(&[iss]);
                required.insert("iss".to_owned());
            }
            None => v.iss = None,
        }
        match &self.audience {
            Some(aud) => {
                v.set_audience(&[aud]);
                required.insert("aud".to_owned());
            }
            None => v.validate_aud = false,
        }
        v.required_spec_claims = required;
        v
    }

    /// The principal of a valid token.
    ///
    /// # Errors
    /// Why the token is refused.
    pub async fn verify(&self, token: &str) -> Result<Principal, JwtError> {
        // `alg: none` and unknown algorithms fail here: `Algorithm` has no such variant.
        let header: Header =
            jsonwebtoken::decode_header(token).map_err(|e| JwtError::Malformed(e.to_string()))?;
        let alg = header.alg;
        let kid = header.kid.as_deref();
        let claims = if family_of(alg) == Some(AlgorithmFamily::Hmac) {
            let (Some(key), Algorithm::HS256) = (&self.hs256, alg) else {
                return Err(JwtError::HmacNotAccepted);
            };
            self.check(token, alg, &[key])?
        } else {
            match self.check_keys(token, alg, kid, &self.keys) {
                Ok(claims) => claims,
                Err(JwtError::NoKey) if self.remote.is_some() => {
                    self.check_remote(token, alg, kid).await?
                }
                Err(e) => return Err(e),
            }
        };
        self.principal(&claims)
    }

    fn check_keys(
        &self,
        token: &str,
        alg: Algorithm,
        kid: Option<&str>,
        keys: &[Key],
    ) -> Result<Value, JwtError> {
        let found = candidates(keys, alg, kid);
        let keys: Vec<&DecodingKey> = found.iter().map(|k| &k.key).collect();
        self.check(token, alg, &keys)
    }

    async fn check_remote(
        &self,
        token: &str,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<Value, JwtError> {
        let Some(remote) = &self.remote else {
            return Err(JwtError::NoKey);
        };
        let known = {
            let keys = remote.keys.read().map_err(|_| JwtError::NoKey)?;
            self.check_keys(token, alg, kid, &keys)
        };
        match known {
            Err(JwtError::NoKey) => {}
            other => return other,
        }
        {
            let mut refreshed = remote.refreshed.lock().await;
            if refreshed.is_none_or(|at| at.elapsed() >= MIN_REFRESH) {
                *refreshed = Some(Instant::now());
                match fetch(remote).await {
                    Ok(keys) => {
                        tracing::info!(keys = keys.len(), "JWKS fetched");
                        if let Ok(mut slot) = remote.keys.write() {
                            *slot = keys;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, url = %remote.url, "JWKS fetch failed"),
                }
            }
        }
        let keys = remote.keys.read().map_err(|_| JwtError::NoKey)?;
        self.check_keys(token, alg, kid, &keys)
    }

    fn check(&self, token: &str, alg: Algorithm, keys: &[&DecodingKey]) -> Result<Value, JwtError> {
        let validation = self.validation(alg);
        let mut last = JwtError::NoKey;
        for key in keys {
            match jsonwebtoken::decode::<Value>(token, key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => last = JwtError::Rejected(e.to_string()),
            }
        }
        Err(last)
    }

    fn principal(&self, claims: &Value) -> Result<Principal, JwtError> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text("sub")
            .filter(|s| !s.is_empty())
            .ok_or(JwtError::NoSubject)?;
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut scopes: Vec<String> = claims
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        for p in strings(claims.get("permissions")) {
            if !scopes.contains(&p) {
                scopes.push(p);
            }
        }
        Ok(Principal {
            subject,
            client: text("azp").or_else(|| text("client_id")),
            scopes,
            tenants: strings(claims.get(&self.tenants_claim)),
        })
    }
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{0}")]
    Http(String),
    #[error("answered {0}")]
    Status(http::StatusCode),
    #[error("not a JWKS: {0}")]
    Parse(String),
}

async fn fetch(remote: &Remote) -> Result<Vec<Key>, FetchError> {
    let request = http::Request::get(remote.url.clone())
        .header(http::header::ACCEPT, "application/json")
        .body(Empty::new())
        .map_err(|e| FetchError::Http(e.to_string()))?;
    let response = tokio::time::timeout(Duration::from_secs(5), remote.client.request(request))
        .await
        .map_err(|_| FetchError::Http("timed out".to_owned()))?
        .map_err(|e| FetchError::Http(e.to_string()))?;
    if !response.status().is_success() {
        return Err(FetchError::Status(response.status()));
    }
    let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
        .collect()
        .await
        .map_err(|e| FetchError::Http(e.to_string()))?
        .to_bytes();
    parse_jwks(&body).map_err(FetchError::Parse)
}

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign the token: {0}")]
pub struct SignError(String);

/// Signs `claims` with HS256 (development tokens and tests).
///
/// # Errors
/// An empty secret.
pub fn sign_hs256(secret: &[u8], claims: &Value) -> Result<String, SignError> {
    crate::auth::jwt_crypto::install();
    let key = EncodingKey::from_secret(secret).map_err(|e| SignError(e.to_string()))?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(|e| SignError(e.to_string()))
}

/// Signs `claims` with a private key in DER (RSA: PKCS#1; EC and Ed25519:
/// PKCS#8), naming `kid` in the header; for tests of issuers' tokens.
///
/// # Errors
/// A key that does not fit `alg`.
pub fn sign_der(
    alg: Algorithm,
    der: &[u8],
    kid: Option<&str>,
    claims: &Value,
) -> Result<String, SignError> {
    crate::auth::jwt_crypto::install();
    let key = match family_of(alg) {
        Some(AlgorithmFamily::Rsa) => EncodingKey::from_rsa_der(der),
        Some(AlgorithmFamily::Ec) => EncodingKey::from_ec_der(der),
        Some(AlgorithmFamily::Ed) => EncodingKey::from_ed_der(der),
        _ => return Err(SignError(format!("{alg:?} is not an asymmetric algorithm"))),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| SignError(e.to_string()))
}
