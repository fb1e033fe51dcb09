//! SCIM 2.0 (RFC 7643 / RFC 7644) at `/scim/v2`, for the provisioning clients of enterprise
//! directories (Entra ID, Okta): discovery documents, `Users` and `Groups`.
//!
//! The protocol's rules — filters, PATCH, schemas, projection, paging, ETags and the
//! SCIM User ↔ Nexus user mapping — live in the pure `nexus-scim` crate; this module is the
//! edge that authenticates, reads requests, calls identity's user and attribute use cases over
//! gRPC (so every change emits the same events as `/v1`) and writes `application/scim+json`.
//!
//! Authentication is a bearer JWT alone, as those clients send it: no `ApplicationToken`,
//! and the token must hold `scim:provision`. Every error is a SCIM error body with its
//! `status` and, where RFC 7644 defines one, its `scimType`; a failing service is a 503,
//! never a 500.

mod directory;
mod discovery;
mod group_directory;
mod group_list;
mod groups;
mod list;
mod request;
mod search;
mod users;

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use nexus_scim::response::{SCIM_MEDIA_TYPE, error_response};
use nexus_scim::{ScimError, ScimType};
use serde_json::Value;

use crate::AppState;
use crate::auth::Authenticator;
use crate::auth::scope::Scope;
use crate::middleware::rate_limit::{self, RateLimiter};

/// Where SCIM is served.
pub const SCIM_ROOT: &str = "/scim/v2";

/// The `/scim/v2` routes, authenticated by a bearer JWT holding `scim:provision`.
pub fn router(
    authenticator: Arc<Authenticator>,
    limiter: Arc<RateLimiter<String>>,
    per_address: Arc<RateLimiter<IpAddr>>,
) -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(discovery::resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/scim/v2/Schemas", get(discovery::schemas))
        .route("/scim/v2/Schemas/{id}", get(discovery::schema))
        .route("/scim/v2/Users", get(users::list).post(users::create))
        .route("/scim/v2/Users/.search", post(users::search))
        .route("/scim/v2/.search", post(search::search_all))
        .route("/scim/v2/Groups", get(groups::list).post(groups::create))
        .route("/scim/v2/Groups/.search", post(groups::search))
        .route(
            "/scim/v2/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route(
            "/scim/v2/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route_layer(middleware::from_fn_with_state(limiter, rate_limit::limit))
        .route_layer(middleware::from_fn_with_state(authenticator, authenticate))
        .route_layer(middleware::from_fn_with_state(
            per_address,
            rate_limit::limit_address,
        ))
}

/// The `/scim/v2` middleware: a bearer JWT alone, holding `scim:provision`; the principal is
/// stored in the request's extensions.
async fn authenticate(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    match auth.authenticate_oauth(request.headers()).await {
        Ok(principal) if principal.has_scope(Scope::ScimProvision.as_str()) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Ok(_) => Failure(ScimError::status(
            403,
            format!("SCIM needs the scope {}", Scope::ScimProvision.as_str()),
        ))
        .into_response(),
        Err(e) => {
            let mut response =
                Failure(ScimError::status(e.status.as_u16(), e.detail)).into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"nexus\""),
            );
            response
        }
    }
}

/// The `/scim/v2` root as the client reached it (`meta.location` and `$ref` values).
fn base_url(headers: &HeaderMap) -> String {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let proto = value("x-forwarded-proto").filter(|p| matches!(*p, "http" | "https"));
    match value("host") {
        Some(host) if host.bytes().all(|b| b.is_ascii_graphic()) => {
            format!("{}://{host}{SCIM_ROOT}", proto.unwrap_or("http"))
        }
        _ => SCIM_ROOT.to_owned(),
    }
}

/// A SCIM answer: `status`, the body as `application/scim+json`, and extra headers.
fn reply(status: StatusCode, body: &Value, headers: &[(header::HeaderName, String)]) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let map = response.headers_mut();
    map.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCIM_MEDIA_TYPE),
    );
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            map.insert(name.clone(), value);
        }
    }
    response
}

/// A failed SCIM request, answered in the SCIM error schema.
#[derive(Debug)]
pub struct Failure(pub ScimError);

impl From<ScimError> for Failure {
    fn from(e: ScimError) -> Self {
        Self(e)
    }
}

/// Maps identity's gRPC status once: a taken email is `uniqueness`, a refused value
/// `invalidValue`, and a failing service 503 with its cause logged, not sent.
impl From<tonic::Status> for Failure {
    fn from(status: tonic::Status) -> Self {
        use tonic::Code;
        let message = status.message().to_owned();
        Self(match status.code() {
            Code::NotFound => ScimError::status(404, message),
            Code::AlreadyExists => ScimError {
                status: 409,
                scim_type: Some(ScimType::Uniqueness),
                detail: message,
            },
            Code::InvalidArgument | Code::FailedPrecondition => ScimError::invalid_value(message),
            code => {
                tracing::error!(?code, message, "identity call failed on a SCIM request");
                ScimError::status(503, "the directory is unavailable; retry later")
            }
        })
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::BAD_REQUEST);
        reply(status, &error_response(&self.0), &[])
    }
}

type Answer = Result<Response, Failure>;

/// An error answer of any layer under `/scim/v2` (an unknown path, a body over the limit,
/// a rate limit, a timeout) in the SCIM error schema, keeping its status, its detail and
/// the headers that tell the client what to do next.
pub async fn as_scim_error(response: Response) -> Response {
    let is_scim = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(SCIM_MEDIA_TYPE.as_bytes()));
    if is_scim {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let detail = match serde_json::from_slice::<Value>(&bytes) {
        Ok(problem) => problem["detail"].as_str().map(str::to_owned),
        Err(_) => Some(String::from_utf8_lossy(&bytes).trim().to_owned()),
    }
    .filter(|d| !d.is_empty())
    .unwrap_or_else(|| {
        parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_owned()
    });
    let mut fresh = Failure(ScimError::status(parts.status.as_u16(), detail)).into_response();
    for name in [header::WWW_AUTHENTICATE, header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            fresh.headers_mut().insert(name, v.clone());
        }
    }
    fresh
}

#[cfg(test)]
mod tests;
