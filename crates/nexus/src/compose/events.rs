//! `nexus events …`: the dead letters of the all-in-one's consumers (kept in
//! each consumer's database), redriving them, and replaying a consumer from
//! an outbox position or time by moving its cursor (with
//! `events.backend = "nats"`, see [`super::events_nats`]).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use nexus_platform::config::{Component, EventBackend, Mode, Settings};
use nexus_platform::events::consumer::jetstream::ReplayStart;
use nexus_platform::events::consumer::{ConsumerOptions, EventConsumer};
use nexus_platform::events::{dead_letters, feed};
use nexus_platform::inbox;
use sea_orm::{DatabaseConnection, TransactionTrait as _};

pub use super::events_nats::Redriven;
use super::service::{consumer_of, open_database};

const SERVICES: [Component; 3] = [Component::Identity, Component::Upn, Component::TenantAccess];

/// Where a replay starts: an outbox `seq` (with `events.backend = "nats"`, a
/// JetStream stream sequence), or the first event at or after a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    Seq(i64),
    Time(DateTime<Utc>),
}

impl std::str::FromStr for ReplayFrom {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(seq) = s.parse::<i64>() {
            return if seq >= 1 {
                Ok(Self::Seq(seq))
            } else {
                Err("a sequence number starts at 1".to_owned())
            };
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| Self::Time(t.with_timezone(&Utc)))
            .map_err(|_| {
                "expected a sequence number (outbox, or JetStream stream) or an RFC 3339 time (2026-11-30T08:00:00Z)"
                    .to_owned()
            })
    }
}

/// A consumer, with its database and its producer's.
struct Consumer {
    consumer: EventConsumer,
    options: ConsumerOptions,
    producer: Component,
}

async fn consumers(
    settings: &Settings,
) -> anyhow::Result<(Vec<Consumer>, Vec<(Component, DatabaseConnection)>)> {
    let mut databases = Vec::new();
    let mut consumers = Vec::new();
    for component in SERVICES {
        let db = open_database(settings, Mode::AllInOne, component).await?;
        if let Some((consumer, options, producer)) = consumer_of(settings, component, db.clone())? {
            consumers.push(Consumer {
                consumer,
                options,
                producer,
            });
        }
        databases.push((component, db));
    }
    Ok((consumers, databases))
}

fn known(consumers: &[Consumer], name: Option<&str>) -> anyhow::Result<()> {
    match name {
        Some(name) if !consumers.iter().any(|c| c.consumer.name() == name) => {
            let names: Vec<_> = consumers.iter().map(|c| c.consumer.name()).collect();
            anyhow::bail!(
                "no consumer named {name:?}; consumers: {}",
                names.join(", ")
            )
        }
        _ => Ok(()),
    }
}

fn on_nats(settings: &Settings) -> bool {
    settings.event_backend(Mode::AllInOne) == EventBackend::Nats
}

/// The kept dead letters, one line each (of consumer `name` when given):
/// in the consumers' databases, or with `events.backend = "nats"` in the
/// dead-letter stream.
///
/// # Errors
/// A database or NATS unreachable, or an unknown consumer.
pub async fn dead_letters(settings: &Settings, name: Option<&str>) -> anyhow::Result<Vec<String>> {
    if on_nats(settings) {
        return super::events_nats::dead_letters(settings, name).await;
    }
    let (consumers, _) = consumers(settings).await?;
    known(&consumers, name)?;
    let mut lines = Vec::new();
    for c in consumers
        .iter()
        .filter(|c| name.is_none_or(|n| n == c.consumer.name()))
    {
        for letter in dead_letters::list(c.consumer.db(), Some(c.consumer.name())).await? {
            lines.push(format!(
                "{id}\t{consumer}\t{event_type}\t{event_id}\t{dead_at}\tfailures={failures}\t{error}",
                id = letter.id,
                consumer = letter.consumer,
                event_type = letter.message.event_type,
                event_id = letter.message.id,
                dead_at = letter.dead_at.to_rfc3339(),
                failures = letter.failures,
                error = letter.error.replace(['\n', '\t'], " "),
            ));
        }
    }
    Ok(lines)
}

/// Applies the kept dead letters again (of consumer `name`, or the one with
/// `id`, when given); each one applied is forgotten.
///
/// # Errors
/// A database unreachable, or an unknown consumer.
pub async fn redrive(
    settings: &Settings,
    name: Option<&str>,
    id: Option<i64>,
) -> anyhow::Result<Redriven> {
    if on_nats(settings) {
        return super::events_nats::redrive(settings, name, id).await;
    }
    let (consumers, _) = consumers(settings).await?;
    known(&consumers, name)?;
    let mut done = Redriven::default();
    for c in consumers
        .iter()
        .filter(|c| name.is_none_or(|n| n == c.consumer.name()))
    {
        let letters = dead_letters::list(c.consumer.db(), Some(c.consumer.name())).await?;
        for letter in letters
            .into_iter()
            .filter(|l| id.is_none_or(|id| id == l.id))
        {
            let applied = match EventConsumer::decode(&letter.message.payload) {
                Ok(event) => c.consumer.apply(&event).await.map(drop),
                Err(e) => Err(e),
            };
            match applied {
                Ok(()) => {
                    dead_letters::remove(c.consumer.db(), letter.id).await?;
                    done.applied += 1;
                }
                Err(e) => done
                    .failed
                    .push(format!("{}\t{}\t{e}", letter.id, letter.consumer)),
            }
        }
    }
    Ok(done)
}

/// Moves consumer `name`'s cursor back to `from` and forgets the events it
/// applied since, so that the running all-in-one applies them again (its
/// handlers' version checks keep newer state); with `events.backend =
/// "nats"`, re-creates its JetStream consumer at `from` instead. Answers
/// what was done, for the operator.
///
/// # Errors
/// A database or NATS unreachable, or an unknown consumer.
pub async fn replay(settings: &Settings, name: &str, from: ReplayFrom) -> anyhow::Result<String> {
    let (consumers, databases) = consumers(settings).await?;
    known(&consumers, Some(name))?;
    let c = consumers
        .iter()
        .find(|c| c.consumer.name() == name)
        .context("consumer")?;
    if on_nats(settings) {
        let start = match from {
            ReplayFrom::Seq(seq) => ReplayStart::Sequence(u64::try_from(seq).context("sequence")?),
            ReplayFrom::Time(time) => ReplayStart::Time(time),
        };
        return super::events_nats::replay(settings, &c.consumer, &c.options, start).await;
    }
    let producer = databases
        .iter()
        .find(|(component, _)| *component == c.producer)
        .map(|(_, db)| db)
        .context("producer database")?;
    let at = match from {
        ReplayFrom::Seq(seq) => feed::position_before_seq(seq),
        ReplayFrom::Time(time) => feed::position_before_time(producer, time).await?,
    };
    let txn = c.consumer.db().begin().await?;
    inbox::clear(&txn, name).await?;
    feed::save(&txn, name, at).await?;
    txn.commit().await?;
    Ok(format!(
        "{name}: cursor moved to {}; the running all-in-one applies the events after it again",
        at.seq
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_starts_at_a_sequence_number_or_a_time() {
        assert_eq!("42".parse(), Ok(ReplayFrom::Seq(42)));
        assert!("0".parse::<ReplayFrom>().is_err());
        assert!(matches!(
            "2026-11-30T08:00:00Z".parse::<ReplayFrom>(),
            Ok(ReplayFrom::Time(_))
        ));
        assert!("yesterday".parse::<ReplayFrom>().is_err());
    }
}
