//! [`DirectoryGroupRepository`] on sea-orm: a group is an organization of type `scim`,
//! its members role-less memberships. A membership change is a change of its user
//! (version bump, `user.updated`, as `PutMembership` records) and of the group (its
//! organization's version, `organization.updated`), so the group's version says when
//! what SCIM serves changed. Users are locked in id order, after the organization, so
//! two writes never wait on each other in a circle.

use async_trait::async_trait;
use nexus_domain::{ChangeContext, UserId, ValidationError};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::entities::{memberships, organizations, users};
use super::group_members::{is_group, members_by_group, to_group};
use super::organization_repository::{delete_organization, insert_organization, record_org};
use super::queries::lock_user;
use super::rows::{organization_to_domain, organization_to_model};
use super::{SeaOrmIdentityStore, is_unique_violation, record, save_user, touch, unavailable};
use crate::domain::directory_group::{
    DIRECTORY_GROUP_KIND, MAX_GROUP_MEMBERS, group_name, too_many,
};
use crate::domain::{
    DirectoryError, DirectoryGroup, GroupChanges, GroupQuery, NewGroup, Organization,
    OrganizationEvent, UserEvent,
};
use crate::ports::groups::DirectoryGroupRepository;

fn not_found(id: i32) -> DirectoryError {
    DirectoryError::NotFound(format!("group {id} not found"))
}

fn write_error(e: &sea_orm::DbErr, org: &Organization) -> DirectoryError {
    if is_unique_violation(e) {
        DirectoryError::Conflict(format!(
            "displayName: a group named {} already exists",
            org.fields.display_name.as_deref().unwrap_or_default()
        ))
    } else {
        unavailable(e)
    }
}

/// The group's organization, locked for the rest of the transaction (SQLite has a single
/// writer).
async fn locked_group(txn: &DatabaseTransaction, id: i32) -> Result<Organization, DirectoryError> {
    let mut query = organizations::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let row = query.one(txn).await.map_err(|e| unavailable(&e))?;
    match row.map(organization_to_domain).transpose()? {
        Some(org) if is_group(&org) => Ok(org),
        _ => Err(not_found(id)),
    }
}

fn check_version(org: &Organization, expected: Option<u64>) -> Result<(), DirectoryError> {
    match expected {
        Some(expected) if expected != org.version => {
            Err(DirectoryError::FailedPrecondition(format!(
                "group {} is at version {}, not {expected}",
                org.id, org.version
            )))
        }
        _ => Ok(()),
    }
}

/// Whether the user is a member of the organization.
async fn is_member(
    txn: &DatabaseTransaction,
    organization: i32,
    user: &UserId,
) -> Result<bool, DirectoryError> {
    let n = memberships::Entity::find()
        .filter(memberships::Column::OrganizationId.eq(organization))
        .filter(memberships::Column::UserId.eq(user.as_str()))
        .count(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(n > 0)
}

/// Adds the users that are not members yet; the number added. A user id that names no
/// user is refused.
async fn add_members(
    txn: &DatabaseTransaction,
    organization: i32,
    ids: &[UserId],
    ctx: &ChangeContext<'_>,
) -> Result<usize, DirectoryError> {
    let mut added = 0;
    for id in ids {
        let mut user = lock_user(txn, id).await?.ok_or_else(|| {
            DirectoryError::Invalid(ValidationError::new(
                "members",
                format!("{id} is not a user"),
            ))
        })?;
        if is_member(txn, organization, id).await? {
            continue;
        }
        memberships::ActiveModel {
            id: ActiveValue::Set(ctx.ids.event_id().0.as_simple().to_string()),
            user_id: ActiveValue::Set(id.to_string()),
            organization_id: ActiveValue::Set(organization),
            is_guest: ActiveValue::Set(false),
            is_membership_mfa_required: ActiveValue::Set(false),
            created: ActiveValue::Set(ctx.now),
            modified: ActiveValue::Set(ctx.now),
            created_by: ActiveValue::Set(ctx.actor.to_owned()),
            modified_by: ActiveValue::Set(ctx.actor.to_owned()),
        }
        .insert(txn)
        .await
        .map_err(|e| unavailable(&e))?;
        touch(&mut user, ctx);
        save_user(txn, &user).await?;
        record(txn, ctx, UserEvent::Updated(user)).await?;
        added += 1;
    }
    Ok(added)
}

/// Removes the users' memberships of the organization; the number removed.
async fn remove_members(
    txn: &DatabaseTransaction,
    organization: i32,
    ids: &[UserId],
    ctx: &ChangeContext<'_>,
) -> Result<usize, DirectoryError> {
    let mut removed = 0;
    for id in ids {
        let Some(mut user) = lock_user(txn, id).await? else {
            continue;
        };
        let deleted = memberships::Entity::delete_many()
            .filter(memberships::Column::OrganizationId.eq(organization))
            .filter(memberships::Column::UserId.eq(id.as_str()))
            .exec(txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if deleted.rows_affected == 0 {
            continue;
        }
        touch(&mut user, ctx);
        save_user(txn, &user).await?;
        record(txn, ctx, UserEvent::Updated(user)).await?;
        removed += 1;
    }
    Ok(removed)
}

async fn member_count(txn: &DatabaseTransaction, organization: i32) -> Result<u64, DirectoryError> {
    memberships::Entity::find()
        .filter(memberships::Column::OrganizationId.eq(organization))
        .count(txn)
        .await
        .map_err(|e| unavailable(&e))
}

/// The group as the transaction sees it, with its members.
async fn read_back(
    txn: &DatabaseTransaction,
    org: Organization,
) -> Result<DirectoryGroup, DirectoryError> {
    let mut members = members_by_group(txn, &[org.id]).await?;
    let list = members.remove(&org.id).unwrap_or_default();
    Ok(to_group(org, list))
}

#[async_trait]
impl DirectoryGroupRepository for SeaOrmIdentityStore {
    async fn create_group(
        &self,
        group: &NewGroup,
        ctx: &ChangeContext<'_>,
    ) -> Result<DirectoryGroup, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let org = insert_organization(&txn, &group.fields, ctx, write_error).await?;
        add_members(&txn, org.id, &group.members, ctx).await?;
        record_org(&txn, ctx, OrganizationEvent::Created(org.clone())).await?;
        let created = read_back(&txn, org).await?;
        self.commit(txn).await?;
        Ok(created)
    }

    async fn group(
        &self,
        id: i32,
        with_members: bool,
    ) -> Result<Option<DirectoryGroup>, DirectoryError> {
        let Some(after) = id.checked_sub(1) else {
            return Ok(None);
        };
        let query = GroupQuery {
            after: Some(after),
            limit: 1,
            with_members,
            ..GroupQuery::default()
        };
        Ok(self.groups(&query).await?.into_iter().find(|g| g.id == id))
    }

    async fn groups(&self, query: &GroupQuery) -> Result<Vec<DirectoryGroup>, DirectoryError> {
        let backend = self.db.get_database_backend();
        let mut select = organizations::Entity::find()
            .filter(organizations::Column::Kind.eq(DIRECTORY_GROUP_KIND))
            .order_by_asc(organizations::Column::Id);
        if let Some(after) = query.after {
            select = select.filter(organizations::Column::Id.gt(after));
        }
        if let Some(display) = &query.display_name {
            select = select.filter(organizations::Column::Name.eq(group_name(display)));
        }
        if let Some(external) = &query.external_id {
            select = select.filter(organizations::Column::ExternalId.eq(external.as_str()));
        }
        if let Some(member) = &query.member {
            let ids: Vec<i32> = memberships::Entity::find()
                .filter(memberships::Column::UserId.eq(member.as_str()))
                .all(&self.db)
                .await
                .map_err(|e| unavailable(&e))?
                .into_iter()
                .map(|m| m.organization_id)
                .collect();
            select = select.filter(super::lists::int_in(
                backend,
                organizations::Column::Id,
                ids,
            ));
        }
        let mut orgs = Vec::new();
        for row in select
            .limit(query.limit)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
        {
            let org = organization_to_domain(row)?;
            let same_name = query.display_name.as_ref().is_none_or(|d| {
                org.fields
                    .display_name
                    .as_ref()
                    .is_some_and(|n| n.to_lowercase() == d.to_lowercase())
            });
            if same_name {
                orgs.push(org);
            }
        }
        let mut members = if query.with_members {
            let ids: Vec<i32> = orgs.iter().map(|o| o.id).collect();
            members_by_group(&self.db, &ids).await?
        } else {
            std::collections::HashMap::new()
        };
        Ok(orgs
            .into_iter()
            .map(|o| {
                let list = members.remove(&o.id).unwrap_or_default();
                to_group(o, list)
            })
            .collect())
    }

    async fn change_group(
        &self,
        id: i32,
        changes: &GroupChanges,
        ctx: &ChangeContext<'_>,
    ) -> Result<DirectoryGroup, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut org = locked_group(&txn, id).await?;
        check_version(&org, changes.expected_version)?;
        let renamed = changes.apply_to(&mut org.fields);
        if renamed {
            org.fields = org.fields.clone().check()?;
        }
        let removed = remove_members(&txn, id, &changes.remove, ctx).await?;
        let added = add_members(&txn, id, &changes.add, ctx).await?;
        if added > 0 && member_count(&txn, id).await? > MAX_GROUP_MEMBERS as u64 {
            return Err(too_many().into());
        }
        if renamed || added + removed > 0 {
            org.version += 1;
            org.modified = ctx.now;
            org.modified_by = ctx.actor.to_owned();
            organization_to_model(&org)
                .into_active_model()
                .reset_all()
                .update(&txn)
                .await
                .map_err(|e| write_error(&e, &org))?;
            record_org(&txn, ctx, OrganizationEvent::Updated(org.clone())).await?;
        }
        let group = read_back(&txn, org).await?;
        self.commit(txn).await?;
        Ok(group)
    }

    async fn delete_group(
        &self,
        id: i32,
        expected_version: Option<u64>,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let org = locked_group(&txn, id).await?;
        check_version(&org, expected_version)?;
        let users = users::Entity::find()
            .filter(users::Column::OrganizationId.eq(id))
            .count(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if users > 0 {
            return Err(DirectoryError::Conflict(format!(
                "group {id} is the organization of {users} users; change their organizationId first"
            )));
        }
        let mut members: Vec<UserId> = memberships::Entity::find()
            .filter(memberships::Column::OrganizationId.eq(id))
            .all(&txn)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .filter_map(|m| UserId::parse(&m.user_id).ok())
            .collect();
        members.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        remove_members(&txn, id, &members, ctx).await?;
        delete_organization(&txn, org, ctx).await?;
        self.commit(txn).await
    }
}
