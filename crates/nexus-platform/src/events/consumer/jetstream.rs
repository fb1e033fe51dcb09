//! Runs an [`EventConsumer`] on a durable JetStream pull consumer. It pulls
//! the messages already available, up to a batch (waiting only for the
//! first), applies them in one transaction and acks each after the commit.
//! A transient failure (database unavailable, lock or pool timeout) is
//! retried in place with backoff, without limit, while the messages are kept
//! from redelivery ([`deliver`]); so JetStream's delivery count of a message
//! counts only its repeatable failures (and deliveries cut short by a crash
//! or restart), and survives restarts. After a repeatable failure the batch
//! is applied one by one: the message at fault is redelivered with backoff,
//! and on its `max_deliver`-th delivery it is published to the consumer's
//! subject in the dead-letter stream ([`dlq`], kept without max age) and
//! terminated, so the consumer goes on with the next event. Also the
//! consumer's metrics (lag, dead letters) and its replay from the stream's start.

mod deliver;
pub mod dlq;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt as _;
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use super::{ConsumerError, ConsumerOptions, EventConsumer, HandlerError, dead_letter_subject};
use crate::events::NatsEventBus;
use crate::inbox;
use crate::shutdown::Shutdown;

const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(10);
/// The longest pause before retrying after a transient failure.
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long an idle consumer waits for a message before it checks that its
/// durable consumer still exists (a replay deletes it).
const IDLE_WAIT: Duration = Duration::from_secs(5);
/// How long a pull may take beyond its own expiry before it is given up.
const PULL_TIMEOUT: Duration = Duration::from_secs(10);

/// An [`EventConsumer`] reading a durable JetStream consumer of the same name.
#[derive(Debug)]
pub struct JetStreamConsumer {
    consumer: EventConsumer,
    bus: Arc<NatsEventBus>,
    options: ConsumerOptions,
}

/// Why the pull loop stopped.
enum Stop {
    Shutdown,
    /// Nothing came for a while: check the durable consumer and go on.
    Idle,
    Failed(ConsumerError),
}

impl JetStreamConsumer {
    pub fn new(consumer: EventConsumer, bus: Arc<NatsEventBus>, options: ConsumerOptions) -> Self {
        Self {
            consumer,
            bus,
            options,
        }
    }

    /// Runs until `shutdown`, re-creating the pull consumer (with backoff)
    /// whenever NATS goes away or the durable consumer is deleted for a replay.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run(shutdown).await })
    }

    async fn run(self, shutdown: Shutdown) {
        let mut backoff = Duration::from_millis(100);
        let mut metrics = Instant::now();
        while !shutdown.is_triggered() {
            let stop = match pull_consumer(&self.bus, self.consumer.name(), &self.options).await {
                Ok(pull) => {
                    backoff = Duration::from_millis(100);
                    self.pull(&pull, &shutdown, &mut metrics).await
                }
                Err(e) => Stop::Failed(e),
            };
            match stop {
                Stop::Shutdown => break,
                Stop::Idle => continue,
                Stop::Failed(e) => {
                    tracing::warn!(consumer = self.consumer.name(), error = %e, retry_in_ms = backoff.as_millis(), "cannot pull from JetStream; trying again");
                }
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(backoff) => {},
            }
            backoff = (backoff * 2).min(MAX_RECONNECT_BACKOFF);
        }
    }

    /// Pulls and applies batches until shutdown, an idle wait or a failure.
    async fn pull(
        &self,
        pull: &consumer::PullConsumer,
        shutdown: &Shutdown,
        metrics: &mut Instant,
    ) -> Stop {
        loop {
            if shutdown.is_triggered() {
                return Stop::Shutdown;
            }
            if metrics.elapsed() >= self.options.metrics_interval {
                *metrics = Instant::now();
                self.log_metrics().await;
            }
            let mut batch = match fetch(pull, self.options.batch).await {
                Ok(batch) => batch,
                Err(e) => return Stop::Failed(e),
            };
            if batch.is_empty() {
                // Wait for one message only: a message pulled is held by this
                // consumer, so none waits unapplied while its ack time runs.
                let first = tokio::select! {
                    () = shutdown.wait() => return Stop::Shutdown,
                    first = wait_for_one(pull) => first,
                };
                match first {
                    Ok(Some(message)) => batch.push(message),
                    Ok(None) => return Stop::Idle,
                    Err(e) => return Stop::Failed(e),
                }
                match fetch(pull, self.options.batch.saturating_sub(1)).await {
                    Ok(more) => batch.extend(more),
                    Err(e) => {
                        self.deliver(batch, shutdown).await;
                        return Stop::Failed(e);
                    }
                }
            }
            self.deliver(batch, shutdown).await;
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

/// The messages available now, up to `n`, without waiting for more.
async fn fetch(
    pull: &consumer::PullConsumer,
    n: usize,
) -> Result<Vec<jetstream::Message>, ConsumerError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let collect = async {
        let mut batch = pull
            .fetch()
            .max_messages(n)
            .messages()
            .await
            .map_err(|e| ConsumerError::Bus(e.to_string()))?;
        let mut messages = Vec::with_capacity(n);
        while let Some(message) = batch.next().await {
            messages.push(message.map_err(|e| ConsumerError::Bus(e.to_string()))?);
        }
        Ok(messages)
    };
    tokio::time::timeout(PULL_TIMEOUT, collect)
        .await
        .map_err(|_| ConsumerError::Bus("JetStream pull timed out".to_owned()))?
}

/// The next message, waiting up to [`IDLE_WAIT`] for it.
async fn wait_for_one(
    pull: &consumer::PullConsumer,
) -> Result<Option<jetstream::Message>, ConsumerError> {
    let mut batch = pull
        .batch()
        .max_messages(1)
        .expires(IDLE_WAIT)
        .messages()
        .await
        .map_err(|e| ConsumerError::Bus(e.to_string()))?;
    match tokio::time::timeout(IDLE_WAIT + PULL_TIMEOUT, batch.next()).await {
        Ok(Some(Ok(message))) => Ok(Some(message)),
        Ok(Some(Err(e))) => Err(ConsumerError::Bus(e.to_string())),
        Ok(None) => Ok(None),
        Err(_) => Err(ConsumerError::Bus("JetStream pull timed out".to_owned())),
    }
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
