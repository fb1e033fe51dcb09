//! What happened to tenant memberships; each becomes an event in the outbox.

use chrono::{DateTime, Utc};
use nexus_domain::{EventMetadata, IdGenerator};

use super::TenantMember;
use crate::SERVICE_NAME;

/// A change to a membership, with the membership as it is after the change
/// (or, for a removal, as it was, with the version of its removal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantMemberEvent {
    Attached(TenantMember),
    Updated(TenantMember),
    Removed(TenantMember),
}

impl TenantMemberEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Attached(_) => "tenant_member.attached",
            Self::Updated(_) => "tenant_member.updated",
            Self::Removed(_) => "tenant_member.removed",
        }
    }

    pub fn member(&self) -> &TenantMember {
        match self {
            Self::Attached(m) | Self::Updated(m) | Self::Removed(m) => m,
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
    /// The event's aggregate is `tenant_member` `<tenantId>/<userId>`, and the
    /// envelope names the tenant so consumers can route by it.
    pub fn member_event(&self, event: TenantMemberEvent) -> Recorded<TenantMemberEvent> {
        let m = event.member();
        Recorded {
            metadata: EventMetadata {
                id: self.ids.event_id(),
                event_type: event.event_type(),
                source: SERVICE_NAME,
                aggregate_type: "tenant_member",
                aggregate_id: format!("{}/{}", m.tenant, m.user_id),
                aggregate_version: m.version,
                tenant: Some(m.tenant.to_string()),
                occurred_at: self.now,
                actor: self.actor.to_owned(),
                traceparent: None,
            },
            event,
        }
    }
}
