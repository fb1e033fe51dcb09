//! What happened in the identity service; each becomes an event in the outbox.

use nexus_domain::AggregateEvent;

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

impl AggregateEvent for UserEvent {
    const SOURCE: &'static str = SERVICE_NAME;
    const AGGREGATE_TYPE: &'static str = "user";

    fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "user.created",
            Self::Updated(_) => "user.updated",
            Self::Deleted(_) => "user.deleted",
            Self::LoggedIn(_) => "user.logged_in",
            Self::IdentityLinked(..) => "identity.linked",
            Self::IdentityUnlinked(..) => "identity.unlinked",
        }
    }

    fn aggregate_id(&self) -> String {
        self.user().id.to_string()
    }

    fn aggregate_version(&self) -> u64 {
        self.user().version
    }
}

/// A change to a role definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleEvent {
    Created(RoleDefinition),
    Deleted(RoleDefinition),
}

impl RoleEvent {
    pub fn role(&self) -> &RoleDefinition {
        match self {
            Self::Created(r) | Self::Deleted(r) => r,
        }
    }
}

impl AggregateEvent for RoleEvent {
    const SOURCE: &'static str = SERVICE_NAME;
    const AGGREGATE_TYPE: &'static str = "role";

    fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "role.created",
            Self::Deleted(_) => "role.deleted",
        }
    }

    fn aggregate_id(&self) -> String {
        self.role().id.clone()
    }

    /// Role definitions are immutable: their events carry version 1.
    fn aggregate_version(&self) -> u64 {
        1
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
    pub fn organization(&self) -> &Organization {
        match self {
            Self::Created(o) | Self::Updated(o) | Self::Deleted(o) => o,
        }
    }
}

impl AggregateEvent for OrganizationEvent {
    const SOURCE: &'static str = SERVICE_NAME;
    const AGGREGATE_TYPE: &'static str = "organization";

    fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "organization.created",
            Self::Updated(_) => "organization.updated",
            Self::Deleted(_) => "organization.deleted",
        }
    }

    fn aggregate_id(&self) -> String {
        self.organization().id.to_string()
    }

    fn aggregate_version(&self) -> u64 {
        self.organization().version
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
    pub fn idp_tenant(&self) -> &IdpTenant {
        match self {
            Self::Created(t) | Self::Updated(t) | Self::Deleted(t) => t,
        }
    }
}

impl AggregateEvent for IdpTenantEvent {
    const SOURCE: &'static str = SERVICE_NAME;
    const AGGREGATE_TYPE: &'static str = "idp_tenant";

    fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => "idp_tenant.created",
            Self::Updated(_) => "idp_tenant.updated",
            Self::Deleted(_) => "idp_tenant.deleted",
        }
    }

    fn aggregate_id(&self) -> String {
        self.idp_tenant().id.to_string()
    }

    fn aggregate_version(&self) -> u64 {
        self.idp_tenant().version
    }
}
