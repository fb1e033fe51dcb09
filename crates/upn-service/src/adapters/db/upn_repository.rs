//! [`UpnRepository`] on sea-orm. Writes lock the UPN row (PostgreSQL; SQLite
//! has one writer, so a transaction is already exclusive), compare versions
//! inside the transaction, and update with `WHERE version = <read version>`
//! so that of two racing writes with the same expected version one fails.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, Recorded, UserId};
use nexus_platform::outbox;
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};

use super::custom_upns;
use super::deleted_users::{is_deleted, lock_user, mark_deleted};
use super::{SeaOrmUpnRepository, unavailable};
use crate::adapters::events::upn_event_message;
use crate::domain::custom_upn::normalize;
use crate::domain::{ConflictRule, CustomUpn, UpnError, UpnEvent, UpnPatch};
use crate::ports::UpnRepository;

fn to_domain(m: custom_upns::Model) -> Result<CustomUpn, UpnError> {
    Ok(CustomUpn {
        user_id: UserId::parse(&m.user_id)
            .map_err(|e| UpnError::Unavailable(format!("stored custom UPN {}: {e}", m.id)))?,
        id: m.id,
        client_upn_key: m.client_upn_key,
        custom_upn_value: m.custom_upn_value,
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
        version: u64::try_from(m.version).unwrap_or(0),
    })
}

fn db_version(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// The columns a change writes.
fn changed_columns(u: &CustomUpn) -> custom_upns::ActiveModel {
    custom_upns::ActiveModel {
        client_upn_key: ActiveValue::Set(u.client_upn_key.clone()),
        custom_upn_value: ActiveValue::Set(u.custom_upn_value.clone()),
        custom_upn_value_normalized: ActiveValue::Set(u.normalized_value()),
        modified: ActiveValue::Set(u.modified),
        modified_by: ActiveValue::Set(u.modified_by.clone()),
        version: ActiveValue::Set(db_version(u.version)),
        ..Default::default()
    }
}

/// A unique-index violation is a write that raced another one past the
/// checks in [`find_conflict`]: still a 409, without the other UPN's id.
fn write_error(e: &DbErr, u: &CustomUpn) -> UpnError {
    let Some(SqlErr::UniqueConstraintViolation(message)) = e.sql_err() else {
        return unavailable(e);
    };
    let key = u.client_upn_key.as_deref().unwrap_or_default();
    let rule = if message.contains("custom_upns_user_key") || message.contains("user_id") {
        ConflictRule::OnePerUserAndKey
    } else {
        ConflictRule::ValueTakenForKey
    };
    let message = match rule {
        ConflictRule::OnePerUserAndKey => format!(
            "clientUpnKey: the user already has a custom UPN for client key {key} (created concurrently); a user has one custom UPN per client key"
        ),
        ConflictRule::ValueTakenForKey => format!(
            "customUpnValue: {} is already the custom UPN of another user for client key {key} (set concurrently); a value belongs to one user per client key, ignoring letter case",
            u.custom_upn_value.as_deref().unwrap_or_default()
        ),
    };
    UpnError::Conflict { rule, message }
}

/// The first uniqueness rule `u` would break, naming the UPN in the way.
async fn find_conflict<C: ConnectionTrait>(conn: &C, u: &CustomUpn) -> Result<(), UpnError> {
    let Some(key) = u.client_upn_key.as_deref() else {
        return Ok(());
    };
    let same_key = custom_upns::Entity::find()
        .filter(custom_upns::Column::UserId.eq(u.user_id.as_str()))
        .filter(custom_upns::Column::ClientUpnKey.eq(key))
        .filter(custom_upns::Column::Id.ne(u.id.as_str()))
        .one(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    if let Some(other) = same_key {
        return Err(UpnError::conflict(
            ConflictRule::OnePerUserAndKey,
            key,
            None,
            &other.user_id,
            &other.id,
        ));
    }
    let Some(value) = u.custom_upn_value.as_deref() else {
        return Ok(());
    };
    let same_value = custom_upns::Entity::find()
        .filter(custom_upns::Column::ClientUpnKey.eq(key))
        .filter(custom_upns::Column::CustomUpnValueNormalized.eq(normalize(value)))
        .filter(custom_upns::Column::Id.ne(u.id.as_str()))
        .one(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    if let Some(other) = same_value {
        return Err(UpnError::conflict(
            ConflictRule::ValueTakenForKey,
            key,
            Some(value),
            &other.user_id,
            &other.id,
        ));
    }
    Ok(())
}

/// The UPN `id` of `user`, locked for the rest of the transaction.
async fn lock_upn(
    txn: &DatabaseTransaction,
    user: &UserId,
    id: &str,
) -> Result<CustomUpn, UpnError> {
    let mut query =
        custom_upns::Entity::find_by_id(id).filter(custom_upns::Column::UserId.eq(user.as_str()));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query
        .one(txn)
        .await
        .map_err(|e| unavailable(&e))?
        .map(to_domain)
        .transpose()?
        .ok_or_else(|| UpnError::upn_not_found(user, id))
}

fn check_version(u: &CustomUpn, expected: Option<u64>) -> Result<(), UpnError> {
    match expected {
        Some(v) if v != u.version => Err(UpnError::version_mismatch(&u.id, u.version)),
        _ => Ok(()),
    }
}

impl SeaOrmUpnRepository {
    async fn commit_with(
        &self,
        txn: DatabaseTransaction,
        events: &[Recorded<UpnEvent>],
    ) -> Result<(), UpnError> {
        for event in events {
            outbox::enqueue(&txn, &upn_event_message(event))
                .await
                .map_err(|e| unavailable(&e))?;
        }
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }
}

#[async_trait]
impl UpnRepository for SeaOrmUpnRepository {
    async fn list_for_user(&self, user: &UserId) -> Result<Vec<CustomUpn>, UpnError> {
        custom_upns::Entity::find()
            .filter(custom_upns::Column::UserId.eq(user.as_str()))
            .order_by_asc(custom_upns::Column::Created)
            .order_by_asc(custom_upns::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn get(&self, user: &UserId, id: &str) -> Result<Option<CustomUpn>, UpnError> {
        custom_upns::Entity::find_by_id(id)
            .filter(custom_upns::Column::UserId.eq(user.as_str()))
            .one(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .map(to_domain)
            .transpose()
    }

    async fn create(&self, upn: &CustomUpn, event: &Recorded<UpnEvent>) -> Result<(), UpnError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        lock_user(&txn, &upn.user_id).await?;
        find_conflict(&txn, upn).await?;
        let mut row = changed_columns(upn);
        row.id = ActiveValue::Set(upn.id.clone());
        row.user_id = ActiveValue::Set(upn.user_id.to_string());
        row.created = ActiveValue::Set(upn.created);
        row.created_by = ActiveValue::Set(upn.created_by.clone());
        custom_upns::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| write_error(&e, upn))?;
        // Checked after the insert: on SQLite this transaction now holds the
        // write lock and reads the latest state; on PostgreSQL the user's lock
        // orders it with the deletion's consumer.
        if is_deleted(&txn, &upn.user_id).await? {
            txn.rollback().await.map_err(|e| unavailable(&e))?;
            return Err(UpnError::user_not_found(&upn.user_id));
        }
        self.commit_with(txn, std::slice::from_ref(event)).await
    }

    async fn update(
        &self,
        user: &UserId,
        id: &str,
        patch: &UpnPatch,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<CustomUpn, UpnError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut upn = lock_upn(&txn, user, id).await?;
        check_version(&upn, expected_version)?;
        let read_version = upn.version;
        if !upn.apply(patch, ctx.now, ctx.actor)? {
            return Ok(upn);
        }
        find_conflict(&txn, &upn).await?;
        let written = custom_upns::Entity::update_many()
            .set(changed_columns(&upn))
            .filter(custom_upns::Column::Id.eq(id))
            .filter(custom_upns::Column::Version.eq(db_version(read_version)))
            .exec(&txn)
            .await
            .map_err(|e| write_error(&e, &upn))?;
        if written.rows_affected == 0 {
            return Err(UpnError::version_mismatch(id, read_version + 1));
        }
        self.commit_with(txn, &[ctx.record(UpnEvent::Updated(upn.clone()))])
            .await?;
        Ok(upn)
    }

    async fn delete(
        &self,
        user: &UserId,
        id: &str,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), UpnError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut upn = lock_upn(&txn, user, id).await?;
        check_version(&upn, expected_version)?;
        let gone = custom_upns::Entity::delete_many()
            .filter(custom_upns::Column::Id.eq(id))
            .filter(custom_upns::Column::Version.eq(db_version(upn.version)))
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if gone.rows_affected == 0 {
            return Err(UpnError::version_mismatch(id, upn.version + 1));
        }
        upn.version += 1;
        upn.modified = ctx.now;
        upn.modified_by = ctx.actor.to_owned();
        self.commit_with(txn, &[ctx.record(UpnEvent::Deleted(upn))])
            .await
    }

    async fn delete_all_of_user(
        &self,
        user: &UserId,
        ctx: &ChangeContext<'_>,
    ) -> Result<u64, UpnError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let deleted = delete_all_of_user_in(&txn, user, ctx).await?;
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(deleted)
    }
}

/// Deletes every UPN of `user` inside `txn`, recording a `custom_upn.deleted`
/// event for each in the same transaction.
///
/// # Errors
/// Storage failure.
pub async fn delete_all_of_user_in(
    txn: &DatabaseTransaction,
    user: &UserId,
    ctx: &ChangeContext<'_>,
) -> Result<u64, UpnError> {
    lock_user(txn, user).await?;
    mark_deleted(txn, user, ctx.now).await?;
    let mut query = custom_upns::Entity::find()
        .filter(custom_upns::Column::UserId.eq(user.as_str()))
        .order_by_asc(custom_upns::Column::Created)
        .order_by_asc(custom_upns::Column::Id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let rows = query.all(txn).await.map_err(|e| unavailable(&e))?;
    custom_upns::Entity::delete_many()
        .filter(custom_upns::Column::UserId.eq(user.as_str()))
        .exec(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    let mut deleted = 0;
    for row in rows {
        let mut upn = to_domain(row)?;
        upn.version += 1;
        upn.modified = ctx.now;
        upn.modified_by = ctx.actor.to_owned();
        outbox::enqueue(txn, &upn_event_message(&ctx.record(UpnEvent::Deleted(upn))))
            .await
            .map_err(|e| unavailable(&e))?;
        deleted += 1;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sea_orm::Database;
    use sea_orm_migration::MigratorTrait;

    use super::*;
    use crate::adapters::db::Migrator;

    fn upn(id: &str, user: &str, key: &str, value: &str) -> CustomUpn {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        CustomUpn {
            id: id.into(),
            user_id: UserId::parse(user).unwrap(),
            client_upn_key: Some(key.into()),
            custom_upn_value: Some(value.into()),
            created: t,
            modified: t,
            created_by: "a".into(),
            modified_by: "a".into(),
            version: 1,
        }
    }

    async fn insert<C: ConnectionTrait>(conn: &C, u: &CustomUpn) -> Result<(), UpnError> {
        let mut row = changed_columns(u);
        row.id = ActiveValue::Set(u.id.clone());
        row.user_id = ActiveValue::Set(u.user_id.to_string());
        row.created = ActiveValue::Set(u.created);
        row.created_by = ActiveValue::Set(u.created_by.clone());
        custom_upns::Entity::insert(row)
            .exec_without_returning(conn)
            .await
            .map(|_| ())
            .map_err(|e| write_error(&e, u))
    }

    /// What a write that raced past the checks meets: the unique indexes,
    /// mapped to the rule they protect.
    #[tokio::test]
    async fn unique_index_violations_are_conflicts_naming_the_rule() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        insert(&db, &upn("1", "ann", "crm", "ann@example.com"))
            .await
            .unwrap();

        let same_key = insert(&db, &upn("2", "ann", "crm", "other@example.com")).await;
        assert!(
            matches!(
                same_key,
                Err(UpnError::Conflict {
                    rule: ConflictRule::OnePerUserAndKey,
                    ..
                })
            ),
            "{same_key:?}"
        );
        let same_value = insert(&db, &upn("3", "bob", "crm", "ANN@example.com")).await;
        assert!(
            matches!(
                same_value,
                Err(UpnError::Conflict {
                    rule: ConflictRule::ValueTakenForKey,
                    ..
                })
            ),
            "{same_value:?}"
        );
        insert(&db, &upn("4", "bob", "erp", "ann@example.com"))
            .await
            .unwrap();
    }
}
