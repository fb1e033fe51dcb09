//! Feeds the user projection from identity's `user.*` events through a
//! durable consumer (JetStream, or the all-in-one's in-process bus): each
//! event is decoded here and applied by [`ProjectionService`] in the
//! transaction that records it in the inbox, so it counts once; version checks
//! make redeliveries and late older events harmless as well.

use std::sync::Arc;

use async_trait::async_trait;
use nexus_domain::{SystemClock, UuidV7Ids};
use nexus_platform::events::consumer::{
    ConsumerError, ConsumerOptions, EventConsumer, EventHandler, HandlerError, HandlerRegistry,
};
use nexus_proto::events::v1::EventEnvelope;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::adapters::db::SeaOrmMemberUserProjection;
use crate::adapters::events::identity_user_event;
use crate::application::ProjectionService;

/// The durable name of the consumer (and its inbox key).
pub const CONSUMER_NAME: &str = "tenant-access-users";

/// The events it reads.
pub fn options() -> ConsumerOptions {
    ConsumerOptions::new("nexus.identity.user.>")
}

struct UserEvents {
    service: ProjectionService,
}

#[async_trait]
impl EventHandler for UserEvents {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        let Some(event) = identity_user_event(event) else {
            return Ok(());
        };
        self.service
            .apply(&SeaOrmMemberUserProjection::new(txn), &event)
            .await
            .map_err(|e| HandlerError::Failed(e.to_string()))
    }
}

/// The consumer of identity user events for the projection in `db`.
///
/// # Errors
/// Never in practice: the consumer name is a valid constant.
pub fn consumer(db: DatabaseConnection) -> Result<EventConsumer, ConsumerError> {
    let handler = Arc::new(UserEvents {
        service: ProjectionService::new(Arc::new(SystemClock), Arc::new(UuidV7Ids)),
    });
    let mut handlers = HandlerRegistry::new();
    for event_type in [
        "user.created",
        "user.updated",
        "user.deleted",
        "user.logged_in",
    ] {
        handlers = handlers.on_arc(event_type, handler.clone());
    }
    EventConsumer::new(CONSUMER_NAME, db, handlers)
}
