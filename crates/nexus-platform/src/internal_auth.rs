//! The principal the gateway passes to the services: JSON in the
//! `x-nexus-principal` metadata (base64url), HMAC-SHA256-signed with a secret
//! shared by the gateway and the services, valid for a short time. A service
//! refuses a call whose principal is missing, forged or stale.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use nexus_domain::Principal;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tonic::metadata::{MetadataMap, MetadataValue};

pub const PRINCIPAL_HEADER: &str = "x-nexus-principal";
pub const SIGNATURE_HEADER: &str = "x-nexus-principal-signature";
/// How long a signed principal is accepted after signing.
const VALIDITY_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

#[derive(Serialize, Deserialize)]
struct Signed {
    #[serde(flatten)]
    principal: Principal,
    exp: i64,
}

/// Signs and verifies principals with the shared secret.
#[derive(Clone)]
pub struct InternalAuth {
    key: Vec<u8>,
}

impl std::fmt::Debug for InternalAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InternalAuth { key: [redacted] }")
    }
}

impl InternalAuth {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: secret.to_vec(),
        }
    }

    /// A random secret, for an all-in-one process whose callers are in-process.
    ///
    /// # Errors
    /// The operating system's random source failed.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(Self { key })
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length.
        #[allow(clippy::expect_used)]
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    /// Adds the signed `principal` to outgoing gRPC metadata.
    pub fn attach(&self, metadata: &mut MetadataMap, principal: &Principal) {
        let signed = Signed {
            principal: principal.clone(),
            exp: chrono::Utc::now().timestamp() + VALIDITY_SECS,
        };
        let Ok(json) = serde_json::to_vec(&signed) else {
            return;
        };
        let value = URL_SAFE_NO_PAD.encode(json);
        let mut mac = self.mac();
        mac.update(value.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        if let (Ok(v), Ok(s)) = (
            MetadataValue::try_from(value.as_str()),
            MetadataValue::try_from(signature.as_str()),
        ) {
            metadata.insert(PRINCIPAL_HEADER, v);
            metadata.insert(SIGNATURE_HEADER, s);
        }
    }

    /// The principal of an incoming call.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` when it is missing, forged, malformed or expired.
    pub fn verify(&self, metadata: &MetadataMap) -> Result<Principal, tonic::Status> {
        let unauthenticated =
            || tonic::Status::unauthenticated("missing or invalid caller principal");
        let value = metadata
            .get(PRINCIPAL_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unauthenticated)?;
        let signature = metadata
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .ok_or_else(unauthenticated)?;
        let mut mac = self.mac();
        mac.update(value.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| unauthenticated())?;
        let json = URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| unauthenticated())?;
        let signed: Signed = serde_json::from_slice(&json).map_err(|_| unauthenticated())?;
        if signed.exp < chrono::Utc::now().timestamp() || signed.principal.subject.is_empty() {
            return Err(unauthenticated());
        }
        Ok(signed.principal)
    }

    /// A tonic interceptor that verifies the principal and stores it in the
    /// request's extensions for the handler.
    pub fn interceptor(
        &self,
    ) -> impl FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Clone + use<>
    {
        let auth = self.clone();
        move |mut request: tonic::Request<()>| {
            let principal = auth.verify(request.metadata())?;
            request.extensions_mut().insert(principal);
            Ok(request)
        }
    }
}

/// The verified principal of a request that went through
/// [`InternalAuth::interceptor`].
///
/// # Errors
/// `UNAUTHENTICATED` when the interceptor did not run.
pub fn principal_of<T>(request: &tonic::Request<T>) -> Result<Principal, tonic::Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| tonic::Status::unauthenticated("missing caller principal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Principal {
        Principal {
            subject: "alice".into(),
            client: Some("console".into()),
            scopes: vec!["tenant.access:read".into()],
            tenants: vec!["t1".into()],
        }
    }

    #[test]
    fn a_signed_principal_verifies_with_the_same_secret_only() {
        let auth = InternalAuth::new(b"0123456789abcdef0123456789abcdef");
        let mut md = MetadataMap::new();
        auth.attach(&mut md, &alice());
        assert_eq!(auth.verify(&md).unwrap(), alice());

        let other = InternalAuth::new(b"another-secret-another-secret-xx");
        assert_eq!(
            other.verify(&md).unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
    }

    #[test]
    fn a_tampered_or_missing_principal_is_refused() {
        let auth = InternalAuth::new(b"0123456789abcdef0123456789abcdef");
        assert!(auth.verify(&MetadataMap::new()).is_err());

        let mut md = MetadataMap::new();
        auth.attach(&mut md, &alice());
        let mut forged = alice();
        forged.tenants.push("t2".into());
        let forged_json = serde_json::to_vec(&Signed {
            principal: forged,
            exp: i64::MAX,
        })
        .unwrap();
        md.insert(
            PRINCIPAL_HEADER,
            MetadataValue::try_from(URL_SAFE_NO_PAD.encode(forged_json).as_str()).unwrap(),
        );
        assert!(auth.verify(&md).is_err());
    }
}
