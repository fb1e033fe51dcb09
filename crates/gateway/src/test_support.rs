//! What the gateway's router and server tests share: a configuration whose
//! services are unreachable, accepting HS256 development-style tokens and
//! one ApplicationToken that holds every `/v1` scope.

use std::sync::Arc;
use std::time::Duration;

use crate::GatewayConfig;
use crate::auth::jwt::{DEV_ISSUER, JwtConfig, JwtVerifier, sign_hs256};
use crate::auth::{ApplicationToken, Credentials};

pub const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-gateway-tests";
pub const APP_TOKEN: &str = "gateway-test-application-token";

/// Nothing listens on port 1: a call that passes the gateway's own checks
/// fails fast at the service, which is all these tests need.
pub fn config(body_limit_bytes: usize) -> GatewayConfig {
    let verifier = JwtVerifier::new(JwtConfig {
        hs256_secret: Some(SECRET.to_vec()),
        issuer: Some(DEV_ISSUER.to_owned()),
        tenants_claim: "tenants".to_owned(),
        ..JwtConfig::default()
    })
    .unwrap();
    let nowhere = "http://127.0.0.1:1".to_owned();
    GatewayConfig {
        identity_url: nowhere.clone(),
        upn_url: nowhere.clone(),
        tenant_access_url: nowhere,
        internal_auth: nexus_platform::InternalAuth::new(b"gateway-test-internal-0123456789abcdef"),
        credentials: Credentials {
            jwt: Some(Arc::new(verifier)),
            application_tokens: vec![ApplicationToken::from_token("test", APP_TOKEN)],
            basic_users: Vec::new(),
        },
        body_limit_bytes,
        rate_limit_per_second: 0.0,
        rate_limit_burst: 1,
        tenant_roles: vec!["admin".to_owned()],
        metrics: nexus_platform::Metrics::new(),
        clients: nexus_platform::grpc::ClientOptions {
            connect_timeout: Duration::from_secs(1),
            call_timeout: Duration::from_secs(2),
            resolve_interval: Duration::from_secs(10),
            tls: nexus_platform::grpc::ClientTls::default(),
        },
    }
}

/// A token of [`config`]'s issuer holding `scopes`.
pub fn token(scopes: &[String]) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": "tester", "iss": DEV_ISSUER, "exp": now + 300, "scope": scopes.join(" "),
    });
    sign_hs256(SECRET, &claims).unwrap()
}
