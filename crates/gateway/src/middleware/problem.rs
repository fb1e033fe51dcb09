//! Every 4xx/5xx leaves as problem+json with `instance` set to the request
//! path, whichever layer produced it.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::api::problem::ApiError;

/// Problem bodies are small; a larger one is passed through untouched.
const MAX_PROBLEM_BODY: usize = 64 * 1024;

/// `response` as problem+json when it is an error.
pub async fn as_problem(response: Response, path: &str) -> Response {
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    if path.starts_with(crate::routes::scim::SCIM_ROOT) {
        return crate::routes::scim::as_scim_error(response).await;
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
