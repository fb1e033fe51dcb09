//! The dead-letter stream: `<stream>_DLQ`, holding the subjects
//! `nexus-dlq.<consumer>` (with the subject prefix), without a max age, so a
//! dead letter stays until it is redriven or removed by an operator. The
//! Nexus stream's own limits (max age, size) never touch it.

use async_nats::jetstream::stream;
use futures::StreamExt as _;

use super::super::{ConsumerError, DEAD_LETTER_PREFIX, dead_letter_subject};
use crate::events::NatsEventBus;

fn bus_error(e: impl std::fmt::Display) -> ConsumerError {
    ConsumerError::Bus(e.to_string())
}

/// The name of the dead-letter stream of `bus`'s stream.
pub fn stream_name(bus: &NatsEventBus) -> String {
    format!("{}_DLQ", bus.stream_name())
}

/// Creates the dead-letter stream when missing, with as many replicas as the
/// Nexus stream.
///
/// # Errors
/// NATS unreachable, or the stream refused.
pub async fn ensure_stream(bus: &NatsEventBus) -> Result<stream::Stream, ConsumerError> {
    let replicas = match bus.jetstream().get_stream(bus.stream_name()).await {
        Ok(mut main) => main.info().await.map_or(1, |i| i.config.num_replicas),
        Err(_) => 1,
    };
    bus.jetstream()
        .get_or_create_stream(stream::Config {
            name: stream_name(bus),
            subjects: vec![bus.subject(&format!("{DEAD_LETTER_PREFIX}>"))],
            storage: stream::StorageType::File,
            num_replicas: replicas,
            // No max age, size or count: dead letters are kept until redriven.
            ..stream::Config::default()
        })
        .await
        .map_err(bus_error)
}

/// How many dead letters of consumer `name` the dead-letter stream holds.
///
/// # Errors
/// NATS unreachable.
pub async fn count(bus: &NatsEventBus, name: &str) -> Result<u64, ConsumerError> {
    let stream = ensure_stream(bus).await?;
    let subject = bus.subject(&dead_letter_subject(name));
    let mut subjects = stream
        .info_with_subjects(&subject)
        .await
        .map_err(bus_error)?;
    let mut total = 0u64;
    while let Some(entry) = subjects.next().await {
        let (_, n) = entry.map_err(bus_error)?;
        total += n as u64;
    }
    Ok(total)
}
