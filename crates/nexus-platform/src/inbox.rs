//! The inbox of event consumers: `processed_events` records which event each
//! consumer has applied, written in the same transaction as the handler's
//! change, so a redelivered event is recognised and applied at most once.

pub mod migration;

use chrono::Utc;
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
}
