//! `nexus events dead-letters`, `redrive` and `replay` when events go to
//! NATS: the dead letters are the messages of the dead-letter stream
//! (`<stream>_DLQ`); a redrive publishes one back to its original subject
//! (its event id unchanged, so consumers that applied it already skip it)
//! and removes it; a replay re-creates the consumer's durable JetStream
//! consumer at a stream sequence or time.

use anyhow::Context as _;
use nexus_platform::config::Settings;
use nexus_platform::events::NatsEventBus;
use nexus_platform::events::consumer::jetstream::{self, ReplayStart, dlq};
use nexus_platform::events::consumer::{ConsumerOptions, EventConsumer};

/// What a redrive did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Redriven {
    /// Letters put back: applied (all-in-one) or published back to their
    /// subject (NATS).
    pub applied: usize,
    /// Letters that failed again, each with its error; they stay kept.
    pub failed: Vec<String>,
}

/// One dead letter of the stream.
struct Letter {
    seq: u64,
    consumer: String,
    subject: String,
    message: async_nats::jetstream::message::StreamMessage,
}

fn header(m: &async_nats::jetstream::message::StreamMessage, name: &str) -> String {
    m.headers
        .get(name)
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default()
}

async fn letters(bus: &NatsEventBus, name: Option<&str>) -> anyhow::Result<Vec<Letter>> {
    let mut stream = dlq::ensure_stream(bus).await?;
    let state = stream
        .info()
        .await
        .context("dead-letter stream")?
        .state
        .clone();
    let mut letters = Vec::new();
    if state.messages == 0 {
        return Ok(letters);
    }
    for seq in state.first_sequence..=state.last_sequence {
        // Redriven letters leave gaps.
        let Ok(message) = stream.get_raw_message(seq).await else {
            continue;
        };
        let consumer = header(&message, "nexus-dlq-consumer");
        if name.is_some_and(|n| n != consumer) {
            continue;
        }
        letters.push(Letter {
            seq,
            consumer,
            subject: header(&message, "nexus-dlq-subject"),
            message,
        });
    }
    Ok(letters)
}

/// The dead letters of the stream, one line each.
///
/// # Errors
/// NATS unreachable.
pub(super) async fn dead_letters(
    settings: &Settings,
    name: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let bus = NatsEventBus::connect(&settings.events).await?;
    Ok(letters(&bus, name)
        .await?
        .iter()
        .map(|l| {
            let m = &l.message;
            format!(
                "{}\t{}\t{}\t{}\t{}\tfailures={}\t{}",
                l.seq,
                l.consumer,
                header(m, "ce-type"),
                header(m, "ce-id"),
                header(m, "ce-time"),
                header(m, "nexus-dlq-failures"),
                header(m, "nexus-dlq-error"),
            )
        })
        .collect())
}

/// Publishes the dead letters back to their subjects and removes them.
///
/// # Errors
/// NATS unreachable.
pub(super) async fn redrive(
    settings: &Settings,
    name: Option<&str>,
    id: Option<i64>,
) -> anyhow::Result<Redriven> {
    let bus = NatsEventBus::connect(&settings.events).await?;
    let stream = dlq::ensure_stream(&bus).await?;
    let mut done = Redriven::default();
    for letter in letters(&bus, name).await? {
        if id.is_some_and(|id| u64::try_from(id).ok() != Some(letter.seq)) {
            continue;
        }
        let mut headers = async_nats::HeaderMap::new();
        for key in [
            "ce-specversion",
            "ce-id",
            "ce-type",
            "ce-source",
            "ce-time",
            "content-type",
            "traceparent",
        ] {
            let value = header(&letter.message, key);
            if !value.is_empty() {
                headers.insert(key, value.as_str());
            }
        }
        let msg_id = format!(
            "redrive:{}:{}",
            letter.seq,
            header(&letter.message, "ce-id")
        );
        headers.insert("Nats-Msg-Id", msg_id.as_str());
        let published = async {
            bus.jetstream()
                .publish_with_headers(
                    letter.subject.clone(),
                    headers,
                    letter.message.payload.clone(),
                )
                .await?
                .await?;
            stream.delete_message(letter.seq).await?;
            anyhow::Ok(())
        }
        .await;
        match published {
            Ok(()) => done.applied += 1,
            Err(e) => done
                .failed
                .push(format!("{}\t{}\t{e}", letter.seq, letter.consumer)),
        }
    }
    Ok(done)
}

/// Re-creates `consumer`'s durable JetStream consumer to deliver from
/// `start` (a stream sequence, or a time) and forgets its inbox, so that the
/// running service applies those events again (its handlers' version
/// checks keep newer state); answers what was done.
///
/// # Errors
/// The database or NATS unreachable.
pub(super) async fn replay(
    settings: &Settings,
    consumer: &EventConsumer,
    options: &ConsumerOptions,
    start: ReplayStart,
) -> anyhow::Result<String> {
    let bus = NatsEventBus::connect(&settings.events).await?;
    let at = match start {
        ReplayStart::Sequence(seq) => format!("stream sequence {seq}"),
        ReplayStart::Time(time) => time.to_rfc3339(),
    };
    let name = consumer.name();
    jetstream::replay_from(&bus, consumer.db(), name, options, start).await?;
    Ok(format!(
        "{name}: JetStream consumer re-created from {at}; the running service applies the events from there again"
    ))
}
