//! Feeds the user projection from identity's `user.*` events through a
//! durable consumer (JetStream, or the all-in-one's in-process bus): each
//! event is decoded here and applied by [`ProjectionService`] in the
//! transaction that records it in the inbox, so it counts once; version checks
//! make redeliveries and late older events harmless as well. An event more
//! than the configured bound above the copy's version is refused and
//! dead-lettered with that reason.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use nexus_domain::{SystemClock, UuidV7Ids};
use nexus_platform::events::consumer::{
    ConsumerError, ConsumerOptions, EventConsumer, EventHandler, HandlerError, HandlerRegistry,
    check_version_jump,
};
use nexus_proto::events::v1::EventEnvelope;
use sea_orm::{
    ColumnTrait as _, DatabaseConnection, DatabaseTransaction, EntityTrait as _, QueryFilter as _,
    QuerySelect as _,
};

use crate::adapters::db::SeaOrmMemberUserProjection;
use crate::adapters::db::entities::member_users;
use crate::adapters::events::identity_user_event;
use crate::application::ProjectionService;
use crate::domain::IdentityUserEvent;

/// The event type applied in bursts.
const LOGGED_IN: &str = "user.logged_in";

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

    /// Runs of two or more logins go in one version read and one update;
    /// other events one by one, in order.
    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&EventEnvelope],
    ) -> Result<(), HandlerError> {
        let mut rest = events;
        while let Some(first) = rest.first() {
            let logins = rest.iter().take_while(|e| e.r#type == LOGGED_IN).count();
            if logins > 1 {
                self.apply_logins(txn, &rest[..logins]).await?;
                rest = &rest[logins..];
            } else {
                self.handle(txn, first).await?;
                rest = &rest[1..];
            }
        }
        Ok(())
    }
}

impl UserEvents {
    /// A burst of `user.logged_in`: each checked against the copy's version
    /// like one applied alone, then the latest login of each user kept.
    async fn apply_logins(
        &self,
        txn: &DatabaseTransaction,
        events: &[&EventEnvelope],
    ) -> Result<(), HandlerError> {
        let decoded: Vec<_> = events
            .iter()
            .filter_map(|e| identity_user_event(e).map(|d| (*e, d)))
            .collect();
        let ids: Vec<String> = decoded
            .iter()
            .map(|(e, _)| e.aggregate_id.clone())
            .collect();
        let held: HashMap<String, i64> = member_users::Entity::find()
            .select_only()
            .column(member_users::Column::UserId)
            .column(member_users::Column::Version)
            .filter(member_users::Column::UserId.is_in(ids))
            .into_tuple::<(String, i64)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let mut logins = Vec::with_capacity(decoded.len());
        for (event, decoded) in decoded {
            check_version_jump(
                held.get(&event.aggregate_id).copied(),
                event.aggregate_version,
                self.max_version_jump,
            )?;
            if let IdentityUserEvent::LoggedIn { user_id, at } = decoded {
                logins.push((user_id, at));
            }
        }
        self.service
            .apply_logins(&SeaOrmMemberUserProjection::new(txn), &logins)
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
    for event_type in ["user.created", "user.updated", "user.deleted", LOGGED_IN] {
        handlers = handlers.on_arc(event_type, handler.clone());
    }
    EventConsumer::new(CONSUMER_NAME, db, handlers)
}
