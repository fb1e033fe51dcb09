//! A span per gRPC call on both sides. A client call through a
//! [`TracedChannel`] runs in a client span whose trace context goes out in the
//! call's metadata (`traceparent`); the server's [`ServerTraceLayer`] reads it
//! back and runs the handler in a server span below it, so a service's work
//! joins the trace of the REST request (or service) that called it. Health
//! checks and reflection are not traced: probes would fill traces with noise.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::transport::Channel;
use tower::{Layer, Service};
use tracing::{Instrument as _, Span};

use super::propagation;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Paths of calls that get no span.
fn untraced(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

/// The span name of a call to `path` (`nexus.identity.v1.IdentityService/SyncUser`),
/// its service and its method.
fn names(path: &str) -> (&str, &str, &str) {
    let name = path.trim_start_matches('/');
    let (service, method) = name.split_once('/').unwrap_or((name, ""));
    (name, service, method)
}

/// The `grpc-status` a response carries in its headers (a trailers-only
/// answer, which is how errors come), else `None`.
fn grpc_status(response: &http::Response<impl Sized>) -> Option<i32> {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn record_status<B>(span: &Span, result: &Result<http::Response<B>, impl std::fmt::Display>) {
    match result {
        Ok(response) => {
            if let Some(code) = grpc_status(response) {
                span.record("rpc.grpc.status_code", code);
                if code != 0 {
                    span.record("otel.status_code", "ERROR");
                }
            }
        }
        Err(e) => {
            span.record("otel.status_code", "ERROR");
            span.record("error", tracing::field::display(e));
        }
    }
}

/// Adds a server span to every call of a tonic server.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerTraceLayer;

impl<S> Layer<S> for ServerTraceLayer {
    type Service = ServerTrace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerTrace { inner }
    }
}

/// See [`ServerTraceLayer`].
#[derive(Debug, Clone)]
pub struct ServerTrace<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for ServerTrace<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display + 'static,
    ResBody: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let path = request.uri().path();
        // Under the target of the server code, as `telemetry.filter` names it.
        tracing::debug!(target: "nexus_platform::grpc", method = path, "gRPC call");
        if untraced(path) {
            return Box::pin(self.inner.call(request));
        }
        let (name, service, method) = names(path);
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = name,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        propagation::continue_trace(&span, propagation::extract(request.headers()));
        let future = span.in_scope(|| self.inner.call(request));
        let recorded = span.clone();
        Box::pin(
            async move {
                let result = future.await;
                record_status(&recorded, &result);
                result
            }
            .instrument(span),
        )
    }
}

/// A client channel whose every call runs in a client span and carries its
/// trace context to the server.
#[derive(Debug, Clone)]
pub struct TracedChannel {
    inner: Channel,
}

impl TracedChannel {
    pub fn new(inner: Channel) -> Self {
        Self { inner }
    }
}

impl Service<http::Request<Body>> for TracedChannel {
    type Response = http::Response<Body>;
    type Error = tonic::transport::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let (name, service, method) = names(&path);
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = name,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        propagation::inject(&span, request.headers_mut());
        let future = self.inner.call(request);
        let recorded = span.clone();
        Box::pin(
            async move {
                let result = future.await;
                record_status(&recorded, &result);
                result
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_named_by_its_service_and_method() {
        assert_eq!(
            names("/nexus.identity.v1.IdentityService/SyncUser"),
            (
                "nexus.identity.v1.IdentityService/SyncUser",
                "nexus.identity.v1.IdentityService",
                "SyncUser"
            )
        );
        assert!(untraced("/grpc.health.v1.Health/Check"));
        assert!(!untraced("/nexus.upn.v1.UpnService/ListCustomUpns"));
    }
}
