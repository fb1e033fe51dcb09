//! Prometheus metrics of one Nexus process, served as Prometheus text
//! (version 0.0.4) at `/metrics` on its admin listener ([`admin`]), never on
//! the public REST listener.
//!
//! One [`Metrics`] per process: the gateway records REST requests,
//! authentication failures and its calls to the services, every gRPC server
//! the calls it answers, and each service
//! registers its database, outbox relay and event consumers as
//! [`sources`]. Labels are route templates, gRPC methods and codes, service
//! and consumer names, fixed reasons: never a user, tenant or request id, so
//! the number of series stays bounded whatever the traffic.
//!
//! Requests and calls are counted as they happen. What lives in a database
//! or in JetStream (outbox backlog, pool use, consumer lag) is read when a
//! scrape asks for it, so an idle process spends nothing on metrics.

pub mod admin;
pub mod counters;
pub mod grpc;
pub mod http;
mod pool;
pub mod sources;

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use self::grpc::GrpcMetrics;
use self::http::HttpMetrics;
use self::sources::Sources;

/// The `Content-Type` of [`Metrics::render`]'s answer.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The version of this build, and its git commit when the build was given
/// one in `NEXUS_GIT_SHA` (the release image's build does).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const GIT_SHA: &str = match option_env!("NEXUS_GIT_SHA") {
    Some(sha) => sha,
    None => "unknown",
};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The metrics of one process. Clones share everything.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    http: HttpMetrics,
    grpc: GrpcMetrics,
    auth_failures: Family<ReasonLabels, Counter>,
    sources: Sources,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every family registered, all `nexus_`-prefixed, with the build info.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("nexus");
        registry.register(
            "build",
            "The running build: version and git commit",
            Info::new(vec![("version", VERSION), ("git_sha", GIT_SHA)]),
        );
        let http = HttpMetrics::register(&mut registry);
        let grpc = GrpcMetrics::register(&mut registry);
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "auth_failures",
            "REST requests refused by authentication, by reason",
            auth_failures.clone(),
        );
        let sources = Sources::register(&mut registry);
        Self {
            inner: Arc::new(Inner {
                registry,
                http,
                grpc,
                auth_failures,
                sources,
            }),
        }
    }

    /// REST requests.
    pub fn http(&self) -> &HttpMetrics {
        &self.inner.http
    }

    /// gRPC calls served.
    pub fn grpc(&self) -> &GrpcMetrics {
        &self.inner.grpc
    }

    /// Where services and consumers are added.
    pub fn sources(&self) -> &Sources {
        &self.inner.sources
    }

    /// Counts a request authentication refused; `reason` is one of a fixed
    /// set of words (`jwt_expired`, `basic`, …).
    pub fn auth_failure(&self, reason: &'static str) {
        self.inner
            .auth_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Samples what lives outside the process, then encodes every family as
    /// Prometheus text.
    pub async fn render(&self) -> String {
        self.inner.sources.sample().await;
        let mut text = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.inner.registry)
        {
            // Writing into a String cannot fail; an encoder defect can.
            tracing::warn!(error = %e, "metrics could not be encoded");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn renders_build_info_requests_and_auth_failures() {
        let metrics = Metrics::new();
        metrics.http().record(
            &::http::Method::GET,
            "/v1/users/{userId}",
            200,
            Duration::from_millis(4),
        );
        metrics.auth_failure("jwt_expired");
        let text = metrics.render().await;
        assert!(text.contains(r#"nexus_build_info{version=""#), "{text}");
        assert!(text.contains(
            r#"nexus_http_requests_total{method="GET",route="/v1/users/{userId}",status="200"} 1"#
        ), "{text}");
        assert!(text.contains(r#"nexus_http_request_duration_seconds_bucket{method="GET",route="/v1/users/{userId}",status="200",le="0.005"} 1"#), "{text}");
        assert!(
            text.contains(r#"nexus_auth_failures_total{reason="jwt_expired"} 1"#),
            "{text}"
        );
    }
}
