//! [`AttributeRepository`] and [`RoleRepository`] on sea-orm. Attribute and
//! grant changes are changes of the user: each bumps its version and records
//! `user.updated`, under the user's row lock; so does deleting a role for each
//! user granted it and for each membership that held it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nexus_domain::{ChangeContext, UserId};
use nexus_platform::outbox;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{attributes, membership_roles, memberships, role_grants, roles};
use super::queries::{attributes_of, find_user, roles_of};
use super::{
    SeaOrmIdentityStore, is_unique_violation, locked_user, record, save_user, touch, unavailable,
};
use crate::adapters::events::role_event_message;
use crate::domain::{
    Attribute, AttributeFields, DirectoryError, RoleDefinition, RoleEvent, RoleFields, RoleGrant,
    UserEvent,
};
use crate::ports::{AttributeRepository, RoleRepository};

fn role_to_domain(m: roles::Model) -> RoleDefinition {
    RoleDefinition {
        id: m.id,
        audience: m.audience,
        name: m.name,
        description: m.description,
    }
}

fn role_not_found(id: &str) -> DirectoryError {
    DirectoryError::NotFound(format!("role {id} not found"))
}

async fn existing_user(store: &SeaOrmIdentityStore, user: &UserId) -> Result<(), DirectoryError> {
    match find_user(&store.db, user).await? {
        Some(_) => Ok(()),
        None => Err(DirectoryError::user_not_found(user)),
    }
}

#[async_trait]
impl AttributeRepository for SeaOrmIdentityStore {
    async fn attributes(&self, user: &UserId) -> Result<Vec<Attribute>, DirectoryError> {
        existing_user(self, user).await?;
        attributes_of(&self.db, user).await
    }

    async fn put_attribute(
        &self,
        user_id: &UserId,
        fields: &AttributeFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Attribute, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        let current = attributes_of(&txn, user_id)
            .await?
            .into_iter()
            .find(|a| a.name == fields.name);
        let stored = match current {
            Some(a) if a.value == fields.value && a.expires == fields.expires => {
                txn.rollback().await.map_err(|e| unavailable(&e))?;
                return Ok(a);
            }
            Some(a) => {
                attributes::ActiveModel {
                    id: ActiveValue::Unchanged(a.id),
                    value: ActiveValue::Set(fields.value.clone()),
                    expires: ActiveValue::Set(fields.expires),
                    ..Default::default()
                }
                .update(&txn)
                .await
            }
            None => {
                attributes::ActiveModel {
                    id: ActiveValue::NotSet,
                    user_id: ActiveValue::Set(user_id.to_string()),
                    name: ActiveValue::Set(fields.name.clone()),
                    value: ActiveValue::Set(fields.value.clone()),
                    expires: ActiveValue::Set(fields.expires),
                }
                .insert(&txn)
                .await
            }
        }
        .map_err(|e| unavailable(&e))?;
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        record(&txn, ctx, UserEvent::Updated(user)).await?;
        self.commit(txn).await?;
        Ok(Attribute {
            id: stored.id,
            user_id: stored.user_id,
            name: stored.name,
            value: stored.value,
            expires: stored.expires,
        })
    }

    async fn delete_attribute(
        &self,
        user_id: &UserId,
        name: &str,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        let deleted = attributes::Entity::delete_many()
            .filter(attributes::Column::UserId.eq(user_id.as_str()))
            .filter(attributes::Column::Name.eq(name))
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if deleted.rows_affected == 0 {
            return Err(DirectoryError::NotFound(format!(
                "user {user_id} has no attribute {name}"
            )));
        }
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        record(&txn, ctx, UserEvent::Updated(user)).await?;
        self.commit(txn).await
    }
}

/// Takes the role out of every membership that holds it: a membership change
/// of its user, so each membership touched records `user.updated` at the
/// user's next version, as a membership change through the API does.
async fn detach_from_memberships(
    txn: &DatabaseTransaction,
    role_id: &str,
    ctx: &ChangeContext<'_>,
) -> Result<(), DirectoryError> {
    let held: Vec<String> = membership_roles::Entity::find()
        .filter(membership_roles::Column::RoleId.eq(role_id))
        .order_by_asc(membership_roles::Column::MembershipId)
        .all(txn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|m| m.membership_id)
        .collect();
    for membership_id in held {
        let Some(membership) = memberships::Entity::find_by_id(membership_id.clone())
            .one(txn)
            .await
            .map_err(|e| unavailable(&e))?
        else {
            continue;
        };
        let member = UserId::parse(&membership.user_id)
            .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        let mut user = locked_user(txn, &member).await?;
        memberships::Entity::update_many()
            .col_expr(memberships::Column::Modified, Expr::value(ctx.now))
            .col_expr(
                memberships::Column::ModifiedBy,
                Expr::value(ctx.actor.to_owned()),
            )
            .filter(memberships::Column::Id.eq(membership_id))
            .exec(txn)
            .await
            .map_err(|e| unavailable(&e))?;
        touch(&mut user, ctx);
        save_user(txn, &user).await?;
        record(txn, ctx, UserEvent::Updated(user)).await?;
    }
    membership_roles::Entity::delete_many()
        .filter(membership_roles::Column::RoleId.eq(role_id))
        .exec(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(())
}

#[async_trait]
impl RoleRepository for SeaOrmIdentityStore {
    async fn create_role(
        &self,
        fields: &RoleFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<RoleDefinition, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let role = RoleDefinition {
            id: ctx.ids.event_id().0.as_simple().to_string(),
            audience: fields.audience.clone(),
            name: fields.name.clone(),
            description: fields.description.clone(),
        };
        roles::ActiveModel {
            id: ActiveValue::Set(role.id.clone()),
            audience: ActiveValue::Set(role.audience.clone()),
            name: ActiveValue::Set(role.name.clone()),
            description: ActiveValue::Set(role.description.clone()),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                DirectoryError::Conflict(format!(
                    "name: audience {} already has a role named {}",
                    fields.audience, fields.name
                ))
            } else {
                unavailable(&e)
            }
        })?;
        outbox::enqueue(
            &txn,
            &role_event_message(&ctx.record(RoleEvent::Created(role.clone()))),
        )
        .await
        .map_err(|e| unavailable(&e))?;
        self.commit(txn).await?;
        Ok(role)
    }

    async fn get_role(&self, id: &str) -> Result<Option<RoleDefinition>, DirectoryError> {
        Ok(roles::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .map(role_to_domain))
    }

    async fn list_roles(
        &self,
        audience: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<RoleDefinition>, DirectoryError> {
        let mut query = roles::Entity::find().order_by_asc(roles::Column::Id);
        if let Some(audience) = audience {
            query = query.filter(roles::Column::Audience.eq(audience));
        }
        if let Some(after) = after {
            query = query.filter(roles::Column::Id.gt(after));
        }
        Ok(query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(role_to_domain)
            .collect())
    }

    async fn delete_role(&self, id: &str, ctx: &ChangeContext<'_>) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let role = roles::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?
            .map(role_to_domain)
            .ok_or_else(|| role_not_found(id))?;
        let grantees: Vec<String> = role_grants::Entity::find()
            .filter(role_grants::Column::RoleId.eq(id))
            .all(&txn)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(|g| g.user_id)
            .collect();
        for grantee in grantees {
            let grantee =
                UserId::parse(&grantee).map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
            let mut user = locked_user(&txn, &grantee).await?;
            touch(&mut user, ctx);
            save_user(&txn, &user).await?;
            record(&txn, ctx, UserEvent::Updated(user)).await?;
        }
        role_grants::Entity::delete_many()
            .filter(role_grants::Column::RoleId.eq(id))
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        detach_from_memberships(&txn, id, ctx).await?;
        roles::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        outbox::enqueue(
            &txn,
            &role_event_message(&ctx.record(RoleEvent::Deleted(role))),
        )
        .await
        .map_err(|e| unavailable(&e))?;
        self.commit(txn).await
    }

    async fn grant_role(
        &self,
        user_id: &UserId,
        role_id: &str,
        expires: Option<DateTime<Utc>>,
        ctx: &ChangeContext<'_>,
    ) -> Result<RoleGrant, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        let role = roles::Entity::find_by_id(role_id)
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?
            .map(role_to_domain)
            .ok_or_else(|| role_not_found(role_id))?;
        let grant = RoleGrant {
            role_id: role.id.clone(),
            name: role.name,
            description: role.description,
            audience: role.audience,
            expires,
        };
        let existing = role_grants::Entity::find_by_id((user_id.to_string(), role_id.to_owned()))
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        match existing {
            Some(g) if g.expires == expires => {
                txn.rollback().await.map_err(|e| unavailable(&e))?;
                return Ok(grant);
            }
            Some(g) => {
                let mut active = g.into_active_model();
                active.expires = ActiveValue::Set(expires);
                active.update(&txn).await.map_err(|e| unavailable(&e))?;
            }
            None => {
                role_grants::ActiveModel {
                    user_id: ActiveValue::Set(user_id.to_string()),
                    role_id: ActiveValue::Set(role_id.to_owned()),
                    expires: ActiveValue::Set(expires),
                }
                .insert(&txn)
                .await
                .map_err(|e| unavailable(&e))?;
            }
        }
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        record(&txn, ctx, UserEvent::Updated(user)).await?;
        self.commit(txn).await?;
        Ok(grant)
    }

    async fn revoke_role(
        &self,
        user_id: &UserId,
        role_id: &str,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        let deleted = role_grants::Entity::delete_by_id((user_id.to_string(), role_id.to_owned()))
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if deleted.rows_affected == 0 {
            return Err(DirectoryError::NotFound(format!(
                "user {user_id} has no grant of role {role_id}"
            )));
        }
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        record(&txn, ctx, UserEvent::Updated(user)).await?;
        self.commit(txn).await
    }

    async fn grants(&self, user: &UserId) -> Result<Vec<RoleGrant>, DirectoryError> {
        existing_user(self, user).await?;
        roles_of(&self.db, user).await
    }
}
