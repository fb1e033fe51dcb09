//! Encodes tenant-member events for the outbox and decodes the identity events
//! the projection applies (`nexus.events.v1.EventEnvelope`).

use chrono::{DateTime, Utc};
use nexus_domain::Recorded;
use nexus_platform::BusMessage;
use nexus_platform::events::envelope_message;
use nexus_proto::events::v1 as pb;

use crate::domain::{IdentityUserEvent, MemberUser, TenantMemberEvent};

pub(crate) fn time_of(t: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
}

/// The outbox message for a recorded membership event.
pub fn member_event_message(recorded: &Recorded<TenantMemberEvent>) -> BusMessage {
    use pb::event_envelope::Payload;
    let m = recorded.event.member();
    let changed = pb::TenantMemberChanged {
        tenant_id: m.tenant.to_string(),
        user_id: m.user_id.clone(),
        role: m.role.to_string(),
    };
    let payload = match &recorded.event {
        TenantMemberEvent::Attached(_) => Payload::TenantMemberAttached(changed),
        TenantMemberEvent::Updated(_) => Payload::TenantMemberUpdated(changed),
        TenantMemberEvent::Removed(_) => Payload::TenantMemberRemoved(changed),
    };
    envelope_message(&recorded.metadata, payload)
}

fn member_user(snapshot: &pb::UserSnapshot, version: u64) -> MemberUser {
    MemberUser {
        user_id: snapshot.user_id.clone(),
        email: snapshot.email_address.clone(),
        name: Some(snapshot.display_name.clone()).filter(|n| !n.is_empty()),
        blocked: !snapshot.is_active,
        last_login: snapshot.last_login.as_ref().and_then(time_of),
        version,
    }
}

/// The projection's reading of an identity event; `None` for events it does
/// not apply (other types, other sources, or payloads missing their user).
pub fn identity_user_event(envelope: &pb::EventEnvelope) -> Option<IdentityUserEvent> {
    use pb::event_envelope::Payload;
    if envelope.source != "identity" {
        return None;
    }
    let version = envelope.aggregate_version;
    match envelope.payload.as_ref()? {
        Payload::UserCreated(changed) | Payload::UserUpdated(changed) => Some(
            IdentityUserEvent::Changed(member_user(changed.user.as_ref()?, version)),
        ),
        Payload::UserDeleted(deleted) => Some(IdentityUserEvent::Deleted {
            user_id: deleted.user_id.clone(),
            version,
        }),
        Payload::UserLoggedIn(login) => Some(IdentityUserEvent::LoggedIn {
            user_id: login.user_id.clone(),
            at: time_of(login.at.as_ref()?)?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(payload: pb::event_envelope::Payload, version: u64) -> pb::EventEnvelope {
        pb::EventEnvelope {
            source: "identity".into(),
            aggregate_version: version,
            payload: Some(payload),
            ..pb::EventEnvelope::default()
        }
    }

    #[test]
    fn identity_user_events_are_decoded_with_their_version() {
        use pb::event_envelope::Payload;
        let snapshot = pb::UserSnapshot {
            user_id: "u1".into(),
            email_address: "ann@example.com".into(),
            display_name: String::new(),
            is_active: false,
            ..pb::UserSnapshot::default()
        };
        let changed = identity_user_event(&envelope(
            Payload::UserUpdated(pb::UserChanged {
                user: Some(snapshot),
            }),
            4,
        ));
        let Some(IdentityUserEvent::Changed(user)) = changed else {
            panic!("{changed:?}");
        };
        assert_eq!((user.blocked, user.name, user.version), (true, None, 4));
        let login = identity_user_event(&envelope(
            Payload::UserLoggedIn(pb::UserLoggedIn {
                user_id: "u1".into(),
                at: Some(prost_types::Timestamp {
                    seconds: 100,
                    nanos: 0,
                }),
            }),
            4,
        ));
        assert!(matches!(login, Some(IdentityUserEvent::LoggedIn { .. })));
        let mut other = envelope(
            Payload::UserDeleted(pb::UserDeleted {
                user_id: "u1".into(),
            }),
            5,
        );
        other.source = "upn".into();
        assert_eq!(identity_user_event(&other), None);
    }
}
