//! The event-bus port and its two adapters: NATS JetStream for deployments,
//! in-process delivery for observers of the all-in-one. The outbox relay is
//! the only publisher; [`consumer`] applies events from JetStream or, in the
//! all-in-one, straight from the producer's outbox table ([`feed`]).

pub mod consumer;
pub mod dead_letters;
pub mod feed;
pub mod memory;
pub mod nats;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

pub use consumer::{
    ConsumerOptions, EventConsumer, EventHandler, EventSource, HandlerError, HandlerRegistry,
};
pub use memory::InProcessEventBus;
pub use nats::NatsEventBus;

/// One event on its way to the bus: the encoded `EventEnvelope` plus what goes
/// into the message headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusMessage {
    /// The event id (UUIDv7): `ce-id` and `Nats-Msg-Id`.
    pub id: String,
    pub subject: String,
    /// `ce-type`, for example `user.created`.
    pub event_type: String,
    /// `ce-source`, the publishing service.
    pub source: String,
    /// `ce-time`.
    pub time: DateTime<Utc>,
    pub traceparent: Option<String>,
    /// The protobuf-encoded `nexus.events.v1.EventEnvelope`.
    pub payload: Bytes,
}

/// The outbox message of one event: the protobuf `EventEnvelope` built from
/// `meta` and `payload`, with the CloudEvents attributes for the headers. Its
/// `traceparent` is the current span's unless `meta` names one.
pub fn envelope_message(
    meta: &nexus_domain::EventMetadata,
    payload: nexus_proto::events::v1::event_envelope::Payload,
) -> BusMessage {
    use prost::Message as _;
    let traceparent = meta
        .traceparent
        .clone()
        .or_else(crate::telemetry::propagation::current_traceparent);
    let envelope = nexus_proto::events::v1::EventEnvelope {
        id: meta.id.to_string(),
        r#type: meta.event_type.to_owned(),
        source: meta.source.to_owned(),
        aggregate_type: meta.aggregate_type.to_owned(),
        aggregate_id: meta.aggregate_id.clone(),
        aggregate_version: meta.aggregate_version,
        tenant: meta.tenant.clone(),
        occurred_at: Some(crate::time::to_timestamp(meta.occurred_at)),
        actor: meta.actor.clone(),
        traceparent: traceparent.clone(),
        tracestate: None,
        payload: Some(payload),
    };
    BusMessage {
        id: meta.id.to_string(),
        subject: meta.subject(),
        event_type: meta.event_type.to_owned(),
        source: meta.source.to_owned(),
        time: meta.occurred_at,
        traceparent,
        payload: envelope.encode_to_vec().into(),
    }
}

/// Why a publish did not reach the bus. The relay retries.
#[derive(Debug, thiserror::Error)]
pub enum EventBusError {
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    #[error("event bus refused the message: {0}")]
    Rejected(String),
}

/// The acks of messages sent by [`EventBus::start_publish`]: how many of the
/// first ones the bus acknowledged, or an error when not even the first was.
pub type PendingAcks<'a> = futures::future::BoxFuture<'a, Result<usize, EventBusError>>;

/// Where events are published. `publish` returns once the bus has stored the
/// message (a JetStream ack), so the outbox may then mark it sent.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// # Errors
    /// The bus is unreachable or refused the message.
    async fn publish(&self, message: &BusMessage) -> Result<(), EventBusError>;

    /// Publishes `messages` in order and returns how many of the first ones the
    /// bus acknowledged; the rest are to be retried.
    ///
    /// # Errors
    /// Not even the first message was acknowledged.
    async fn publish_all(&self, messages: &[BusMessage]) -> Result<usize, EventBusError> {
        for (done, message) in messages.iter().enumerate() {
            if let Err(e) = self.publish(message).await {
                return if done == 0 { Err(e) } else { Ok(done) };
            }
        }
        Ok(messages.len())
    }

    /// Sends `messages` in order and returns, without waiting for the bus's
    /// acks, a future of how many of the first ones it acknowledged (the
    /// rest are to be retried), so the caller can work while they come. The
    /// default publishes them all before returning.
    ///
    /// # Errors
    /// Not even the first message could be sent (or, by the default, acknowledged).
    async fn start_publish<'a>(
        &'a self,
        messages: &'a [BusMessage],
    ) -> Result<PendingAcks<'a>, EventBusError> {
        let acked = self.publish_all(messages).await?;
        Ok(Box::pin(std::future::ready(Ok(acked))))
    }

    /// Whether the bus is reachable now (readiness probe).
    async fn is_ready(&self) -> bool;
}
