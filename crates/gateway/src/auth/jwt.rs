//! Bearer JWT verification. The verifier lives in
//! [`nexus_platform::jwt`], where the services find it too: a token is
//! checked the same way whether it reaches the REST gateway or a service's
//! gRPC port.

pub use nexus_platform::jwt::{
    Algorithm, DEV_ISSUER, JwtConfig, JwtError, JwtSetupError, JwtVerifier, SignError, sign_der,
    sign_hs256,
};
