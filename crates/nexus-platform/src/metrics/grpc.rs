//! gRPC calls: on the server side, every call a service answered; on the
//! client side, every call the gateway made to a service. Each by service,
//! method and status code, with how long it took until its response headers
//! (a unary call has been handled by then).
//!
//! The code is read from the response headers: a failed call is answered
//! "trailers-only", with `grpc-status` there; a call whose handler answered
//! carries its status in the trailers, which for a unary call is OK. A
//! client call that got no response at all (no connection, deadline) counts
//! as `Unavailable`. A path the server does not serve (`UNIMPLEMENTED`) is
//! counted under one `unknown` service and method, so that a caller
//! inventing paths cannot grow the series.

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

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The families of one side (server or client).
#[derive(Debug, Clone)]
struct Calls {
    handled: Family<HandledLabels, Counter>,
    handling: Family<MethodLabels, Histogram, fn() -> Histogram>,
}

impl Calls {
    fn register(registry: &mut Registry, side: &str, who: &str) -> Self {
        let calls = Self {
            handled: Family::default(),
            handling: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            format!("grpc_{side}_handled"),
            format!("gRPC calls {who}, by service, method and code"),
            calls.handled.clone(),
        );
        registry.register_with_unit(
            format!("grpc_{side}_handling"),
            format!(
                "Time gRPC calls {who} took until their response headers, by service and method"
            ),
            Unit::Seconds,
            calls.handling.clone(),
        );
        calls
    }

    fn record(&self, path: &str, code: i32, elapsed: Duration) {
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
}

/// The gRPC families of a process.
#[derive(Debug, Clone)]
pub struct GrpcMetrics {
    server: Calls,
    client: Calls,
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
const UNAVAILABLE: i32 = 14;

impl GrpcMetrics {
    pub(crate) fn register(registry: &mut Registry) -> Self {
        Self {
            server: Calls::register(registry, "server", "this process's services answered"),
            client: Calls::register(registry, "client", "this process made to the services"),
        }
    }

    /// Records one call to `path` (`/package.Service/Method`) that a service
    /// of this process answered with `code` after `elapsed`.
    pub fn record(&self, path: &str, code: i32, elapsed: Duration) {
        self.server.record(path, code, elapsed);
    }

    /// The layer that records every call of a tonic server.
    pub fn layer(&self) -> GrpcServerLayer {
        GrpcServerLayer(self.server.clone())
    }

    /// `channel`, recording every call made through it as a client call.
    pub fn client<S>(&self, channel: S) -> Recorded<S> {
        Recorded {
            inner: channel,
            calls: self.client.clone(),
        }
    }
}

/// Records the calls of the service it wraps into [`GrpcMetrics`].
#[derive(Debug, Clone)]
pub struct GrpcServerLayer(Calls);

impl<S> Layer<S> for GrpcServerLayer {
    type Service = Recorded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Recorded {
            inner,
            calls: self.0.clone(),
        }
    }
}

/// A gRPC server or client service whose calls are recorded (see
/// [`GrpcMetrics::layer`] and [`GrpcMetrics::client`]).
#[derive(Debug, Clone)]
pub struct Recorded<S> {
    inner: S,
    calls: Calls,
}

impl<S, B, RB> Service<http::Request<B>> for Recorded<S>
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
        let calls = self.calls.clone();
        Box::pin(async move {
            let answer = answer.await;
            let code = match &answer {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .unwrap_or(0),
                Err(_) => UNAVAILABLE,
            };
            calls.record(&path, code, started.elapsed());
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
        assert!(
            text.contains(
                r#"grpc_server_handled_total{grpc_service="unknown",grpc_method="unknown",grpc_code="Unimplemented"} 2"#
            ),
            "{text}"
        );
        assert!(!text.contains("made.Up"), "{text}");
    }
}
