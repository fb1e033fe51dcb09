//! Runs an [`EventConsumer`] on a durable JetStream pull consumer: acks after
//! the handler's commit and naks with backoff on failure. A transient failure
//! (database unavailable, lock or pool timeout) is redelivered without limit;
//! after `max_deliver` repeatable failures the message is published to the
//! consumer's subject in the dead-letter stream ([`dlq`], kept without max
//! age) and terminated, so the consumer goes on with the next event. Also the
//! consumer's metrics (lag, dead letters) and its replay from the stream's start.

pub mod dlq;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer, stream};
use futures::StreamExt as _;
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use super::{
    ConsumerError, ConsumerOptions, DEAD_LETTER_PREFIX, EventConsumer, HandlerError,
    dead_letter_subject,
};
use crate::events::NatsEventBus;
use crate::inbox;
use crate::shutdown::Shutdown;

const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(10);
/// The longest pause before redelivering after a transient failure.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// An [`EventConsumer`] reading a durable JetStream consumer of the same name.
#[derive(Debug)]
pub struct JetStreamConsumer {
    consumer: EventConsumer,
    bus: Arc<NatsEventBus>,
    options: ConsumerOptions,
    /// Repeatable failures of the messages being retried, by stream sequence
    /// (JetStream's delivery count also counts transient failures).
    failures: Mutex<HashMap<u64, u32>>,
}

impl JetStreamConsumer {
    pub fn new(consumer: EventConsumer, bus: Arc<NatsEventBus>, options: ConsumerOptions) -> Self {
        Self {
            consumer,
            bus,
            options,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one more repeatable failure of message `seq`; returns the total.
    fn failed_again(&self, seq: u64) -> u32 {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let n = failures.entry(seq).or_insert(0);
        *n += 1;
        *n
    }

    fn forget(&self, seq: u64) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&seq);
    }

    /// Runs until `shutdown`, re-creating the pull subscription (with backoff)
    /// whenever NATS goes away or the durable consumer is deleted for a replay.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run(shutdown).await })
    }

    async fn run(self, shutdown: Shutdown) {
        let mut backoff = Duration::from_millis(100);
        let mut metrics = tokio::time::interval(self.options.metrics_interval);
        'subscribe: while !shutdown.is_triggered() {
            let mut messages = match self.subscribe().await {
                Ok(m) => {
                    backoff = Duration::from_millis(100);
                    m
                }
                Err(e) => {
                    tracing::warn!(consumer = self.consumer.name(), error = %e, retry_in_ms = backoff.as_millis(), "cannot subscribe to JetStream");
                    tokio::select! {
                        () = shutdown.wait() => break,
                        () = tokio::time::sleep(backoff) => {},
                    }
                    backoff = (backoff * 2).min(MAX_RECONNECT_BACKOFF);
                    continue;
                }
            };
            loop {
                tokio::select! {
                    () = shutdown.wait() => break 'subscribe,
                    _ = metrics.tick() => self.log_metrics().await,
                    next = messages.next() => match next {
                        Some(Ok(message)) => self.handle(message).await,
                        Some(Err(e)) => {
                            tracing::debug!(consumer = self.consumer.name(), error = %e, "JetStream pull interrupted; subscribing again");
                            break;
                        }
                        None => break,
                    },
                }
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(backoff) => {},
            }
            backoff = (backoff * 2).min(MAX_RECONNECT_BACKOFF);
        }
    }

    async fn subscribe(&self) -> Result<consumer::pull::Stream, ConsumerError> {
        let pull = pull_consumer(&self.bus, self.consumer.name(), &self.options).await?;
        pull.stream()
            .max_messages_per_batch(self.options.batch)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(|e| ConsumerError::Bus(e.to_string()))
    }

    async fn handle(&self, message: jetstream::Message) {
        let name = self.consumer.name();
        let delivered = message
            .info()
            .map_or(1, |i| u32::try_from(i.delivered).unwrap_or(u32::MAX));
        let seq = message.info().map_or(0, |i| i.stream_sequence);
        let unprefixed = message
            .subject
            .as_str()
            .strip_prefix(self.bus.subject("").as_str())
            .unwrap_or(message.subject.as_str());
        let result = if unprefixed.starts_with(DEAD_LETTER_PREFIX) {
            // A consumer whose filter covers dead letters must not apply them.
            Ok(super::Outcome::Ignored)
        } else {
            match EventConsumer::decode(&message.payload) {
                Ok(event) => self.consumer.apply(&event).await,
                Err(e) => {
                    self.consumer.stats.failed();
                    Err(e)
                }
            }
        };
        let ack = match result {
            Ok(_) => {
                self.forget(seq);
                message.ack().await
            }
            Err(e) if e.is_transient() => {
                let delay = (self.options.retry_backoff * delivered.min(60)).min(MAX_PAUSE);
                tracing::warn!(consumer = name, subject = %message.subject, delivered, retry_in_ms = delay.as_millis(), error = %e, "event not applied: unavailable; retrying");
                message.ack_with(AckKind::Nak(Some(delay))).await
            }
            Err(e) => {
                let failures = self.failed_again(seq);
                if e.is_permanent() || failures >= self.options.max_deliver {
                    match self.dead_letter(&message, &e, failures).await {
                        Ok(()) => {
                            self.forget(seq);
                            self.consumer.stats.dead_lettered();
                            tracing::error!(consumer = name, subject = %message.subject, failures, error = %e, "event dead-lettered");
                            message.ack_with(AckKind::Term).await
                        }
                        Err(dlq) => {
                            tracing::warn!(consumer = name, error = %dlq, "cannot dead-letter; retrying later");
                            message
                                .ack_with(AckKind::Nak(Some(self.options.backoff(failures))))
                                .await
                        }
                    }
                } else {
                    let delay = self.options.backoff(failures);
                    tracing::warn!(consumer = name, subject = %message.subject, failures, retry_in_ms = delay.as_millis(), error = %e, "event handler failed");
                    message.ack_with(AckKind::Nak(Some(delay))).await
                }
            }
        };
        if let Err(e) = ack {
            // The message comes back after ack_wait; the inbox makes that harmless.
            tracing::warn!(consumer = name, error = %e, "ack failed");
        }
    }

    /// Publishes `message` to the dead-letter stream with its headers, the
    /// error and where it came from. Its `Nats-Msg-Id` is derived from the
    /// original, so a dead letter published twice is stored once.
    async fn dead_letter(
        &self,
        message: &jetstream::Message,
        error: &ConsumerError,
        failures: u32,
    ) -> Result<(), ConsumerError> {
        dlq::ensure_stream(&self.bus).await?;
        let name = self.consumer.name();
        let mut headers = message.headers.clone().unwrap_or_default();
        let origin = headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_owned())
            .or_else(|| message.info().ok().map(|i| i.stream_sequence.to_string()))
            .unwrap_or_default();
        headers.insert("Nats-Msg-Id", format!("dlq:{name}:{origin}").as_str());
        headers.insert("nexus-dlq-consumer", name);
        headers.insert("nexus-dlq-subject", message.subject.as_str());
        headers.insert("nexus-dlq-error", header_value(&error.to_string()).as_str());
        headers.insert("nexus-dlq-failures", failures.to_string().as_str());
        if let Ok(info) = message.info() {
            headers.insert(
                "nexus-dlq-stream-seq",
                info.stream_sequence.to_string().as_str(),
            );
            headers.insert("nexus-dlq-delivered", info.delivered.to_string().as_str());
        }
        self.bus
            .jetstream()
            .publish_with_headers(
                self.bus.subject(&dead_letter_subject(name)),
                headers,
                message.payload.clone(),
            )
            .await
            .map_err(|e| ConsumerError::Bus(e.to_string()))?
            .await
            .map_err(|e| ConsumerError::Bus(e.to_string()))?;
        Ok(())
    }

    async fn log_metrics(&self) {
        let name = self.consumer.name();
        let lag = consumer_lag(&self.bus, name).await;
        let dead = dead_letter_count(&self.bus, name).await;
        let counts = self.consumer.stats.snapshot();
        tracing::debug!(
            consumer = name,
            lag = ?lag.ok(),
            dead_letters = ?dead.ok(),
            applied = counts.applied,
            duplicates = counts.duplicates,
            failed_attempts = counts.failed_attempts,
            "consumer metrics"
        );
    }
}

/// A header value on one line, of bounded length.
fn header_value(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(512)
        .collect()
}

/// The durable pull consumer `name`, created when missing: all of the stream
/// from its start, explicit acks. JetStream's own `max_deliver` stays unbounded
/// because the runner bounds deliveries itself: a server-side bound would park
/// a message silently when the process dies during its last delivery, before
/// it could be dead-lettered.
///
/// # Errors
/// NATS unreachable, or the consumer refused.
pub async fn pull_consumer(
    bus: &NatsEventBus,
    name: &str,
    options: &ConsumerOptions,
) -> Result<consumer::PullConsumer, ConsumerError> {
    bus.ensure_stream()
        .await
        .map_err(|e| ConsumerError::Bus(e.to_string()))?;
    let stream = bus
        .jetstream()
        .get_stream(bus.stream_name())
        .await
        .map_err(|e| ConsumerError::Bus(e.to_string()))?;
    stream
        .get_or_create_consumer(
            name,
            consumer::pull::Config {
                durable_name: Some(name.to_owned()),
                filter_subject: bus.subject(&options.filter),
                ack_policy: consumer::AckPolicy::Explicit,
                deliver_policy: consumer::DeliverPolicy::All,
                ack_wait: options.ack_wait,
                max_deliver: -1,
                ..consumer::pull::Config::default()
            },
        )
        .await
        .map_err(|e| ConsumerError::Bus(e.to_string()))
}

/// Consumer lag: messages of the stream the durable consumer `name` has not
/// been delivered yet (JetStream's `num_pending`).
///
/// # Errors
/// NATS unreachable, or no such consumer.
pub async fn consumer_lag(bus: &NatsEventBus, name: &str) -> Result<u64, ConsumerError> {
    let stream = bus
        .jetstream()
        .get_stream(bus.stream_name())
        .await
        .map_err(|e| ConsumerError::Bus(e.to_string()))?;
    let info = stream
        .consumer_info(name)
        .await
        .map_err(|e| ConsumerError::Bus(e.to_string()))?;
    Ok(info.num_pending)
}

/// How many dead letters of consumer `name` the dead-letter stream holds.
///
/// # Errors
/// NATS unreachable.
pub async fn dead_letter_count(bus: &NatsEventBus, name: &str) -> Result<u64, ConsumerError> {
    dlq::count(bus, name).await
}

/// Rebuilds a projection from the stream's start: in one transaction runs
/// `reset` (which clears the projection's tables) and forgets the consumer's
/// inbox, then deletes the durable consumer; its runner re-creates it, with
/// `DeliverPolicy::All`, and every event in the stream is applied again. If
/// it fails halfway, calling it again completes it.
///
/// # Errors
/// The database or NATS failed.
pub async fn replay_from_start<R>(
    bus: &NatsEventBus,
    db: &DatabaseConnection,
    name: &str,
    reset: R,
) -> Result<(), ConsumerError>
where
    R: for<'a> FnOnce(&'a DatabaseTransaction) -> BoxFuture<'a, Result<(), HandlerError>>,
{
    let txn = db.begin().await?;
    reset(&txn).await?;
    inbox::clear(&txn, name).await?;
    txn.commit().await?;
    let stream = bus
        .jetstream()
        .get_stream(bus.stream_name())
        .await
        .map_err(|e| ConsumerError::Bus(e.to_string()))?;
    match stream.delete_consumer(name).await {
        Ok(_) => Ok(()),
        // Never created, or already deleted by an earlier, interrupted replay.
        Err(e)
            if matches!(
                e.kind(),
                stream::ConsumerErrorKind::JetStream(ref js)
                    if js.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(ConsumerError::Bus(e.to_string())),
    }
}
