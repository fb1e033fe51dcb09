//! The route table: every path of the REST contract and the handler that
//! answers it, one file per resource below `routes/`, and the scope each
//! `/v1` operation needs.

pub mod attributes;
pub mod custom_upns;
pub mod health;
pub mod identities;
pub mod idp_tenants;
pub mod memberships;
pub mod organizations;
pub mod roles;
pub mod scim;
pub mod sync;
pub mod tenant_users;
pub mod users;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::response::Html;
use axum::routing::{delete, get, patch, post, put};
use axum::{Extension, Json, Router, middleware};

use crate::api::body::BodyLimit;
use crate::auth::scope::Scope::{
    CustomUpnsWrite, IdentitiesWrite, IdpTenantsAdmin, OrganizationsAdmin, RolesAdmin, UsersDelete,
    UsersRead, UsersSync, UsersWrite,
};
use crate::auth::scope::needs;
use crate::middleware::{limits, metrics, rate_limit, request_id};
use crate::server::ServerLimits;
use crate::{AppState, GatewayConfig, auth, openapi};

/// The whole REST surface, with the default [`ServerLimits`].
pub fn router(state: AppState, config: &GatewayConfig) -> Router {
    router_with(state, config, &ServerLimits::default())
}

/// The whole REST surface.
pub fn router_with(state: AppState, config: &GatewayConfig, server: &ServerLimits) -> Router {
    let authenticator = Arc::new(
        auth::Authenticator::new(config.credentials.clone()).with_metrics(config.metrics.clone()),
    );
    let limiter =
        rate_limit::RateLimiter::new(config.rate_limit_per_second, config.rate_limit_burst);
    let per_address =
        rate_limit::RateLimiter::new(server.per_address_per_second, server.per_address_burst);
    let document = Arc::new(openapi::document_for(&config.tenant_roles));
    let v1 = Router::new()
        .route(
            "/v1/users",
            needs(UsersWrite, post(users::create_user))
                .merge(needs(UsersRead, get(users::list_users))),
        )
        .route(
            "/v1/users/{userId}",
            needs(UsersRead, get(users::get_user))
                .merge(needs(UsersWrite, patch(users::update_user)))
                .merge(needs(UsersDelete, delete(users::delete_user))),
        )
        .route(
            "/v1/users/{userId}/$sync",
            needs(UsersSync, put(sync::sync_user)),
        )
        .route(
            "/v1/users/{userId}/idp_tenants",
            needs(UsersRead, get(identities::list)),
        )
        .route(
            "/v1/users/{userId}/idp_tenants/{idpTenantId}",
            needs(
                IdentitiesWrite,
                put(identities::link).delete(identities::unlink),
            ),
        )
        .route(
            "/v1/users/{userId}/custom-upns",
            needs(UsersRead, get(custom_upns::list))
                .merge(needs(CustomUpnsWrite, post(custom_upns::create))),
        )
        .route(
            "/v1/users/{userId}/custom-upns/{upnId}",
            needs(UsersRead, get(custom_upns::get)).merge(needs(
                CustomUpnsWrite,
                patch(custom_upns::update).delete(custom_upns::delete),
            )),
        )
        .route(
            "/v1/users/{userId}/attributes",
            needs(UsersRead, get(attributes::list)),
        )
        .route(
            "/v1/users/{userId}/attributes/{name}",
            needs(UsersWrite, put(attributes::put).delete(attributes::delete)),
        )
        .route(
            "/v1/users/{userId}/roles",
            needs(UsersRead, get(roles::list_user_roles)),
        )
        .route(
            "/v1/users/{userId}/roles/{roleId}",
            needs(
                RolesAdmin,
                put(roles::grant_role).delete(roles::revoke_role),
            ),
        )
        .route(
            "/v1/users/{userId}/memberships",
            needs(UsersRead, get(memberships::list)),
        )
        .route(
            "/v1/users/{userId}/memberships/{organizationId}",
            needs(
                OrganizationsAdmin,
                put(memberships::put).delete(memberships::delete),
            ),
        )
        .route(
            "/v1/organizations",
            needs(
                OrganizationsAdmin,
                post(organizations::create).get(organizations::list),
            ),
        )
        .route(
            "/v1/organizations/{organizationId}",
            needs(
                OrganizationsAdmin,
                get(organizations::get)
                    .patch(organizations::update)
                    .delete(organizations::delete),
            ),
        )
        .route(
            "/v1/roles",
            needs(RolesAdmin, post(roles::create_role).get(roles::list_roles)),
        )
        .route(
            "/v1/roles/{roleId}",
            needs(RolesAdmin, get(roles::get_role).delete(roles::delete_role)),
        )
        .route(
            "/v1/idp_tenants",
            needs(
                IdpTenantsAdmin,
                post(idp_tenants::create).get(idp_tenants::list),
            ),
        )
        .route(
            "/v1/idp_tenants/{idpTenantId}",
            needs(
                IdpTenantsAdmin,
                get(idp_tenants::get)
                    .patch(idp_tenants::update)
                    .delete(idp_tenants::delete),
            ),
        )
        .route_layer(middleware::from_fn_with_state(
            limiter.clone(),
            rate_limit::limit,
        ))
        .route_layer(middleware::from_fn_with_state(
            authenticator.clone(),
            auth::authenticate,
        ))
        .route_layer(middleware::from_fn_with_state(
            per_address.clone(),
            rate_limit::limit_address,
        ));
    let scim = scim::router(authenticator.clone(), limiter.clone(), per_address.clone());
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
            authenticator,
            auth::authenticate_oauth,
        ))
        .route_layer(middleware::from_fn_with_state(
            per_address,
            rate_limit::limit_address,
        ));
    Router::new()
        .merge(v1)
        .merge(admin)
        .merge(scim)
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
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(middleware::from_fn_with_state(
            config.body_limit_bytes,
            limits::body_limit,
        ))
        .layer(middleware::from_fn_with_state(
            server.request_timeout,
            limits::request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            config.metrics.clone(),
            metrics::record,
        ))
        .layer(middleware::from_fn(request_id::request_id))
        .with_state(state)
}

#[cfg(test)]
mod tests;
