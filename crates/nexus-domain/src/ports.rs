//! Ports for time and identifiers, so that domain rules and use cases can be
//! tested with fixed values.

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use crate::{EventId, UserId};

/// The current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, truncated to microseconds: what PostgreSQL and SQLite both
/// store, so a value read back equals the value written.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// New identifiers.
pub trait IdGenerator: Send + Sync {
    fn user_id(&self) -> UserId;
    fn event_id(&self) -> EventId;
}

/// UUIDv7 for everything: unique, and ordered by creation time.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn user_id(&self) -> UserId {
        UserId::from_uuid(Uuid::now_v7())
    }

    fn event_id(&self) -> EventId {
        EventId(Uuid::now_v7())
    }
}
