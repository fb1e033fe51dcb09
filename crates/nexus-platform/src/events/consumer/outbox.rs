//! Runs an [`EventConsumer`] on a producer's outbox table (the all-in-one):
//! reads up to a batch of rows after its durable cursor, applies them in one
//! transaction that also advances the cursor (one by one when that fails
//! repeatably), and is woken by the producer's signal or by polling. A
//! transient failure pauses it with backoff, without limit; a repeatable one
//! is retried up to `max_deliver` times, then the event is kept in
//! `dead_letters` and the cursor moves past it in one transaction.

use std::time::Duration;

use sea_orm::TransactionTrait as _;
use tracing::Instrument as _;

use super::{
    ConsumerError, ConsumerOptions, DEAD_LETTER_PREFIX, EventConsumer, Outcome, subject_matches,
};
use crate::events::dead_letters;
use crate::events::feed::{self, FeedRow, OutboxFeed, Position};
use crate::shutdown::Shutdown;

/// The longest pause after transient failures.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// An [`EventConsumer`] reading an [`OutboxFeed`].
#[derive(Debug)]
pub struct OutboxConsumer {
    consumer: EventConsumer,
    feed: OutboxFeed,
    options: ConsumerOptions,
}

/// Why a round stopped early.
enum Stop {
    Shutdown,
    Unavailable(ConsumerError),
}

impl OutboxConsumer {
    pub fn new(consumer: EventConsumer, feed: OutboxFeed, options: ConsumerOptions) -> Self {
        Self {
            consumer,
            feed,
            options,
        }
    }

    /// Runs until `shutdown`; an event being applied is finished first.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run(shutdown).await })
    }

    async fn run(self, shutdown: Shutdown) {
        let name = self.consumer.name().to_owned();
        let mut wake = self.feed.wake();
        let mut pause = Duration::from_millis(100);
        let mut metrics = tokio::time::Instant::now();
        while !shutdown.is_triggered() {
            let wait = match self.round(&shutdown).await {
                Ok(n) if n as u64 >= self.batch() => continue,
                Ok(_) => {
                    pause = Duration::from_millis(100);
                    self.options.poll_interval
                }
                Err(Stop::Shutdown) => break,
                Err(Stop::Unavailable(e)) => {
                    tracing::warn!(consumer = %name, error = %e, retry_in_ms = pause.as_millis(), "event source or consumer database unavailable; pausing");
                    let wait = pause;
                    pause = (pause * 2).min(MAX_PAUSE);
                    wait
                }
            };
            if metrics.elapsed() >= self.options.metrics_interval {
                metrics = tokio::time::Instant::now();
                let counts = self.consumer.stats.snapshot();
                tracing::debug!(consumer = %name, applied = counts.applied, duplicates = counts.duplicates, failed_attempts = counts.failed_attempts, dead_letters = counts.dead_lettered, "consumer metrics");
            }
            tokio::select! {
                () = shutdown.wait() => break,
                _ = wake.changed() => {},
                () = tokio::time::sleep(wait) => {},
            }
        }
    }

    fn batch(&self) -> u64 {
        self.options.batch as u64
    }

    /// Deals with the rows after the cursor, up to one batch; returns how many.
    async fn round(&self, shutdown: &Shutdown) -> Result<usize, Stop> {
        let name = self.consumer.name();
        let cursor = feed::load(self.consumer.db(), name)
            .await
            .map_err(|e| Stop::Unavailable(e.into()))?;
        let rows = self
            .feed
            .read_after(cursor, self.batch())
            .await
            .map_err(|e| Stop::Unavailable(e.into()))?;
        if self.deliver_batch(&rows, shutdown).await? {
            return Ok(rows.len());
        }
        // One by one, so that only the event at fault counts toward its
        // dead-letter limit. Rows passed over without a transaction of their
        // own: the cursor is saved once for them.
        let mut passed: Option<Position> = None;
        let result = async {
            for row in &rows {
                if shutdown.is_triggered() {
                    return Err(Stop::Shutdown);
                }
                let subject = &row.message.subject;
                if subject.starts_with(DEAD_LETTER_PREFIX)
                    || !subject_matches(&self.options.filter, subject)
                {
                    passed = Some(row.position);
                    continue;
                }
                let span = tracing::info_span!("consume", consumer = name, event_id = %row.message.id, traceparent = row.message.traceparent.as_deref());
                if self.deliver(row, shutdown).instrument(span).await? {
                    passed = None;
                } else {
                    passed = Some(row.position);
                }
            }
            Ok(rows.len())
        }
        .await;
        if let Some(at) = passed {
            feed::save(self.consumer.db(), name, at)
                .await
                .map_err(|e| Stop::Unavailable(e.into()))?;
        }
        result
    }

    /// Applies the events of `rows` the filter takes in one transaction that
    /// moves the cursor past the last row, retrying it while the database is
    /// unavailable; `false` when it must go one by one instead (a single
    /// event, an undecodable one, or a repeatable failure).
    async fn deliver_batch(&self, rows: &[FeedRow], shutdown: &Shutdown) -> Result<bool, Stop> {
        let Some(last) = rows.last() else {
            return Ok(true);
        };
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let subject = &row.message.subject;
            if subject.starts_with(DEAD_LETTER_PREFIX)
                || !subject_matches(&self.options.filter, subject)
            {
                continue;
            }
            match EventConsumer::decode(&row.message.payload) {
                Ok(event) => events.push(event),
                Err(_) => return Ok(false),
            }
        }
        if events.len() < 2 {
            // One event: as one by one, where its failures are counted.
            return Ok(false);
        }
        let mut pause = Duration::from_millis(100);
        loop {
            if shutdown.is_triggered() {
                return Err(Stop::Shutdown);
            }
            match self
                .consumer
                .apply_batch(&events, Some(last.position))
                .await
            {
                Ok(_) => return Ok(true),
                Err(e) if e.is_transient() => {
                    tracing::warn!(consumer = self.consumer.name(), events = events.len(), retry_in_ms = pause.as_millis(), error = %e, "events not applied: unavailable; retrying");
                }
                Err(e) => {
                    tracing::debug!(consumer = self.consumer.name(), events = events.len(), error = %e, "batch not applied; applying its events one by one");
                    return Ok(false);
                }
            }
            tokio::select! {
                () = shutdown.wait() => return Err(Stop::Shutdown),
                () = tokio::time::sleep(pause) => {},
            }
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// Delivers `row` until it is applied or dead-lettered; `true` when the
    /// cursor was saved with it, `false` when the caller is to save it
    /// (the event type has no handler).
    async fn deliver(&self, row: &FeedRow, shutdown: &Shutdown) -> Result<bool, Stop> {
        let mut failures = 0u32;
        let mut pause = Duration::from_millis(100);
        loop {
            let result = match EventConsumer::decode(&row.message.payload) {
                Ok(event) => self.consumer.apply_at(&event, Some(row.position)).await,
                Err(e) => {
                    self.consumer.stats.failed();
                    Err(e)
                }
            };
            let delay = match result {
                Ok(Outcome::Ignored) => return Ok(false),
                Ok(_) => return Ok(true),
                Err(e) if e.is_transient() => {
                    tracing::warn!(subject = %row.message.subject, retry_in_ms = pause.as_millis(), error = %e, "event not applied: unavailable; retrying");
                    let delay = pause;
                    pause = (pause * 2).min(MAX_PAUSE);
                    delay
                }
                Err(e) => {
                    failures += 1;
                    if e.is_permanent() || failures >= self.options.max_deliver {
                        self.dead_letter(row, &e, failures, shutdown).await?;
                        return Ok(true);
                    }
                    let delay = self.options.backoff(failures);
                    tracing::warn!(subject = %row.message.subject, failures, retry_in_ms = delay.as_millis(), error = %e, "event handler failed");
                    delay
                }
            };
            tokio::select! {
                () = shutdown.wait() => return Err(Stop::Shutdown),
                () = tokio::time::sleep(delay) => {},
            }
        }
    }

    /// Keeps `row` as a dead letter and moves the cursor past it, in one
    /// transaction; retried while the database is unavailable.
    async fn dead_letter(
        &self,
        row: &FeedRow,
        error: &ConsumerError,
        failures: u32,
        shutdown: &Shutdown,
    ) -> Result<(), Stop> {
        let name = self.consumer.name();
        let mut pause = Duration::from_millis(100);
        loop {
            let kept = async {
                let txn = self.consumer.db().begin().await?;
                dead_letters::keep(&txn, name, &row.message, &error.to_string(), failures).await?;
                feed::save(&txn, name, row.position).await?;
                txn.commit().await
            }
            .await;
            match kept {
                Ok(()) => {
                    self.consumer.stats.dead_lettered();
                    tracing::error!(consumer = name, subject = %row.message.subject, event_id = %row.message.id, failures, error = %error, "event dead-lettered");
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(consumer = name, error = %e, "cannot keep the dead letter yet; retrying");
                }
            }
            tokio::select! {
                () = shutdown.wait() => return Err(Stop::Shutdown),
                () = tokio::time::sleep(pause) => {},
            }
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}
