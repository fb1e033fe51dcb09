//! The outbox relay: publishes pending rows in `seq` order, waits for the bus's
//! ack, then marks them sent. On PostgreSQL a transaction-scoped advisory lock
//! makes one replica publish at a time, so order holds with N replicas; a crash
//! between publish and mark republishes, and JetStream drops the duplicate by
//! its `Nats-Msg-Id`. Sent rows are pruned after the retention time, except
//! those a consumer reading the outbox directly has not passed yet (see
//! [`OutboxRelay::keep_for`]), and so are old rows of the `processed_events`
//! inbox in the same database.
//!
//! A row the bus refuses for good (see [`parked::is_permanent`]) on
//! [`PARK_AFTER_REFUSALS`] tries in a row is moved to `outbox_parked` with the
//! reason, logged at error level and counted, and the rows behind it go on.
//! Any other failure keeps the row at the head and is retried with backoff.
//!
//! A round publishes several batches in a pipeline ([`round`]): while the bus
//! acknowledges batch k, batch k-1 is marked sent and batch k+1 is read; a
//! batch is published only once every ack of the one before has come, so the
//! bus stores the rows in `seq` order.

mod round;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::{Outbox, OutboxSignal};
use crate::events::EventBus;
use crate::events::feed::{self, CursorReader};
use crate::inbox;
use crate::metrics::counters::RelayCounters;
use crate::shutdown::Shutdown;

/// Key of the PostgreSQL advisory lock held while a relay publishes.
const RELAY_LOCK_KEY: i64 = 0x6e65_7875_735f_6f62; // "nexus_ob"
const MAX_BACKOFF: Duration = Duration::from_secs(10);
const PRUNE_EVERY: Duration = Duration::from_secs(60);
const METRICS_EVERY: Duration = Duration::from_secs(30);
/// How many times in a row the head row must be refused for good before it is
/// parked. More than one: after a refusal the bus re-creates its stream, so a
/// stream deleted under the relay costs a retry, not a parked event.
pub const PARK_AFTER_REFUSALS: u32 = 3;
/// Batches one round may publish (in one transaction, under the lock): the
/// acks of one batch are awaited while the one before is marked sent and the
/// next one is read.
const BATCHES_PER_ROUND: usize = 8;
/// Batches the relay may still publish after shutdown.
const LAST_ROUNDS: u32 = 20;

/// Publishes one service's outbox.
pub struct OutboxRelay {
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    signal: OutboxSignal,
    batch_size: u64,
    poll_interval: Duration,
    retention: Duration,
    /// The head row refused for good, and how many times in a row.
    refused: Mutex<Option<(i64, u32)>>,
    parked: Arc<AtomicU64>,
    /// Consumers reading this outbox directly: pruning keeps their rows.
    readers: Vec<CursorReader>,
    counters: RelayCounters,
}

/// What one relay round did.
enum Round {
    Sent(usize),
    Parked,
}

impl OutboxRelay {
    pub fn new(
        db: DatabaseConnection,
        bus: Arc<dyn EventBus>,
        signal: OutboxSignal,
        batch_size: u64,
        poll_interval: Duration,
        retention: Duration,
    ) -> Self {
        Self {
            db,
            bus,
            signal,
            batch_size,
            poll_interval,
            retention,
            refused: Mutex::new(None),
            parked: Arc::new(AtomicU64::new(0)),
            readers: Vec::new(),
            counters: RelayCounters::default(),
        }
    }

    /// Pruning keeps every row one of `readers` (consumers reading this
    /// outbox through a cursor) has not passed yet.
    #[must_use]
    pub fn keep_for(mut self, readers: Vec<CursorReader>) -> Self {
        self.readers = readers;
        self
    }

    /// What this relay has published, and its failed rounds, since it started.
    pub fn counters(&self) -> RelayCounters {
        self.counters.clone()
    }

    /// How many rows this relay has parked since it started.
    pub fn parked_counter(&self) -> Arc<AtomicU64> {
        self.parked.clone()
    }

    /// Runs until `shutdown`, retrying with backoff while the bus is down.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run(shutdown).await })
    }

    async fn run(self, shutdown: Shutdown) {
        let mut backoff = Duration::from_millis(100);
        let mut last_prune = Instant::now();
        let mut last_metrics = Instant::now();
        loop {
            if shutdown.is_triggered() {
                break;
            }
            let wait = match self.round().await {
                Ok(Round::Parked) => {
                    backoff = Duration::from_millis(100);
                    continue;
                }
                Ok(Round::Sent(n)) if n as u64 >= self.batch_size => {
                    backoff = Duration::from_millis(100);
                    continue;
                }
                Ok(Round::Sent(_)) => {
                    backoff = Duration::from_millis(100);
                    self.poll_interval
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis(), "outbox relay could not publish");
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                if let Err(e) = self.prune().await {
                    tracing::warn!(error = %e, "outbox prune failed");
                }
            }
            if last_metrics.elapsed() >= METRICS_EVERY {
                last_metrics = Instant::now();
                self.log_backlog().await;
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = self.signal.notified() => {},
                () = tokio::time::sleep(wait) => {},
            }
        }
        self.last_rounds().await;
    }

    /// After shutdown (the servers have stopped, so nothing more is
    /// committed): publishes what is pending, up to [`LAST_ROUNDS`] batches,
    /// unless the bus is unavailable; what is left waits for the next start.
    async fn last_rounds(&self) {
        for _ in 0..LAST_ROUNDS {
            match self.round().await {
                Ok(Round::Parked) => {}
                Ok(Round::Sent(n)) if n as u64 >= self.batch_size => {}
                Ok(Round::Sent(_)) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "last outbox relay round at shutdown failed; the rows are published at the next start");
                    return;
                }
            }
        }
    }

    /// Publishes up to one batch of pending rows; returns how many were sent
    /// (or 1 when the head row was parked instead).
    ///
    /// # Errors
    /// The database failed, or the bus acknowledged none of the batch.
    pub async fn publish_batch(&self) -> Result<usize, RelayError> {
        match self.round().await? {
            Round::Sent(n) => Ok(n),
            Round::Parked => Ok(1),
        }
    }

    /// Counts one more permanent refusal of the head row `seq`; true once it
    /// has been refused [`PARK_AFTER_REFUSALS`] times in a row.
    fn refused_again(&self, seq: i64) -> bool {
        let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        let times = match *refused {
            Some((head, n)) if head == seq => n + 1,
            _ => 1,
        };
        *refused = Some((seq, times));
        times >= PARK_AFTER_REFUSALS
    }

    fn forget_refusal(&self) {
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    async fn log_backlog(&self) {
        match backlog(&self.db).await {
            Ok((pending, oldest)) => {
                let oldest_age_ms = oldest.map(|t| (Utc::now() - t).num_milliseconds());
                tracing::debug!(pending, ?oldest_age_ms, "outbox backlog");
            }
            Err(e) => tracing::debug!(error = %e, "outbox backlog unavailable"),
        }
    }

    /// Deletes rows sent longer ago than the retention time, then inbox rows
    /// older than [`inbox::RETENTION`] (a database without an inbox is fine).
    ///
    /// # Errors
    /// The database failed.
    pub async fn prune(&self) -> Result<u64, RelayError> {
        let pruned = self.prune_outbox().await?;
        match inbox::prune_expired(&self.db).await {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "inbox pruned"),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "inbox not pruned"),
        }
        Ok(pruned)
    }

    async fn prune_outbox(&self) -> Result<u64, RelayError> {
        let cutoff = Utc::now()
            - chrono::Duration::from_std(self.retention).unwrap_or(chrono::Duration::days(7));
        let mut delete = Query::delete()
            .from_table(Outbox::Table)
            .and_where(Expr::col(Outbox::SentAt).lt(cutoff))
            .to_owned();
        if let Some(lowest) = feed::lowest(&self.readers).await? {
            delete.and_where(Expr::col(Outbox::Seq).lt(lowest.seq));
        }
        let backend = self.db.get_database_backend();
        Ok(self
            .db
            .execute(backend.build(&delete))
            .await?
            .rows_affected())
    }
}

/// Outbox backlog: how many rows wait, and since when.
///
/// # Errors
/// The database failed.
pub async fn backlog<C: ConnectionTrait>(conn: &C) -> Result<(i64, Option<DateTime<Utc>>), DbErr> {
    let q = Query::select()
        .expr_as(
            Expr::col(Outbox::Seq).count(),
            sea_orm::sea_query::Alias::new("pending"),
        )
        .expr_as(
            Expr::col(Outbox::OccurredAt).min(),
            sea_orm::sea_query::Alias::new("oldest"),
        )
        .from(Outbox::Table)
        .and_where(Expr::col(Outbox::SentAt).is_null())
        .to_owned();
    let backend = conn.get_database_backend();
    let row = conn.query_one(backend.build(&q)).await?;
    match row {
        Some(r) => Ok((r.try_get("", "pending")?, r.try_get("", "oldest")?)),
        None => Ok((0, None)),
    }
}

/// Why a relay round failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Bus(String),
}
