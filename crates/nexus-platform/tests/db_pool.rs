//! The PostgreSQL pool after its server ended every connection (a restart,
//! a failover, an administrator's `pg_terminate_backend`): a connection is
//! not tested when it is taken, so a dead one fails the statement given it
//! and is dropped, and from then on every statement succeeds.
//!
//! PostgreSQL comes from `NEXUS_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); when it is unreachable the
//! test prints `SKIPPED: …` and passes, unless `NEXUS_TEST_REQUIRE_SERVICES=1`.

use nexus_platform::config::DatabaseSettings;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

const POOL: u32 = 3;

#[tokio::test]
async fn a_pool_whose_connections_were_ended_recovers_after_one_failure_each() {
    let url = std::env::var("NEXUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = match Database::connect(url.as_str()).await {
        Ok(db) => db,
        Err(e) => {
            assert!(
                !std::env::var("NEXUS_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1"),
                "PostgreSQL is required but unavailable: {e}"
            );
            eprintln!("SKIPPED: PostgreSQL unavailable ({e})");
            return;
        }
    };
    // The pool's connections are told apart from everyone else's by name.
    let name = format!("nexus_pool_{}", uuid::Uuid::new_v4().simple());
    let separator = if url.contains('?') { '&' } else { '?' };
    let settings = DatabaseSettings {
        max_connections: POOL,
        connect_timeout_secs: 5,
    };
    let pool = nexus_platform::db::connect(
        &format!("{url}{separator}application_name={name}"),
        &settings,
    )
    .await
    .expect("connect");
    // Every connection of the pool opened and idle.
    let opened = futures::future::join_all((0..POOL).map(|_| {
        pool.execute(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_sleep(0.2)",
        ))
    }))
    .await;
    assert!(opened.iter().all(Result::is_ok), "{opened:?}");

    let ended = admin
        .query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE application_name = $1",
            [name.clone().into()],
        ))
        .await
        .expect("terminate")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("count");
    assert!(ended >= 1, "the pool had connections to end");

    let mut failed = 0;
    for _ in 0..(2 * POOL) {
        if pool
            .execute(Statement::from_string(DbBackend::Postgres, "SELECT 1"))
            .await
            .is_err()
        {
            failed += 1;
        }
    }
    assert!(
        failed <= ended,
        "{failed} statements failed after {ended} connections were ended"
    );
    for _ in 0..(2 * POOL) {
        pool.execute(Statement::from_string(DbBackend::Postgres, "SELECT 1"))
            .await
            .expect("the pool recovered");
    }
    let _ = pool.close().await;
    let _ = admin.close().await;
}
