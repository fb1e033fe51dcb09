//! The REST gateway: the credentials it accepts (configured ones, or the
//! all-in-one's development credentials) and its listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use gateway::auth::AuthError;
use nexus_platform::config::{ConfigError, Settings};
use nexus_platform::{InternalAuth, Metrics, Shutdown};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::task::JoinHandle;

/// The development credentials of an all-in-one without `[auth]`.
pub(super) struct DevCredentials {
    pub application_token: SecretString,
    jwt_key: SecretString,
}

impl DevCredentials {
    /// On only while no `[auth]` credential is configured; read from (or made
    /// in) `data_dir`.
    pub fn for_all_in_one(settings: &Settings) -> anyhow::Result<Option<Self>> {
        if settings.auth.is_configured() {
            return Ok(None);
        }
        Ok(Some(Self {
            application_token: crate::dev::application_token(settings)?,
            jwt_key: crate::dev::jwt_key(&settings.data_dir)?,
        }))
    }

    /// How development tokens (`nexus dev token`) are verified, by the
    /// gateway and the services alike.
    pub fn jwt_config(&self, settings: &Settings) -> gateway::jwt::JwtConfig {
        gateway::jwt::JwtConfig {
            hs256_secret: Some(self.jwt_key.expose_secret().as_bytes().to_vec()),
            issuer: Some(gateway::jwt::DEV_ISSUER.to_owned()),
            leeway_secs: settings.auth.jwt.leeway_secs,
            tenants_claim: "tenants".to_owned(),
            ..gateway::jwt::JwtConfig::default()
        }
    }
}

/// The configured credentials, built as the gateway uses them (a JWKS file is
/// read here). `[auth]` itself was validated with the rest of the
/// configuration; what remains to refuse is what only building finds, such
/// as an unreadable JWKS file.
///
/// # Errors
/// A [`ConfigError::Invalid`] naming the `auth.…` key.
pub(super) fn configured_credentials(
    settings: &Settings,
) -> Result<gateway::Credentials, ConfigError> {
    gateway::Credentials::from_settings(&settings.auth).map_err(|e| match e {
        AuthError::Invalid { key, message } => ConfigError::invalid(auth_key(key), message),
    })
}

/// The full key of a key the gateway names within `[auth]`.
fn auth_key(key: &str) -> &'static str {
    match key {
        "jwt.jwks_file" => "auth.jwt.jwks_file",
        "jwt.jwks_url" => "auth.jwt.jwks_url",
        "jwt.hs256_secret" => "auth.jwt.hs256_secret",
        "application_tokens" => "auth.application_tokens",
        "basic_users" => "auth.basic_users",
        _ => "auth",
    }
}

fn credentials(
    settings: &Settings,
    configured: gateway::Credentials,
    dev: Option<&DevCredentials>,
) -> anyhow::Result<gateway::Credentials> {
    let Some(dev) = dev else {
        if !settings.auth.is_configured() {
            tracing::warn!("no [auth] credentials are configured: every /v1 call is refused");
        }
        return Ok(configured);
    };
    let verifier = gateway::jwt::JwtVerifier::new(dev.jwt_config(settings))?;
    Ok(gateway::Credentials {
        jwt: Some(Arc::new(verifier)),
        application_tokens: vec![gateway::auth::ApplicationToken::from_token(
            "dev",
            dev.application_token.expose_secret(),
        )],
        basic_users: Vec::new(),
    })
}

/// What the gateway is started with, besides the settings.
pub(super) struct GatewayStart<'a> {
    /// The identity, upn and tenant-access gRPC URLs.
    pub urls: [String; 3],
    pub auth: InternalAuth,
    pub configured: gateway::Credentials,
    pub dev: Option<&'a DevCredentials>,
    pub metrics: Metrics,
}

pub(super) async fn start_gateway(
    settings: &Settings,
    start: GatewayStart<'_>,
    shutdown: Shutdown,
) -> anyhow::Result<(SocketAddr, JoinHandle<anyhow::Result<()>>)> {
    let [identity_url, upn_url, tenant_access_url] = start.urls;
    let credentials = credentials(settings, start.configured, start.dev)?;
    let config = gateway::GatewayConfig {
        identity_url,
        upn_url,
        tenant_access_url,
        internal_auth: start.auth,
        clients: super::service::client_options(settings)?,
        credentials,
        body_limit_bytes: settings.gateway.body_limit_bytes,
        rate_limit_per_second: settings.gateway.rate_limit_per_second,
        rate_limit_burst: settings.gateway.rate_limit_burst,
        tenant_roles: settings.tenant_access.roles.clone(),
        metrics: start.metrics,
    };
    let state = gateway::AppState::new(&config)?;
    let limits = gateway::ServerLimits {
        header_read_timeout: Duration::from_secs(settings.gateway.header_read_timeout_secs),
        request_timeout: Duration::from_secs(settings.gateway.request_timeout_secs),
        per_address_per_second: settings.gateway.rate_limit_per_address_per_second,
        per_address_burst: settings.gateway.rate_limit_per_address_burst,
    };
    let router = gateway::router_with(state, &config, &limits);
    let listener = tokio::net::TcpListener::bind(settings.gateway.listen)
        .await
        .with_context(|| {
            format!(
                "gateway.listen: cannot listen on {}",
                settings.gateway.listen
            )
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "REST gateway listening");
    let task = tokio::spawn(async move {
        gateway::serve_with(listener, router, shutdown, &limits)
            .await
            .context("REST gateway")
    });
    Ok((addr, task))
}
