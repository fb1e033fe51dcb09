//! One relay round: under the PostgreSQL advisory lock, in one transaction,
//! up to [`BATCHES_PER_ROUND`] batches in a pipeline. Batch k is sent, then,
//! while its acks come, batch k-1 is marked sent and batch k+1 read; batch
//! k+1 is sent once every ack of batch k has come (so the bus stores the rows
//! in `seq` order), and a batch the bus acknowledged only in part ends the
//! round. The marks commit together at the end of the round: a crash before
//! republishes the round, and JetStream drops the duplicates by `Nats-Msg-Id`.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ArrayType, Expr, Order, Query, Value};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
use tracing::Instrument as _;

use super::{BATCHES_PER_ROUND, OutboxRelay, RELAY_LOCK_KEY, RelayError, Round};
use crate::events::{BusMessage, EventBusError};
use crate::outbox::{Outbox, parked};

/// Pending rows read for publishing.
#[derive(Default)]
struct Batch {
    seqs: Vec<i64>,
    messages: Vec<BusMessage>,
}

impl OutboxRelay {
    pub(super) async fn round(&self) -> Result<Round, RelayError> {
        let txn = self.db.begin().await?;
        if !self.lock(&txn).await? {
            // Another replica is publishing.
            txn.rollback().await?;
            return Ok(Round::Sent(0));
        }
        let mut batch = self.read(&txn, None).await?;
        if batch.seqs.is_empty() {
            txn.rollback().await?;
            return Ok(Round::Sent(0));
        }
        let mut sent = 0;
        // Acknowledged rows not marked sent yet.
        let mut acked_rows: Vec<i64> = Vec::new();
        for number in 1..=BATCHES_PER_ROUND {
            let span = crate::telemetry::spans::relay_publish(
                batch.messages.iter().map(|m| m.traceparent.as_deref()),
            );
            let (next, acked) = {
                let acks = self
                    .bus
                    .start_publish(&batch.messages)
                    .instrument(span.clone())
                    .await;
                // While the acks come: mark the batch before, read the next.
                self.mark_sent(&txn, &acked_rows).await?;
                acked_rows.clear();
                let full = batch.seqs.len() as u64 >= self.batch_size;
                let next = match batch.seqs.last() {
                    Some(&last) if full && number < BATCHES_PER_ROUND && acks.is_ok() => {
                        self.read(&txn, Some(last)).await?
                    }
                    _ => Batch::default(),
                };
                let acked = match acks {
                    Ok(acks) => acks.instrument(span).await,
                    Err(e) => Err(e),
                };
                (next, acked)
            };
            let acked = match acked {
                Ok(n) => n,
                Err(e) if sent == 0 => return self.refused(txn, &batch, e).await,
                Err(_) => 0,
            };
            if acked > 0 {
                self.forget_refusal();
            }
            sent += acked;
            acked_rows.extend_from_slice(&batch.seqs[..acked.min(batch.seqs.len())]);
            if acked < batch.seqs.len() || next.seqs.is_empty() {
                break;
            }
            batch = next;
        }
        self.mark_sent(&txn, &acked_rows).await?;
        txn.commit().await?;
        self.counters.published(sent);
        Ok(Round::Sent(sent))
    }

    /// Takes the relay lock for the transaction (PostgreSQL); `false` when
    /// another replica holds it. The transaction commits without waiting for
    /// its WAL to reach disk: it only marks rows sent (or parks them), and a
    /// mark lost in a crash republishes rows that JetStream and the
    /// consumers' inboxes drop as duplicates, while a login waiting on the
    /// same disk no longer queues behind the relay's flush.
    async fn lock(&self, txn: &DatabaseTransaction) -> Result<bool, RelayError> {
        let backend = txn.get_database_backend();
        if backend != DbBackend::Postgres {
            return Ok(true);
        }
        let row = txn
            .query_one(Statement::from_sql_and_values(
                backend,
                "SELECT pg_try_advisory_xact_lock($1) AS locked, \
                 set_config('synchronous_commit', 'off', true) AS durability",
                [RELAY_LOCK_KEY.into()],
            ))
            .await?;
        Ok(row
            .map(|r| r.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false))
    }

    /// Up to one batch of pending rows after `after`, in `seq` order.
    async fn read(
        &self,
        txn: &DatabaseTransaction,
        after: Option<i64>,
    ) -> Result<Batch, RelayError> {
        let backend = txn.get_database_backend();
        let mut select = Query::select()
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
        if let Some(after) = after {
            select.and_where(Expr::col(Outbox::Seq).gt(after));
        }
        let rows = txn.query_all(backend.build(&select)).await?;
        let mut batch = Batch {
            seqs: Vec::with_capacity(rows.len()),
            messages: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            batch.seqs.push(row.try_get::<i64>("", "seq")?);
            batch.messages.push(BusMessage {
                id: row.try_get("", "event_id")?,
                subject: row.try_get("", "subject")?,
                event_type: row.try_get("", "event_type")?,
                source: row.try_get("", "source")?,
                time: row.try_get::<DateTime<Utc>>("", "occurred_at")?,
                traceparent: row.try_get("", "traceparent")?,
                payload: row.try_get::<Vec<u8>>("", "payload")?.into(),
            });
        }
        Ok(batch)
    }

    async fn mark_sent(&self, txn: &DatabaseTransaction, seqs: &[i64]) -> Result<(), RelayError> {
        if seqs.is_empty() {
            return Ok(());
        }
        let backend = txn.get_database_backend();
        if backend == DbBackend::Postgres {
            // One statement text whatever the batch's size, so it stays
            // prepared.
            let seqs: Vec<Value> = seqs.iter().map(|&s| Value::BigInt(Some(s))).collect();
            txn.execute(Statement::from_sql_and_values(
                backend,
                "UPDATE outbox SET sent_at = $1 WHERE seq = ANY($2)",
                [
                    Utc::now().into(),
                    Value::Array(ArrayType::BigInt, Some(Box::new(seqs))),
                ],
            ))
            .await?;
            return Ok(());
        }
        let update = Query::update()
            .table(Outbox::Table)
            .value(Outbox::SentAt, Utc::now())
            .and_where(Expr::col(Outbox::Seq).is_in(seqs.iter().copied()))
            .to_owned();
        txn.execute(txn.get_database_backend().build(&update))
            .await?;
        Ok(())
    }

    /// The round's first batch was not acknowledged at all: parks its head
    /// row once the bus has refused it for good often enough, else fails.
    async fn refused(
        &self,
        txn: DatabaseTransaction,
        batch: &Batch,
        error: EventBusError,
    ) -> Result<Round, RelayError> {
        self.counters.failed();
        let reason = error.to_string();
        if let (Some(&seq), Some(head)) = (batch.seqs.first(), batch.messages.first())
            && parked::is_permanent(&reason)
            && self.refused_again(seq)
        {
            let moved = parked::park(&txn, seq, &reason).await?;
            txn.commit().await?;
            self.forget_refusal();
            if moved {
                let parked_total = self.parked.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(
                    seq,
                    event_id = %head.id,
                    subject = %head.subject,
                    reason = %reason,
                    parked_total,
                    "outbox row refused for good by the event bus; parked"
                );
            }
            return Ok(Round::Parked);
        }
        txn.rollback().await?;
        Err(RelayError::Bus(reason))
    }
}
