//! pgbench on the identity database, running the SQL Nexus runs for the
//! same operation: what the database alone achieves is the bound Nexus is
//! measured against.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value};

/// The bench's users by number (0.. in id order), so that a pgbench client
/// can pick its own users: `n = client_id + clients * k`.
///
/// # Errors
/// The database refused.
pub async fn map_users(url: &str, ids: &[String]) -> anyhow::Result<()> {
    map_ids(url, "nexus_bench_users", ids).await
}

/// Refreshes the planner's statistics of every table of the stack's
/// databases, once seeding wrote them: pgbench's runs start with the same
/// statistics, and a server whose autovacuum is off (or has not come round
/// yet) would otherwise plan Nexus's statements for the empty tables the
/// migrations made.
///
/// # Errors
/// A database refused.
pub async fn analyze(urls: impl IntoIterator<Item = &String>) -> anyhow::Result<()> {
    for url in urls {
        let db = Database::connect(url.as_str()).await?;
        db.execute_unprepared("ANALYZE").await?;
        let _ = db.close().await;
    }
    Ok(())
}

/// `ids` by number (0.. in the given order) in the bench's own `table`.
///
/// # Errors
/// The database refused.
pub async fn map_ids(url: &str, table: &str, ids: &[String]) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    db.execute_unprepared(&format!(
        "DROP TABLE IF EXISTS {table}; \
         CREATE TABLE {table} (n int PRIMARY KEY, id text NOT NULL)"
    ))
    .await?;
    let numbers: Vec<Value> = (0..ids.len())
        .map(|n| Value::Int(i32::try_from(n).ok()))
        .collect();
    let texts: Vec<Value> = ids
        .iter()
        .map(|id| Value::String(Some(Box::new(id.clone()))))
        .collect();
    db.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("INSERT INTO {table} (n, id) SELECT * FROM unnest($1::int[], $2::text[])"),
        [
            Value::Array(sea_orm::sea_query::ArrayType::Int, Some(Box::new(numbers))),
            Value::Array(sea_orm::sea_query::ArrayType::String, Some(Box::new(texts))),
        ],
    ))
    .await?;
    db.execute_unprepared("ANALYZE").await?;
    let _ = db.close().await;
    Ok(())
}

/// The id of user number `:n`, inside a statement.
const USER_N: &str = "(SELECT id FROM nexus_bench_users WHERE n = :n)";

/// A no-op login as identity issues it: the one-statement read of the user
/// with everything its answer needs, then the conditional login-time update
/// that writes the outbox row. Each client keeps to its own users. The row
/// is written as sent: the relay leaves it alone, as the payload is not an
/// event any consumer could read.
pub fn login_script() -> String {
    let read =
        identity_service::adapters::db::login::read::postgres_statement().replace("$1", USER_N);
    format!(
        "\\set n :client_id + :clients * random(0, :per - 1)\n\
         {read} \\gset\n\
         WITH u AS (UPDATE users SET last_login = GREATEST(last_login, now()) \
         WHERE id = :id AND version = :version RETURNING id) \
         INSERT INTO outbox (event_id, subject, event_type, source, occurred_at, traceparent, payload, \
         sent_at) \
         SELECT gen_random_uuid()::text, 'nexus.identity.user.logged_in', 'user.logged_in', \
         'identity', now(), NULL, '\\x0a2430313233343536'::bytea, now() FROM u;\n"
    )
}

/// `GET /v1/users/{id}`: the one statement that reads a random user and its
/// owner (the answer embeds it; most seeded users have one).
pub fn get_user_script() -> String {
    let read = identity_service::adapters::db::user_reads::postgres_with_owner_statement();
    format!(
        "\\set n random(0, :users - 1)\n{};\n",
        read.replace("$1", USER_N)
    )
}

/// `GET /v1/users?limit=200` after a random user: the one statement that
/// reads the page's users (and the one after it) with their owners.
pub fn page_script() -> String {
    let read = identity_service::adapters::db::user_reads::postgres_page_statement();
    format!(
        "\\set n random(0, :maxn)\n{};\n",
        read.replace("$1", USER_N).replace("$2", "201")
    )
}

/// What pgbench measured.
#[derive(Debug, Clone, Copy)]
pub struct PgResult {
    pub tps: f64,
    pub latency_ms: f64,
    pub failed: u64,
}

/// Runs `script` with `clients` clients for `secs` seconds, prepared.
///
/// # Errors
/// pgbench is missing or failed.
pub fn pgbench(
    url: &str,
    script: &str,
    dir: &Path,
    clients: usize,
    secs: u64,
    vars: &[(&str, String)],
) -> anyhow::Result<PgResult> {
    let file = dir.join("pgbench.sql");
    std::fs::write(&file, script)?;
    let mut cmd = Command::new("pgbench");
    cmd.args(["-n", "-M", "prepared", "-f"])
        .arg(&file)
        .args(["-c", &clients.to_string()])
        .args(["-j", &clients.clamp(1, 4).to_string()])
        .args(["-T", &secs.max(1).to_string()]);
    for (k, v) in vars {
        cmd.args(["-D", &format!("{k}={v}")]);
    }
    let out = cmd.arg(url).output().context("running pgbench")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
    };
    let (Some(tps), Some(latency_ms)) = (value("tps = "), value("latency average = ")) else {
        bail!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let failed = value("number of failed transactions: ").unwrap_or(0.0) as u64;
    Ok(PgResult {
        tps,
        latency_ms,
        failed,
    })
}
