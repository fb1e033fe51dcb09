//! gRPC calls a server answered: how many by service, method and status
//! code, and how long each took until its response headers (a unary call's
//! handler has finished by then).
//!
//! The code is read from the response headers: a failed call is answered
//! "trailers-only", with `grpc-status` there; a call whose handler answered
//! carries its status in the trailers, which for a unary call is OK. A path
//! the server does not serve (`UNIMPLEMENTED`) is counted under one `unknown`
//! service and method, so that a caller inventing paths cannot grow the
//! series.

use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use tower::{Layer, Service};

use super::counters::LATENCY_BUCKETS;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HandledLabels {
    grpc_service: String,
    grpc_method: String,
    grpc_code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    grpc_service: String,
    grpc_method: String,
}

/// The gRPC server families.
#[derive(Debug, Clone)]
pub struct GrpcMetrics {
    handled: Family<HandledLabels, Counter>,
    handling: Family<MethodLabels, Histogram, fn() -> Histogram>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The gRPC status code's name, as gRPC's own metrics spell it.
fn code_name(code: i32) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "Canceled",
        "Unknown",
        "InvalidArgument",
        "DeadlineExceeded",
        "NotFound",
        "AlreadyExists",
        "PermissionDenied",
        "ResourceExhausted",
        "FailedPrecondition",
        "Aborted",
        "OutOfRange",
        "Unimplemented",
        "Internal",
        "Unavailable",
        "DataLoss",
        "Unauthenticated",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
        .unwrap_or("Unknown")
}

const UNIMPLEMENTED: i32 = 12;

impl GrpcMetrics {
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            handled: Family::default(),
            handling: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "grpc_server_handled",
            "gRPC calls answered by this process's services, by service, method and code",
            metrics.handled.clone(),
        );
        registry.register_with_unit(
            "grpc_server_handling",
            "Time a gRPC call took until its response headers, by service and method",
            Unit::Seconds,
            metrics.handling.clone(),
        );
        metrics
    }

    /// Records one call to `path` (`/package.Service/Method`) answered with
    /// `code` after `elapsed`.
    pub fn record(&self, path: &str, code: i32, elapsed: Duration) {
        let (service, method) = match path.trim_start_matches('/').split_once('/') {
            Some((service, method)) if code != UNIMPLEMENTED => (service, method),
            _ => ("unknown", "unknown"),
        };
        let method_labels = MethodLabels {
            grpc_service: service.to_owned(),
            grpc_method: method.to_owned(),
        };
        self.handling
            .get_or_create(&method_labels)
            .observe(elapsed.as_secs_f64());
        self.handled
            .get_or_create(&HandledLabels {
                grpc_service: method_labels.grpc_service,
                grpc_method: method_labels.grpc_method,
                grpc_code: code_name(code),
            })
            .inc();
    }

    /// The layer that records every call of a tonic server.
    pub fn layer(&self) -> GrpcServerLayer {
        GrpcServerLayer(self.clone())
    }
}

/// Records the calls of the service it wraps into [`GrpcMetrics`].
#[derive(Debug, Clone)]
pub struct GrpcServerLayer(GrpcMetrics);

impl<S> Layer<S> for GrpcServerLayer {
    type Service = GrpcServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcServerService {
            inner,
            metrics: self.0.clone(),
        }
    }
}

/// See [`GrpcServerLayer`].
#[derive(Debug, Clone)]
pub struct GrpcServerService<S> {
    inner: S,
    metrics: GrpcMetrics,
}

impl<S, B, RB> Service<http::Request<B>> for GrpcServerService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let started = Instant::now();
        let answer = self.inner.call(request);
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let answer = answer.await;
            if let Ok(response) = &answer {
                let code = response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .unwrap_or(0);
                metrics.record(&path, code, started.elapsed());
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_and_unknown_paths_share_one_series() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(5), "NotFound");
        assert_eq!(code_name(16), "Unauthenticated");
        assert_eq!(code_name(99), "Unknown");

        let mut registry = Registry::default();
        let metrics = GrpcMetrics::register(&mut registry);
        metrics.record("/made.Up/One", UNIMPLEMENTED, Duration::ZERO);
        metrics.record("/made.Up/Two", UNIMPLEMENTED, Duration::ZERO);
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
        assert!(text.contains(
            r#"grpc_server_handled_total{grpc_service="unknown",grpc_method="unknown",grpc_code="Unimplemented"} 2"#
        ), "{text}");
        assert!(!text.contains("made.Up"), "{text}");
    }
}
