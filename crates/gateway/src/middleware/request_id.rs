//! Request ids: every response carries `X-Request-Id` (the caller's, when it
//! sent a sane one, else a new UUIDv7), and the request runs in its span
//! ([`crate::middleware::trace`]) with it. Also the answers for unknown paths
//! and methods.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use crate::api::problem::ApiError;
use crate::middleware::problem::as_problem;
use crate::middleware::trace;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn accepted_id(value: &HeaderValue) -> Option<String> {
    let v = value.to_str().ok()?;
    (!v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
    .then(|| v.to_owned())
}

/// The outermost middleware of the router.
pub async fn request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(accepted_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let path = request.uri().path().to_owned();
    let span = trace::request_span(&request, &id);
    let recorded = span.clone();
    async move {
        let response = next.run(request).await;
        tracing::debug!(status = response.status().as_u16(), "answered");
        let mut response = as_problem(response, &path).await;
        trace::record_status(&recorded, response.status());
        if let Ok(v) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, v);
        }
        response
    }
    .instrument(span)
    .await
}

/// The fallback for unknown paths.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such resource")
}

/// The answer for a known path with a method it does not support.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this resource",
    )
}
