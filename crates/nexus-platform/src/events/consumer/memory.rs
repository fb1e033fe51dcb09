//! Runs an [`EventConsumer`] on the all-in-one's in-process bus, with the same
//! handlers and inbox as on JetStream: a failing event is retried with backoff
//! up to `max_deliver` times, then published to the dead-letter subject on the
//! same bus, and the consumer goes on with the next.

use tokio::sync::broadcast;

use super::{
    ConsumerError, ConsumerOptions, DEAD_LETTER_PREFIX, EventConsumer, dead_letter_subject,
    subject_matches,
};
use crate::events::{BusMessage, EventBus, InProcessEventBus};
use crate::shutdown::Shutdown;

/// An [`EventConsumer`] subscribed to an [`InProcessEventBus`].
#[derive(Debug)]
pub struct InProcessConsumer {
    consumer: EventConsumer,
    bus: InProcessEventBus,
    receiver: broadcast::Receiver<BusMessage>,
    options: ConsumerOptions,
}

impl InProcessConsumer {
    /// Subscribes now, so that every event published after this call reaches
    /// the consumer once it is spawned.
    pub fn new(consumer: EventConsumer, bus: &InProcessEventBus, options: ConsumerOptions) -> Self {
        Self {
            consumer,
            bus: bus.clone(),
            receiver: bus.subscribe(),
            options,
        }
    }

    /// Runs until `shutdown`.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run(shutdown).await })
    }

    async fn run(mut self, shutdown: Shutdown) {
        let mut metrics = tokio::time::interval(self.options.metrics_interval);
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                _ = metrics.tick() => {
                    let counts = self.consumer.stats.snapshot();
                    tracing::debug!(
                        consumer = self.consumer.name(),
                        lag = self.receiver.len(),
                        dead_letters = counts.dead_lettered,
                        applied = counts.applied,
                        duplicates = counts.duplicates,
                        failed_attempts = counts.failed_attempts,
                        "consumer metrics"
                    );
                }
                received = self.receiver.recv() => match received {
                    Ok(message) => {
                        if !self.handle(&message, &shutdown).await {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        // The outbox still holds them; the all-in-one accepts the gap.
                        tracing::warn!(consumer = self.consumer.name(), missed, "in-process consumer fell behind and missed events");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
    }

    /// Delivers `message` until it is applied or dead-lettered; `false` when
    /// shutdown interrupted the retries.
    async fn handle(&self, message: &BusMessage, shutdown: &Shutdown) -> bool {
        if message.subject.starts_with(DEAD_LETTER_PREFIX)
            || !subject_matches(&self.options.filter, &message.subject)
        {
            return true;
        }
        let mut delivered = 0;
        loop {
            delivered += 1;
            let result = match EventConsumer::decode(&message.payload) {
                Ok(event) => self.consumer.apply(&event).await,
                Err(e) => {
                    self.consumer.stats.failed();
                    Err(e)
                }
            };
            let Err(error) = result else {
                return true;
            };
            if error.is_permanent() || delivered >= self.options.max_deliver {
                self.dead_letter(message, &error).await;
                return true;
            }
            let delay = self.options.backoff(delivered);
            tracing::warn!(consumer = self.consumer.name(), subject = %message.subject, delivered, retry_in_ms = delay.as_millis(), error = %error, "event handler failed");
            tokio::select! {
                () = shutdown.wait() => return false,
                () = tokio::time::sleep(delay) => {},
            }
        }
    }

    async fn dead_letter(&self, message: &BusMessage, error: &ConsumerError) {
        let name = self.consumer.name();
        self.consumer.stats.dead_lettered();
        tracing::error!(consumer = name, subject = %message.subject, error = %error, "event dead-lettered");
        let letter = BusMessage {
            subject: dead_letter_subject(name),
            ..message.clone()
        };
        // The in-process bus never refuses; the counter above is what is observed.
        let _ = self.bus.publish(&letter).await;
    }
}
