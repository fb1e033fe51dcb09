//! The signature algorithms behind `jsonwebtoken`, on ring: ring is already in
//! the tree through rustls, so JWT support adds no second cryptography stack.
//! `jsonwebtoken` parses and checks tokens; this module signs and verifies.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair as _};
use ring::{digest, hmac};

type Result<T> = std::result::Result<T, Error>;

/// Installs the ring provider for the process; later calls keep the first.
pub fn install() {
    // An error only means a provider is installed already, which is what we want.
    let _ = PROVIDER.install_default();
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::InvalidAlgorithm.into()),
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key,
        compute_digest,
    },
};

fn ec_components_from_private_key(
    key: &[u8],
    alg: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    let (signing, curve, len) = match alg {
        Algorithm::ES256 => (
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            EllipticCurve::P256,
            32,
        ),
        Algorithm::ES384 => (
            &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
            EllipticCurve::P384,
            48,
        ),
        _ => return Err(ErrorKind::InvalidEcdsaKey.into()),
    };
    let pair = sig::EcdsaKeyPair::from_pkcs8(signing, key, &SystemRandom::new())
        .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
    match pair.public_key().as_ref().split_first() {
        Some((4, point)) if point.len() == 2 * len => {
            let (x, y) = point.split_at(len);
            Ok((curve, x.to_vec(), y.to_vec()))
        }
        _ => Err(ErrorKind::InvalidEcdsaKey.into()),
    }
}

fn ed_pub_components_from_private_key(key: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>> {
    match curve {
        EllipticCurve::Ed25519 => Ok(sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(key)
            .map_err(|_| ErrorKind::InvalidEddsaKey)?
            .public_key()
            .as_ref()
            .to_vec()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

// The signature is the one `KeyUtils` requires.
#[allow(clippy::needless_pass_by_value)]
fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(digest::digest(algorithm, data).as_ref().to_vec())
}

/// How one algorithm signs: the key is parsed per token, which is fine for the
/// few tokens Nexus signs (development and tests).
struct RingSigner {
    alg: Algorithm,
    key: EncodingKey,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct CryptoFailure(String);

fn failed(e: impl std::fmt::Display) -> signature::Error {
    signature::Error::from_source(CryptoFailure(e.to_string()))
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let key = self.key.as_bytes();
        let rng = SystemRandom::new();
        let hmac_alg = match self.alg {
            Algorithm::HS256 => Some(hmac::HMAC_SHA256),
            Algorithm::HS384 => Some(hmac::HMAC_SHA384),
            Algorithm::HS512 => Some(hmac::HMAC_SHA512),
            _ => None,
        };
        if let Some(alg) = hmac_alg {
            return Ok(hmac::sign(&hmac::Key::new(alg, key), msg).as_ref().to_vec());
        }
        let ecdsa = match self.alg {
            Algorithm::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
            Algorithm::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
            _ => None,
        };
        if let Some(alg) = ecdsa {
            let pair = sig::EcdsaKeyPair::from_pkcs8(alg, key, &rng).map_err(failed)?;
            return Ok(pair.sign(&rng, msg).map_err(failed)?.as_ref().to_vec());
        }
        if self.alg == Algorithm::EdDSA {
            let pair = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(key).map_err(failed)?;
            return Ok(pair.sign(msg).as_ref().to_vec());
        }
        let padding: &'static dyn sig::RsaEncoding = match self.alg {
            Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
            Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
            Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
            Algorithm::PS256 => &sig::RSA_PSS_SHA256,
            Algorithm::PS384 => &sig::RSA_PSS_SHA384,
            _ => &sig::RSA_PSS_SHA512,
        };
        let pair = sig::RsaKeyPair::from_der(key)
            .or_else(|_| sig::RsaKeyPair::from_pkcs8(key))
            .map_err(failed)?;
        let mut out = vec![0; pair.public().modulus_len()];
        pair.sign(padding, &rng, msg, &mut out).map_err(failed)?;
        Ok(out)
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// The key family an algorithm needs; `None` for algorithms Nexus does not know.
pub(crate) fn family_of(alg: Algorithm) -> Option<AlgorithmFamily> {
    Some(match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => AlgorithmFamily::Hmac,
        Algorithm::ES256 | Algorithm::ES384 => AlgorithmFamily::Ec,
        Algorithm::EdDSA => AlgorithmFamily::Ed,
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => AlgorithmFamily::Rsa,
        _ => return None,
    })
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    // A key of another family than the algorithm is refused: no key confusion.
    if Some(key.family()) != family_of(*alg) {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(RingSigner {
        alg: *alg,
        key: key.clone(),
    }))
}

struct RingVerifier {
    alg: Algorithm,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let bad = |_| failed("signature mismatch");
        let rsa: Option<&'static sig::RsaParameters> = match self.alg {
            Algorithm::RS256 => Some(&sig::RSA_PKCS1_2048_8192_SHA256),
            Algorithm::RS384 => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
            Algorithm::RS512 => Some(&sig::RSA_PKCS1_2048_8192_SHA512),
            Algorithm::PS256 => Some(&sig::RSA_PSS_2048_8192_SHA256),
            Algorithm::PS384 => Some(&sig::RSA_PSS_2048_8192_SHA384),
            Algorithm::PS512 => Some(&sig::RSA_PSS_2048_8192_SHA512),
            _ => None,
        };
        match (self.key.kind(), rsa) {
            (DecodingKeyKind::RsaModulusExponent { n, e }, Some(params)) => {
                sig::RsaPublicKeyComponents { n, e }
                    .verify(params, msg, signature)
                    .map_err(bad)
            }
            (DecodingKeyKind::SecretOrDer(der), Some(params)) => {
                sig::UnparsedPublicKey::new(params, der)
                    .verify(msg, signature)
                    .map_err(bad)
            }
            (DecodingKeyKind::SecretOrDer(bytes), None) => {
                let hmac_alg = match self.alg {
                    Algorithm::HS256 => Some(hmac::HMAC_SHA256),
                    Algorithm::HS384 => Some(hmac::HMAC_SHA384),
                    Algorithm::HS512 => Some(hmac::HMAC_SHA512),
                    _ => None,
                };
                if let Some(alg) = hmac_alg {
                    // ring compares in constant time.
                    return hmac::verify(&hmac::Key::new(alg, bytes), msg, signature).map_err(bad);
                }
                let alg: &'static dyn sig::VerificationAlgorithm = match self.alg {
                    Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
                    Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
                    Algorithm::EdDSA => &sig::ED25519,
                    _ => return Err(failed("signature mismatch")),
                };
                sig::UnparsedPublicKey::new(alg, bytes)
                    .verify(msg, signature)
                    .map_err(bad)
            }
            (DecodingKeyKind::RsaModulusExponent { .. }, None) => Err(failed("signature mismatch")),
        }
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    // The header's algorithm must fit the key: an HS256 token is never checked
    // against an RSA key's public bytes used as an HMAC secret.
    if Some(key.family()) != family_of(*alg) {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(RingVerifier {
        alg: *alg,
        key: key.clone(),
    }))
}
