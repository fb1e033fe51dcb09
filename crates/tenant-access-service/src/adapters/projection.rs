//! Feeds the user projection from the all-in-one's in-process event bus.
//! A stand-in for a durable consumer: events published while the process is
//! down, or dropped because this subscriber lagged, are not replayed.

use std::sync::Arc;

use nexus_domain::{SystemClock, UuidV7Ids};
use nexus_platform::outbox::OutboxSignal;
use nexus_platform::{BusMessage, Shutdown};
use nexus_proto::events::v1::EventEnvelope;
use prost::Message as _;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use crate::adapters::db::SeaOrmTenantAccessStore;
use crate::adapters::events::identity_user_event;
use crate::application::ProjectionService;

/// Applies every identity user event received on `events` to the projection
/// in `db`, until `shutdown`.
pub fn spawn_in_process(
    mut events: Receiver<BusMessage>,
    db: DatabaseConnection,
    signal: OutboxSignal,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    let service = ProjectionService::new(
        SeaOrmTenantAccessStore::new(db, signal),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    tokio::spawn(async move {
        loop {
            let message = tokio::select! {
                () = shutdown.wait() => break,
                received = events.recv() => match received {
                    Ok(message) => message,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "user projection missed events");
                        continue;
                    }
                    Err(RecvError::Closed) => break,
                },
            };
            let Ok(envelope) = EventEnvelope::decode(message.payload.as_ref()) else {
                tracing::warn!(id = %message.id, "undecodable event ignored");
                continue;
            };
            let Some(event) = identity_user_event(&envelope) else {
                continue;
            };
            if let Err(e) = service.apply(&event).await {
                tracing::error!(id = %message.id, error = %e, "user projection failed");
            }
        }
    })
}
