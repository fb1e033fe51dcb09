//! REST requests: how many, by route template (never the path itself, which
//! holds ids), method and status, and how long they took.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::counters::LATENCY_BUCKETS;

/// The route label of a request no route matched (a 404 of the fallback):
/// one series for every unknown path, whatever it was.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: String,
}

/// The REST request families.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Family<RequestLabels, Histogram, fn() -> Histogram>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl HttpMetrics {
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "http_requests",
            "REST requests answered, by route template, method and status",
            metrics.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from a REST request's arrival to its answer, by route template, method and status",
            Unit::Seconds,
            metrics.duration.clone(),
        );
        metrics
    }

    /// Records one answered request. `route` is the matched route template
    /// (`/v1/users/{userId}`), or [`UNMATCHED_ROUTE`].
    pub fn record(&self, method: &http::Method, route: &str, status: u16, elapsed: Duration) {
        let labels = RequestLabels {
            method: method_label(method),
            route: route.to_owned(),
            status: status.to_string(),
        };
        self.requests.get_or_create(&labels).inc();
        self.duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }
}

/// The method as a label: the standard ones by name, anything else as one
/// `OTHER`, so that made-up methods cannot grow the series.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        let odd = http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
        assert_eq!(method_label(&http::Method::PATCH), "PATCH");
    }
}
