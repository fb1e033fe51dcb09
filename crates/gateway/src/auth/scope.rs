//! The scopes of `/v1`: one per kind of operation, so that a credential holds
//! only what its application needs and a leaked low-trust token is not an
//! administrator. The route table declares the scope of every operation with
//! [`needs`]; [`require`] is the one place that checks it.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum::routing::MethodRouter;
use nexus_domain::Principal;

use crate::api::problem::ApiError;

pub use nexus_platform::scope::{Scope, all_names, known};

/// The route layer: the principal stored by authentication must hold `scope`.
pub async fn require(State(scope): State<Scope>, request: Request, next: Next) -> Response {
    let allowed = request
        .extensions()
        .get::<Principal>()
        .is_some_and(|p| p.has_scope(scope.as_str()));
    if allowed {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!("this operation needs the scope {}", scope.as_str()),
        )
        .into_response()
    }
}

/// `route` answered only for principals holding `scope`.
pub fn needs<S>(scope: Scope, route: MethodRouter<S>) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route.route_layer(axum::middleware::from_fn_with_state(scope, require))
}
