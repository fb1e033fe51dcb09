//! The span of every REST request: named by its route template (never by the
//! ids in the path), with the method, the answer's status, how the caller
//! authenticated and its client id, the request id and the trace id, so that
//! every log line written while the request runs can be found by either id.
//! A caller's W3C `traceparent` makes the request part of the caller's
//! trace; the gRPC calls the request makes carry the trace on. Credentials
//! are never recorded: only the name of the scheme that was accepted.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, StatusCode, header};
use nexus_domain::Principal;
use nexus_platform::telemetry::propagation;
use tracing::Span;
use tracing::field::Empty;

/// The span of `request`, whose request id is `request_id`.
pub fn request_span(request: &Request, request_id: &str) -> Span {
    let method = request.method().as_str();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let name = match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_owned(),
    };
    let span = tracing::info_span!(
        "request",
        otel.name = name,
        otel.kind = "server",
        otel.status_code = Empty,
        request_id,
        trace_id = Empty,
        http.request.method = method,
        http.route = route,
        url.path = request.uri().path(),
        http.response.status_code = Empty,
        principal.kind = Empty,
        client.id = Empty,
    );
    propagation::continue_trace(&span, propagation::extract(request.headers()));
    span
}

/// Records the status of the answer on the request span.
pub fn record_status(span: &Span, status: StatusCode) {
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
}

/// Records on the current (request) span how the caller authenticated:
/// `bearer` or `basic`, by the scheme of the accepted `Authorization`
/// header, and the principal's client id when it has one.
pub fn record_principal(headers: &HeaderMap, principal: &Principal) {
    let span = Span::current();
    if let Some(kind) = scheme(headers) {
        span.record("principal.kind", kind);
    }
    if let Some(client) = &principal.client {
        span.record("client.id", client.as_str());
    }
}

/// The authentication scheme named by the `Authorization` header.
fn scheme(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let name = value.split(' ').next()?;
    if name.eq_ignore_ascii_case("bearer") {
        Some("bearer")
    } else if name.eq_ignore_ascii_case("basic") {
        Some("basic")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_read_without_the_credentials() {
        let mut headers = HeaderMap::new();
        assert_eq!(scheme(&headers), None);
        headers.insert(header::AUTHORIZATION, "Bearer abc.def".parse().unwrap());
        assert_eq!(scheme(&headers), Some("bearer"));
        headers.insert(header::AUTHORIZATION, "basic dXNlcjpwdw==".parse().unwrap());
        assert_eq!(scheme(&headers), Some("basic"));
        headers.insert(header::AUTHORIZATION, "Token x".parse().unwrap());
        assert_eq!(scheme(&headers), None);
    }
}
