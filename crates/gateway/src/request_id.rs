//! Request ids and error normalization. Every response carries `X-Request-Id`
//! (the caller's, when it sent a sane one, else a new UUIDv7), and the request
//! runs in a span with it. Every 4xx/5xx leaves as problem+json with `instance`
//! set to the request path, whichever layer produced it.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use crate::problem::ApiError;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Problem bodies are small; a larger one is passed through untouched.
const MAX_PROBLEM_BODY: usize = 64 * 1024;

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
    let method = request.method().clone();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    async move {
        let response = next.run(request).await;
        tracing::debug!(status = response.status().as_u16(), "answered");
        let mut response = as_problem(response, &path).await;
        if let Ok(v) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, v);
        }
        response
    }
    .instrument(span)
    .await
}

async fn as_problem(response: Response, path: &str) -> Response {
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PROBLEM_BODY).await else {
        return ApiError::new(status, "error").into_response();
    };
    if !is_problem {
        // An error from a layer that does not speak problem+json (for example a
        // framework rejection): keep its status and text as the detail.
        let detail = String::from_utf8_lossy(&bytes).trim().to_owned();
        let detail = if detail.is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            detail
        };
        let mut fresh = ApiError::new(status, detail).into_response();
        for name in [header::WWW_AUTHENTICATE, header::ALLOW, header::RETRY_AFTER] {
            if let Some(v) = parts.headers.get(&name) {
                fresh.headers_mut().insert(name, v.clone());
            }
        }
        return Box::pin(as_problem(fresh, path)).await;
    }
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.insert(
                "instance".into(),
                serde_json::Value::String(path.to_owned()),
            );
            serde_json::to_vec(&map).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
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
