//! Keeps identity's copy of custom UPNs (shown in `User.customUpns` and by
//! `$sync`) from the upn service's `custom_upn.*` events.
//!
//! A projection rather than a gRPC call at read time: `$sync` runs at every
//! login, and this way it reads one local table instead of depending on the
//! upn service being up and fast. The copy lags the upn service by the event
//! delivery time; an event with a version not newer than the copy's changes
//! nothing, so redeliveries and late older events are harmless.
//!
//! Every write is conditional on the version inside the handler's
//! transaction, so replicas applying events concurrently cannot let an older
//! event overwrite a newer one: the row is inserted with `ON CONFLICT DO
//! NOTHING`, otherwise updated only `WHERE version < $new`. A deletion stays
//! as a tombstone at its version, so a late older `created` or `updated` does
//! not bring the UPN back. An event more than the configured bound above the
//! copy's version is refused and dead-lettered with that reason.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nexus_platform::events::consumer::{
    ConsumerError, ConsumerOptions, EventConsumer, EventHandler, HandlerError, HandlerRegistry,
    check_version_jump,
};
use nexus_proto::events::v1::EventEnvelope;
use nexus_proto::events::v1::event_envelope::Payload;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter};

use crate::adapters::db::entities::custom_upns;

/// The durable name of the consumer (and its inbox key).
pub const CONSUMER_NAME: &str = "identity-custom-upns";

/// The events it reads.
pub fn options() -> ConsumerOptions {
    ConsumerOptions::new("nexus.upn.custom_upn.>")
}

struct CustomUpnEvents {
    max_version_jump: u64,
}

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
        let held = custom_upns::Entity::find_by_id(upn.id.clone())
            .one(txn)
            .await?
            .map(|row| row.version);
        check_version_jump(held, upn.version, self.max_version_jump)?;
        let at = time(event.occurred_at.as_ref());
        let version = i64::try_from(upn.version).unwrap_or(i64::MAX);
        let row = custom_upns::Model {
            id: upn.id.clone(),
            user_id: upn.user_id.clone(),
            client_upn_key: upn.client_upn_key.clone(),
            custom_upn_value: upn.custom_upn_value.clone(),
            created: at,
            modified: at,
            created_by: event.actor.clone(),
            modified_by: event.actor.clone(),
            version,
            deleted,
        };
        let inserted = custom_upns::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::column(custom_upns::Column::Id)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        if inserted > 0 {
            return Ok(());
        }
        // Held already: only a newer version replaces it, decided by the
        // database in the statement itself, so concurrent writers cannot race.
        custom_upns::Entity::update_many()
            .col_expr(
                custom_upns::Column::UserId,
                Expr::value(upn.user_id.clone()),
            )
            .col_expr(
                custom_upns::Column::ClientUpnKey,
                Expr::value(upn.client_upn_key.clone()),
            )
            .col_expr(
                custom_upns::Column::CustomUpnValue,
                Expr::value(upn.custom_upn_value.clone()),
            )
            .col_expr(custom_upns::Column::Modified, Expr::value(at))
            .col_expr(
                custom_upns::Column::ModifiedBy,
                Expr::value(event.actor.clone()),
            )
            .col_expr(custom_upns::Column::Version, Expr::value(version))
            .col_expr(custom_upns::Column::Deleted, Expr::value(deleted))
            .filter(custom_upns::Column::Id.eq(upn.id.clone()))
            .filter(custom_upns::Column::Version.lt(version))
            .exec(txn)
            .await?;
        Ok(())
    }
}

/// The consumer of the upn service's events for identity's copy; it refuses
/// an event more than `max_version_jump` versions above the copy's (0: no
/// bound).
///
/// # Errors
/// Never in practice: the consumer name is a valid constant.
pub fn consumer(
    db: sea_orm::DatabaseConnection,
    max_version_jump: u64,
) -> Result<EventConsumer, ConsumerError> {
    let handler: std::sync::Arc<dyn EventHandler> =
        std::sync::Arc::new(CustomUpnEvents { max_version_jump });
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

#[cfg(test)]
mod tests;
