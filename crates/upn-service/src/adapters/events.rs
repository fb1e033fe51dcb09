//! Encodes UPN events as `nexus.events.v1.EventEnvelope` messages for the
//! outbox.

use nexus_domain::Recorded;
use nexus_platform::BusMessage;
use nexus_platform::events::envelope_message;
use nexus_proto::events::v1 as pb;

use crate::domain::UpnEvent;

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
    envelope_message(&recorded.metadata, payload)
}
