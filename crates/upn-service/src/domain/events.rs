//! What happened to custom UPNs; each becomes an event in the outbox.

use chrono::{DateTime, Utc};
use nexus_domain::{EventMetadata, IdGenerator};

use super::CustomUpn;
use crate::SERVICE_NAME;

/// A change to a custom UPN, with the UPN as it is after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpnEvent {
    Created(CustomUpn),
    Updated(CustomUpn),
    /// The UPN is gone; carries it as it was, with the version of its removal.
    Deleted(CustomUpn),
}

impl UpnEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "custom_upn.created",
            Self::Updated(_) => "custom_upn.updated",
            Self::Deleted(_) => "custom_upn.deleted",
        }
    }

    pub fn upn(&self) -> &CustomUpn {
        match self {
            Self::Created(u) | Self::Updated(u) | Self::Deleted(u) => u,
        }
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

impl ChangeContext<'_> {
    pub fn upn_event(&self, event: UpnEvent) -> Recorded<UpnEvent> {
        let upn = event.upn();
        Recorded {
            metadata: EventMetadata {
                id: self.ids.event_id(),
                event_type: event.event_type(),
                source: SERVICE_NAME,
                aggregate_type: "custom_upn",
                aggregate_id: upn.id.clone(),
                aggregate_version: upn.version,
                tenant: None,
                occurred_at: self.now,
                actor: self.actor.to_owned(),
                traceparent: None,
            },
            event,
        }
    }
}
