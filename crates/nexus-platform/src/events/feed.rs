//! Reading a producer's outbox table directly, for the all-in-one: each
//! consumer keeps a durable cursor, the [`Position`] of the last outbox row it
//! has dealt with, in its own database (`event_cursors`), and advances it in
//! the transaction that applies the event. A restart, a crash or a slow
//! consumer therefore never loses an event: it reads on from its cursor.
//! Replaying is moving a cursor back.
//!
//! Order: on SQLite one writer per file makes `seq` order commit order. On
//! PostgreSQL a sequence value is taken before commit, so a reader first
//! takes the outbox's `SHARE` lock, which waits for every transaction still
//! writing to it (and holds new writers for the length of one read): the rows
//! it then reads are all committed and none can later appear behind them. It
//! waits at most [`LOCK_WAIT`] for the lock, then tries again at its next
//! round, so writers never queue long behind a reader.

pub mod migration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Order, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, DeriveIden, TransactionTrait as _,
};
use tokio::sync::watch;

use super::BusMessage;
use crate::outbox::{Outbox, OutboxSignal};

/// Where a consumer stands in an outbox: the `seq` of the last row it has
/// dealt with (0 before the first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub seq: i64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.seq)
    }
}

/// How long a reader on PostgreSQL waits for the outbox's `SHARE` lock.
pub const LOCK_WAIT: &str = "100ms";

/// The cursor table and its columns.
#[derive(Debug, Clone, Copy, DeriveIden)]
pub enum EventCursors {
    Table,
    Consumer,
    Seq,
    UpdatedAt,
}

/// A producer's outbox as a consumer reads it: the producer's database and
/// the signal its writers raise after a commit.
#[derive(Debug, Clone)]
pub struct OutboxFeed {
    pub db: DatabaseConnection,
    pub signal: OutboxSignal,
}

impl OutboxFeed {
    pub fn new(db: DatabaseConnection, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }

    /// Changes whenever a producer commits outbox rows.
    pub fn wake(&self) -> watch::Receiver<u64> {
        self.signal.subscribe()
    }

    /// Up to `limit` rows after `after`, in order.
    ///
    /// # Errors
    /// The producer's database failed.
    pub async fn read_after(&self, after: Position, limit: u64) -> Result<Vec<FeedRow>, DbErr> {
        read_after(&self.db, after, limit).await
    }
}

/// One outbox row, as a consumer reads it.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub position: Position,
    pub message: BusMessage,
}

/// Up to `limit` outbox rows of `db` after `after`, in `seq` order; on
/// PostgreSQL read under the outbox's `SHARE` lock (see the module's text).
///
/// # Errors
/// The database failed.
pub async fn read_after(
    db: &DatabaseConnection,
    after: Position,
    limit: u64,
) -> Result<Vec<FeedRow>, DbErr> {
    let backend = db.get_database_backend();
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
        .and_where(Expr::col(Outbox::Seq).gt(after.seq))
        .order_by(Outbox::Seq, Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = if backend == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_unprepared(&format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            .await?;
        if let Err(e) = txn
            .execute_unprepared("LOCK TABLE outbox IN SHARE MODE")
            .await
        {
            txn.rollback().await?;
            if e.to_string().contains("lock timeout") {
                // Writers still in flight: read at the next round.
                return Ok(Vec::new());
            }
            return Err(e);
        }
        let rows = txn.query_all(backend.build(&select)).await?;
        txn.commit().await?;
        rows
    } else {
        db.query_all(backend.build(&select)).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(FeedRow {
            position: Position {
                seq: row.try_get("", "seq")?,
            },
            message: BusMessage {
                id: row.try_get("", "event_id")?,
                subject: row.try_get("", "subject")?,
                event_type: row.try_get("", "event_type")?,
                source: row.try_get("", "source")?,
                time: row.try_get::<DateTime<Utc>>("", "occurred_at")?,
                traceparent: row.try_get("", "traceparent")?,
                payload: row.try_get::<Vec<u8>>("", "payload")?.into(),
            },
        });
    }
    Ok(out)
}

/// The cursor that makes a consumer read on from outbox row `seq`.
pub fn position_before_seq(seq: i64) -> Position {
    Position {
        seq: seq.saturating_sub(1).max(0),
    }
}

/// The cursor that makes a consumer read on from the first row that occurred
/// at or after `time` (the end when there is none).
///
/// # Errors
/// The database failed.
pub async fn position_before_time<C: ConnectionTrait>(
    db: &C,
    time: DateTime<Utc>,
) -> Result<Position, DbErr> {
    let backend = db.get_database_backend();
    let first = Query::select()
        .column(Outbox::Seq)
        .from(Outbox::Table)
        .and_where(Expr::col(Outbox::OccurredAt).gte(time))
        .order_by(Outbox::Seq, Order::Asc)
        .limit(1)
        .to_owned();
    if let Some(row) = db.query_one(backend.build(&first)).await? {
        return Ok(position_before_seq(row.try_get("", "seq")?));
    }
    let last = Query::select()
        .column(Outbox::Seq)
        .from(Outbox::Table)
        .order_by(Outbox::Seq, Order::Desc)
        .limit(1)
        .to_owned();
    Ok(match db.query_one(backend.build(&last)).await? {
        Some(row) => Position {
            seq: row.try_get("", "seq")?,
        },
        None => Position::default(),
    })
}

/// The cursor of `consumer` in `conn`: the start when it has none.
///
/// # Errors
/// The database failed.
pub async fn load<C: ConnectionTrait>(conn: &C, consumer: &str) -> Result<Position, DbErr> {
    Ok(find(conn, consumer).await?.unwrap_or_default())
}

/// The cursor of `consumer`, if it has one.
///
/// # Errors
/// The database failed.
pub async fn find<C: ConnectionTrait>(conn: &C, consumer: &str) -> Result<Option<Position>, DbErr> {
    let q = Query::select()
        .column(EventCursors::Seq)
        .from(EventCursors::Table)
        .and_where(Expr::col(EventCursors::Consumer).eq(consumer))
        .to_owned();
    let row = conn
        .query_one(conn.get_database_backend().build(&q))
        .await?;
    row.map(|r| {
        Ok(Position {
            seq: r.try_get("", "seq")?,
        })
    })
    .transpose()
}

/// Sets the cursor of `consumer` through `conn`, which should be the
/// transaction that applies the event at `position`.
///
/// # Errors
/// The database failed.
pub async fn save<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    position: Position,
) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table(EventCursors::Table)
        .columns([
            EventCursors::Consumer,
            EventCursors::Seq,
            EventCursors::UpdatedAt,
        ])
        .values([consumer.into(), position.seq.into(), Utc::now().into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::column(EventCursors::Consumer)
                .update_columns([EventCursors::Seq, EventCursors::UpdatedAt])
                .to_owned(),
        )
        .to_owned();
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    Ok(())
}

/// A consumer that reads an outbox: where its cursor is kept. The outbox
/// keeps every row such a reader still needs.
#[derive(Debug, Clone)]
pub struct CursorReader {
    pub db: DatabaseConnection,
    pub consumer: String,
}

/// The lowest cursor of `readers` (the start when one has none yet).
///
/// # Errors
/// A reader's database failed.
pub async fn lowest(readers: &[CursorReader]) -> Result<Option<Position>, DbErr> {
    let mut lowest: Option<Position> = None;
    for reader in readers {
        let at = load(&reader.db, &reader.consumer).await?;
        lowest = Some(lowest.map_or(at, |l| l.min(at)));
    }
    Ok(lowest)
}
