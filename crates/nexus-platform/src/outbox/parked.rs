//! Parked outbox rows: an event the bus refuses for good (no stream holds its
//! subject, the message is too large, …) is moved out of `outbox` into
//! `outbox_parked` with the reason, so the rows behind it are published. An
//! operator can inspect, fix and re-enqueue a parked event.

pub mod migration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, DeriveIden};

use super::Outbox;

/// The parked-rows table and its columns; the event columns mirror [`Outbox`].
#[derive(Debug, Clone, Copy, DeriveIden)]
pub enum OutboxParked {
    Table,
    Seq,
    EventId,
    Subject,
    EventType,
    Source,
    OccurredAt,
    Traceparent,
    Payload,
    ParkedAt,
    ParkReason,
}

/// JetStream API error codes that no retry can change: the message exceeds the
/// stream's maximum size (10054), the expected stream/last-id/last-sequence
/// checks failed (10060, 10070, 10071).
const PERMANENT_JS_CODES: [&str; 4] = [
    "error code 10054)",
    "error code 10060)",
    "error code 10070)",
    "error code 10071)",
];

/// Whether a publish error, as the bus adapter reported it, is a refusal that
/// retrying cannot cure. Timeouts, broken pipes, lost connections, ack-pending
/// limits and JetStream unavailability (503) are transient and retried.
///
/// The strings are those of `async_nats::jetstream::context::PublishErrorKind`
/// and of JetStream API errors (`… (code 400, error code 10054)`).
pub fn is_permanent(error: &str) -> bool {
    error.contains("no stream found for given subject")
        || error.contains("max payload size exceeded")
        || error.contains("wrong last message id")
        || error.contains("wrong last sequence")
        || error.contains("invalid subject")
        || PERMANENT_JS_CODES.iter().any(|code| error.contains(code))
}

/// Moves the outbox row `seq` into `outbox_parked` with `reason`, through
/// `conn` (the relay's transaction). Returns whether a row was moved.
///
/// # Errors
/// The database failed (for example `outbox_parked` does not exist yet).
pub async fn park<C: ConnectionTrait>(conn: &C, seq: i64, reason: &str) -> Result<bool, DbErr> {
    let backend = conn.get_database_backend();
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
        .expr(Expr::val(Utc::now()))
        .expr(Expr::val(reason))
        .from(Outbox::Table)
        .and_where(Expr::col(Outbox::Seq).eq(seq))
        .to_owned();
    let insert = Query::insert()
        .into_table(OutboxParked::Table)
        .columns([
            OutboxParked::Seq,
            OutboxParked::EventId,
            OutboxParked::Subject,
            OutboxParked::EventType,
            OutboxParked::Source,
            OutboxParked::OccurredAt,
            OutboxParked::Traceparent,
            OutboxParked::Payload,
            OutboxParked::ParkedAt,
            OutboxParked::ParkReason,
        ])
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    let moved = conn.execute(backend.build(&insert)).await?.rows_affected();
    let delete = Query::delete()
        .from_table(Outbox::Table)
        .and_where(Expr::col(Outbox::Seq).eq(seq))
        .to_owned();
    conn.execute(backend.build(&delete)).await?;
    Ok(moved == 1)
}

/// One parked event, as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEvent {
    pub seq: i64,
    pub event_id: String,
    pub subject: String,
    pub parked_at: DateTime<Utc>,
    pub reason: String,
}

/// The parked events, oldest first, at most `limit`.
///
/// # Errors
/// The database failed.
pub async fn list<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<ParkedEvent>, DbErr> {
    let q = Query::select()
        .columns([
            OutboxParked::Seq,
            OutboxParked::EventId,
            OutboxParked::Subject,
            OutboxParked::ParkedAt,
            OutboxParked::ParkReason,
        ])
        .from(OutboxParked::Table)
        .order_by(OutboxParked::Seq, Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = conn
        .query_all(conn.get_database_backend().build(&q))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ParkedEvent {
                seq: r.try_get("", "seq")?,
                event_id: r.try_get("", "event_id")?,
                subject: r.try_get("", "subject")?,
                parked_at: r.try_get("", "parked_at")?,
                reason: r.try_get("", "park_reason")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_permanent;

    #[test]
    fn refusals_are_told_from_unavailability() {
        assert!(is_permanent("no stream found for given subject"));
        assert!(is_permanent(
            "publish failed: message size exceeds maximum allowed (code 400, error code 10054)"
        ));
        assert!(is_permanent("max payload size exceeded: 2000000 > 1048576"));
        assert!(!is_permanent("timed out: didn't receive ack in time"));
        assert!(!is_permanent("broken pipe"));
        assert!(!is_permanent("not connected to NATS"));
        assert!(!is_permanent(
            "publish failed: JetStream system temporarily unavailable (code 503, error code 10008)"
        ));
    }
}
