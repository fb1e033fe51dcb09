//! NATS JetStream adapter: publishes with `Nats-Msg-Id` = event id (so JetStream
//! drops a republished duplicate within the stream's duplicate window) and the
//! CloudEvents attributes as headers, and waits for the stream's ack.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use async_trait::async_trait;

use super::{BusMessage, EventBus, EventBusError, PendingAcks};
use secrecy::ExposeSecret as _;

use crate::config::{EventSettings, NatsConnectSettings};

/// The duplicate window of the stream: a relay that republishes after a crash
/// within this window is de-duplicated by JetStream itself.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Publishes to, and reads from, the `nexus.>` stream.
#[derive(Debug)]
pub struct NatsEventBus {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: stream::Config,
    /// `"<prefix>."`, or empty.
    prefix: String,
    stream_ready: AtomicBool,
}

impl NatsEventBus {
    /// Connects (retrying in the background while NATS is down) and creates or
    /// updates the stream when NATS is reachable.
    ///
    /// # Errors
    /// An unusable URL.
    pub async fn connect(settings: &EventSettings) -> Result<Self, EventBusError> {
        let client = connect_options(settings)
            .await?
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .connect(settings.nats_url.as_str())
            .await
            .map_err(|e| EventBusError::Unavailable(e.to_string()))?;
        let mut jetstream = jetstream::new(client.clone());
        jetstream.set_timeout(Duration::from_secs(5));
        let prefix = if settings.subject_prefix.is_empty() {
            String::new()
        } else {
            format!("{}.", settings.subject_prefix)
        };
        let bus = Self {
            client,
            jetstream,
            stream: stream::Config {
                name: settings.stream.clone(),
                subjects: vec![format!("{prefix}nexus.>")],
                storage: stream::StorageType::File,
                duplicate_window: DUPLICATE_WINDOW,
                num_replicas: settings.stream_replicas,
                max_age: Duration::from_secs(settings.stream_max_age_secs),
                // JetStream spells "no limit" as -1.
                max_bytes: limit(settings.stream_max_bytes),
                max_messages: limit(settings.stream_max_msgs),
                ..stream::Config::default()
            },
            prefix,
            stream_ready: AtomicBool::new(false),
        };
        if let Err(e) = bus.ensure_stream().await {
            tracing::warn!(error = %e, "NATS stream not ready yet; will retry on publish");
        }
        Ok(bus)
    }

    /// Creates the stream, or updates it to the configured limits.
    ///
    /// # Errors
    /// NATS unreachable, or the stream refused.
    pub async fn ensure_stream(&self) -> Result<(), EventBusError> {
        self.jetstream
            .create_or_update_stream(self.stream.clone())
            .await
            .map_err(|e| EventBusError::Unavailable(e.to_string()))?;
        self.stream_ready.store(true, Ordering::Release);
        Ok(())
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    pub fn stream_name(&self) -> &str {
        &self.stream.name
    }

    /// The NATS subject of a Nexus subject (`nexus.…`): with the prefix.
    pub fn subject(&self, subject: &str) -> String {
        format!("{}{subject}", self.prefix)
    }

    /// A durable pull consumer on the stream, delivering subjects matching
    /// `filter` (a Nexus subject, without the prefix) from the stream's start,
    /// with explicit acks.
    ///
    /// # Errors
    /// NATS unreachable, or the consumer refused.
    pub async fn durable_consumer(
        &self,
        durable_name: &str,
        filter: &str,
        max_deliver: i64,
    ) -> Result<consumer::PullConsumer, EventBusError> {
        self.ensure_stream().await?;
        let stream = self
            .jetstream
            .get_stream(&self.stream.name)
            .await
            .map_err(|e| EventBusError::Unavailable(e.to_string()))?;
        stream
            .get_or_create_consumer(
                durable_name,
                consumer::pull::Config {
                    durable_name: Some(durable_name.to_owned()),
                    filter_subject: self.subject(filter),
                    ack_policy: consumer::AckPolicy::Explicit,
                    deliver_policy: consumer::DeliverPolicy::All,
                    max_deliver,
                    ..consumer::pull::Config::default()
                },
            )
            .await
            .map_err(|e| EventBusError::Unavailable(e.to_string()))
    }

    fn headers(message: &BusMessage) -> async_nats::HeaderMap {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", message.id.as_str());
        headers.insert("ce-specversion", "1.0");
        headers.insert("ce-id", message.id.as_str());
        headers.insert("ce-type", message.event_type.as_str());
        headers.insert("ce-source", message.source.as_str());
        headers.insert("ce-time", message.time.to_rfc3339().as_str());
        headers.insert("content-type", "application/protobuf");
        if let Some(tp) = &message.traceparent {
            headers.insert("traceparent", tp.as_str());
        }
        headers
    }
}

/// A configured stream limit as JetStream wants it: 0 (no limit) becomes -1.
/// How a process connects to NATS: its name, the configured credentials
/// (`[events.nats]`) and TLS.
///
/// # Errors
/// A credentials or nkey seed file that cannot be read.
pub async fn connect_options(
    settings: &EventSettings,
) -> Result<async_nats::ConnectOptions, EventBusError> {
    let nats = &settings.nats;
    let unreadable = |what: &str, e: std::io::Error| {
        EventBusError::Unavailable(format!("events.nats.{what}: {e}"))
    };
    let mut options = match (&nats.credentials_file, &nats.nkey_seed_file, &nats.user) {
        (Some(path), _, _) => async_nats::ConnectOptions::with_credentials_file(path)
            .await
            .map_err(|e| unreadable("credentials_file", e))?,
        (None, Some(path), _) => async_nats::ConnectOptions::with_nkey(
            NatsConnectSettings::nkey_seed(path).map_err(|e| unreadable("nkey_seed_file", e))?,
        ),
        (None, None, Some(user)) => async_nats::ConnectOptions::with_user_and_password(
            user.clone(),
            nats.password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default(),
        ),
        (None, None, None) => async_nats::ConnectOptions::new(),
    };
    if let Some(ca) = &nats.tls_ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    if let (Some(cert), Some(key)) = (&nats.tls_cert_file, &nats.tls_key_file) {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let tls =
        nats.require_tls || nats.tls_ca_file.is_some() || settings.nats_url.starts_with("tls://");
    Ok(options.name("nexus").require_tls(tls))
}

fn limit(configured: u64) -> i64 {
    if configured == 0 {
        -1
    } else {
        i64::try_from(configured).unwrap_or(i64::MAX)
    }
}

#[async_trait]
impl EventBus for NatsEventBus {
    async fn publish(&self, message: &BusMessage) -> Result<(), EventBusError> {
        self.publish_all(std::slice::from_ref(message))
            .await
            .map(|_| ())
    }

    /// Pipelines the publishes, then waits for their acks in order.
    async fn publish_all(&self, messages: &[BusMessage]) -> Result<usize, EventBusError> {
        self.start_publish(messages).await?.await
    }

    /// Pipelines the publishes; the acks are awaited in order by the future.
    async fn start_publish<'a>(
        &'a self,
        messages: &'a [BusMessage],
    ) -> Result<PendingAcks<'a>, EventBusError> {
        // While disconnected the client would buffer the publishes and block
        // once its buffer is full; failing now lets the relay back off instead.
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return Err(EventBusError::Unavailable(
                "not connected to NATS".to_owned(),
            ));
        }
        if !self.stream_ready.load(Ordering::Acquire) {
            self.ensure_stream().await?;
        }
        let mut pending = Vec::with_capacity(messages.len());
        for message in messages {
            match self
                .jetstream
                .publish_with_headers(
                    self.subject(&message.subject),
                    Self::headers(message),
                    message.payload.clone(),
                )
                .await
            {
                Ok(ack) => pending.push(ack),
                Err(e) => {
                    if pending.is_empty() {
                        return Err(EventBusError::Unavailable(e.to_string()));
                    }
                    break;
                }
            }
        }
        Ok(Box::pin(async move {
            let mut acked = 0;
            for ack in pending {
                match ack.await {
                    Ok(_) => acked += 1,
                    Err(e) if acked == 0 => {
                        self.stream_ready.store(false, Ordering::Release);
                        return Err(EventBusError::Unavailable(e.to_string()));
                    }
                    Err(_) => break,
                }
            }
            Ok(acked)
        }))
    }

    async fn is_ready(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}
