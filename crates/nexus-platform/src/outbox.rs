//! The transactional outbox: a service writes each event into its own `outbox`
//! table in the same transaction as the change it describes, so a rolled-back
//! change leaves no event and a committed one cannot lose its event. The
//! [`relay`] publishes pending rows in order and marks them sent; a row the
//! bus refuses for good is [`parked`].

pub mod migration;
pub mod parked;
pub mod relay;

use std::sync::Arc;

use sea_orm::DeriveIden;
use sea_orm::sea_query::Query;
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::{Notify, watch};

use crate::events::BusMessage;

pub use relay::OutboxRelay;

/// The outbox table and its columns.
#[derive(Debug, Clone, Copy, DeriveIden)]
pub enum Outbox {
    Table,
    Seq,
    EventId,
    Subject,
    EventType,
    Source,
    OccurredAt,
    Traceparent,
    Payload,
    SentAt,
}

/// Writes `message` into the outbox through `conn`, which should be the
/// transaction that makes the change. A message without a `traceparent`
/// gets the current span's.
///
/// # Errors
/// The database refused the row.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, message: &BusMessage) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table(Outbox::Table)
        .columns([
            Outbox::EventId,
            Outbox::Subject,
            Outbox::EventType,
            Outbox::Source,
            Outbox::OccurredAt,
            Outbox::Traceparent,
            Outbox::Payload,
        ])
        .values([
            message.id.clone().into(),
            message.subject.clone().into(),
            message.event_type.clone().into(),
            message.source.clone().into(),
            message.time.into(),
            message
                .traceparent
                .clone()
                .or_else(crate::telemetry::propagation::current_traceparent)
                .into(),
            message.payload.to_vec().into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    Ok(())
}

/// Wakes the relay, and every consumer reading the outbox directly, right
/// after a commit, so events leave without waiting for the next poll.
#[derive(Debug, Clone)]
pub struct OutboxSignal {
    relay: Arc<Notify>,
    readers: Arc<watch::Sender<u64>>,
}

impl Default for OutboxSignal {
    fn default() -> Self {
        Self {
            relay: Arc::default(),
            readers: Arc::new(watch::channel(0).0),
        }
    }
}

impl OutboxSignal {
    pub fn new() -> Self {
        Self::default()
    }

    /// Call after committing a transaction that wrote to the outbox.
    pub fn notify(&self) {
        self.relay.notify_one();
        self.readers.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) async fn notified(&self) {
        self.relay.notified().await;
    }

    /// A receiver that changes at every [`OutboxSignal::notify`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.readers.subscribe()
    }
}
