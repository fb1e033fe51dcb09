//! Applying a burst of events in one transaction: one multi-row inbox insert
//! tells which are new, each run of consecutive events of one handler goes to
//! its [`EventHandler::handle_batch`] in delivery order, and the transaction
//! commits once (with the consumer's cursor, when it reads an outbox table).
//! A failure rolls all of it back; the runners then retry the batch (a
//! transient failure) or apply its events one by one, so only the event at
//! fault counts toward its dead-letter limit.

use std::sync::Arc;
use std::time::Instant;

use nexus_proto::events::v1::EventEnvelope;
use sea_orm::TransactionTrait as _;
use tracing::{Instrument as _, Span};

use super::{ConsumerError, EventConsumer, EventHandler, Outcome};
use crate::events::feed::{self, Position};
use crate::inbox;

impl EventConsumer {
    /// Applies `events` in delivery order, each at most once, in one
    /// transaction that records the new ones in the inbox and, when `at` is
    /// given, sets the consumer's cursor to it (also when none of `events`
    /// has a handler). Returns the outcome of each event.
    ///
    /// # Errors
    /// A handler or the database failed; nothing was committed.
    pub async fn apply_batch(
        &self,
        events: &[EventEnvelope],
        at: Option<Position>,
    ) -> Result<Vec<Outcome>, ConsumerError> {
        let handled: Vec<(usize, &Arc<dyn EventHandler>)> = events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| self.handlers.handlers.get(&e.r#type).map(|h| (i, h)))
            .collect();
        // One consumer span per event, each in its producer's trace; the
        // transaction's own spans go under the first.
        let spans: Vec<Span> = handled
            .iter()
            .map(|(i, _)| crate::telemetry::spans::event_handling(&self.name, &events[*i], true))
            .collect();
        let parent = spans.first().cloned().unwrap_or_else(Span::none);
        let started = Instant::now();
        let result = self
            .apply_batch_once(events, &handled, at)
            .instrument(parent)
            .await;
        drop(spans);
        if !handled.is_empty() {
            self.stats.latency.observe(started.elapsed());
        }
        match &result {
            Ok(outcomes) => outcomes.iter().for_each(|o| self.stats.count(*o)),
            // A repeatable failure of several events is no attempt of any one:
            // they are applied one by one next, and those attempts count.
            Err(e) if handled.len() > 1 && !e.is_transient() => {}
            Err(_) => self.stats.failed(),
        }
        result
    }

    async fn apply_batch_once(
        &self,
        events: &[EventEnvelope],
        handled: &[(usize, &Arc<dyn EventHandler>)],
        at: Option<Position>,
    ) -> Result<Vec<Outcome>, ConsumerError> {
        let mut outcomes = vec![Outcome::Ignored; events.len()];
        if handled.is_empty() {
            if let Some(at) = at {
                feed::save(&self.db, &self.name, at).await?;
            }
            return Ok(outcomes);
        }
        if handled.iter().any(|(i, _)| events[*i].id.is_empty()) {
            return Err(ConsumerError::Undecodable("event without id".to_owned()));
        }
        let ids: Vec<&str> = handled
            .iter()
            .map(|(i, _)| events[*i].id.as_str())
            .collect();
        let txn = self.db.begin().await?;
        let applied = async {
            let mut new = inbox::record_all(&txn, &self.name, &ids).await?;
            let mut run: Vec<&EventEnvelope> = Vec::with_capacity(handled.len());
            let mut run_handler: Option<&Arc<dyn EventHandler>> = None;
            for &(i, handler) in handled {
                let event = &events[i];
                if !new.remove(event.id.as_str()) {
                    outcomes[i] = Outcome::Duplicate;
                    continue;
                }
                outcomes[i] = Outcome::Applied;
                if let Some(current) = run_handler
                    && !Arc::ptr_eq(current, handler)
                {
                    current.handle_batch(&txn, &run).await?;
                    run.clear();
                }
                run_handler = Some(handler);
                run.push(event);
            }
            if let Some(current) = run_handler
                && !run.is_empty()
            {
                current.handle_batch(&txn, &run).await?;
            }
            if let Some(at) = at {
                feed::save(&txn, &self.name, at).await?;
            }
            Ok::<(), ConsumerError>(())
        }
        .await;
        match applied {
            Ok(()) => {
                txn.commit().await?;
                Ok(outcomes)
            }
            Err(e) => {
                // The handler's error says more than a failed rollback would
                // (the transaction ends with its connection either way).
                let _ = txn.rollback().await;
                Err(e)
            }
        }
    }
}
