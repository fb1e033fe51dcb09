//! In-process event delivery for observers of the all-in-one (tests, tools):
//! a broadcast channel. A subscriber that lags behind its capacity misses
//! messages, so no projection reads it: the all-in-one's consumers read the
//! producers' outbox tables through durable cursors (see `events::feed`).

use async_trait::async_trait;
use tokio::sync::broadcast;

use super::{BusMessage, EventBus, EventBusError};

/// How many undelivered messages a slow subscriber may fall behind by.
const CAPACITY: usize = 4096;

/// Delivers each published message to every current subscriber.
#[derive(Debug, Clone)]
pub struct InProcessEventBus {
    sender: broadcast::Sender<BusMessage>,
}

impl Default for InProcessEventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl InProcessEventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }

    /// A receiver of every message published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.sender.subscribe()
    }
}

#[async_trait]
impl EventBus for InProcessEventBus {
    async fn publish(&self, message: &BusMessage) -> Result<(), EventBusError> {
        // No subscriber is not an error: the event is recorded in the outbox.
        let _ = self.sender.send(message.clone());
        Ok(())
    }

    async fn is_ready(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[tokio::test]
    async fn subscribers_receive_what_is_published_after_they_subscribe() {
        let bus = InProcessEventBus::new();
        let mut rx = bus.subscribe();
        let msg = BusMessage {
            id: "1".into(),
            subject: "nexus.identity.user.created".into(),
            event_type: "user.created".into(),
            source: "identity".into(),
            time: Utc::now(),
            traceparent: None,
            payload: bytes::Bytes::from_static(b"x"),
        };
        bus.publish(&msg).await.unwrap();
        assert_eq!(rx.recv().await.unwrap(), msg);
    }
}
