//! RFC 9457 problem details: every error the gateway answers is
//! `application/problem+json` with `{type, title, status, detail, instance}`.
//! 5xx details are logged with the request id, never sent. The OpenAPI
//! schema of that body and the error answers every operation shares are here
//! too, beside the type that produces them.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// An error answer. `instance` is filled with the request path by the
/// request-id middleware when it is left empty.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    /// Extra headers, such as `WWW-Authenticate` or `Retry-After`.
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    instance: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, detail);
        e.headers.push((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"nexus\", Basic realm=\"nexus\""),
        ));
        e
    }

    /// A 500 whose cause goes to the log only.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not complete the request; quote the X-Request-Id header when reporting it.",
        )
    }

    /// Maps a service's gRPC status to the REST answer.
    pub fn from_status(status: &tonic::Status) -> Self {
        use tonic::Code;
        let message = status.message();
        match status.code() {
            Code::InvalidArgument => Self::bad_request(message),
            // The services never answer OUT_OF_RANGE, so its text is tonic's
            // or a library's, not a message written for callers.
            Code::OutOfRange => {
                tracing::warn!(message, "service answered OUT_OF_RANGE");
                Self::bad_request("a value of the request is out of range")
            }
            Code::NotFound => Self::not_found(message),
            Code::AlreadyExists | Code::Aborted => Self::new(StatusCode::CONFLICT, message),
            Code::FailedPrecondition => Self::new(StatusCode::PRECONDITION_FAILED, message),
            Code::PermissionDenied => Self::new(StatusCode::FORBIDDEN, message),
            Code::Unauthenticated => Self::internal(&format_args!(
                "service refused the gateway's principal: {message}"
            )),
            // tonic says RESOURCE_EXHAUSTED for a message over its size limit,
            // in its own words; no service sends it.
            Code::ResourceExhausted => {
                tracing::warn!(message, "service answered RESOURCE_EXHAUSTED");
                Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Nexus is busy or the request is too large; retry later",
                )
            }
            Code::Unavailable | Code::DeadlineExceeded => {
                tracing::error!(code = ?status.code(), message, "service unavailable");
                // A service names an outside dependency (Auth0) in words meant
                // for the caller; anything else stays generic.
                let named = status
                    .metadata()
                    .contains_key(nexus_platform::grpc::DEPENDENCY_METADATA);
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    if named {
                        message
                    } else {
                        "A service Nexus depends on is unavailable; retry later."
                    },
                )
            }
            _ => Self::internal(&format_args!("{:?}: {message}", status.code())),
        }
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        Self::from_status(&status)
    }
}

/// `about:blank` problem types: the status title says what happened.
fn title(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank".to_owned(),
            title: title(self.status),
            status: self.status.as_u16(),
            detail: &self.detail,
            instance: None,
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// RFC 9457 problem details, the body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemJson {
    /// `about:blank`: the status says what happened.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub status: Option<u16>,
    /// What went wrong; for validation errors it starts with the field.
    pub detail: Option<String>,
    /// The request path.
    pub instance: Option<String>,
}

/// Errors every authenticated operation may answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// Malformed JSON, a missing or out-of-bounds field, a bad path or query
    /// parameter; `detail` starts with the field.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(ProblemJson),
    /// Missing or invalid credentials (with `WWW-Authenticate`).
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(ProblemJson),
    /// The principal may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(ProblemJson),
    /// No such resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(ProblemJson),
    /// The request was not received and answered in time.
    #[response(status = 408, content_type = "application/problem+json")]
    RequestTimeout(ProblemJson),
    /// The body is larger than the configured limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(ProblemJson),
    /// The body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(ProblemJson),
    /// Over the principal's rate; `Retry-After` says when to try again.
    #[response(status = 429, content_type = "application/problem+json")]
    TooManyRequests(ProblemJson),
    /// An unexpected failure; quote the `X-Request-Id` header.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(ProblemJson),
    /// A service Nexus depends on is unavailable.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(ProblemJson),
}

/// A conflict with the current state (duplicate, still in use).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ConflictError {
    /// A conflict with the current state: a duplicate, or still in use.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(ProblemJson),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_no_service_writes_do_not_reach_the_caller() {
        let e = ApiError::from_status(&tonic::Status::out_of_range(
            "protobuf: value 99999999999 overflows i32",
        ));
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(!e.detail.contains("overflows"), "{}", e.detail);
        let e = ApiError::from_status(&tonic::Status::resource_exhausted(
            "decoded message length too large: found 9 bytes, the limit is: 4 bytes",
        ));
        assert!(!e.detail.contains("decoded"), "{}", e.detail);
        let e = ApiError::from_status(&tonic::Status::invalid_argument("email: is required"));
        assert_eq!(
            e.detail, "email: is required",
            "our own validation messages pass"
        );
    }
}
