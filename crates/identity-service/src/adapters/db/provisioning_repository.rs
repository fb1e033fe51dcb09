//! [`ProvisioningRepository`] on sea-orm: a user's fields and attributes written in one
//! transaction with one event. A unique username is checked inside that transaction,
//! serialized per username (a transaction-scoped advisory lock on PostgreSQL; SQLite has
//! one writer), so two concurrent writes of the same new username cannot both pass.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, Recorded, UserId};
use nexus_platform::outbox;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait,
};

use super::entities::{attributes, users};
use super::queries::{attributes_of, lock_user, view_of};
use super::rows::{user_to_domain, user_to_model};
use super::{SeaOrmIdentityStore, record, touch, unavailable, user_write_error};
use crate::adapters::events::user_event_message;
use crate::domain::{AttributeFields, DirectoryError, User, UserEvent};
use crate::ports::UserView;
use crate::ports::provisioning::{ProvisioningRepository, UserChanges};

/// Conflict when a user other than `own` has `username` (case-insensitively). On
/// PostgreSQL the check holds a lock on the username until the transaction ends.
async fn username_free(
    txn: &DatabaseTransaction,
    username: &str,
    own: &UserId,
) -> Result<(), DirectoryError> {
    let normalized = username.to_lowercase();
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [format!("nexus.username:{normalized}").into()],
        ))
        .await
        .map_err(|e| unavailable(&e))?;
    }
    let taken = users::Entity::find()
        .filter(users::Column::UsernameNormalized.eq(normalized.as_str()))
        .filter(users::Column::Id.ne(own.as_str()))
        .one(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    match taken {
        Some(_) => Err(DirectoryError::Conflict(format!(
            "username: a user with username {username} already exists"
        ))),
        None => Ok(()),
    }
}

/// Creates or replaces each attribute; returns whether any stored value changed.
async fn put_attributes(
    txn: &DatabaseTransaction,
    user: &UserId,
    wanted: &[AttributeFields],
) -> Result<bool, DirectoryError> {
    let current = attributes_of(txn, user).await?;
    let mut changed = false;
    for fields in wanted {
        match current.iter().find(|a| a.name == fields.name) {
            Some(a) if a.value == fields.value && a.expires == fields.expires => continue,
            Some(a) => {
                attributes::ActiveModel {
                    id: ActiveValue::Unchanged(a.id),
                    value: ActiveValue::Set(fields.value.clone()),
                    expires: ActiveValue::Set(fields.expires),
                    ..Default::default()
                }
                .update(txn)
                .await
            }
            None => {
                attributes::ActiveModel {
                    id: ActiveValue::NotSet,
                    user_id: ActiveValue::Set(user.to_string()),
                    name: ActiveValue::Set(fields.name.clone()),
                    value: ActiveValue::Set(fields.value.clone()),
                    expires: ActiveValue::Set(fields.expires),
                }
                .insert(txn)
                .await
            }
        }
        .map_err(|e| unavailable(&e))?;
        changed = true;
    }
    Ok(changed)
}

/// Deletes the named attributes the user has; returns whether any was deleted.
async fn delete_attributes(
    txn: &DatabaseTransaction,
    user: &UserId,
    names: &[String],
) -> Result<bool, DirectoryError> {
    if names.is_empty() {
        return Ok(false);
    }
    let deleted = attributes::Entity::delete_many()
        .filter(attributes::Column::UserId.eq(user.as_str()))
        .filter(attributes::Column::Name.is_in(names.iter().map(String::as_str)))
        .exec(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(deleted.rows_affected > 0)
}

#[async_trait]
impl ProvisioningRepository for SeaOrmIdentityStore {
    async fn provision(
        &self,
        user: &User,
        attributes: &[AttributeFields],
        unique_username: bool,
        event: &Recorded<UserEvent>,
    ) -> Result<UserView, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        if unique_username {
            username_free(&txn, &user.username, &user.id).await?;
        }
        user_to_model(user)
            .into_active_model()
            .reset_all()
            .insert(&txn)
            .await
            .map_err(|e| user_write_error(&e, user))?;
        put_attributes(&txn, &user.id, attributes).await?;
        outbox::enqueue(&txn, &user_event_message(event))
            .await
            .map_err(|e| unavailable(&e))?;
        let view = view_of(&txn, user.clone()).await?;
        self.commit(txn).await?;
        Ok(view)
    }

    async fn apply_changes(
        &self,
        id: &UserId,
        changes: &UserChanges,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = lock_user(&txn, id)
            .await?
            .ok_or_else(|| DirectoryError::user_not_found(id))?;
        if let Some(expected) = changes.expected_version
            && expected != user.version
        {
            return Err(DirectoryError::FailedPrecondition(format!(
                "user {id} is at version {}, not {expected}",
                user.version
            )));
        }
        if let Some(Some(org)) = changes.patch.organization_id
            && super::queries::organization(&txn, org).await?.is_none()
        {
            return Err(DirectoryError::NotFound(format!(
                "organizationId: organization {org} not found"
            )));
        }
        let before = user.version;
        let fields_changed = user.apply(&changes.patch, ctx.now, ctx.actor)?;
        if fields_changed && changes.unique_username && changes.patch.username.is_some() {
            username_free(&txn, &user.username, id).await?;
        }
        let deleted = delete_attributes(&txn, id, &changes.delete_attributes).await?;
        let put = put_attributes(&txn, id, &changes.put_attributes).await?;
        if !fields_changed && !deleted && !put {
            txn.rollback().await.map_err(|e| unavailable(&e))?;
            return view_of(&self.db, user).await;
        }
        if user.version == before {
            touch(&mut user, ctx);
        }
        user_to_model(&user)
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await
            .map_err(|e| user_write_error(&e, &user))?;
        record(&txn, ctx, UserEvent::Updated(user.clone())).await?;
        let view = view_of(&txn, user).await?;
        self.commit(txn).await?;
        Ok(view)
    }

    async fn find_by_attribute(
        &self,
        name: &str,
        value: &str,
        limit: u64,
    ) -> Result<Vec<UserView>, DirectoryError> {
        let holders: Vec<String> = attributes::Entity::find()
            .filter(attributes::Column::Name.eq(name))
            .filter(attributes::Column::Value.eq(value))
            .order_by_asc(attributes::Column::UserId)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(|a| a.user_id)
            .collect();
        let mut views = Vec::with_capacity(holders.len());
        for id in holders {
            let row = users::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .map_err(|e| unavailable(&e))?;
            if let Some(row) = row {
                views.push(view_of(&self.db, user_to_domain(row)?).await?);
            }
        }
        Ok(views)
    }
}
