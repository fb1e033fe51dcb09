//! The inbox of event consumers: `processed_events` records which event each
//! consumer has applied, written in the same transaction as the handler's
//! change, so a redelivered event is recognised and applied at most once.
//! Rows older than [`RETENTION`] are pruned in bounded batches.

pub mod migration;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, DeriveIden};

/// The inbox table and its columns.
#[derive(Debug, Clone, Copy, DeriveIden)]
pub enum ProcessedEvents {
    Table,
    Consumer,
    EventId,
    ProcessedAt,
}

/// How long an inbox row is kept. An event can come back only while the bus
/// still holds it: a relay republish is within JetStream's duplicate window
/// (`events::nats::DUPLICATE_WINDOW`, 120 s), a redelivery within the stream's
/// max age (`events.stream_max_age_secs`, 7 days by default). 30 days covers
/// both with room for a consumer that was stopped for a while; a deployment
/// that keeps its stream longer than that (or without limit) and replays old
/// events relies on its handlers' version checks beyond it.
pub const RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Rows deleted per statement, so a prune never holds long locks.
pub const PRUNE_BATCH: u64 = 1_000;

/// Statements per prune call; what is left waits for the next call.
const PRUNE_MAX_BATCHES: u32 = 100;

/// Records that `consumer` applies `event_id`, through `conn`, which should be
/// the transaction of the handler's change. Returns `false` when the event was
/// already recorded: the caller then rolls back and skips it.
///
/// On PostgreSQL a concurrent transaction recording the same event waits for
/// this one, then sees the row, so two replicas never both apply it.
///
/// # Errors
/// The database refused the row.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    event_id: &str,
) -> Result<bool, DbErr> {
    let stmt = Query::insert()
        .into_table(ProcessedEvents::Table)
        .columns([
            ProcessedEvents::Consumer,
            ProcessedEvents::EventId,
            ProcessedEvents::ProcessedAt,
        ])
        .values([consumer.into(), event_id.into(), Utc::now().into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([ProcessedEvents::Consumer, ProcessedEvents::EventId])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    let result = conn
        .execute(conn.get_database_backend().build(&stmt))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Records each of `event_ids` as processed by `consumer` in one statement;
/// returns those that were new (the others were recorded before, or appear
/// earlier in `event_ids`).
///
/// # Errors
/// The database failed.
pub async fn record_all<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    event_ids: &[&str],
) -> Result<std::collections::HashSet<String>, DbErr> {
    let mut unique = std::collections::HashSet::with_capacity(event_ids.len());
    let event_ids: Vec<&str> = event_ids
        .iter()
        .copied()
        .filter(|id| unique.insert(*id))
        .collect();
    if event_ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let now = Utc::now();
    let mut stmt = Query::insert();
    stmt.into_table(ProcessedEvents::Table).columns([
        ProcessedEvents::Consumer,
        ProcessedEvents::EventId,
        ProcessedEvents::ProcessedAt,
    ]);
    for id in &event_ids {
        stmt.values([consumer.into(), (*id).into(), now.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    stmt.on_conflict(
        OnConflict::columns([ProcessedEvents::Consumer, ProcessedEvents::EventId])
            .do_nothing()
            .to_owned(),
    )
    .returning_col(ProcessedEvents::EventId);
    let rows = conn
        .query_all(conn.get_database_backend().build(&stmt))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "event_id"))
        .collect()
}

/// Whether `consumer` has applied `event_id`.
///
/// # Errors
/// The database failed.
pub async fn contains<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    event_id: &str,
) -> Result<bool, DbErr> {
    let q = Query::select()
        .expr(Expr::val(1))
        .from(ProcessedEvents::Table)
        .and_where(Expr::col(ProcessedEvents::Consumer).eq(consumer))
        .and_where(Expr::col(ProcessedEvents::EventId).eq(event_id))
        .to_owned();
    Ok(conn
        .query_one(conn.get_database_backend().build(&q))
        .await?
        .is_some())
}

/// How many events `consumer` has applied (and not cleared).
///
/// # Errors
/// The database failed.
pub async fn count<C: ConnectionTrait>(conn: &C, consumer: &str) -> Result<i64, DbErr> {
    let q = Query::select()
        .expr_as(
            Expr::col(ProcessedEvents::EventId).count(),
            sea_orm::sea_query::Alias::new("n"),
        )
        .from(ProcessedEvents::Table)
        .and_where(Expr::col(ProcessedEvents::Consumer).eq(consumer))
        .to_owned();
    let row = conn
        .query_one(conn.get_database_backend().build(&q))
        .await?;
    match row {
        Some(r) => r.try_get("", "n"),
        None => Ok(0),
    }
}

/// Forgets every event `consumer` applied, so that a replay applies them again.
///
/// # Errors
/// The database failed.
pub async fn clear<C: ConnectionTrait>(conn: &C, consumer: &str) -> Result<u64, DbErr> {
    let stmt = Query::delete()
        .from_table(ProcessedEvents::Table)
        .and_where(Expr::col(ProcessedEvents::Consumer).eq(consumer))
        .to_owned();
    Ok(conn
        .execute(conn.get_database_backend().build(&stmt))
        .await?
        .rows_affected())
}

/// Deletes inbox rows processed before `older_than`, `batch` rows per
/// statement and at most [`PRUNE_MAX_BATCHES`] statements; returns how many.
///
/// # Errors
/// The database failed.
pub async fn prune<C: ConnectionTrait>(
    conn: &C,
    older_than: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let mut deleted = 0;
    for _ in 0..PRUNE_MAX_BATCHES {
        let expired = Query::select()
            .columns([ProcessedEvents::Consumer, ProcessedEvents::EventId])
            .from(ProcessedEvents::Table)
            .and_where(Expr::col(ProcessedEvents::ProcessedAt).lt(older_than))
            .limit(batch)
            .to_owned();
        let stmt = Query::delete()
            .from_table(ProcessedEvents::Table)
            .and_where(
                Expr::tuple([
                    Expr::col(ProcessedEvents::Consumer).into(),
                    Expr::col(ProcessedEvents::EventId).into(),
                ])
                .in_subquery(expired),
            )
            .to_owned();
        let n = conn.execute(backend.build(&stmt)).await?.rows_affected();
        deleted += n;
        if n < batch {
            break;
        }
    }
    Ok(deleted)
}

/// [`prune`]s rows older than [`RETENTION`].
///
/// # Errors
/// The database failed.
pub async fn prune_expired<C: ConnectionTrait>(conn: &C) -> Result<u64, DbErr> {
    let retention = chrono::Duration::from_std(RETENTION).unwrap_or(chrono::Duration::days(30));
    prune(conn, Utc::now() - retention, PRUNE_BATCH).await
}

#[cfg(test)]
mod tests {
    use sea_orm::Database;
    use sea_orm_migration::prelude::*;

    use super::*;

    struct Migrator;

    impl MigratorTrait for Migrator {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            vec![Box::new(migration::CreateProcessedEvents)]
        }
    }

    #[tokio::test]
    async fn an_event_is_recorded_once_per_consumer_until_cleared() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();

        assert!(record(&db, "a", "e1").await.unwrap());
        assert!(!record(&db, "a", "e1").await.unwrap());
        assert!(record(&db, "b", "e1").await.unwrap());
        assert!(contains(&db, "a", "e1").await.unwrap());
        assert_eq!(count(&db, "a").await.unwrap(), 1);

        assert_eq!(clear(&db, "a").await.unwrap(), 1);
        assert!(!contains(&db, "a", "e1").await.unwrap());
        assert!(contains(&db, "b", "e1").await.unwrap());
    }

    #[tokio::test]
    async fn record_all_returns_the_new_ids_once_each() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        assert!(record(&db, "a", "old").await.unwrap());

        let new = record_all(&db, "a", &["e1", "old", "e2", "e1"])
            .await
            .unwrap();
        let mut new: Vec<_> = new.into_iter().collect();
        new.sort();
        assert_eq!(new, ["e1", "e2"]);
        assert_eq!(count(&db, "a").await.unwrap(), 3);
        assert!(record_all(&db, "a", &["e2"]).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn prune_deletes_old_rows_in_batches_and_keeps_recent_ones() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        for i in 0..5 {
            assert!(record(&db, "a", &format!("old{i}")).await.unwrap());
        }
        let backdate = Query::update()
            .table(ProcessedEvents::Table)
            .value(
                ProcessedEvents::ProcessedAt,
                Utc::now() - chrono::Duration::days(60),
            )
            .to_owned();
        db.execute(db.get_database_backend().build(&backdate))
            .await
            .unwrap();
        assert!(record(&db, "a", "new").await.unwrap());

        assert_eq!(prune_expired(&db).await.unwrap(), 5);
        assert_eq!(
            prune(&db, Utc::now() - chrono::Duration::days(1), 2)
                .await
                .unwrap(),
            0
        );
        assert!(contains(&db, "a", "new").await.unwrap());
        assert!(!record(&db, "a", "new").await.unwrap());
        assert_eq!(count(&db, "a").await.unwrap(), 1);
    }
}
