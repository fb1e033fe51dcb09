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
    const AGGREGATE_TYPE: &'static str = "tenant_member";

    fn event_type(&self) -> &'static str {
        match self {
            Self::Attached(_) => "tenant_member.attached",
            Self::Updated(_) => "tenant_member.updated",
            Self::Removed(_) => "tenant_member.removed",
        }
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

#[cfg(test)]
mod tests {
    use nexus_domain::{ChangeContext, SystemClock, UuidV7Ids};

    use super::*;
    use crate::domain::{Roles, TenantId};

    #[test]
    fn a_membership_event_names_the_tenant_and_the_member() {
        let member = TenantMember {
            tenant: TenantId::parse("acme").unwrap(),
            user_id: "u1".into(),
            role: Roles::default().parse("admin").unwrap(),
            version: 3,
        };
        let ctx = ChangeContext::new("admin", &SystemClock, &UuidV7Ids);

        let meta = ctx.record(TenantMemberEvent::Removed(member)).metadata;

        assert_eq!(meta.subject(), "nexus.tenant-access.tenant_member.removed");
        assert_eq!(
            (meta.aggregate_id.as_str(), meta.aggregate_version),
            ("acme/u1", 3)
        );
        assert_eq!(meta.tenant.as_deref(), Some("acme"));
    }
}
