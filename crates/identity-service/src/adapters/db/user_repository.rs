//! [`UserRepository`] on sea-orm.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, Recorded, UserId};
use nexus_platform::outbox;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::entities::{attributes, identities, identity_groups, role_grants, users};
use super::lists::int_in;
use super::queries::{identities_of, lock_user, view_of};
use super::rows::user_to_model;
use super::user_reads;
use super::{
    SeaOrmIdentityStore, locked_user, record, save_user, touch, unavailable, user_write_error,
};
use crate::adapters::events::user_event_message;
use crate::domain::{DirectoryError, User, UserEvent, UserPatch};
use crate::ports::{ListedUsers, UserQuery, UserRepository, UserView};

#[async_trait]
impl UserRepository for SeaOrmIdentityStore {
    async fn create(&self, user: &User, event: &Recorded<UserEvent>) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let inserted = user_to_model(user)
            .into_active_model()
            .reset_all()
            .insert(&txn)
            .await;
        if let Err(e) = inserted {
            return Err(user_write_error(&e, user));
        }
        outbox::enqueue(&txn, &user_event_message(event))
            .await
            .map_err(|e| unavailable(&e))?;
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }

    async fn view(&self, id: &UserId) -> Result<Option<UserView>, DirectoryError> {
        // One statement: the user with everything its view holds.
        super::login::read::user_view(&self.db, id).await
    }

    async fn view_with_owner(
        &self,
        id: &UserId,
    ) -> Result<Option<(UserView, Option<UserView>)>, DirectoryError> {
        user_reads::view_with_owner(&self.db, id).await
    }

    async fn list(&self, query: &UserQuery) -> Result<ListedUsers, DirectoryError> {
        user_reads::page(&self.db, query).await
    }

    async fn views(&self, ids: &[UserId]) -> Result<Vec<UserView>, DirectoryError> {
        user_reads::views(&self.db, ids).await
    }

    async fn update(
        &self,
        id: &UserId,
        patch: &UserPatch,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = lock_user(&txn, id)
            .await?
            .ok_or_else(|| DirectoryError::user_not_found(id))?;
        if let Some(Some(org)) = patch.organization_id
            && super::queries::organization(&txn, org).await?.is_none()
        {
            return Err(DirectoryError::NotFound(format!(
                "organizationId: organization {org} not found"
            )));
        }
        if user.apply(patch, ctx.now, ctx.actor)? {
            user_to_model(&user)
                .into_active_model()
                .reset_all()
                .update(&txn)
                .await
                .map_err(|e| user_write_error(&e, &user))?;
            outbox::enqueue(
                &txn,
                &user_event_message(&ctx.record(UserEvent::Updated(user.clone()))),
            )
            .await
            .map_err(|e| unavailable(&e))?;
        }
        let view = view_of(&txn, user).await?;
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(view)
    }

    async fn delete(
        &self,
        id: &UserId,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = lock_user(&txn, id)
            .await?
            .ok_or_else(|| DirectoryError::user_not_found(id))?;
        if let Some(expected) = expected_version
            && expected != user.version
        {
            return Err(DirectoryError::FailedPrecondition(format!(
                "user {id} is at version {}, not {expected}",
                user.version
            )));
        }
        let identity_ids: Vec<i32> = identities_of(&txn, id)
            .await?
            .iter()
            .map(|i| i.id)
            .collect();
        let gone = |e: sea_orm::DbErr| unavailable(&e);
        identity_groups::Entity::delete_many()
            .filter(int_in(
                txn.get_database_backend(),
                identity_groups::Column::IdentityId,
                identity_ids,
            ))
            .exec(&txn)
            .await
            .map_err(gone)?;
        identities::Entity::delete_many()
            .filter(identities::Column::UserId.eq(id.as_str()))
            .exec(&txn)
            .await
            .map_err(gone)?;
        attributes::Entity::delete_many()
            .filter(attributes::Column::UserId.eq(id.as_str()))
            .exec(&txn)
            .await
            .map_err(gone)?;
        role_grants::Entity::delete_many()
            .filter(role_grants::Column::UserId.eq(id.as_str()))
            .exec(&txn)
            .await
            .map_err(gone)?;
        // Users this one owned lose their owner: a change of each, with its
        // own `user.updated` at the next version.
        let owned = users::Entity::find()
            .filter(users::Column::OwnerId.eq(id.as_str()))
            .filter(users::Column::Id.ne(id.as_str()))
            .order_by_asc(users::Column::Id)
            .all(&txn)
            .await
            .map_err(gone)?;
        for row in owned {
            let owned_id =
                UserId::parse(&row.id).map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
            let mut owned = locked_user(&txn, &owned_id).await?;
            if owned.owner_id.as_ref() != Some(id) {
                continue;
            }
            owned.owner_id = None;
            touch(&mut owned, ctx);
            save_user(&txn, &owned).await?;
            record(&txn, ctx, UserEvent::Updated(owned)).await?;
        }
        users::Entity::delete_by_id(id.as_str())
            .exec(&txn)
            .await
            .map_err(gone)?;
        user.version += 1;
        user.modified = ctx.now;
        user.modified_by = ctx.actor.to_owned();
        outbox::enqueue(
            &txn,
            &user_event_message(&ctx.record(UserEvent::Deleted(user))),
        )
        .await
        .map_err(|e| unavailable(&e))?;
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }
}
