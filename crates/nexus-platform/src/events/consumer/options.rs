//! How a consumer reads and retries.

use std::time::Duration;

/// How a consumer reads and retries.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// The Nexus subjects it reads (`nexus.identity.>`), without any prefix.
    pub filter: String,
    /// Deliveries of one event before it goes to the dead-letter subject.
    pub max_deliver: u32,
    /// Delay before the first redelivery; doubled each time, up to 30 s.
    pub retry_backoff: Duration,
    /// How long JetStream waits for an ack before redelivering.
    pub ack_wait: Duration,
    /// The most events pulled at once (of those available) and applied in
    /// one transaction.
    pub batch: usize,
    /// How often lag and dead letters are logged (at debug).
    pub metrics_interval: Duration,
    /// How often a consumer of an outbox table looks for rows when no
    /// producer signal woke it.
    pub poll_interval: Duration,
}

impl ConsumerOptions {
    pub fn new(filter: impl Into<String>) -> Self {
        Self {
            filter: filter.into(),
            max_deliver: 5,
            retry_backoff: Duration::from_millis(500),
            ack_wait: Duration::from_secs(30),
            batch: 64,
            metrics_interval: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
        }
    }

    /// The delay before delivery number `delivered + 1`.
    pub(crate) fn backoff(&self, delivered: u32) -> Duration {
        let factor = 1u32 << delivered.saturating_sub(1).min(16);
        self.retry_backoff
            .saturating_mul(factor)
            .min(Duration::from_secs(30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_bound() {
        let options = ConsumerOptions::new("nexus.>");
        assert_eq!(options.backoff(1), Duration::from_millis(500));
        assert_eq!(options.backoff(2), Duration::from_secs(1));
        assert_eq!(options.backoff(40), Duration::from_secs(30));
    }
}
