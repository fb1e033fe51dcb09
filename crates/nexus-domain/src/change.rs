//! How a write turns a domain event into an outbox-ready record: who made the
//! change, when, and the envelope header, filled the same way by every service.

use chrono::{DateTime, Utc};

use crate::{Clock, EventMetadata, IdGenerator};

/// A domain event that names the aggregate it changed, so that its envelope
/// header can be filled without knowing which service or aggregate it is about.
pub trait AggregateEvent {
    /// The publishing service, for example `identity`.
    const SOURCE: &'static str;

    /// For example `user`.
    const AGGREGATE_TYPE: &'static str;

    /// For example `user.created`.
    fn event_type(&self) -> &'static str;

    fn aggregate_id(&self) -> String;

    /// The aggregate's version after the change.
    fn aggregate_version(&self) -> u64;

    /// The tenant the event concerns, named in the envelope so that consumers
    /// can route by it; most aggregates belong to no tenant.
    fn routing_tenant(&self) -> Option<String> {
        None
    }
}

/// An event with its envelope header, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Recorded<E> {
    pub metadata: EventMetadata,
    pub event: E,
}

/// Who changes what, when: everything a write needs besides its input.
pub struct ChangeContext<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    pub ids: &'a dyn IdGenerator,
}

impl<'a> ChangeContext<'a> {
    /// A change made now by `actor`.
    pub fn new(actor: &'a str, clock: &dyn Clock, ids: &'a dyn IdGenerator) -> Self {
        Self {
            actor,
            now: clock.now(),
            ids,
        }
    }

    /// `event` with a fresh event id and the header its aggregate names.
    pub fn record<E: AggregateEvent>(&self, event: E) -> Recorded<E> {
        Recorded {
            metadata: EventMetadata {
                id: self.ids.event_id(),
                event_type: event.event_type(),
                source: E::SOURCE,
                aggregate_type: E::AGGREGATE_TYPE,
                aggregate_id: event.aggregate_id(),
                aggregate_version: event.aggregate_version(),
                tenant: event.routing_tenant(),
                occurred_at: self.now,
                actor: self.actor.to_owned(),
                traceparent: None,
            },
            event,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::{EventId, UserId};

    struct Renamed {
        id: &'static str,
        version: u64,
    }

    impl AggregateEvent for Renamed {
        const SOURCE: &'static str = "shop";
        const AGGREGATE_TYPE: &'static str = "widget";

        fn event_type(&self) -> &'static str {
            "widget.renamed"
        }

        fn aggregate_id(&self) -> String {
            self.id.to_owned()
        }

        fn aggregate_version(&self) -> u64 {
            self.version
        }
    }

    struct FixedIds(Uuid);

    impl IdGenerator for FixedIds {
        fn user_id(&self) -> UserId {
            UserId::from_uuid(self.0)
        }

        fn event_id(&self) -> EventId {
            EventId(self.0)
        }
    }

    struct FixedClock(DateTime<Utc>);

    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    #[test]
    fn a_recorded_event_carries_its_aggregate_and_the_change_context() {
        let now = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let ids = FixedIds(Uuid::now_v7());
        let ctx = ChangeContext::new("alice", &FixedClock(now), &ids);

        let recorded = ctx.record(Renamed {
            id: "w1",
            version: 4,
        });

        let meta = recorded.metadata;
        assert_eq!(meta.id, EventId(ids.0));
        assert_eq!(meta.subject(), "nexus.shop.widget.renamed");
        assert_eq!(
            (meta.aggregate_id.as_str(), meta.aggregate_version),
            ("w1", 4)
        );
        assert_eq!((meta.actor.as_str(), meta.occurred_at), ("alice", now));
        assert_eq!((meta.tenant, meta.traceparent), (None, None));
    }
}
