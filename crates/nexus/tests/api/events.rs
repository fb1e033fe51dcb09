//! Events through the outbox and relay to real NATS JetStream.

use futures::StreamExt as _;
use nexus_platform::events::NatsEventBus;
use nexus_proto::events::v1::{EventEnvelope, event_envelope::Payload};
use prost::Message as _;

use crate::helpers::{
    Backend, TEST_SUBJECT, TestApp, eventually, nats_url, new_user, unavailable, use_nats,
};

async fn nats_reachable() -> bool {
    let url = nats_url();
    match async_nats::connect(url.as_str()).await {
        Ok(_) => true,
        Err(e) => {
            unavailable("NATS", &url, &e);
            false
        }
    }
}

async fn created_user_event_reaches_jetstream(backend: Backend) {
    if !nats_reachable().await {
        return;
    }
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let Some(app) = TestApp::spawn_with(backend, |s| use_nats(s, &tag)).await else {
        return;
    };
    let created = app
        .call("POST", "/v1/users", Some(new_user("evt@example.com")), true)
        .await;
    assert_eq!(created.status, 201);
    let user_id = created.body["id"].as_str().unwrap().to_owned();

    let bus = NatsEventBus::connect(&app.settings.events).await.unwrap();
    let consumer = bus
        .durable_consumer("test-reader", "nexus.identity.user.>", 5)
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let message = tokio::time::timeout(std::time::Duration::from_secs(15), messages.next())
        .await
        .expect("an event within 15 s")
        .expect("stream open")
        .expect("message");
    assert_eq!(
        message.subject.as_str(),
        format!("test{tag}.nexus.identity.user.created")
    );
    let envelope = EventEnvelope::decode(message.payload.clone()).unwrap();
    assert_eq!(envelope.r#type, "user.created");
    assert_eq!(envelope.source, "identity");
    assert_eq!(envelope.aggregate_id, user_id);
    assert_eq!(envelope.aggregate_version, 1);
    assert_eq!(envelope.actor, TEST_SUBJECT);
    let headers = message.headers.clone().expect("headers");
    assert_eq!(
        headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some(envelope.id.as_str())
    );
    assert_eq!(
        headers.get("ce-type").map(|v| v.as_str()),
        Some("user.created")
    );
    match envelope.payload {
        Some(Payload::UserCreated(changed)) => {
            let user = changed.user.unwrap();
            assert_eq!(user.email_address, "evt@example.com");
            assert!(user.is_active);
        }
        other => panic!("unexpected payload {other:?}"),
    }
    message.ack().await.unwrap();

    bus.jetstream()
        .delete_stream(bus.stream_name())
        .await
        .unwrap();
    app.stop().await;
}

#[tokio::test]
async fn created_user_event_reaches_jetstream_from_sqlite() {
    Box::pin(created_user_event_reaches_jetstream(Backend::Sqlite)).await;
}

#[tokio::test]
async fn created_user_event_reaches_jetstream_from_postgres() {
    Box::pin(created_user_event_reaches_jetstream(Backend::Postgres)).await;
}

/// Custom UPN events cross real NATS JetStream, and identity's copy of the
/// UPNs is fed from there by its durable consumer.
#[tokio::test]
async fn custom_upn_events_reach_jetstream_and_identitys_copy() {
    if !nats_reachable().await {
        return;
    }
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |s| use_nats(s, &tag)).await else {
        return;
    };
    let created = app
        .call(
            "POST",
            "/v1/users",
            Some(new_user("upn-evt@example.com")),
            true,
        )
        .await;
    let user_id = created.body["id"].as_str().unwrap().to_owned();
    let upn = app
        .call(
            "POST",
            &format!("/v1/users/{user_id}/custom-upns"),
            Some(
                serde_json::json!({"clientUpnKey": "crm", "customUpnValue": "evt@crm.example.com"}),
            ),
            true,
        )
        .await;
    assert_eq!(upn.status, 201, "{:?}", upn.body);

    let bus = NatsEventBus::connect(&app.settings.events).await.unwrap();
    let consumer = bus
        .durable_consumer("test-upn-reader", "nexus.upn.custom_upn.>", 5)
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let message = tokio::time::timeout(std::time::Duration::from_secs(15), messages.next())
        .await
        .expect("an event within 15 s")
        .expect("stream open")
        .expect("message");
    let envelope = EventEnvelope::decode(message.payload.clone()).unwrap();
    assert_eq!(
        (
            envelope.r#type.as_str(),
            envelope.source.as_str(),
            envelope.aggregate_version
        ),
        ("custom_upn.created", "upn", 1)
    );
    match envelope.payload {
        Some(Payload::CustomUpnCreated(changed)) => assert_eq!(changed.user_id, user_id),
        other => panic!("unexpected payload {other:?}"),
    }
    message.ack().await.unwrap();

    let shown = eventually(
        "identity's copy of the custom UPN",
        || async {
            app.call("GET", &format!("/v1/users/{user_id}"), None, true)
                .await
                .body["customUpns"]
                .clone()
        },
        |shown| shown.as_array().is_some_and(|l| !l.is_empty()),
    )
    .await;
    assert_eq!(shown, serde_json::json!([upn.body]));

    bus.jetstream()
        .delete_stream(bus.stream_name())
        .await
        .unwrap();
    app.stop().await;
}
