//! The use of a service's database pool, read from sqlx's pool when a scrape
//! asks for it.

use sea_orm::DatabaseConnection;

pub(crate) struct PoolUse {
    pub in_use: i64,
    pub idle: i64,
    pub max: i64,
}

/// The pool's connections now. sqlx keeps no wait-time statistics, so
/// waiting shows only as `in_use` reaching `max`.
pub(crate) fn pool_use(db: &DatabaseConnection) -> Option<PoolUse> {
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolUse {
        let size = i64::from(pool.size());
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        PoolUse {
            in_use: (size - idle).max(0),
            idle,
            max: i64::from(pool.options().get_max_connections()),
        }
    }
    match db {
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            Some(of(db.get_postgres_connection_pool()))
        }
        DatabaseConnection::SqlxSqlitePoolConnection(_) => {
            Some(of(db.get_sqlite_connection_pool()))
        }
        _ => None,
    }
}
