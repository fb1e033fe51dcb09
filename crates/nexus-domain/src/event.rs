//! What every event carries besides its payload (the envelope's header).
//! The wire form is `nexus.events.v1.EventEnvelope`; services build it from this.

use chrono::{DateTime, Utc};

use crate::EventId;

/// The header of one event: which change, to which aggregate, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMetadata {
    pub id: EventId,
    /// For example `user.created`.
    pub event_type: &'static str,
    /// The publishing service, for example `identity`.
    pub source: &'static str,
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    /// The aggregate's version after the change.
    pub aggregate_version: u64,
    pub tenant: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub traceparent: Option<String>,
}

impl EventMetadata {
    /// The NATS subject: `nexus.<service>.<aggregate>.<verb>`, where the verb is
    /// the part of the type after its last dot.
    pub fn subject(&self) -> String {
        let verb = self
            .event_type
            .rsplit_once('.')
            .map_or(self.event_type, |(_, verb)| verb);
        format!("nexus.{}.{}.{verb}", self.source, self.aggregate_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn subject_is_service_aggregate_and_verb() {
        let meta = EventMetadata {
            id: EventId(Uuid::now_v7()),
            event_type: "user.logged_in",
            source: "identity",
            aggregate_type: "user",
            aggregate_id: "u1".into(),
            aggregate_version: 3,
            tenant: None,
            occurred_at: Utc::now(),
            actor: "alice".into(),
            traceparent: None,
        };
        assert_eq!(meta.subject(), "nexus.identity.user.logged_in");
    }
}
