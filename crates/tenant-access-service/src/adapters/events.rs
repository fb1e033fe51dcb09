//! Encodes tenant-member events for the outbox and decodes the identity events
//! the projection applies (`nexus.events.v1.EventEnvelope`).

use chrono::{DateTime, Utc};
use nexus_domain::EventMetadata;
use nexus_platform::BusMessage;
use nexus_proto::events::v1 as pb;
use prost::Message as _;

use crate::domain::{IdentityUserEvent, MemberUser, Recorded, TenantMemberEvent};

pub(crate) fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

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
    message(&recorded.metadata, payload)
}

fn message(meta: &EventMetadata, payload: pb::event_envelope::Payload) -> BusMessage {
    let envelope = pb::EventEnvelope {
        id: meta.id.to_string(),
        r#type: meta.event_type.to_owned(),
        source: meta.source.to_owned(),
        aggregate_type: meta.aggregate_type.to_owned(),
        aggregate_id: meta.aggregate_id.clone(),
        aggregate_version: meta.aggregate_version,
        tenant: meta.tenant.clone(),
        occurred_at: Some(timestamp(meta.occurred_at)),
        actor: meta.actor.clone(),
        traceparent: meta.traceparent.clone(),
        tracestate: None,
        payload: Some(payload),
    };
    BusMessage {
        id: meta.id.to_string(),
        subject: meta.subject(),
        event_type: meta.event_type.to_owned(),
        source: meta.source.to_owned(),
        time: meta.occurred_at,
        traceparent: meta.traceparent.clone(),
        payload: envelope.encode_to_vec().into(),
    }
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
