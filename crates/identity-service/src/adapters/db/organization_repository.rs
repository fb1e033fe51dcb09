//! [`OrganizationRepository`] on sea-orm.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, UserId};
use nexus_platform::outbox;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{membership_roles, memberships, organizations, roles, users};
use super::lists::text_in;
use super::queries::{find_user, memberships_of, organization};
use super::rows::{organization_to_domain, organization_to_model};
use super::{
    SeaOrmIdentityStore, is_unique_violation, locked_user, record, save_user, touch, unavailable,
};
use crate::adapters::events::organization_event_message;
use crate::domain::{
    DirectoryError, Membership, MembershipFields, Organization, OrganizationEvent,
    OrganizationFields, OrganizationPatch, UserEvent,
};
use crate::ports::OrganizationRepository;

fn not_found(id: i32) -> DirectoryError {
    DirectoryError::NotFound(format!("organization {id} not found"))
}

fn name_taken(e: &sea_orm::DbErr, name: &str) -> DirectoryError {
    if is_unique_violation(e) {
        DirectoryError::Conflict(format!("name: an organization named {name} already exists"))
    } else {
        unavailable(e)
    }
}

pub(super) async fn record_org(
    txn: &DatabaseTransaction,
    ctx: &ChangeContext<'_>,
    event: OrganizationEvent,
) -> Result<(), DirectoryError> {
    outbox::enqueue(txn, &organization_event_message(&ctx.record(event)))
        .await
        .map_err(|e| unavailable(&e))
}

/// Inserts a new organization made by `ctx` with `fields` (its id from the
/// database, version 1); `refused` says why the database refused the row.
pub(super) async fn insert_organization(
    txn: &DatabaseTransaction,
    fields: &OrganizationFields,
    ctx: &ChangeContext<'_>,
    refused: impl FnOnce(&sea_orm::DbErr, &Organization) -> DirectoryError,
) -> Result<Organization, DirectoryError> {
    let draft = Organization {
        id: 0,
        fields: fields.clone(),
        created: ctx.now,
        modified: ctx.now,
        created_by: ctx.actor.to_owned(),
        modified_by: ctx.actor.to_owned(),
        version: 1,
    };
    let mut active = organization_to_model(&draft)
        .into_active_model()
        .reset_all();
    active.id = ActiveValue::NotSet;
    let row = active.insert(txn).await.map_err(|e| refused(&e, &draft))?;
    organization_to_domain(row)
}

/// Deletes the organization `org` (its members and users already gone) and
/// records its deletion by `ctx`, at the next version.
pub(super) async fn delete_organization(
    txn: &DatabaseTransaction,
    mut org: Organization,
    ctx: &ChangeContext<'_>,
) -> Result<(), DirectoryError> {
    organizations::Entity::delete_by_id(org.id)
        .exec(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    org.version += 1;
    org.modified = ctx.now;
    org.modified_by = ctx.actor.to_owned();
    record_org(txn, ctx, OrganizationEvent::Deleted(org)).await
}

#[async_trait]
impl OrganizationRepository for SeaOrmIdentityStore {
    async fn create_organization(
        &self,
        fields: &OrganizationFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Organization, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let org =
            insert_organization(&txn, fields, ctx, |e, _| name_taken(e, &fields.name)).await?;
        record_org(&txn, ctx, OrganizationEvent::Created(org.clone())).await?;
        self.commit(txn).await?;
        Ok(org)
    }

    async fn get_organization(&self, id: i32) -> Result<Option<Organization>, DirectoryError> {
        organization(&self.db, id).await
    }

    async fn list_organizations(
        &self,
        after: Option<i32>,
        limit: u64,
    ) -> Result<Vec<Organization>, DirectoryError> {
        let mut query = organizations::Entity::find().order_by_asc(organizations::Column::Id);
        if let Some(after) = after {
            query = query.filter(organizations::Column::Id.gt(after));
        }
        query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(organization_to_domain)
            .collect()
    }

    async fn update_organization(
        &self,
        id: i32,
        patch: &OrganizationPatch,
        ctx: &ChangeContext<'_>,
    ) -> Result<Organization, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut org = organization(&txn, id).await?.ok_or_else(|| not_found(id))?;
        if !org.apply(patch, ctx.now, ctx.actor)? {
            return Ok(org);
        }
        organization_to_model(&org)
            .into_active_model()
            .reset_all()
            .update(&txn)
            .await
            .map_err(|e| name_taken(&e, &org.fields.name))?;
        record_org(&txn, ctx, OrganizationEvent::Updated(org.clone())).await?;
        self.commit(txn).await?;
        Ok(org)
    }

    async fn delete_organization(
        &self,
        id: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let org = organization(&txn, id).await?.ok_or_else(|| not_found(id))?;
        let members = memberships::Entity::find()
            .filter(memberships::Column::OrganizationId.eq(id))
            .count(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        let users = users::Entity::find()
            .filter(users::Column::OrganizationId.eq(id))
            .count(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if members + users > 0 {
            return Err(DirectoryError::Conflict(format!(
                "organization {id} still has {members} memberships and {users} users; remove them first"
            )));
        }
        delete_organization(&txn, org, ctx).await?;
        self.commit(txn).await
    }

    async fn memberships(&self, user: &UserId) -> Result<Vec<Membership>, DirectoryError> {
        if find_user(&self.db, user).await?.is_none() {
            return Err(DirectoryError::user_not_found(user));
        }
        memberships_of(&self.db, user).await
    }

    async fn put_membership(
        &self,
        user_id: &UserId,
        organization_id: i32,
        fields: &MembershipFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<Membership, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        organization(&txn, organization_id)
            .await?
            .ok_or_else(|| not_found(organization_id))?;
        let known = roles::Entity::find()
            .filter(text_in(
                txn.get_database_backend(),
                roles::Column::Id,
                fields.role_ids.clone(),
            ))
            .count(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if known != fields.role_ids.len() as u64 {
            return Err(DirectoryError::NotFound(
                "roles: a role in the list does not exist".to_owned(),
            ));
        }
        let existing = memberships::Entity::find()
            .filter(memberships::Column::UserId.eq(user_id.as_str()))
            .filter(memberships::Column::OrganizationId.eq(organization_id))
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        let current = memberships_of(&txn, user_id)
            .await?
            .into_iter()
            .find(|m| m.organization_id == organization_id);
        if let Some(c) = &current {
            let mut role_ids: Vec<String> = c.roles.iter().map(|r| r.role_id.clone()).collect();
            role_ids.sort();
            if c.is_guest == fields.is_guest
                && c.is_membership_mfa_required == fields.is_membership_mfa_required
                && role_ids == fields.role_ids
            {
                txn.rollback().await.map_err(|e| unavailable(&e))?;
                return Ok(c.clone());
            }
        }
        let id = match existing {
            Some(row) => {
                let id = row.id.clone();
                let mut active = row.into_active_model();
                active.is_guest = ActiveValue::Set(fields.is_guest);
                active.is_membership_mfa_required =
                    ActiveValue::Set(fields.is_membership_mfa_required);
                active.modified = ActiveValue::Set(ctx.now);
                active.modified_by = ActiveValue::Set(ctx.actor.to_owned());
                active.update(&txn).await.map_err(|e| unavailable(&e))?;
                membership_roles::Entity::delete_many()
                    .filter(membership_roles::Column::MembershipId.eq(id.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(|e| unavailable(&e))?;
                id
            }
            None => {
                let id = ctx.ids.event_id().0.as_simple().to_string();
                memberships::ActiveModel {
                    id: ActiveValue::Set(id.clone()),
                    user_id: ActiveValue::Set(user_id.to_string()),
                    organization_id: ActiveValue::Set(organization_id),
                    is_guest: ActiveValue::Set(fields.is_guest),
                    is_membership_mfa_required: ActiveValue::Set(fields.is_membership_mfa_required),
                    created: ActiveValue::Set(ctx.now),
                    modified: ActiveValue::Set(ctx.now),
                    created_by: ActiveValue::Set(ctx.actor.to_owned()),
                    modified_by: ActiveValue::Set(ctx.actor.to_owned()),
                }
                .insert(&txn)
                .await
                .map_err(|e| unavailable(&e))?;
                id
            }
        };
        if !fields.role_ids.is_empty() {
            membership_roles::Entity::insert_many(fields.role_ids.iter().map(|r| {
                membership_roles::ActiveModel {
                    membership_id: ActiveValue::Set(id.clone()),
                    role_id: ActiveValue::Set(r.clone()),
                }
            }))
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        }
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        record(&txn, ctx, UserEvent::Updated(user)).await?;
        let membership = memberships_of(&txn, user_id)
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| DirectoryError::Unavailable("membership vanished".into()))?;
        self.commit(txn).await?;
        Ok(membership)
    }

    async fn delete_membership(
        &self,
        user_id: &UserId,
        organization_id: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut user = locked_user(&txn, user_id).await?;
        let deleted = memberships::Entity::delete_many()
            .filter(memberships::Column::UserId.eq(user_id.as_str()))
            .filter(memberships::Column::OrganizationId.eq(organization_id))
            .exec(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if deleted.rows_affected == 0 {
            return Err(DirectoryError::NotFound(format!(
                "user {user_id} is not a member of organization {organization_id}"
            )));
        }
        touch(&mut user, ctx);
        save_user(&txn, &user).await?;
        record(&txn, ctx, UserEvent::Updated(user)).await?;
        self.commit(txn).await
    }
}
