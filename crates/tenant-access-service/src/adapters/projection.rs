//! Feeds the user projection from identity's `user.*` events through a
//! durable consumer (JetStream, or the all-in-one's in-process bus): each
//! event is applied in the transaction that records it in the inbox, so it
//! counts once; version checks make redeliveries and late older events
//! harmless as well.

use std::sync::Arc;

use async_trait::async_trait;
use nexus_domain::{ChangeContext, Clock, IdGenerator, SystemClock, UuidV7Ids};
use nexus_platform::events::consumer::{
    ConsumerError, ConsumerOptions, EventConsumer, EventHandler, HandlerError, HandlerRegistry,
};
use nexus_proto::events::v1::EventEnvelope;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::adapters::db::projection::{delete_user, record_login, upsert};
use crate::adapters::events::identity_user_event;
use crate::application::projection::PROJECTION_ACTOR;
use crate::domain::IdentityUserEvent;

/// The durable name of the consumer (and its inbox key).
pub const CONSUMER_NAME: &str = "tenant-access-users";

/// The events it reads.
pub fn options() -> ConsumerOptions {
    ConsumerOptions::new("nexus.identity.user.>")
}

struct UserEvents {
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
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
        let failed = |e: crate::domain::TenantAccessError| HandlerError::Failed(e.to_string());
        match event {
            IdentityUserEvent::Changed(user) => upsert(txn, &user).await.map_err(failed),
            IdentityUserEvent::LoggedIn { user_id, at } => {
                record_login(txn, &user_id, at).await.map_err(failed)
            }
            IdentityUserEvent::Deleted { user_id, version } => {
                let ctx =
                    ChangeContext::new(PROJECTION_ACTOR, self.clock.as_ref(), self.ids.as_ref());
                delete_user(txn, &user_id, version, &ctx)
                    .await
                    .map_err(failed)
            }
        }
    }
}

/// The consumer of identity user events for the projection in `db`.
///
/// # Errors
/// Never in practice: the consumer name is a valid constant.
pub fn consumer(db: DatabaseConnection) -> Result<EventConsumer, ConsumerError> {
    let handler = Arc::new(UserEvents {
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7Ids),
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
