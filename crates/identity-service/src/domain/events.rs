//! What happened in the identity service; each becomes an event in the outbox.

use chrono::{DateTime, Utc};
use nexus_domain::{EventMetadata, IdGenerator};

use super::{IdpTenant, Organization, RoleDefinition, User};
use crate::SERVICE_NAME;
use crate::domain::identity::Identity;

/// A change to a user, with the user as it is after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    Created(User),
    Updated(User),
    /// The user is gone; carries it as it was, with the version of its removal.
    Deleted(User),
    /// A sync recorded a login; the user's version does not change.
    LoggedIn(User),
    IdentityLinked(User, Identity),
    IdentityUnlinked(User, Identity),
}

impl UserEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "user.created",
            Self::Updated(_) => "user.updated",
            Self::Deleted(_) => "user.deleted",
            Self::LoggedIn(_) => "user.logged_in",
            Self::IdentityLinked(..) => "identity.linked",
            Self::IdentityUnlinked(..) => "identity.unlinked",
        }
    }

    pub fn user(&self) -> &User {
        match self {
            Self::Created(u)
            | Self::Updated(u)
            | Self::Deleted(u)
            | Self::LoggedIn(u)
            | Self::IdentityLinked(u, _)
            | Self::IdentityUnlinked(u, _) => u,
        }
    }
}

/// A change to a role definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleEvent {
    Created(RoleDefinition),
    Deleted(RoleDefinition),
}

impl RoleEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "role.created",
            Self::Deleted(_) => "role.deleted",
        }
    }

    pub fn role(&self) -> &RoleDefinition {
        match self {
            Self::Created(r) | Self::Deleted(r) => r,
        }
    }
}

/// A change to an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganizationEvent {
    Created(Organization),
    Updated(Organization),
    Deleted(Organization),
}

impl OrganizationEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "organization.created",
            Self::Updated(_) => "organization.updated",
            Self::Deleted(_) => "organization.deleted",
        }
    }

    pub fn organization(&self) -> &Organization {
        match self {
            Self::Created(o) | Self::Updated(o) | Self::Deleted(o) => o,
        }
    }
}

/// A change to an IdP tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdpTenantEvent {
    Created(IdpTenant),
    Updated(IdpTenant),
    Deleted(IdpTenant),
}

impl IdpTenantEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "idp_tenant.created",
            Self::Updated(_) => "idp_tenant.updated",
            Self::Deleted(_) => "idp_tenant.deleted",
        }
    }

    pub fn tenant(&self) -> &IdpTenant {
        match self {
            Self::Created(t) | Self::Updated(t) | Self::Deleted(t) => t,
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
    fn metadata(
        &self,
        event_type: &'static str,
        aggregate_type: &'static str,
        id: String,
        version: u64,
    ) -> EventMetadata {
        EventMetadata {
            id: self.ids.event_id(),
            event_type,
            source: SERVICE_NAME,
            aggregate_type,
            aggregate_id: id,
            aggregate_version: version,
            tenant: None,
            occurred_at: self.now,
            actor: self.actor.to_owned(),
            traceparent: None,
        }
    }

    pub fn user_event(&self, event: UserEvent) -> Recorded<UserEvent> {
        let user = event.user();
        Recorded {
            metadata: self.metadata(
                event.event_type(),
                "user",
                user.id.to_string(),
                user.version,
            ),
            event,
        }
    }

    /// Role definitions are immutable: their events carry version 1.
    pub fn role_event(&self, event: RoleEvent) -> Recorded<RoleEvent> {
        Recorded {
            metadata: self.metadata(event.event_type(), "role", event.role().id.clone(), 1),
            event,
        }
    }

    pub fn organization_event(&self, event: OrganizationEvent) -> Recorded<OrganizationEvent> {
        let org = event.organization();
        Recorded {
            metadata: self.metadata(
                event.event_type(),
                "organization",
                org.id.to_string(),
                org.version,
            ),
            event,
        }
    }

    pub fn idp_tenant_event(&self, event: IdpTenantEvent) -> Recorded<IdpTenantEvent> {
        let tenant = event.tenant();
        Recorded {
            metadata: self.metadata(
                event.event_type(),
                "idp_tenant",
                tenant.id.to_string(),
                tenant.version,
            ),
            event,
        }
    }
}
