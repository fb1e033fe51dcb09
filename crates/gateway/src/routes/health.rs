//! Health probes, public: `/healthz` (the process answers) and `/readyz` (the
//! gateway can route a call to every service).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::problem::{ApiError, ProblemJson};

/// Liveness: answers while the process runs.
///
/// Needs no credentials and calls no service.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    operation_id = "CheckLiveness",
    security(()),
    responses(
        (status = 200, description = "The process answers", body = Object),
    )
)]
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: 200 when every service has an address to route calls to, else
/// 503 naming the others.
///
/// The gateway's own readiness, not its services': a service with no ready
/// replica makes its own calls fail, and taking every gateway out of
/// rotation for it would fail the calls of the healthy services too. The
/// addresses are those the service URLs resolved to (kept across a failed
/// lookup), so this calls no service.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    operation_id = "CheckReadiness",
    security(()),
    responses(
        (status = 200, description = "Every service has an address to route to", body = Object),
        (
            status = 503,
            description = "A service's address is not known yet",
            body = ProblemJson,
            content_type = "application/problem+json"
        ),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let unrouted: Vec<&str> = state
        .routing()
        .filter(|(_, addresses)| *addresses == 0)
        .map(|(name, _)| name)
        .collect();
    if unrouted.is_empty() {
        Ok(Json(json!({ "status": "ready" })))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no address resolved yet for: {}", unrouted.join(", ")),
        ))
    }
}
