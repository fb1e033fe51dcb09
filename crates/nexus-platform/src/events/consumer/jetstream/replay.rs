//! Replaying a JetStream consumer: from the stream's start after clearing
//! its projection, or from a stream sequence or time by re-creating its
//! durable consumer there.

use async_nats::jetstream::{self, consumer, stream};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use super::{ConsumerError, ConsumerOptions, consumer_config};
use crate::events::NatsEventBus;
use crate::events::consumer::HandlerError;
use crate::inbox;

/// How often a replay tries to put its consumer in place of the one the
/// running service re-creates meanwhile (from the start) before giving up.
const ATTEMPTS: usize = 10;

/// Where a replay on JetStream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayStart {
    /// A JetStream stream sequence.
    Sequence(u64),
    /// The first message stored at or after this time.
    Time(DateTime<Utc>),
}

impl ReplayStart {
    fn policy(self) -> Result<consumer::DeliverPolicy, ConsumerError> {
        Ok(match self {
            Self::Sequence(start_sequence) => {
                consumer::DeliverPolicy::ByStartSequence { start_sequence }
            }
            Self::Time(time) => {
                let nanos = time
                    .timestamp_nanos_opt()
                    .ok_or_else(|| ConsumerError::Bus(format!("time out of range: {time}")))?;
                consumer::DeliverPolicy::ByStartTime {
                    start_time: async_nats::datetime::from_nanos(i128::from(nanos))
                        .map_err(|e| ConsumerError::Bus(e.to_string()))?,
                }
            }
        })
    }
}

/// Whether `a` starts where `b` does (a time as the server echoes it).
fn same_start(a: consumer::DeliverPolicy, b: consumer::DeliverPolicy) -> bool {
    use consumer::DeliverPolicy::{ByStartSequence, ByStartTime};
    match (a, b) {
        (ByStartSequence { start_sequence: a }, ByStartSequence { start_sequence: b }) => a == b,
        (ByStartTime { .. }, ByStartTime { .. }) => true,
        _ => false,
    }
}

fn bus_error(e: impl std::fmt::Display) -> ConsumerError {
    ConsumerError::Bus(e.to_string())
}

/// Deletes the durable consumer `name`; one never created, or deleted
/// already, is fine.
async fn delete(stream: &stream::Stream, name: &str) -> Result<(), ConsumerError> {
    match stream.delete_consumer(name).await {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                stream::ConsumerErrorKind::JetStream(ref js)
                    if js.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(bus_error(e)),
    }
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
        .map_err(bus_error)?;
    delete(&stream, name).await
}

/// Applies again, through the running service, every event of consumer
/// `name` from `start` on: forgets the consumer's inbox (its handlers'
/// version checks keep newer state) and re-creates its durable consumer to
/// deliver from `start`. The runner of a running service keeps pulling from
/// the re-created consumer (it looks it up by name, and never replaces an
/// existing one's configuration). If it fails halfway, calling it again
/// completes it.
///
/// # Errors
/// The database or NATS failed, or the start is out of range.
pub async fn replay_from(
    bus: &NatsEventBus,
    db: &DatabaseConnection,
    name: &str,
    options: &ConsumerOptions,
    start: ReplayStart,
) -> Result<(), ConsumerError> {
    let policy = start.policy()?;
    inbox::clear(db, name).await?;
    bus.ensure_stream().await.map_err(bus_error)?;
    let stream = bus
        .jetstream()
        .get_stream(bus.stream_name())
        .await
        .map_err(bus_error)?;
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        delete(&stream, name).await?;
        // The running service may re-create the consumer (from the start)
        // between the deletion and this creation: then delete it again.
        match stream
            .create_consumer(consumer_config(bus, name, options, policy))
            .await
        {
            Ok(created) => {
                let kept = created.cached_info().config.deliver_policy;
                if same_start(kept, policy) {
                    return Ok(());
                }
                last = format!("it starts at {kept:?}");
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(ConsumerError::Bus(format!(
        "could not re-create consumer {name}: {last}"
    )))
}
