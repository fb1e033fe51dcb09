//! Keeps identity's copy of custom UPNs (shown in `User.customUpns` and by
//! `$sync`) from the upn service's `custom_upn.*` events.
//!
//! A projection rather than a gRPC call at read time: `$sync` runs at every
//! login, and this way it reads one local table instead of depending on the
//! upn service being up and fast. The copy lags the upn service by the event
//! delivery time; an event with a version not newer than the copy's changes
//! nothing, so redeliveries and late older events are harmless.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nexus_platform::events::consumer::{
    ConsumerError, ConsumerOptions, EventConsumer, EventHandler, HandlerError, HandlerRegistry,
};
use nexus_proto::events::v1::EventEnvelope;
use nexus_proto::events::v1::event_envelope::Payload;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait, IntoActiveModel};

use crate::adapters::db::entities::custom_upns;

/// The durable name of the consumer (and its inbox key).
pub const CONSUMER_NAME: &str = "identity-custom-upns";

/// The events it reads.
pub fn options() -> ConsumerOptions {
    ConsumerOptions::new("nexus.upn.custom_upn.>")
}

struct CustomUpnEvents;

fn time(t: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    t.and_then(nexus_platform::time::from_timestamp)
        .unwrap_or_else(Utc::now)
}

#[async_trait]
impl EventHandler for CustomUpnEvents {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        let (upn, deleted) = match &event.payload {
            Some(Payload::CustomUpnCreated(u) | Payload::CustomUpnUpdated(u)) => (u, false),
            Some(Payload::CustomUpnDeleted(u)) => (u, true),
            _ => return Ok(()),
        };
        let at = time(event.occurred_at.as_ref());
        let version = i64::try_from(upn.version).unwrap_or(i64::MAX);
        let held = custom_upns::Entity::find_by_id(upn.id.clone())
            .one(txn)
            .await?;
        if held.as_ref().is_some_and(|h| h.version >= version) {
            return Ok(());
        }
        let row = custom_upns::Model {
            id: upn.id.clone(),
            user_id: upn.user_id.clone(),
            client_upn_key: upn.client_upn_key.clone(),
            custom_upn_value: upn.custom_upn_value.clone(),
            created: held.as_ref().map_or(at, |h| h.created),
            modified: at,
            created_by: held
                .as_ref()
                .map_or_else(|| event.actor.clone(), |h| h.created_by.clone()),
            modified_by: event.actor.clone(),
            version,
            deleted,
        };
        let active = row.into_active_model().reset_all();
        if held.is_some() {
            active.update(txn).await?;
        } else {
            custom_upns::Entity::insert(active)
                .exec_without_returning(txn)
                .await?;
        }
        Ok(())
    }
}

/// The consumer of the upn service's events for identity's copy.
///
/// # Errors
/// Never in practice: the consumer name is a valid constant.
pub fn consumer(db: sea_orm::DatabaseConnection) -> Result<EventConsumer, ConsumerError> {
    let handler: std::sync::Arc<dyn EventHandler> = std::sync::Arc::new(CustomUpnEvents);
    let mut handlers = HandlerRegistry::new();
    for event_type in [
        "custom_upn.created",
        "custom_upn.updated",
        "custom_upn.deleted",
    ] {
        handlers = handlers.on_arc(event_type, handler.clone());
    }
    EventConsumer::new(CONSUMER_NAME, db, handlers)
}
