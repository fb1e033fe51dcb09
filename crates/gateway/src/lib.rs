//! The REST gateway: the public contract on axum. It authenticates every call
//! but the health probes, validates bodies, calls the owning service over gRPC
//! with the signed acting principal, and maps answers and errors to the
//! contract's JSON and problem+json.

pub mod api;
pub mod auth;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod server;
#[cfg(test)]
mod test_support;

use std::sync::Arc;

use axum::Router;
use nexus_domain::Principal;
use nexus_platform::grpc::{BalancedChannel, ClientOptions};
use nexus_platform::internal_auth::{SignedChannel, act_as};
use nexus_platform::metrics::grpc::Recorded;
use nexus_platform::{InternalAuth, Shutdown};
use nexus_proto::identity::v1::identity_service_client::IdentityServiceClient;
use nexus_proto::tenant_access::v1::tenant_access_service_client::TenantAccessServiceClient;
use nexus_proto::upn::v1::upn_service_client::UpnServiceClient;
use tokio::net::TcpListener;

pub use auth::{Credentials, jwt};
pub use routes::{router, router_with};
pub use server::{ServerLimits, serve_with};

/// What the gateway needs to run.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Each service's gRPC URL, or several separated by commas: calls are
    /// balanced over every address they resolve to.
    pub identity_url: String,
    pub upn_url: String,
    pub tenant_access_url: String,
    pub internal_auth: InternalAuth,
    /// Timeouts, re-resolution and TLS of the service clients; every call carries
    /// `call_timeout` as its deadline.
    pub clients: ClientOptions,
    pub credentials: Credentials,
    pub body_limit_bytes: usize,
    /// Requests per second per principal (0: no limit), and the burst.
    pub rate_limit_per_second: f64,
    pub rate_limit_burst: u32,
    /// The tenant roles of this deployment, stated in the OpenAPI document.
    pub tenant_roles: Vec<String>,
    /// Where requests and authentication failures are counted.
    pub metrics: nexus_platform::Metrics,
}

/// Shared by every handler: the service clients and the signing key.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// A channel to a service whose calls are counted as client calls.
pub type ServiceChannel = Recorded<SignedChannel>;

struct Inner {
    identity: IdentityServiceClient<ServiceChannel>,
    tenant_access: TenantAccessServiceClient<ServiceChannel>,
    upn: UpnServiceClient<ServiceChannel>,
    routing: Vec<(&'static str, BalancedChannel)>,
    call_timeout: std::time::Duration,
}

/// Why the gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("gateway.{key}: {message}")]
    BadUrl { key: &'static str, message: String },
}

fn channel(
    key: &'static str,
    urls: &str,
    options: &ClientOptions,
) -> Result<BalancedChannel, GatewayError> {
    BalancedChannel::new(urls, options.clone()).map_err(|e| GatewayError::BadUrl {
        key,
        message: e.to_string(),
    })
}

impl AppState {
    /// Clients connect lazily: the gateway starts before its services answer.
    /// Needs a Tokio runtime, on which service names are re-resolved.
    ///
    /// # Errors
    /// A malformed service URL.
    pub fn new(config: &GatewayConfig) -> Result<Self, GatewayError> {
        let options = &config.clients;
        let identity = channel("identity_url", &config.identity_url, options)?;
        let upn = channel("upn_url", &config.upn_url, options)?;
        let tenant_access = channel("tenant_access_url", &config.tenant_access_url, options)?;
        let auth = &config.internal_auth;
        let calls = config.metrics.grpc();
        Ok(Self {
            inner: Arc::new(Inner {
                identity: IdentityServiceClient::new(
                    calls.client(auth.signed(identity.channel.clone())),
                ),
                tenant_access: TenantAccessServiceClient::new(
                    calls.client(auth.signed(tenant_access.channel.clone())),
                ),
                upn: UpnServiceClient::new(calls.client(auth.signed(upn.channel.clone()))),
                routing: vec![
                    ("identity", identity),
                    ("upn", upn),
                    ("tenant-access", tenant_access),
                ],
                call_timeout: options.call_timeout,
            }),
        })
    }

    pub fn identity(&self) -> IdentityServiceClient<ServiceChannel> {
        self.inner.identity.clone()
    }

    pub fn tenant_access(&self) -> TenantAccessServiceClient<ServiceChannel> {
        self.inner.tenant_access.clone()
    }

    pub fn upn(&self) -> UpnServiceClient<ServiceChannel> {
        self.inner.upn.clone()
    }

    /// The services by name, each with how many addresses its calls are
    /// balanced over.
    pub fn routing(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.inner
            .routing
            .iter()
            .map(|(name, channel)| (*name, channel.routed()))
    }

    /// A gRPC request acting for `principal` (signed for the method it is
    /// sent to, see [`nexus_platform::internal_auth`]) with the call
    /// deadline (sent as `grpc-timeout`, so the service stops working on a
    /// call its caller has given up on).
    pub fn identity_request<T>(&self, principal: &Principal, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.inner.call_timeout);
        act_as(&mut request, principal);
        request
    }
}

/// Serves `router` on `listener` until `shutdown` with the default
/// [`ServerLimits`], finishing in-flight requests. Accepted sockets have
/// `TCP_NODELAY`, so that a response's last small write is not held back
/// until the client's delayed ACK.
///
/// # Errors
/// The listener failed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, &ServerLimits::default()).await
}
