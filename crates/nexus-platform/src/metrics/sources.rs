//! What the process's services and consumers hold and a scrape reads: each
//! service's database pool and outbox backlog, its relay's counters; each
//! consumer's counts, processing latency and (on JetStream) lag and stored
//! dead letters.
//!
//! Counters are read from the relays and consumers themselves when encoded.
//! Backlog, pool use, lag and dead letters are sampled right before each
//! scrape is encoded, each query bounded by [`SAMPLE_TIMEOUT`]: a sample that
//! fails or times out is left out of that scrape (its series disappears
//! rather than showing a stale value), and the rest of the scrape answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use sea_orm::DatabaseConnection;

use super::counters::RelayCounters;
use super::pool::pool_use;
use crate::events::NatsEventBus;
use crate::events::consumer::ConsumerStats;
use crate::events::consumer::jetstream::{consumer_lag, dead_letter_count};
use crate::outbox::relay::backlog;

/// How long one sample (a database or JetStream query) may take in a scrape.
pub const SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);

/// One service of the process: its database and its outbox relay.
#[derive(Debug, Clone)]
struct ServiceSource {
    service: &'static str,
    db: DatabaseConnection,
    relay: RelayCounters,
    parked: Arc<AtomicU64>,
}

/// One event consumer of the process.
#[derive(Debug, Clone)]
struct ConsumerSource {
    consumer: String,
    stats: Arc<ConsumerStats>,
    /// Where its lag and dead letters are read; `None` on the in-process bus.
    bus: Option<Arc<NatsEventBus>>,
}

#[derive(Debug, Default)]
struct Lists {
    services: Vec<ServiceSource>,
    consumers: Vec<ConsumerSource>,
}

/// The service as the label `component` (its `nexus serve` name): not
/// `service`, which Prometheus's Kubernetes discovery sets on every series
/// of a target (the Kubernetes Service), and which would push this one
/// aside as `exported_service`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    component: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    component: &'static str,
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConsumerLabels {
    consumer: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    consumer: String,
    outcome: &'static str,
}

/// The gauges set from samples before each scrape.
#[derive(Debug, Clone, Default)]
struct Sampled {
    outbox_pending: Family<ServiceLabels, Gauge>,
    outbox_oldest_age: Family<ServiceLabels, Gauge<f64, AtomicU64>>,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Family<ServiceLabels, Gauge>,
    consumer_lag: Family<ConsumerLabels, Gauge>,
    dead_letters_stored: Family<ConsumerLabels, Gauge>,
}

/// The services and consumers of a process, as its metrics see them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    lists: Arc<Mutex<Lists>>,
    sampled: Sampled,
}

impl Sources {
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let sources = Self::default();
        let s = &sources.sampled;
        registry.register(
            "outbox_pending",
            "Outbox rows not yet published to the event bus, by service",
            s.outbox_pending.clone(),
        );
        registry.register_with_unit(
            "outbox_oldest_pending_age",
            "Age of the oldest unpublished outbox row (0 when none), by service",
            Unit::Seconds,
            s.outbox_oldest_age.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by service (component) and state (in_use, idle)",
            s.pool_connections.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Largest size of the database pool, by service",
            s.pool_max.clone(),
        );
        registry.register(
            "event_consumer_lag",
            "Events of the stream a durable JetStream consumer has not been delivered yet",
            s.consumer_lag.clone(),
        );
        registry.register(
            "event_dead_letters_stored",
            "Dead letters of a consumer the JetStream stream holds (until redriven)",
            s.dead_letters_stored.clone(),
        );
        registry.register_collector(Box::new(Counts(sources.lists.clone())));
        sources
    }

    fn lists(&self) -> MutexGuard<'_, Lists> {
        self.lists.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a service: its database, and the counters of its outbox relay.
    pub fn add_service(
        &self,
        service: &'static str,
        db: DatabaseConnection,
        relay: RelayCounters,
        parked: Arc<AtomicU64>,
    ) {
        self.lists().services.push(ServiceSource {
            service,
            db,
            relay,
            parked,
        });
    }

    /// Adds an event consumer; `bus` is the JetStream it reads, if any.
    pub fn add_consumer(
        &self,
        consumer: &str,
        stats: Arc<ConsumerStats>,
        bus: Option<Arc<NatsEventBus>>,
    ) {
        self.lists().consumers.push(ConsumerSource {
            consumer: consumer.to_owned(),
            stats,
            bus,
        });
    }

    /// Samples backlog, pools, lag and dead letters into their gauges.
    pub async fn sample(&self) {
        let (services, consumers) = {
            let lists = self.lists();
            (lists.services.clone(), lists.consumers.clone())
        };
        let backlogs = futures::future::join_all(services.iter().map(|s| async {
            let found = tokio::time::timeout(SAMPLE_TIMEOUT, backlog(&s.db)).await;
            match found {
                Ok(Ok(found)) => Some(found),
                Ok(Err(e)) => {
                    tracing::debug!(service = s.service, error = %e, "outbox backlog not sampled");
                    None
                }
                Err(_) => None,
            }
        }))
        .await;
        let jetstream = futures::future::join_all(consumers.iter().map(|c| async {
            let bus = c.bus.as_ref()?;
            let lag = tokio::time::timeout(SAMPLE_TIMEOUT, consumer_lag(bus, &c.consumer)).await;
            let dead =
                tokio::time::timeout(SAMPLE_TIMEOUT, dead_letter_count(bus, &c.consumer)).await;
            Some((
                lag.ok().and_then(Result::ok),
                dead.ok().and_then(Result::ok),
            ))
        }))
        .await;

        let s = &self.sampled;
        s.outbox_pending.clear();
        s.outbox_oldest_age.clear();
        s.pool_connections.clear();
        s.pool_max.clear();
        for (source, found) in services.iter().zip(backlogs) {
            let labels = ServiceLabels {
                component: source.service,
            };
            if let Some((pending, oldest)) = found {
                s.outbox_pending.get_or_create(&labels).set(pending);
                let age = oldest.map_or(0.0, |t| {
                    (Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
                });
                s.outbox_oldest_age.get_or_create(&labels).set(age);
            }
            if let Some(pool) = pool_use(&source.db) {
                let in_use = PoolLabels {
                    component: source.service,
                    state: "in_use",
                };
                let idle = PoolLabels {
                    component: source.service,
                    state: "idle",
                };
                s.pool_connections.get_or_create(&in_use).set(pool.in_use);
                s.pool_connections.get_or_create(&idle).set(pool.idle);
                s.pool_max.get_or_create(&labels).set(pool.max);
            }
        }
        s.consumer_lag.clear();
        s.dead_letters_stored.clear();
        for (source, found) in consumers.iter().zip(jetstream) {
            let labels = ConsumerLabels {
                consumer: source.consumer.clone(),
            };
            let Some((lag, dead)) = found else { continue };
            if let Some(lag) = lag {
                s.consumer_lag.get_or_create(&labels).set(saturating(lag));
            }
            if let Some(dead) = dead {
                s.dead_letters_stored
                    .get_or_create(&labels)
                    .set(saturating(dead));
            }
        }
    }
}

fn saturating(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Encodes the relays' and consumers' own counters at each scrape.
#[derive(Debug)]
struct Counts(Arc<Mutex<Lists>>);

fn counter_family<S: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: &[(S, u64)],
) -> Result<(), std::fmt::Error> {
    if series.is_empty() {
        return Ok(());
    }
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in series {
        ConstCounter::new(*value).encode(metric.encode_family(labels)?)?;
    }
    Ok(())
}

impl Collector for Counts {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let lists = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let by_service = |value: &dyn Fn(&ServiceSource) -> u64| {
            lists
                .services
                .iter()
                .map(|s| {
                    let labels = ServiceLabels {
                        component: s.service,
                    };
                    (labels, value(s))
                })
                .collect::<Vec<_>>()
        };
        counter_family(
            &mut encoder,
            "outbox_published",
            "Outbox rows the relay published and the bus acknowledged, by service.",
            &by_service(&|s| s.relay.published_total()),
        )?;
        counter_family(
            &mut encoder,
            "outbox_publish_failures",
            "Relay rounds the bus failed or refused (retried with backoff), by service.",
            &by_service(&|s| s.relay.failures_total()),
        )?;
        counter_family(
            &mut encoder,
            "outbox_parked",
            "Outbox rows refused for good and parked in outbox_parked, by service.",
            &by_service(&|s| s.parked.load(Ordering::Relaxed)),
        )?;

        let consumer = |c: &ConsumerSource| ConsumerLabels {
            consumer: c.consumer.clone(),
        };
        let mut outcomes = Vec::new();
        let mut failures = Vec::new();
        let mut dead = Vec::new();
        for c in &lists.consumers {
            let counts = c.stats.snapshot();
            for (outcome, n) in [
                ("applied", counts.applied),
                ("duplicate", counts.duplicates),
                ("ignored", counts.ignored),
            ] {
                let labels = OutcomeLabels {
                    consumer: c.consumer.clone(),
                    outcome,
                };
                outcomes.push((labels, n));
            }
            failures.push((consumer(c), counts.failed_attempts));
            dead.push((consumer(c), counts.dead_lettered));
        }
        counter_family(
            &mut encoder,
            "event_consumer_processed",
            "Events a consumer processed, by consumer and outcome (applied, duplicate, ignored).",
            &outcomes,
        )?;
        counter_family(
            &mut encoder,
            "event_consumer_failures",
            "Failed attempts to apply an event (each is retried, or dead-lettered at the limit).",
            &failures,
        )?;
        counter_family(
            &mut encoder,
            "event_consumer_dead_lettered",
            "Events a consumer sent to its dead-letter subject.",
            &dead,
        )?;
        if !lists.consumers.is_empty() {
            let unit = Unit::Seconds;
            let mut metric = encoder.encode_descriptor(
                "event_consumer_processing",
                "Time of one transaction applying events (one event, or the events already available in a batch; handlers and inbox), by consumer.",
                Some(&unit),
                MetricType::Histogram,
            )?;
            for c in &lists.consumers {
                let labels = consumer(c);
                c.stats
                    .latency()
                    .histogram()
                    .encode(metric.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}
