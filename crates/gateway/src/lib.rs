//! The REST gateway: the public contract on axum. It authenticates every call
//! but the health probes, validates bodies, calls the owning service over gRPC
//! with the signed acting principal, and maps answers and errors to the
//! contract's JSON and problem+json.

pub mod auth;
pub mod extract;
pub mod health;
pub mod identities;
pub mod idp_tenants;
pub mod jwt;
mod jwt_crypto;
pub mod openapi;
pub mod organizations;
pub mod problem;
pub mod profile;
pub mod rate_limit;
pub mod request_id;
pub mod respond;
pub mod tenant_access;
pub mod upns;
pub mod users;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{Extension, Router, middleware};
use nexus_domain::Principal;
use nexus_platform::{InternalAuth, Shutdown};
use nexus_proto::identity::v1::identity_service_client::IdentityServiceClient;
use nexus_proto::tenant_access::v1::tenant_access_service_client::TenantAccessServiceClient;
use nexus_proto::upn::v1::upn_service_client::UpnServiceClient;
use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_client::HealthClient;

pub use auth::Credentials;
use extract::BodyLimit;

/// What the gateway needs to run.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub identity_url: String,
    pub upn_url: String,
    pub tenant_access_url: String,
    pub internal_auth: InternalAuth,
    pub credentials: Credentials,
    pub body_limit_bytes: usize,
    /// Requests per second per principal (0: no limit), and the burst.
    pub rate_limit_per_second: f64,
    pub rate_limit_burst: u32,
    /// The tenant roles of this deployment, stated in the OpenAPI document.
    pub tenant_roles: Vec<String>,
}

/// Shared by every handler: the service clients and the signing key.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    identity: IdentityServiceClient<Channel>,
    tenant_access: TenantAccessServiceClient<Channel>,
    upn: UpnServiceClient<Channel>,
    health: Vec<(&'static str, HealthClient<Channel>)>,
    internal_auth: InternalAuth,
    openapi: serde_json::Value,
}

/// Why the gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("gateway.{key}: {message}")]
    BadUrl { key: &'static str, message: String },
}

fn channel(key: &'static str, url: &str) -> Result<Channel, GatewayError> {
    let endpoint = Endpoint::from_shared(url.to_owned()).map_err(|e| GatewayError::BadUrl {
        key,
        message: e.to_string(),
    })?;
    Ok(endpoint
        .connect_timeout(std::time::Duration::from_secs(5))
        .tcp_nodelay(true)
        .connect_lazy())
}

impl AppState {
    /// Clients connect lazily: the gateway starts before its services answer.
    ///
    /// # Errors
    /// A malformed service URL.
    pub fn new(config: &GatewayConfig) -> Result<Self, GatewayError> {
        let identity = channel("identity_url", &config.identity_url)?;
        let upn = channel("upn_url", &config.upn_url)?;
        let tenant_access = channel("tenant_access_url", &config.tenant_access_url)?;
        Ok(Self {
            inner: Arc::new(Inner {
                identity: IdentityServiceClient::new(identity.clone()),
                tenant_access: TenantAccessServiceClient::new(tenant_access.clone()),
                upn: UpnServiceClient::new(upn.clone()),
                health: vec![
                    ("identity", HealthClient::new(identity)),
                    ("upn", HealthClient::new(upn)),
                    ("tenant-access", HealthClient::new(tenant_access)),
                ],
                internal_auth: config.internal_auth.clone(),
                openapi: openapi::document_for(&config.tenant_roles),
            }),
        })
    }

    pub fn identity(&self) -> IdentityServiceClient<Channel> {
        self.inner.identity.clone()
    }

    /// The OpenAPI document of this deployment.
    pub fn openapi(&self) -> &serde_json::Value {
        &self.inner.openapi
    }

    pub fn tenant_access(&self) -> TenantAccessServiceClient<Channel> {
        self.inner.tenant_access.clone()
    }

    pub fn upn(&self) -> UpnServiceClient<Channel> {
        self.inner.upn.clone()
    }

    /// A gRPC request carrying the signed acting principal.
    pub fn identity_request<T>(&self, principal: &Principal, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        self.inner
            .internal_auth
            .attach(request.metadata_mut(), principal);
        request
    }
}

/// The whole REST surface.
pub fn router(state: AppState, config: &GatewayConfig) -> Router {
    let credentials = Arc::new(config.credentials.clone());
    let limiter =
        rate_limit::RateLimiter::new(config.rate_limit_per_second, config.rate_limit_burst);
    let v1 = Router::new()
        .route("/v1/users", post(users::create_user).get(users::list_users))
        .route(
            "/v1/users/{userId}",
            get(users::get_user)
                .patch(users::update_user)
                .delete(users::delete_user),
        )
        .route("/v1/users/{userId}/$sync", put(identities::sync))
        .route("/v1/users/{userId}/idp_tenants", get(identities::list))
        .route(
            "/v1/users/{userId}/custom-upns",
            get(upns::list).post(upns::create),
        )
        .route(
            "/v1/users/{userId}/custom-upns/{upnId}",
            get(upns::get).patch(upns::update).delete(upns::delete),
        )
        .route(
            "/v1/users/{userId}/idp_tenants/{idpTenantId}",
            put(identities::link).delete(identities::unlink),
        )
        .route(
            "/v1/users/{userId}/attributes",
            get(profile::list_attributes),
        )
        .route(
            "/v1/users/{userId}/attributes/{name}",
            put(profile::put_attribute).delete(profile::delete_attribute),
        )
        .route("/v1/users/{userId}/roles", get(profile::list_user_roles))
        .route(
            "/v1/users/{userId}/roles/{roleId}",
            put(profile::grant_role).delete(profile::revoke_role),
        )
        .route(
            "/v1/users/{userId}/memberships",
            get(organizations::list_memberships),
        )
        .route(
            "/v1/users/{userId}/memberships/{organizationId}",
            put(organizations::put_membership).delete(organizations::delete_membership),
        )
        .route(
            "/v1/organizations",
            post(organizations::create).get(organizations::list),
        )
        .route(
            "/v1/organizations/{organizationId}",
            get(organizations::get)
                .patch(organizations::update)
                .delete(organizations::delete),
        )
        .route(
            "/v1/roles",
            post(profile::create_role).get(profile::list_roles),
        )
        .route(
            "/v1/roles/{roleId}",
            get(profile::get_role).delete(profile::delete_role),
        )
        .route(
            "/v1/idp_tenants",
            post(idp_tenants::create).get(idp_tenants::list),
        )
        .route(
            "/v1/idp_tenants/{idpTenantId}",
            get(idp_tenants::get)
                .patch(idp_tenants::update)
                .delete(idp_tenants::delete),
        )
        .route_layer(middleware::from_fn_with_state(
            limiter.clone(),
            rate_limit::limit,
        ))
        .route_layer(middleware::from_fn_with_state(
            credentials.clone(),
            auth::authenticate,
        ));
    let admin = Router::new()
        .route(
            "/api/{tenantId}/admin/users",
            get(tenant_access::list).post(tenant_access::create),
        )
        .route(
            "/api/{tenantId}/admin/users/{userId}",
            get(tenant_access::get)
                .put(tenant_access::update)
                .delete(tenant_access::delete),
        )
        .route_layer(middleware::from_fn_with_state(limiter, rate_limit::limit))
        .route_layer(middleware::from_fn_with_state(
            credentials,
            auth::authenticate_oauth,
        ));
    Router::new()
        .merge(v1)
        .merge(admin)
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(openapi::page))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .fallback(request_id::not_found)
        .method_not_allowed_fallback(request_id::method_not_allowed)
        .layer(Extension(BodyLimit(config.body_limit_bytes)))
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(request_id::request_id))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown`, finishing in-flight requests.
///
/// # Errors
/// The listener failed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}
