//! Event consumers: a registry of handlers by event type, applied at most once
//! per consumer through the `processed_events` inbox written in the handler's
//! own transaction. The same [`EventConsumer`] runs on a durable JetStream pull
//! consumer ([`jetstream`]) or, in the all-in-one, on the producer's outbox
//! table read through a durable cursor ([`outbox`]), so a service's projection
//! code is identical in both modes.
//!
//! Failures are of two kinds. A transient one (a database or bus that is
//! unavailable, a lock or pool timeout) is retried without limit, pausing with
//! backoff, and never dead-lettered. A repeatable one (the handler refused the
//! event, it cannot be decoded) counts toward `max_deliver`, after which the
//! event is dead-lettered and kept until redriven.
//!
//! ```no_run
//! # async fn start(
//! #     db: sea_orm::DatabaseConnection,
//! #     source: nexus_platform::events::EventSource,
//! #     shutdown: nexus_platform::Shutdown,
//! # ) -> Result<(), nexus_platform::events::consumer::ConsumerError> {
//! use nexus_platform::events::consumer::{ConsumerOptions, EventConsumer, HandlerRegistry};
//! use sea_orm::ConnectionTrait as _;
//!
//! let handlers = HandlerRegistry::new().on_fn("user.created", |txn, event| {
//!     Box::pin(async move {
//!         // The projection's change, in the transaction that records the event.
//!         txn.execute_unprepared("UPDATE members SET known = 1").await?;
//!         let _ = event.aggregate_version;
//!         Ok(())
//!     })
//! });
//! EventConsumer::new("tenant-access-users", db, handlers)?
//!     .spawn(&source, ConsumerOptions::new("nexus.identity.user.>"), shutdown);
//! # Ok(())
//! # }
//! ```

mod batch;
mod classify;
mod error;
pub mod jetstream;
mod options;
pub mod outbox;
mod stats;
pub mod version;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures::future::BoxFuture;
use nexus_proto::events::v1::EventEnvelope;
use prost::Message as _;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tracing::Instrument as _;

use super::NatsEventBus;
use super::feed::{self, OutboxFeed, Position};
use crate::inbox;
use crate::shutdown::Shutdown;

pub use error::{ConsumerError, HandlerError};
pub use jetstream::JetStreamConsumer;
pub use options::ConsumerOptions;
pub use outbox::OutboxConsumer;
pub use stats::{ConsumerCounts, ConsumerStats};
pub use version::{DEFAULT_MAX_VERSION_JUMP, check_version_jump};

/// The subject a consumer's dead letters go to on NATS (before any subject
/// prefix). It lies outside `nexus.>`: the dead-letter stream keeps it,
/// without the Nexus stream's max age.
pub fn dead_letter_subject(consumer: &str) -> String {
    format!("{DEAD_LETTER_PREFIX}{consumer}")
}

/// Subjects of dead letters; consumers never apply them.
pub const DEAD_LETTER_PREFIX: &str = "nexus-dlq.";

/// Applies one event type inside the transaction that also records it in the
/// inbox. The handler may read its projection's aggregate version through
/// `txn` and skip an event whose `aggregate_version` is not newer.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// # Errors
    /// The event could not be applied now; it is retried.
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError>;

    /// Applies `events`, all of this handler's and new to the inbox, in
    /// delivery order inside `txn` (which records them). The default applies
    /// them one by one; a handler may do a burst in fewer statements, as long
    /// as the effect is that of the events applied in order.
    ///
    /// # Errors
    /// One of them could not be applied now; none is committed, and the
    /// consumer applies them one by one to find which.
    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&EventEnvelope],
    ) -> Result<(), HandlerError> {
        for event in events {
            self.handle(txn, event).await?;
        }
        Ok(())
    }
}

/// A handler written as a closure returning a boxed future (see
/// [`HandlerRegistry::on_fn`]).
struct FnHandler<F>(F);

#[async_trait]
impl<F> EventHandler for FnHandler<F>
where
    F: for<'a> Fn(
            &'a DatabaseTransaction,
            &'a EventEnvelope,
        ) -> BoxFuture<'a, Result<(), HandlerError>>
        + Send
        + Sync
        + 'static,
{
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        (self.0)(txn, event).await
    }
}

/// Which handler applies which event type (`ce-type`, e.g. `user.created`).
/// Events of other types are acknowledged and ignored.
#[derive(Clone, Default)]
pub struct HandlerRegistry {
    handlers: HashMap<String, Arc<dyn EventHandler>>,
}

impl std::fmt::Debug for HandlerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerRegistry")
            .field("event_types", &self.handlers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl HandlerRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `event_type`, replacing any earlier one.
    #[must_use]
    pub fn on(mut self, event_type: impl Into<String>, handler: impl EventHandler) -> Self {
        self.handlers.insert(event_type.into(), Arc::new(handler));
        self
    }

    /// Registers one shared handler for `event_type` (a handler may serve
    /// several types).
    #[must_use]
    pub fn on_arc(mut self, event_type: impl Into<String>, handler: Arc<dyn EventHandler>) -> Self {
        self.handlers.insert(event_type.into(), handler);
        self
    }

    /// Registers a closure: `|txn, event| Box::pin(async move { … })`.
    #[must_use]
    pub fn on_fn<F>(self, event_type: impl Into<String>, handler: F) -> Self
    where
        F: for<'a> Fn(
                &'a DatabaseTransaction,
                &'a EventEnvelope,
            ) -> BoxFuture<'a, Result<(), HandlerError>>
            + Send
            + Sync
            + 'static,
    {
        self.on(event_type, FnHandler(handler))
    }

    pub fn handles(&self, event_type: &str) -> bool {
        self.handlers.contains_key(event_type)
    }
}

/// What became of a delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler's change and the inbox row were committed.
    Applied,
    /// The inbox already held the event: nothing was changed.
    Duplicate,
    /// No handler is registered for its type.
    Ignored,
}

/// One named consumer of one service: its handlers, its database (where the
/// inbox and its projections live) and its counters.
#[derive(Clone)]
pub struct EventConsumer {
    name: Arc<str>,
    db: DatabaseConnection,
    handlers: Arc<HandlerRegistry>,
    stats: Arc<ConsumerStats>,
}

impl std::fmt::Debug for EventConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventConsumer")
            .field("name", &self.name)
            .field("handlers", &self.handlers)
            .finish_non_exhaustive()
    }
}

impl EventConsumer {
    /// `name` is the durable consumer's name and the inbox key: stable across
    /// restarts and replicas, unique per projection.
    ///
    /// # Errors
    /// A name that is not a single NATS subject token.
    pub fn new(
        name: &str,
        db: DatabaseConnection,
        handlers: HandlerRegistry,
    ) -> Result<Self, ConsumerError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(ConsumerError::InvalidName(name.to_owned()));
        }
        Ok(Self {
            name: name.into(),
            db,
            handlers: Arc::new(handlers),
            stats: Arc::new(ConsumerStats::default()),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn stats(&self) -> Arc<ConsumerStats> {
        self.stats.clone()
    }

    /// Decodes a message payload.
    ///
    /// # Errors
    /// It is not an `EventEnvelope`.
    pub fn decode(payload: &[u8]) -> Result<EventEnvelope, ConsumerError> {
        EventEnvelope::decode(payload).map_err(|e| ConsumerError::Undecodable(e.to_string()))
    }

    /// Applies `event` at most once: in one transaction, records it in the
    /// inbox and runs its handler; commits only if both succeed.
    ///
    /// # Errors
    /// The handler or the database failed; nothing was committed.
    pub async fn apply(&self, event: &EventEnvelope) -> Result<Outcome, ConsumerError> {
        self.apply_at(event, None).await
    }

    /// [`EventConsumer::apply`], also setting the consumer's cursor to `at`
    /// in the same transaction when it is given (an applied or duplicate
    /// event; an ignored one leaves the cursor to the caller).
    ///
    /// # Errors
    /// The handler or the database failed; nothing was committed.
    pub async fn apply_at(
        &self,
        event: &EventEnvelope,
        at: Option<Position>,
    ) -> Result<Outcome, ConsumerError> {
        let handled = self.handlers.handles(&event.r#type);
        let span = crate::telemetry::spans::event_handling(&self.name, event, handled);
        let started = std::time::Instant::now();
        let outcome = self.apply_once(event, at).instrument(span).await;
        self.stats.latency.observe(started.elapsed());
        match &outcome {
            Ok(o) => self.stats.count(*o),
            Err(_) => self.stats.failed(),
        }
        outcome
    }

    async fn apply_once(
        &self,
        event: &EventEnvelope,
        at: Option<Position>,
    ) -> Result<Outcome, ConsumerError> {
        let Some(handler) = self.handlers.handlers.get(&event.r#type) else {
            return Ok(Outcome::Ignored);
        };
        if event.id.is_empty() {
            return Err(ConsumerError::Undecodable("event without id".to_owned()));
        }
        let txn = self.db.begin().await?;
        if !inbox::record(&txn, &self.name, &event.id).await? {
            if let Some(at) = at {
                feed::save(&txn, &self.name, at).await?;
                txn.commit().await?;
            } else {
                txn.rollback().await?;
            }
            return Ok(Outcome::Duplicate);
        }
        if let Err(e) = handler.handle(&txn, event).await {
            txn.rollback().await?;
            return Err(e.into());
        }
        if let Some(at) = at {
            feed::save(&txn, &self.name, at).await?;
        }
        txn.commit().await?;
        Ok(Outcome::Applied)
    }

    /// The database of its inbox, cursor and dead letters.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs this consumer on `source` until `shutdown`.
    pub fn spawn(
        self,
        source: &EventSource,
        options: ConsumerOptions,
        shutdown: Shutdown,
    ) -> tokio::task::JoinHandle<()> {
        match source {
            EventSource::JetStream(bus) => {
                JetStreamConsumer::new(self, bus.clone(), options).spawn(shutdown)
            }
            EventSource::Outbox(feed) => {
                OutboxConsumer::new(self, feed.clone(), options).spawn(shutdown)
            }
        }
    }
}

/// Where a consumer reads events: JetStream, or (all-in-one) the producing
/// service's outbox table.
#[derive(Debug, Clone)]
pub enum EventSource {
    JetStream(Arc<NatsEventBus>),
    Outbox(OutboxFeed),
}

/// Whether NATS `subject` matches `filter` (`*` one token, `>` the rest).
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for f in filter.split('.') {
        match (f, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (f, Some(s)) if f == s => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_match_nats_wildcards() {
        assert!(subject_matches("nexus.>", "nexus.identity.user.created"));
        assert!(subject_matches(
            "nexus.*.user.created",
            "nexus.identity.user.created"
        ));
        assert!(subject_matches("nexus.a.b", "nexus.a.b"));
        assert!(!subject_matches("nexus.a.b", "nexus.a.b.c"));
        assert!(!subject_matches("nexus.a.b.c", "nexus.a.b"));
        assert!(!subject_matches("nexus.>", "nexus"));
        assert!(!subject_matches("nexus.*", "other.x"));
    }

    #[test]
    fn consumer_names_are_single_subject_tokens() {
        let registry = HandlerRegistry::new;
        let db = DatabaseConnection::Disconnected;
        assert!(EventConsumer::new("tenant-access_users", db.clone(), registry()).is_ok());
        for bad in ["", "a.b", "a*", "a b", "a>"] {
            assert!(EventConsumer::new(bad, db.clone(), registry()).is_err());
        }
    }
}
