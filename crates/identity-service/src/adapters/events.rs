//! Encodes identity events as `nexus.events.v1.EventEnvelope` messages for the
//! outbox.

use nexus_platform::BusMessage;
use nexus_proto::events::v1 as pb;
use prost::Message as _;

use crate::domain::{User, UserEvent};
use crate::ports::Recorded;

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

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

/// The outbox message for a recorded user event.
pub fn user_event_message(recorded: &Recorded<UserEvent>) -> BusMessage {
    let meta = &recorded.metadata;
    let payload = match &recorded.event {
        UserEvent::Created(user) => pb::event_envelope::Payload::UserCreated(pb::UserChanged {
            user: Some(snapshot(user)),
        }),
    };
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
