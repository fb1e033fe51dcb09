//! The instruments the outbox relay and the event consumers carry themselves
//! and bump as they work. They hold no reference to a registry: the process's
//! metrics read them when they are scraped, so the
//! relay and the consumers run the same with or without an admin listener.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

/// Bounds of every latency histogram, in seconds: 1 ms to 10 s, the range
/// between an in-memory hop and a call that is about to time out.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// A latency histogram over [`LATENCY_BUCKETS`]; clones share their counts.
#[derive(Debug, Clone)]
pub struct Latency(Histogram);

impl Default for Latency {
    fn default() -> Self {
        Self(Histogram::new(LATENCY_BUCKETS))
    }
}

impl Latency {
    pub fn observe(&self, elapsed: Duration) {
        self.0.observe(elapsed.as_secs_f64());
    }

    pub(crate) fn histogram(&self) -> &Histogram {
        &self.0
    }
}

/// What one outbox relay has published, and how often the bus refused a
/// round, since the process started. Clones share their counts.
#[derive(Debug, Clone, Default)]
pub struct RelayCounters {
    published: Counter,
    failures: Counter,
}

impl RelayCounters {
    /// `n` events were acknowledged by the bus.
    pub fn published(&self, n: usize) {
        self.published.inc_by(n as u64);
    }

    /// A round failed to publish (the bus down or refusing).
    pub fn failed(&self) {
        self.failures.inc();
    }

    pub fn published_total(&self) -> u64 {
        self.published.get()
    }

    pub fn failures_total(&self) -> u64 {
        self.failures.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_their_counts() {
        let counters = RelayCounters::default();
        let copy = counters.clone();
        copy.published(3);
        copy.failed();
        assert_eq!(counters.published_total(), 3);
        assert_eq!(counters.failures_total(), 1);

        let latency = Latency::default();
        let shared = latency.clone();
        shared.observe(Duration::from_millis(3));
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("latency", "test", latency.histogram().clone());
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("latency_count 1"), "{text}");
        assert!(text.contains(r#"latency_bucket{le="0.0025"} 0"#), "{text}");
        assert!(text.contains(r#"latency_bucket{le="0.005"} 1"#), "{text}");
    }
}
