//! Shared success answers.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Adds `Location: location` to a `201 Created` answer.
pub fn with_location(mut response: Response, location: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}
