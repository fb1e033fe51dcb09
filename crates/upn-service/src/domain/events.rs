//! What happened to custom UPNs; each becomes an event in the outbox.

use nexus_domain::AggregateEvent;

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
    pub fn upn(&self) -> &CustomUpn {
        match self {
            Self::Created(u) | Self::Updated(u) | Self::Deleted(u) => u,
        }
    }
}

impl AggregateEvent for UpnEvent {
    const SOURCE: &'static str = SERVICE_NAME;
    const AGGREGATE_TYPE: &'static str = "custom_upn";

    fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "custom_upn.created",
            Self::Updated(_) => "custom_upn.updated",
            Self::Deleted(_) => "custom_upn.deleted",
        }
    }

    fn aggregate_id(&self) -> String {
        self.upn().id.clone()
    }

    fn aggregate_version(&self) -> u64 {
        self.upn().version
    }
}
