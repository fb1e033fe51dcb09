//! The outbox relay: publishes pending rows in `seq` order, waits for the bus's
//! ack, then marks them sent. On PostgreSQL a transaction-scoped advisory lock
//! makes one replica publish at a time, so order holds with N replicas; a crash
//! between publish and mark republishes, and JetStream drops the duplicate by
//! its `Nats-Msg-Id`. Sent rows are pruned after the retention time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};

use super::{Outbox, OutboxSignal};
use crate::events::{BusMessage, EventBus};
use crate::shutdown::Shutdown;

/// Key of the PostgreSQL advisory lock held while a relay publishes.
const RELAY_LOCK_KEY: i64 = 0x6e65_7875_735f_6f62; // "nexus_ob"
const MAX_BACKOFF: Duration = Duration::from_secs(10);
const PRUNE_EVERY: Duration = Duration::from_secs(60);
const METRICS_EVERY: Duration = Duration::from_secs(30);

/// Publishes one service's outbox.
pub struct OutboxRelay {
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    signal: OutboxSignal,
    batch_size: u64,
    poll_interval: Duration,
    retention: Duration,
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
        }
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
            let wait = match self.publish_batch().await {
                Ok(n) if n as u64 >= self.batch_size => {
                    backoff = Duration::from_millis(100);
                    continue;
                }
                Ok(_) => {
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
    }

    /// Publishes up to one batch of pending rows; returns how many were sent.
    ///
    /// # Errors
    /// The database failed, or the bus acknowledged none of the batch.
    pub async fn publish_batch(&self) -> Result<usize, RelayError> {
        let txn = self.db.begin().await?;
        let backend = txn.get_database_backend();
        if backend == DbBackend::Postgres {
            let row = txn
                .query_one(Statement::from_sql_and_values(
                    backend,
                    "SELECT pg_try_advisory_xact_lock($1) AS locked",
                    [RELAY_LOCK_KEY.into()],
                ))
                .await?;
            let locked = row
                .map(|r| r.try_get::<bool>("", "locked"))
                .transpose()?
                .unwrap_or(false);
            if !locked {
                // Another replica is publishing.
                txn.rollback().await?;
                return Ok(0);
            }
        }
        let select = Query::select()
            .columns([
                Outbox::Seq,
                Outbox::EventId,
                Outbox::Subject,
                Outbox::EventType,
                Outbox::Source,
                Outbox::OccurredAt,
                Outbox::Traceparent,
                Outbox::Payload,
            ])
            .from(Outbox::Table)
            .and_where(Expr::col(Outbox::SentAt).is_null())
            .order_by(Outbox::Seq, Order::Asc)
            .limit(self.batch_size)
            .to_owned();
        let rows = txn.query_all(backend.build(&select)).await?;
        if rows.is_empty() {
            txn.rollback().await?;
            return Ok(0);
        }
        let mut seqs = Vec::with_capacity(rows.len());
        let mut messages = Vec::with_capacity(rows.len());
        for row in rows {
            seqs.push(row.try_get::<i64>("", "seq")?);
            messages.push(BusMessage {
                id: row.try_get("", "event_id")?,
                subject: row.try_get("", "subject")?,
                event_type: row.try_get("", "event_type")?,
                source: row.try_get("", "source")?,
                time: row.try_get::<DateTime<Utc>>("", "occurred_at")?,
                traceparent: row.try_get("", "traceparent")?,
                payload: row.try_get::<Vec<u8>>("", "payload")?.into(),
            });
        }
        let sent = match self.bus.publish_all(&messages).await {
            Ok(n) => n,
            Err(e) => {
                txn.rollback().await?;
                return Err(RelayError::Bus(e.to_string()));
            }
        };
        if sent > 0 {
            let update = Query::update()
                .table(Outbox::Table)
                .value(Outbox::SentAt, Utc::now())
                .and_where(Expr::col(Outbox::Seq).is_in(seqs.into_iter().take(sent)))
                .to_owned();
            txn.execute(backend.build(&update)).await?;
        }
        txn.commit().await?;
        Ok(sent)
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

    /// Deletes rows sent longer ago than the retention time.
    ///
    /// # Errors
    /// The database failed.
    pub async fn prune(&self) -> Result<u64, RelayError> {
        let cutoff = Utc::now()
            - chrono::Duration::from_std(self.retention).unwrap_or(chrono::Duration::days(7));
        let delete = Query::delete()
            .from_table(Outbox::Table)
            .and_where(Expr::col(Outbox::SentAt).lt(cutoff))
            .to_owned();
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
