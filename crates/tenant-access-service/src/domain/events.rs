//! What happened to tenant memberships; each becomes an event in the outbox.

use nexus_domain::AggregateEvent;

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
    pub fn member(&self) -> &TenantMember {
        match self {
            Self::Attached(m) | Self::Updated(m) | Self::Removed(m) => m,
        }
    }
}

/// The event's aggregate is `tenant_member` `<tenantId>/<userId>`, and the
/// envelope names the tenant so consumers can route by it.
impl AggregateEvent for TenantMemberEvent {
    const SOURCE: &'static str = SERVICE_NAME;

    fn event_type(&self) -> &'static str {
        match self {
            Self::Attached(_) => "tenant_member.attached",
            Self::Updated(_) => "tenant_member.updated",
            Self::Removed(_) => "tenant_member.removed",
        }
    }

    fn aggregate_type(&self) -> &'static str {
        "tenant_member"
    }

    fn aggregate_id(&self) -> String {
        let m = self.member();
        format!("{}/{}", m.tenant, m.user_id)
    }

    fn aggregate_version(&self) -> u64 {
        self.member().version
    }

    fn routing_tenant(&self) -> Option<String> {
        Some(self.member().tenant.to_string())
    }
}
