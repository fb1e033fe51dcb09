//! Fresh databases for the adapter tests: a new PostgreSQL database per test
//! from `NEXUS_TEST_DATABASE_URL` (skipped when PostgreSQL is down, unless
//! `NEXUS_TEST_REQUIRE_SERVICES=1`), dropped when the test finishes.

use sea_orm::{ConnectionTrait, Database};

/// How to drop a database made by [`fresh_postgres`]: the admin URL and its name.
pub(crate) type DropUrl = Option<(String, String)>;

/// A new, empty PostgreSQL database named `<prefix>_<uuid>`: its URL, and how
/// to drop it; `None` when PostgreSQL is unavailable and not required.
pub(crate) async fn fresh_postgres(prefix: &str) -> Option<(String, DropUrl)> {
    let admin_url = std::env::var("NEXUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = match Database::connect(admin_url.as_str()).await {
        Ok(admin) => admin,
        Err(e) => {
            assert!(
                std::env::var("NEXUS_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "PostgreSQL is required (NEXUS_TEST_REQUIRE_SERVICES=1) but unavailable: {e}"
            );
            eprintln!("SKIPPED: PostgreSQL unavailable ({e})");
            return None;
        }
    };
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b)
        .to_owned();
    Some((format!("{base}/{name}"), Some((admin_url, name))))
}

/// Drops what [`fresh_postgres`] made; nothing for SQLite.
pub(crate) async fn drop_database(drop_url: DropUrl) {
    if let Some((admin, name)) = drop_url {
        let admin = Database::connect(admin.as_str()).await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}
