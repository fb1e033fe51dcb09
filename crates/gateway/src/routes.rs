//! The route table: every path of the REST contract and the handler that
//! answers it, one file per resource below `routes/`.

pub mod attributes;
pub mod custom_upns;
pub mod health;
pub mod identities;
pub mod idp_tenants;
pub mod memberships;
pub mod organizations;
pub mod roles;
pub mod sync;
pub mod tenant_users;
pub mod users;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::response::Html;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router, middleware};

use crate::api::body::BodyLimit;
use crate::middleware::{rate_limit, request_id};
use crate::{AppState, GatewayConfig, auth, openapi};

/// The whole REST surface.
pub fn router(state: AppState, config: &GatewayConfig) -> Router {
    let credentials = Arc::new(config.credentials.clone());
    let limiter =
        rate_limit::RateLimiter::new(config.rate_limit_per_second, config.rate_limit_burst);
    let document = Arc::new(openapi::document_for(&config.tenant_roles));
    let v1 = Router::new()
        .route("/v1/users", post(users::create_user).get(users::list_users))
        .route(
            "/v1/users/{userId}",
            get(users::get_user)
                .patch(users::update_user)
                .delete(users::delete_user),
        )
        .route("/v1/users/{userId}/$sync", put(sync::sync_user))
        .route("/v1/users/{userId}/idp_tenants", get(identities::list))
        .route(
            "/v1/users/{userId}/idp_tenants/{idpTenantId}",
            put(identities::link).delete(identities::unlink),
        )
        .route(
            "/v1/users/{userId}/custom-upns",
            get(custom_upns::list).post(custom_upns::create),
        )
        .route(
            "/v1/users/{userId}/custom-upns/{upnId}",
            get(custom_upns::get)
                .patch(custom_upns::update)
                .delete(custom_upns::delete),
        )
        .route("/v1/users/{userId}/attributes", get(attributes::list))
        .route(
            "/v1/users/{userId}/attributes/{name}",
            put(attributes::put).delete(attributes::delete),
        )
        .route("/v1/users/{userId}/roles", get(roles::list_user_roles))
        .route(
            "/v1/users/{userId}/roles/{roleId}",
            put(roles::grant_role).delete(roles::revoke_role),
        )
        .route("/v1/users/{userId}/memberships", get(memberships::list))
        .route(
            "/v1/users/{userId}/memberships/{organizationId}",
            put(memberships::put).delete(memberships::delete),
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
        .route("/v1/roles", post(roles::create_role).get(roles::list_roles))
        .route(
            "/v1/roles/{roleId}",
            get(roles::get_role).delete(roles::delete_role),
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
            get(tenant_users::list).post(tenant_users::create),
        )
        .route(
            "/api/{tenantId}/admin/users/{userId}",
            get(tenant_users::get)
                .put(tenant_users::update)
                .delete(tenant_users::delete),
        )
        .route_layer(middleware::from_fn_with_state(limiter, rate_limit::limit))
        .route_layer(middleware::from_fn_with_state(
            credentials,
            auth::authenticate_oauth,
        ));
    Router::new()
        .merge(v1)
        .merge(admin)
        .route(
            "/openapi.json",
            get(move || async move { Json(document.as_ref().clone()) }),
        )
        .route("/docs", get(|| async { Html(openapi::PAGE) }))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .fallback(request_id::not_found)
        .method_not_allowed_fallback(request_id::method_not_allowed)
        .layer(Extension(BodyLimit(config.body_limit_bytes)))
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(request_id::request_id))
        .with_state(state)
}
