//! Health probes, public: `/healthz` (the process answers) and `/readyz` (every
//! service answers its gRPC health check as SERVING, which each service bases
//! on its database and event bus).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

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

/// Readiness: 200 when every service is SERVING, else 503 naming the others.
///
/// Asks every service for its gRPC health, which each bases on its database
/// and event bus.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    operation_id = "CheckReadiness",
    security(()),
    responses(
        (status = 200, description = "Every service answers SERVING", body = Object),
        (
            status = 503,
            description = "A service is not ready",
            body = ProblemJson,
            content_type = "application/problem+json"
        ),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let checks = state.health().iter().map(|(name, client)| {
        let mut client = client.clone();
        async move {
            let request = tonic::Request::new(HealthCheckRequest {
                service: String::new(),
            });
            let serving =
                tokio::time::timeout(std::time::Duration::from_secs(2), client.check(request))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .is_some_and(|r| r.into_inner().status == ServingStatus::Serving as i32);
            (*name, serving)
        }
    });
    let results = futures::future::join_all(checks).await;
    let down: Vec<&str> = results
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| *n)
        .collect();
    if down.is_empty() {
        Ok(Json(json!({ "status": "ready" })))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", down.join(", ")),
        ))
    }
}
