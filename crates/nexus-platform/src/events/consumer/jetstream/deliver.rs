//! Applying the messages of one pull: together in one transaction, acked
//! after its commit; one by one after a repeatable failure, so only the
//! message at fault is redelivered and counts toward `max_deliver`.
//!
//! A transient failure is retried in place, with a growing pause, while the
//! messages are kept from redelivery by "in progress" acks: so JetStream's
//! delivery count, which survives a restart of the consumer, counts the
//! repeatable failures of a message (and deliveries cut short by a crash),
//! and is what the dead-letter limit is checked against.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use nexus_proto::events::v1::EventEnvelope;
use tokio::time::Instant;

use super::{JetStreamConsumer, MAX_PAUSE};
use crate::events::consumer::{ConsumerError, DEAD_LETTER_PREFIX, EventConsumer};
use crate::shutdown::Shutdown;

/// Why messages were not applied.
enum NotApplied {
    Shutdown,
    Failed(ConsumerError),
}

impl JetStreamConsumer {
    /// Applies `messages` (in delivery order) and acks them, or naks and
    /// dead-letters the ones at fault.
    pub(super) async fn deliver(&self, messages: Vec<jetstream::Message>, shutdown: &Shutdown) {
        if let [message] = messages.as_slice() {
            self.deliver_one(message, shutdown).await;
            return;
        }
        let mut events = Vec::with_capacity(messages.len());
        for message in &messages {
            if self.is_dead_letter(message) {
                // A consumer whose filter covers dead letters must not apply them.
                continue;
            }
            match EventConsumer::decode(&message.payload) {
                Ok(event) => events.push(event),
                Err(_) => {
                    events.clear();
                    break;
                }
            }
        }
        if events.len() > 1 && events.len() == messages.len() - self.dead_letters_in(&messages) {
            match self.apply_held(&messages, &events, shutdown).await {
                Ok(()) => {
                    for message in &messages {
                        self.ack(message, AckKind::Ack).await;
                    }
                    return;
                }
                Err(NotApplied::Shutdown) => return,
                Err(NotApplied::Failed(e)) => {
                    tracing::debug!(consumer = self.consumer.name(), messages = messages.len(), error = %e, "batch not applied; applying its events one by one");
                }
            }
        }
        for message in &messages {
            if shutdown.is_triggered() {
                return;
            }
            self.deliver_one(message, shutdown).await;
        }
    }

    async fn deliver_one(&self, message: &jetstream::Message, shutdown: &Shutdown) {
        if self.is_dead_letter(message) {
            self.ack(message, AckKind::Ack).await;
            return;
        }
        let event = match EventConsumer::decode(&message.payload) {
            Ok(event) => event,
            Err(e) => {
                self.consumer.stats.failed();
                self.refuse(message, &e).await;
                return;
            }
        };
        match self
            .apply_held(
                std::slice::from_ref(message),
                std::slice::from_ref(&event),
                shutdown,
            )
            .await
        {
            Ok(()) => self.ack(message, AckKind::Ack).await,
            Err(NotApplied::Shutdown) => {}
            Err(NotApplied::Failed(e)) => self.refuse(message, &e).await,
        }
    }

    /// Applies `events` (those of `messages`), retrying transient failures
    /// without limit while holding the messages.
    async fn apply_held(
        &self,
        messages: &[jetstream::Message],
        events: &[EventEnvelope],
        shutdown: &Shutdown,
    ) -> Result<(), NotApplied> {
        let mut attempts = 0u32;
        loop {
            match self.consumer.apply_batch(events, None).await {
                Ok(_) => return Ok(()),
                Err(e) if e.is_transient() => {
                    attempts += 1;
                    let pause = (self.options.retry_backoff * attempts.min(60)).min(MAX_PAUSE);
                    tracing::warn!(consumer = self.consumer.name(), events = events.len(), attempts, retry_in_ms = pause.as_millis(), error = %e, "events not applied: unavailable; retrying");
                    if !self.hold(messages, pause, shutdown).await {
                        return Err(NotApplied::Shutdown);
                    }
                }
                Err(e) => return Err(NotApplied::Failed(e)),
            }
        }
    }

    /// Waits `pause`, telling JetStream every third of the ack wait that the
    /// messages are still being worked on; `false` on shutdown.
    async fn hold(
        &self,
        messages: &[jetstream::Message],
        pause: Duration,
        shutdown: &Shutdown,
    ) -> bool {
        let step = (self.options.ack_wait / 3).max(Duration::from_millis(10));
        let until = Instant::now() + pause;
        loop {
            let now = Instant::now();
            if now >= until {
                return true;
            }
            tokio::select! {
                () = shutdown.wait() => return false,
                () = tokio::time::sleep((until - now).min(step)) => {},
            }
            for message in messages {
                self.ack(message, AckKind::Progress).await;
            }
        }
    }

    /// A repeatable failure of `message`: naks it with backoff, or on its
    /// `max_deliver`-th delivery (at once when it cannot succeed) publishes it
    /// to the dead-letter stream and terminates it.
    async fn refuse(&self, message: &jetstream::Message, error: &ConsumerError) {
        let name = self.consumer.name();
        let delivered = message
            .info()
            .map_or(1, |i| u32::try_from(i.delivered).unwrap_or(u32::MAX));
        if error.is_permanent() || delivered >= self.options.max_deliver {
            match self.dead_letter(message, error, delivered).await {
                Ok(()) => {
                    self.consumer.stats.dead_lettered();
                    tracing::error!(consumer = name, subject = %message.subject, delivered, error = %error, "event dead-lettered");
                    self.ack(message, AckKind::Term).await;
                }
                Err(dlq) => {
                    tracing::warn!(consumer = name, error = %dlq, "cannot dead-letter; retrying later");
                    let delay = self.options.backoff(delivered);
                    self.ack(message, AckKind::Nak(Some(delay))).await;
                }
            }
        } else {
            let delay = self.options.backoff(delivered);
            tracing::warn!(consumer = name, subject = %message.subject, delivered, retry_in_ms = delay.as_millis(), error = %error, "event handler failed");
            self.ack(message, AckKind::Nak(Some(delay))).await;
        }
    }

    async fn ack(&self, message: &jetstream::Message, kind: AckKind) {
        if let Err(e) = message.ack_with(kind).await {
            // The message comes back after ack_wait; the inbox makes that harmless.
            tracing::warn!(consumer = self.consumer.name(), error = %e, "ack failed");
        }
    }

    fn is_dead_letter(&self, message: &jetstream::Message) -> bool {
        let subject = message.subject.as_str();
        subject
            .strip_prefix(self.bus.subject("").as_str())
            .unwrap_or(subject)
            .starts_with(DEAD_LETTER_PREFIX)
    }

    fn dead_letters_in(&self, messages: &[jetstream::Message]) -> usize {
        messages.iter().filter(|m| self.is_dead_letter(m)).count()
    }
}
