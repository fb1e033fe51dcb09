//! Retrying while the bus is away, shared by the outbox relay and the
//! JetStream consumers: backoff up to a cap, but a retry as soon as a bus
//! that was disconnected is connected again; and one log line when the
//! failures start, one when they end (the ones between at debug level).

use std::time::{Duration, Instant};

use super::EventBus;

const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// How often a pause checks whether the bus is connected again.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// The failures in a row of one loop (`what`) and its next pause.
#[derive(Debug)]
pub struct Retry {
    what: String,
    max: Duration,
    backoff: Duration,
    failures: u32,
    since: Option<Instant>,
}

impl Retry {
    /// `what` names the loop in the log; pauses grow up to `max`.
    #[must_use]
    pub fn new(what: impl Into<String>, max: Duration) -> Self {
        Self {
            what: what.into(),
            max,
            backoff: FIRST_PAUSE,
            failures: 0,
            since: None,
        }
    }

    /// A success: ends a run of failures (logged once) and resets the backoff.
    pub fn succeeded(&mut self) {
        self.backoff = FIRST_PAUSE;
        if let Some(since) = self.since.take() {
            tracing::info!(
                what = %self.what,
                failures = self.failures,
                after_ms = since.elapsed().as_millis(),
                "going on again"
            );
        }
        self.failures = 0;
    }

    /// A failure: logged at warn level when it starts a run, at debug level
    /// after; answers the pause before the next try.
    pub fn failed(&mut self, error: &dyn std::fmt::Display) -> Duration {
        self.failures += 1;
        if self.since.is_none() {
            self.since = Some(Instant::now());
            tracing::warn!(what = %self.what, error = %error, "failing; trying again until it works");
        } else {
            tracing::debug!(what = %self.what, error = %error, failures = self.failures, "failing again");
        }
        let pause = self.backoff;
        self.backoff = (self.backoff * 2).min(self.max);
        pause
    }
}

/// Waits `pause`; if `bus` is disconnected now, only until it is connected
/// again (a connected bus failing for another reason waits the whole pause).
pub async fn pause(bus: &dyn EventBus, pause: Duration) {
    let until = tokio::time::Instant::now() + pause;
    if bus.connected() {
        tokio::time::sleep_until(until).await;
        return;
    }
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(CHECK_EVERY.min(until - tokio::time::Instant::now())).await;
        if bus.connected() {
            return;
        }
    }
}

/// Resolves once `bus` is disconnected (checked every [`CHECK_EVERY`]).
pub async fn disconnected(bus: &dyn EventBus) {
    while bus.connected() {
        tokio::time::sleep(CHECK_EVERY).await;
    }
}
