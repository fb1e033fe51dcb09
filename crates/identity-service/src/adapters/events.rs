//! Encodes identity events as `nexus.events.v1.EventEnvelope` messages for the
//! outbox.

use nexus_domain::Recorded;
use nexus_platform::BusMessage;
use nexus_platform::events::envelope_message;
use nexus_platform::time::to_timestamp as timestamp;
use nexus_proto::events::v1 as pb;

use crate::domain::{Identity, IdpTenantEvent, OrganizationEvent, RoleEvent, User, UserEvent};

fn snapshot(user: &User) -> pb::UserSnapshot {
    pb::UserSnapshot {
        user_id: user.id.to_string(),
        email_address: user.email_address.to_string(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        is_active: user.is_active,
        last_login: user.last_login.map(timestamp),
    }
}

fn identity_changed(user: &User, identity: &Identity) -> pb::IdentityChanged {
    pb::IdentityChanged {
        user_id: user.id.to_string(),
        identity_id: identity.id,
        idp_tenant_id: identity.idp_tenant_id,
        strategy: identity.strategy.clone(),
        azo_user_id: identity.azo_user_id.clone(),
        azo_connection_id: identity.azo_connection_id.clone(),
    }
}

/// The outbox message for a recorded user event.
pub fn user_event_message(recorded: &Recorded<UserEvent>) -> BusMessage {
    use pb::event_envelope::Payload;
    let payload = match &recorded.event {
        UserEvent::Created(user) => Payload::UserCreated(pb::UserChanged {
            user: Some(snapshot(user)),
        }),
        UserEvent::Updated(user) => Payload::UserUpdated(pb::UserChanged {
            user: Some(snapshot(user)),
        }),
        UserEvent::Deleted(user) => Payload::UserDeleted(pb::UserDeleted {
            user_id: user.id.to_string(),
        }),
        UserEvent::LoggedIn(user) => Payload::UserLoggedIn(pb::UserLoggedIn {
            user_id: user.id.to_string(),
            at: user.last_login.map(timestamp),
        }),
        UserEvent::IdentityLinked(user, identity) => {
            Payload::IdentityLinked(identity_changed(user, identity))
        }
        UserEvent::IdentityUnlinked(user, identity) => {
            Payload::IdentityUnlinked(identity_changed(user, identity))
        }
    };
    envelope_message(&recorded.metadata, payload)
}

/// The outbox message for a recorded IdP tenant event.
pub fn idp_tenant_event_message(recorded: &Recorded<IdpTenantEvent>) -> BusMessage {
    use pb::event_envelope::Payload;
    let t = recorded.event.idp_tenant();
    let changed = pb::IdpTenantChanged {
        id: t.id,
        name: t.name.clone(),
        azo_name: t.azo_name.clone(),
        fqdn: t.fqdn.clone(),
        login_domain: t.login_domain.clone(),
    };
    let payload = match &recorded.event {
        IdpTenantEvent::Created(_) => Payload::IdpTenantCreated(changed),
        IdpTenantEvent::Updated(_) => Payload::IdpTenantUpdated(changed),
        IdpTenantEvent::Deleted(_) => Payload::IdpTenantDeleted(changed),
    };
    envelope_message(&recorded.metadata, payload)
}

/// The outbox message for a recorded role event.
pub fn role_event_message(recorded: &Recorded<RoleEvent>) -> BusMessage {
    use pb::event_envelope::Payload;
    let r = recorded.event.role();
    let changed = pb::RoleChanged {
        id: r.id.clone(),
        audience: r.audience.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
    };
    let payload = match &recorded.event {
        RoleEvent::Created(_) => Payload::RoleCreated(changed),
        RoleEvent::Deleted(_) => Payload::RoleDeleted(changed),
    };
    envelope_message(&recorded.metadata, payload)
}

/// The outbox message for a recorded organization event.
pub fn organization_event_message(recorded: &Recorded<OrganizationEvent>) -> BusMessage {
    use pb::event_envelope::Payload;
    let o = recorded.event.organization();
    let changed = pb::OrganizationChanged {
        id: o.id,
        name: o.fields.name.clone(),
        display_name: o.fields.display_name.clone(),
        is_active: o.fields.is_active,
    };
    let payload = match &recorded.event {
        OrganizationEvent::Created(_) => Payload::OrganizationCreated(changed),
        OrganizationEvent::Updated(_) => Payload::OrganizationUpdated(changed),
        OrganizationEvent::Deleted(_) => Payload::OrganizationDeleted(changed),
    };
    envelope_message(&recorded.metadata, payload)
}
