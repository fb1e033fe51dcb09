//! [`IdentityRepository`] on sea-orm: links, and the entry to the login-time
//! sync (in [`super::login`]). A link or unlink locks the user row first
//! (PostgreSQL), so concurrent changes of one user apply one after the other.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, UserId};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};

use super::entities::{identities, identity_groups, idp_tenants};
use super::queries::identities_of;
use super::{
    SeaOrmIdentityStore, is_unique_violation, locked_user, record, save_user, touch, unavailable,
};
use crate::domain::{DirectoryError, Identity, LinkFields, SyncFields, UserEvent};
use crate::ports::{IdentityRepository, UserView};

fn taken(azo_user_id: &str, tenant: i32) -> DirectoryError {
    DirectoryError::Conflict(format!(
        "azoUserId: Auth0 user {azo_user_id} of IdP tenant {tenant} is linked to another user"
    ))
}

#[async_trait]
impl IdentityRepository for SeaOrmIdentityStore {
    async fn link(
        &self,
        user_id: &UserId,
        idp_tenant_id: i32,
        fields: &LinkFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Identity, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        idp_tenants::Entity::find_by_id(idp_tenant_id)
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?
            .ok_or_else(|| {
                DirectoryError::NotFound(format!("IdP tenant {idp_tenant_id} not found"))
            })?;
        let owner = identities::Entity::find()
            .filter(identities::Column::IdpTenantId.eq(idp_tenant_id))
            .filter(identities::Column::AzoUserId.eq(fields.azo_user_id.as_str()))
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if owner
            .as_ref()
            .is_some_and(|o| o.user_id != user_id.as_str())
        {
            return Err(taken(&fields.azo_user_id, idp_tenant_id));
        }
        let existing = identities::Entity::find()
            .filter(identities::Column::UserId.eq(user_id.as_str()))
            .filter(identities::Column::IdpTenantId.eq(idp_tenant_id))
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        let identity_id = match existing {
            Some(row)
                if row.strategy == fields.strategy
                    && row.azo_user_id == fields.azo_user_id
                    && row.azo_connection_id == fields.azo_connection_id =>
            {
                // Linking again with the same values changes nothing.
                let id = row.id;
                let identity = identities_of(&txn, user_id)
                    .await?
                    .into_iter()
                    .find(|i| i.id == id);
                txn.rollback().await.map_err(|e| unavailable(&e))?;
                return identity
                    .ok_or_else(|| DirectoryError::Unavailable("identity vanished".into()));
            }
            Some(row) => {
                let id = row.id;
                let mut active = row.into_active_model();
                active.strategy = ActiveValue::Set(fields.strategy.clone());
                active.azo_user_id = ActiveValue::Set(fields.azo_user_id.clone());
                active.azo_connection_id = ActiveValue::Set(fields.azo_connection_id.clone());
                active.modified = ActiveValue::Set(ctx.now);
                active.modified_by = ActiveValue::Set(ctx.actor.to_owned());
                active.update(&txn).await.map_err(|e| {
                    if is_unique_violation(&e) {
                        taken(&fields.azo_user_id, idp_tenant_id)
                    } else {
                        unavailable(&e)
                    }
                })?;
                id
            }
            None => {
                let row = identities::ActiveModel {
                    id: ActiveValue::NotSet,
                    user_id: ActiveValue::Set(user_id.to_string()),
                    idp_tenant_id: ActiveValue::Set(idp_tenant_id),
                    strategy: ActiveValue::Set(fields.strategy.clone()),
                    azo_user_id: ActiveValue::Set(fields.azo_user_id.clone()),
                    azo_connection_id: ActiveValue::Set(fields.azo_connection_id.clone()),
                    created: ActiveValue::Set(ctx.now),
                    modified: ActiveValue::Set(ctx.now),
                    created_by: ActiveValue::Set(ctx.actor.to_owned()),
                    modified_by: ActiveValue::Set(ctx.actor.to_owned()),
                }
                .insert(&txn)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        taken(&fields.azo_user_id, idp_tenant_id)
                    } else {
                        unavailable(&e)
                    }
                })?;
                row.id
            }
        };
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        let identity = identities_of(&txn, user_id)
            .await?
            .into_iter()
            .find(|i| i.id == identity_id)
            .ok_or_else(|| DirectoryError::Unavailable("identity vanished".into()))?;
        record(&txn, ctx, UserEvent::IdentityLinked(user, identity.clone())).await?;
        self.commit(txn).await?;
        Ok(identity)
    }

    async fn unlink(
        &self,
        user_id: &UserId,
        idp_tenant_id: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        let identity = identities_of(&txn, user_id)
            .await?
            .into_iter()
            .find(|i| i.idp_tenant_id == idp_tenant_id)
            .ok_or_else(|| {
                DirectoryError::NotFound(format!(
                    "user {user_id} is not linked to IdP tenant {idp_tenant_id}"
                ))
            })?;
        identity_groups::Entity::delete_many()
            .filter(identity_groups::Column::IdentityId.eq(identity.id))
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        identities::Entity::delete_by_id(identity.id)
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        record(&txn, ctx, UserEvent::IdentityUnlinked(user, identity)).await?;
        self.commit(txn).await
    }

    async fn identities(&self, user_id: &UserId) -> Result<Vec<Identity>, DirectoryError> {
        if super::queries::find_user(&self.db, user_id)
            .await?
            .is_none()
        {
            return Err(DirectoryError::user_not_found(user_id));
        }
        identities_of(&self.db, user_id).await
    }

    async fn sync(
        &self,
        user_id: &UserId,
        fields: &SyncFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError> {
        self.sync_login(user_id, fields, ctx).await
    }
}
