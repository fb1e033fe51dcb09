//! The principal a trusted component passes to a service: the gateway for
//! its REST callers, a service for the user it acts for when it calls
//! another. JSON in the `x-nexus-principal` metadata (base64url),
//! HMAC-SHA256-signed with a key shared by the components. The MAC covers the
//! principal, the gRPC method path it is for (`/package.Service/Method`, which
//! names the target service too) and a short expiry, so a captured header
//! cannot be replayed on another method or service, nor for long. The
//! signature names its key (`<key id>.<mac>`): a service accepts every
//! configured key and the first one signs, so keys rotate without downtime
//! (add the new key second everywhere, then move it first, then drop the
//! old one). A signed principal is reused for a few seconds, and a checked
//! one remembered until it expires ([`recent`]).

mod recent;

use std::sync::Arc;

use crate::telemetry::grpc::TracedChannel as Channel;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use nexus_domain::Principal;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use self::recent::{REUSE_SECS, Recent};
use tonic::metadata::{Ascii, MetadataMap, MetadataValue};
use tonic::service::interceptor::InterceptedService;

pub const PRINCIPAL_HEADER: &str = "x-nexus-principal";
pub const SIGNATURE_HEADER: &str = "x-nexus-principal-signature";
/// How long a signed principal is accepted after signing: one call, with
/// room for clock skew between hosts.
pub const VALIDITY_SECS: i64 = 30;
/// The id of the key made from a single `internal_auth.secret`.
pub const DEFAULT_KEY_ID: &str = "default";

type HmacSha256 = Hmac<Sha256>;

#[derive(Serialize, Deserialize)]
struct Signed {
    #[serde(flatten)]
    principal: Principal,
    exp: i64,
    /// The gRPC method path the principal is signed for.
    mth: String,
}

struct Key {
    id: String,
    secret: Vec<u8>,
}

/// Why a key set cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("at least one key is needed")]
    None,
    #[error("key id `{0}` must be 1 to 32 letters, digits, '-' or '_', and unique")]
    BadId(String),
}

/// Whether `id` can name a key: it travels in metadata before the MAC.
pub fn is_key_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A principal and the method it was signed for.
type SignedFor = (Principal, String);
/// The principal and signature headers of a signed principal.
type Headers = (MetadataValue<Ascii>, MetadataValue<Ascii>);
/// A principal header, its signature and the method they were checked for.
type Checked = (String, String, String);

/// Signs principals with the first key and verifies them with any.
#[derive(Clone)]
pub struct InternalAuth {
    keys: Arc<[Key]>,
    signed: Arc<Recent<SignedFor, Headers>>,
    verified: Arc<Recent<Checked, Principal>>,
}

impl std::fmt::Debug for InternalAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("InternalAuth")
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

impl InternalAuth {
    /// One key, with the id [`DEFAULT_KEY_ID`].
    pub fn new(secret: &[u8]) -> Self {
        Self::from_keys(Arc::new([Key {
            id: DEFAULT_KEY_ID.to_owned(),
            secret: secret.to_vec(),
        }]))
    }

    fn from_keys(keys: Arc<[Key]>) -> Self {
        Self {
            keys,
            signed: Arc::default(),
            verified: Arc::default(),
        }
    }

    /// Keys by id: the first signs, every one verifies.
    ///
    /// # Errors
    /// No key, or an id that is malformed or repeated.
    pub fn with_keys(keys: Vec<(String, Vec<u8>)>) -> Result<Self, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::None);
        }
        for (i, (id, _)) in keys.iter().enumerate() {
            if !is_key_id(id) || keys[..i].iter().any(|(other, _)| other == id) {
                return Err(KeyError::BadId(id.clone()));
            }
        }
        Ok(Self::from_keys(
            keys.into_iter()
                .map(|(id, secret)| Key { id, secret })
                .collect(),
        ))
    }

    /// A random key, for an all-in-one process whose callers are in-process.
    ///
    /// # Errors
    /// The operating system's random source failed.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(Self::new(&key))
    }

    fn mac(key: &Key, value: &str, method: &str) -> HmacSha256 {
        // HMAC accepts keys of any length.
        #[allow(clippy::expect_used)]
        let mut mac = HmacSha256::new_from_slice(&key.secret).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        // The method is in the signed JSON already; binding the request's own
        // path as well means a verifier never trusts the JSON's claim alone.
        mac.update(b"\n");
        mac.update(method.as_bytes());
        mac
    }

    /// Adds `principal`, signed for a call of `method` (its path,
    /// `/package.Service/Method`), to outgoing metadata. The same principal
    /// signed for the same method in the last [`REUSE_SECS`] is reused.
    pub fn sign(&self, metadata: &mut MetadataMap, principal: &Principal, method: &str) {
        let now = chrono::Utc::now().timestamp();
        let (value, signature) = match self.signed.get(now, |(p, m)| m == method && p == principal)
        {
            Some(headers) => headers,
            None => {
                let Some(headers) = self.sign_now(principal, method, now) else {
                    return;
                };
                self.signed.put(
                    now,
                    (principal.clone(), method.to_owned()),
                    headers.clone(),
                    now + REUSE_SECS,
                );
                headers
            }
        };
        metadata.insert(PRINCIPAL_HEADER, value);
        metadata.insert(SIGNATURE_HEADER, signature);
    }

    /// The headers of `principal` signed at `now` for `method`.
    fn sign_now(&self, principal: &Principal, method: &str, now: i64) -> Option<Headers> {
        let key = self.keys.first()?;
        let signed = Signed {
            principal: principal.clone(),
            exp: now + VALIDITY_SECS,
            mth: method.to_owned(),
        };
        let json = serde_json::to_vec(&signed).ok()?;
        let value = URL_SAFE_NO_PAD.encode(json);
        let mac = Self::mac(key, &value, method).finalize().into_bytes();
        let signature = format!("{}.{}", key.id, URL_SAFE_NO_PAD.encode(mac));
        Some((
            MetadataValue::try_from(value.as_str()).ok()?,
            MetadataValue::try_from(signature.as_str()).ok()?,
        ))
    }

    /// Whether `headers` carry a signed principal at all.
    pub fn is_presented(headers: &http::HeaderMap) -> bool {
        headers.contains_key(PRINCIPAL_HEADER) || headers.contains_key(SIGNATURE_HEADER)
    }

    /// The principal of an incoming call of `method` (the request's path).
    /// A header pair already checked for `method` is not checked again
    /// until it expires.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` when it is missing, forged, signed for another
    /// method, signed with an unknown key, malformed or expired.
    pub fn verify(
        &self,
        headers: &http::HeaderMap,
        method: &str,
    ) -> Result<Principal, tonic::Status> {
        let unauthenticated =
            || tonic::Status::unauthenticated("missing or invalid caller principal");
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let value = text(PRINCIPAL_HEADER).ok_or_else(unauthenticated)?;
        let signature = text(SIGNATURE_HEADER).ok_or_else(unauthenticated)?;
        let now = chrono::Utc::now().timestamp();
        if let Some(principal) = self
            .verified
            .get(now, |(v, s, m)| v == value && s == signature && m == method)
        {
            return Ok(principal);
        }
        let (principal, exp) = self
            .check(value, signature, method)
            .ok_or_else(unauthenticated)?;
        if exp < now {
            return Err(unauthenticated());
        }
        self.verified.put(
            now,
            (value.to_owned(), signature.to_owned(), method.to_owned()),
            principal.clone(),
            exp + 1,
        );
        Ok(principal)
    }

    /// The principal `value` carries and its expiry, when `signature` is
    /// a valid MAC of it for `method` by a known key.
    fn check(&self, value: &str, signature: &str, method: &str) -> Option<(Principal, i64)> {
        let (key_id, signature) = signature.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let key = self.keys.iter().find(|k| k.id == key_id)?;
        Self::mac(key, value, method)
            .verify_slice(&signature)
            .ok()?;
        let json = URL_SAFE_NO_PAD.decode(value).ok()?;
        let signed: Signed = serde_json::from_slice(&json).ok()?;
        (signed.mth == method && !signed.principal.subject.is_empty())
            .then_some((signed.principal, signed.exp))
    }

    /// The interceptor of a client channel that signs, for the method being
    /// called, the principal each request was given with [`act_as`].
    pub fn signer(&self) -> PrincipalSigner {
        PrincipalSigner { auth: self.clone() }
    }

    /// `channel`, signing the principal of every request made with [`act_as`].
    pub fn signed(&self, channel: Channel) -> SignedChannel {
        InterceptedService::new(channel, self.signer())
    }
}

/// The principal a request acts for, until the client signs it.
#[derive(Clone)]
struct Acting(Principal);

/// Makes `request` act for `principal`: a [`SignedChannel`] signs it for the
/// method the request is sent to.
pub fn act_as<T>(request: &mut tonic::Request<T>, principal: &Principal) {
    request.extensions_mut().insert(Acting(principal.clone()));
}

/// See [`InternalAuth::signer`].
#[derive(Clone)]
pub struct PrincipalSigner {
    auth: InternalAuth,
}

impl std::fmt::Debug for PrincipalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalSigner").finish_non_exhaustive()
    }
}

impl tonic::service::Interceptor for PrincipalSigner {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        // Generated clients name the method they call in this extension.
        let method = request
            .extensions()
            .get::<tonic::GrpcMethod<'static>>()
            .map(|m| format!("/{}/{}", m.service(), m.method()));
        let acting = request.extensions_mut().remove::<Acting>();
        if let (Some(method), Some(Acting(principal))) = (method, acting) {
            self.auth.sign(request.metadata_mut(), &principal, &method);
        }
        Ok(request)
    }
}

/// A client channel that signs each request's principal.
pub type SignedChannel = InterceptedService<Channel, PrincipalSigner>;

/// The verified principal of a request that went through the service's
/// caller authentication (`caller_auth`).
///
/// # Errors
/// `UNAUTHENTICATED` when it did not run.
pub fn principal_of<T>(request: &tonic::Request<T>) -> Result<Principal, tonic::Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| tonic::Status::unauthenticated("missing caller principal"))
}

#[cfg(test)]
mod tests;
