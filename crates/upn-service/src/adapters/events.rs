//! Encodes UPN events as `nexus.events.v1.EventEnvelope` messages for the
//! outbox.

use nexus_domain::EventMetadata;
use nexus_platform::BusMessage;
use nexus_proto::events::v1 as pb;
use prost::Message as _;

use crate::domain::{Recorded, UpnEvent};

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// The outbox message for a recorded UPN event.
pub fn upn_event_message(recorded: &Recorded<UpnEvent>) -> BusMessage {
    use pb::event_envelope::Payload;
    let u = recorded.event.upn();
    let changed = pb::CustomUpnChanged {
        id: u.id.clone(),
        user_id: u.user_id.to_string(),
        client_upn_key: u.client_upn_key.clone(),
        custom_upn_value: u.custom_upn_value.clone(),
        version: u.version,
    };
    let payload = match &recorded.event {
        UpnEvent::Created(_) => Payload::CustomUpnCreated(changed),
        UpnEvent::Updated(_) => Payload::CustomUpnUpdated(changed),
        UpnEvent::Deleted(_) => Payload::CustomUpnDeleted(changed),
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
