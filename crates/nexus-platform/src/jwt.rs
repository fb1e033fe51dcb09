//! Bearer JWT verification: RS256, ES256 and EdDSA against a JWKS (a file, or
//! an `https://` URL, see [`jwks`]), HS256 only with a
//! configured secret. `exp` is required; `nbf`, `iss` and `aud` are checked
//! with a leeway. A refused token is said in Nexus's own words
//! ([`JwtError`]), never the library's. The gateway verifies REST callers'
//! tokens with it, and every service its gRPC callers' (same issuer, audience
//! and keys: see `[auth.jwt]`).

mod cache;
mod crypto;
mod jwks;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

pub use jsonwebtoken::Algorithm;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use nexus_domain::Principal;
use serde_json::Value;

use secrecy::ExposeSecret as _;

use self::cache::PrincipalCache;
use self::crypto::family_of;
use self::jwks::{Key, Remote};
use crate::config::JwtSettings;

/// The issuer of development tokens.
pub const DEV_ISSUER: &str = "nexus-dev";

/// How bearer tokens are verified.
#[derive(Clone)]
pub struct JwtConfig {
    pub jwks_file: Option<PathBuf>,
    pub jwks_url: Option<String>,
    pub hs256_secret: Option<Vec<u8>>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway_secs: u64,
    pub tenants_claim: String,
    /// Keys of `jwks_url` older than this are fetched again.
    pub jwks_max_age: Duration,
    /// Bounds one fetch of `jwks_url`: connect, headers and body.
    pub jwks_timeout: Duration,
}

impl JwtConfig {
    /// The verification `[auth.jwt]` configures, or `None` when it names no
    /// key source (then every bearer token is refused).
    pub fn from_settings(jwt: &JwtSettings) -> Option<Self> {
        if jwt.jwks_file.is_none() && jwt.jwks_url.is_none() && jwt.hs256_secret.is_none() {
            return None;
        }
        Some(Self {
            jwks_file: jwt.jwks_file.clone(),
            jwks_url: jwt.jwks_url.clone(),
            hs256_secret: jwt
                .hs256_secret
                .as_ref()
                .map(|s| s.expose_secret().as_bytes().to_vec()),
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            leeway_secs: jwt.leeway_secs,
            tenants_claim: jwt.tenants_claim.clone(),
            jwks_max_age: Duration::from_secs(jwt.jwks_max_age_secs),
            jwks_timeout: Duration::from_secs(jwt.jwks_timeout_secs),
        })
    }
}

/// A key source that cannot be used, named by its key within `[auth]`
/// (`jwt.jwks_file`, `jwt.jwks_url`, `jwt.hs256_secret`).
#[derive(Debug, thiserror::Error)]
#[error("auth.{key}: {message}")]
pub struct JwtSetupError {
    pub key: &'static str,
    pub message: String,
}

impl JwtSetupError {
    fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            jwks_file: None,
            jwks_url: None,
            hs256_secret: None,
            issuer: None,
            audience: None,
            leeway_secs: 0,
            tenants_claim: String::new(),
            jwks_max_age: Duration::from_secs(600),
            jwks_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a token was refused: the 401's detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token")]
    Malformed,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("bad signature")]
    BadSignature,
    #[error("wrong audience")]
    WrongAudience,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("unknown key")]
    UnknownKey,
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
}

impl JwtError {
    fn from_library(e: &jsonwebtoken::errors::Error) -> Self {
        match e.kind() {
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::ImmatureSignature => Self::NotYetValid,
            ErrorKind::InvalidSignature => Self::BadSignature,
            ErrorKind::InvalidAudience => Self::WrongAudience,
            ErrorKind::InvalidIssuer => Self::WrongIssuer,
            ErrorKind::MissingRequiredClaim(c) if c == "aud" => Self::WrongAudience,
            ErrorKind::MissingRequiredClaim(c) if c == "iss" => Self::WrongIssuer,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                Self::UnsupportedAlgorithm
            }
            _ => Self::Malformed,
        }
    }
}

/// Verifies bearer tokens into [`Principal`]s.
pub struct JwtVerifier {
    keys: Vec<Key>,
    remote: Option<Remote>,
    hs256: Option<DecodingKey>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: u64,
    tenants_claim: String,
    /// Principals of tokens already verified.
    cache: PrincipalCache,
}

impl JwtVerifier {
    /// # Errors
    /// The JWKS file cannot be read or parsed, or the URL is not https (nor
    /// http to a loopback host).
    pub fn new(config: JwtConfig) -> Result<Self, JwtSetupError> {
        crypto::install();
        let keys = match &config.jwks_file {
            Some(path) => {
                let text = std::fs::read(path).map_err(|e| {
                    JwtSetupError::new("jwt.jwks_file", format!("{}: {e}", path.display()))
                })?;
                jwks::parse(&text).map_err(|e| {
                    JwtSetupError::new("jwt.jwks_file", format!("{}: {e}", path.display()))
                })?
            }
            None => Vec::new(),
        };
        let remote = match &config.jwks_url {
            Some(url) => {
                crate::config::check_jwks_url(url)
                    .map_err(|e| JwtSetupError::new("jwt.jwks_url", e))?;
                let uri: http::Uri = url
                    .parse()
                    .map_err(|e| JwtSetupError::new("jwt.jwks_url", format!("{e}")))?;
                Some(Remote::new(uri, config.jwks_max_age, config.jwks_timeout))
            }
            None => None,
        };
        let hs256 = match &config.hs256_secret {
            Some(secret) => Some(
                DecodingKey::from_secret(secret)
                    .map_err(|e| JwtSetupError::new("jwt.hs256_secret", e.to_string()))?,
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
            cache: PrincipalCache::new(cache::DEFAULT_CAPACITY),
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

    /// The principal of a valid token. A token verified before is served
    /// from the cache until its `exp` (at most a minute), while the keys it
    /// was verified with are current.
    ///
    /// # Errors
    /// Why the token is refused.
    pub async fn verify(&self, token: &str) -> Result<Principal, JwtError> {
        let key = cache::hash(token);
        let now = cache::unix_now();
        let keys_current = self.remote.as_ref().is_none_or(|r| !r.stale());
        if keys_current && let Some(principal) = self.cache.get(&key, now) {
            return Ok(principal);
        }
        let claims = self.verified_claims(token).await?;
        let principal = self.principal(&claims)?;
        let expires = claims.get("exp").and_then(Value::as_u64);
        self.cache.put(key, &principal, expires, now);
        Ok(principal)
    }

    /// How many verified tokens are kept.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    async fn verified_claims(&self, token: &str) -> Result<Value, JwtError> {
        // `alg: none` and unknown algorithms fail here: `Algorithm` has no such variant.
        let header: Header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithmName => JwtError::UnsupportedAlgorithm,
            _ => JwtError::Malformed,
        })?;
        let alg = header.alg;
        let kid = header.kid.as_deref();
        let claims = if family_of(alg) == Some(AlgorithmFamily::Hmac) {
            let (Some(key), Algorithm::HS256) = (&self.hs256, alg) else {
                return Err(JwtError::UnsupportedAlgorithm);
            };
            self.check(token, alg, &[key])?
        } else {
            match self.check_keys(token, alg, kid, &self.keys) {
                Err(JwtError::UnknownKey) if self.remote.is_some() => {
                    self.check_remote(token, alg, kid).await?
                }
                other => other?,
            }
        };
        Ok(claims)
    }

    fn check_keys(
        &self,
        token: &str,
        alg: Algorithm,
        kid: Option<&str>,
        keys: &[Key],
    ) -> Result<Value, JwtError> {
        let found = jwks::candidates(keys, alg, kid);
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
            return Err(JwtError::UnknownKey);
        };
        let with_current = || {
            remote
                .with_keys(|keys| self.check_keys(token, alg, kid, keys))
                .unwrap_or(Err(JwtError::UnknownKey))
        };
        if !remote.stale() {
            match with_current() {
                Err(JwtError::UnknownKey) => {}
                other => return other,
            }
        }
        remote.refresh().await;
        // Tokens verified with keys that may be gone are verified again.
        self.cache.clear();
        with_current()
    }

    fn check(&self, token: &str, alg: Algorithm, keys: &[&DecodingKey]) -> Result<Value, JwtError> {
        let validation = self.validation(alg);
        let mut last = JwtError::UnknownKey;
        for key in keys {
            match jsonwebtoken::decode::<Value>(token, key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => last = JwtError::from_library(&e),
            }
        }
        Err(last)
    }

    fn principal(&self, claims: &Value) -> Result<Principal, JwtError> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text("sub")
            .filter(|s| !s.is_empty())
            .ok_or(JwtError::Malformed)?;
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

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign the token: {0}")]
pub struct SignError(String);

/// Signs `claims` with HS256 (development tokens and tests).
///
/// # Errors
/// An empty secret.
pub fn sign_hs256(secret: &[u8], claims: &Value) -> Result<String, SignError> {
    crypto::install();
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
    crypto::install();
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
