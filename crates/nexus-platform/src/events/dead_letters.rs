//! Dead letters of consumers that read outboxes directly (the all-in-one):
//! an event a consumer could not apply after its bounded retries, kept in the
//! consumer's own database with the reason, until it is redriven.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, DeriveIden};

use super::BusMessage;

/// The dead-letter table and its columns.
#[derive(Debug, Clone, Copy, DeriveIden)]
pub enum DeadLetters {
    Table,
    Id,
    Consumer,
    EventId,
    Subject,
    EventType,
    Source,
    OccurredAt,
    Traceparent,
    Payload,
    Error,
    Failures,
    DeadAt,
}

/// One kept dead letter.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: i64,
    pub consumer: String,
    pub message: BusMessage,
    /// Why it was not applied (the last error).
    pub error: String,
    /// How many times it failed.
    pub failures: i32,
    pub dead_at: DateTime<Utc>,
}

/// Keeps `message` as a dead letter of `consumer`, through `conn` (the
/// transaction that also moves the consumer past it). A letter of the same
/// event kept already is replaced.
///
/// # Errors
/// The database failed.
pub async fn keep<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    message: &BusMessage,
    error: &str,
    failures: u32,
) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table(DeadLetters::Table)
        .columns([
            DeadLetters::Consumer,
            DeadLetters::EventId,
            DeadLetters::Subject,
            DeadLetters::EventType,
            DeadLetters::Source,
            DeadLetters::OccurredAt,
            DeadLetters::Traceparent,
            DeadLetters::Payload,
            DeadLetters::Error,
            DeadLetters::Failures,
            DeadLetters::DeadAt,
        ])
        .values([
            consumer.into(),
            message.id.clone().into(),
            message.subject.clone().into(),
            message.event_type.clone().into(),
            message.source.clone().into(),
            message.time.into(),
            message.traceparent.clone().into(),
            message.payload.to_vec().into(),
            error.chars().take(2000).collect::<String>().into(),
            i32::try_from(failures).unwrap_or(i32::MAX).into(),
            Utc::now().into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([DeadLetters::Consumer, DeadLetters::EventId])
                .update_columns([
                    DeadLetters::Error,
                    DeadLetters::Failures,
                    DeadLetters::DeadAt,
                ])
                .to_owned(),
        )
        .to_owned();
    conn.execute(conn.get_database_backend().build(&stmt))
        .await?;
    Ok(())
}

/// The dead letters kept in `conn`, oldest first; of one consumer when
/// `consumer` is given.
///
/// # Errors
/// The database failed.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    consumer: Option<&str>,
) -> Result<Vec<DeadLetter>, DbErr> {
    let mut q = Query::select()
        .columns([
            DeadLetters::Id,
            DeadLetters::Consumer,
            DeadLetters::EventId,
            DeadLetters::Subject,
            DeadLetters::EventType,
            DeadLetters::Source,
            DeadLetters::OccurredAt,
            DeadLetters::Traceparent,
            DeadLetters::Payload,
            DeadLetters::Error,
            DeadLetters::Failures,
            DeadLetters::DeadAt,
        ])
        .from(DeadLetters::Table)
        .order_by(DeadLetters::Id, Order::Asc)
        .to_owned();
    if let Some(consumer) = consumer {
        q.and_where(Expr::col(DeadLetters::Consumer).eq(consumer));
    }
    let rows = conn
        .query_all(conn.get_database_backend().build(&q))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(DeadLetter {
                id: r.try_get("", "id")?,
                consumer: r.try_get("", "consumer")?,
                message: BusMessage {
                    id: r.try_get("", "event_id")?,
                    subject: r.try_get("", "subject")?,
                    event_type: r.try_get("", "event_type")?,
                    source: r.try_get("", "source")?,
                    time: r.try_get("", "occurred_at")?,
                    traceparent: r.try_get("", "traceparent")?,
                    payload: r.try_get::<Vec<u8>>("", "payload")?.into(),
                },
                error: r.try_get("", "error")?,
                failures: r.try_get("", "failures")?,
                dead_at: r.try_get("", "dead_at")?,
            })
        })
        .collect()
}

/// Forgets the dead letter `id` (it was redriven).
///
/// # Errors
/// The database failed.
pub async fn remove<C: ConnectionTrait>(conn: &C, id: i64) -> Result<bool, DbErr> {
    let stmt = Query::delete()
        .from_table(DeadLetters::Table)
        .and_where(Expr::col(DeadLetters::Id).eq(id))
        .to_owned();
    Ok(conn
        .execute(conn.get_database_backend().build(&stmt))
        .await?
        .rows_affected()
        == 1)
}
