//! Feeds the user projection from identity's `user.*` events through a
//! durable consumer (JetStream, or the all-in-one's in-process bus): each
//! event is decoded here and applied by [`ProjectionService`] in the
//! transaction that records it in the inbox, so it counts once; version checks
//! make redeliveries and late older events harmless as well. An event more
//! than the configured bound above the copy's version is refused and
//! dead-lettered with that reason.

use std::sync::Arc;

use async_trait::async_trait;
use nexus_domain::{SystemClock, UuidV7Ids};
use nexus_platform::events::consumer::{
    ConsumerError, ConsumerOptions, EventConsumer, EventHandler, HandlerError, HandlerRegistry,
    check_version_jump,
};
use nexus_proto::events::v1::EventEnvelope;
use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait as _};

use crate::adapters::db::SeaOrmMemberUserProjection;
use crate::adapters::db::entities::member_users;
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
    max_version_jump: u64,
}

#[async_trait]
impl EventHandler for UserEvents {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        let Some(decoded) = identity_user_event(event) else {
            return Ok(());
        };
        let held = member_users::Entity::find_by_id(event.aggregate_id.clone())
            .one(txn)
            .await?
            .map(|row| row.version);
        check_version_jump(held, event.aggregate_version, self.max_version_jump)?;
        let event = decoded;
        self.service
            .apply(&SeaOrmMemberUserProjection::new(txn), &event)
            .await
            .map_err(|e| HandlerError::Failed(e.to_string()))
    }
}

/// The consumer of identity user events for the projection in `db`; it
/// refuses an event more than `max_version_jump` versions above the copy's
/// (0: no bound).
///
/// # Errors
/// Never in practice: the consumer name is a valid constant.
pub fn consumer(
    db: DatabaseConnection,
    max_version_jump: u64,
) -> Result<EventConsumer, ConsumerError> {
    let handler = Arc::new(UserEvents {
        service: ProjectionService::new(Arc::new(SystemClock), Arc::new(UuidV7Ids)),
        max_version_jump,
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
