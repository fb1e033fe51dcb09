//! Consumes identity's `user.deleted`: a deleted user's custom UPNs are
//! deleted too, in the transaction that records the event in the inbox (so
//! it happens once), each with its `custom_upn.deleted` event.

use std::sync::Arc;

use async_trait::async_trait;
use nexus_domain::{ChangeContext, Clock, IdGenerator, SystemClock, UserId, UuidV7Ids};
use nexus_platform::events::consumer::{
    ConsumerError, ConsumerOptions, EventConsumer, EventHandler, HandlerError, HandlerRegistry,
};
use nexus_proto::events::v1::EventEnvelope;
use nexus_proto::events::v1::event_envelope::Payload;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::adapters::db::upn_repository::delete_all_of_user_in;

/// The durable name of the consumer (and its inbox key).
pub const CONSUMER_NAME: &str = "upn-users";

/// The actor recorded on the deletions.
const ACTOR: &str = "upn";

/// The events it reads.
pub fn options() -> ConsumerOptions {
    ConsumerOptions::new("nexus.identity.user.deleted")
}

struct UserDeleted {
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

#[async_trait]
impl EventHandler for UserDeleted {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        let Some(Payload::UserDeleted(deleted)) = &event.payload else {
            return Ok(());
        };
        let user =
            UserId::parse(&deleted.user_id).map_err(|e| HandlerError::Failed(e.to_string()))?;
        let ctx = ChangeContext::new(ACTOR, self.clock.as_ref(), self.ids.as_ref());
        delete_all_of_user_in(txn, &user, &ctx)
            .await
            .map(|_| ())
            .map_err(|e| HandlerError::Failed(e.to_string()))
    }
}

/// The consumer of identity `user.deleted` events for the UPNs in `db`.
///
/// # Errors
/// Never in practice: the consumer name is a valid constant.
pub fn consumer(db: DatabaseConnection) -> Result<EventConsumer, ConsumerError> {
    let handlers = HandlerRegistry::new().on(
        "user.deleted",
        UserDeleted {
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
        },
    );
    EventConsumer::new(CONSUMER_NAME, db, handlers)
}
