//! Storage of tenant memberships and the user projection on sea-orm
//! (PostgreSQL or SQLite). Each write commits its outbox rows with it, then
//! wakes the relay. sea-orm types stay inside this module.

pub mod entities;
pub mod migrations;
pub mod projection;

use async_trait::async_trait;
use nexus_domain::ChangeContext;
use nexus_platform::outbox::{self, OutboxSignal};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

pub use migrations::Migrator;
pub use projection::SeaOrmMemberUserProjection;

use self::entities::{member_users, tenant_members};
use crate::adapters::events::member_event_message;
use crate::domain::{
    MemberUser, RoleName, TenantAccessError, TenantId, TenantMember, TenantMemberEvent, TenantUser,
};
use crate::ports::TenantMemberRepository;

/// The tenant-access database: memberships, the user projection, the outbox.
#[derive(Debug, Clone)]
pub struct SeaOrmTenantAccessStore {
    db: DatabaseConnection,
    signal: OutboxSignal,
}

impl SeaOrmTenantAccessStore {
    pub fn new(db: DatabaseConnection, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }

    async fn begin(&self) -> Result<DatabaseTransaction, TenantAccessError> {
        self.db.begin().await.map_err(|e| unavailable(&e))
    }

    async fn commit(&self, txn: DatabaseTransaction) -> Result<(), TenantAccessError> {
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }
}

fn unavailable(e: &DbErr) -> TenantAccessError {
    TenantAccessError::Unavailable(e.to_string())
}

fn version(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn db_version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn tenant_user(m: tenant_members::Model, u: &member_users::Model) -> TenantUser {
    TenantUser {
        id: m.user_id,
        email: u.email.clone(),
        name: u.name.clone(),
        blocked: u.blocked,
        last_login: u.last_login,
        tenant_role: m.role,
    }
}

fn member_of(row: &tenant_members::Model) -> Result<TenantMember, TenantAccessError> {
    Ok(TenantMember {
        tenant: TenantId::parse(&row.tenant_id)?,
        user_id: row.user_id.clone(),
        role: RoleName::parse("role", &row.role)?,
        version: version(row.version),
    })
}

/// Appends the membership's event to the outbox in `txn`.
async fn record(
    txn: &DatabaseTransaction,
    ctx: &ChangeContext<'_>,
    event: TenantMemberEvent,
) -> Result<(), TenantAccessError> {
    outbox::enqueue(txn, &member_event_message(&ctx.record(event)))
        .await
        .map_err(|e| unavailable(&e))
}

/// The membership row, locked for the rest of the transaction on PostgreSQL
/// (SQLite has one writer, so its transaction is already exclusive).
async fn lock_member<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    user_id: &str,
) -> Result<Option<tenant_members::Model>, TenantAccessError> {
    let mut query = tenant_members::Entity::find_by_id((tenant.to_string(), user_id.to_owned()));
    if conn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(conn).await.map_err(|e| unavailable(&e))
}

/// Memberships with their users' copies, in one statement (a join).
/// Attach writes the user's copy with the membership, so a member without
/// one cannot happen; it is left out rather than shown without an email.
fn with_users(rows: Vec<(tenant_members::Model, Option<member_users::Model>)>) -> Vec<TenantUser> {
    rows.into_iter()
        .filter_map(|(m, u)| Some(tenant_user(m, &u?)))
        .collect()
}

async fn get_in<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    user_id: &str,
) -> Result<Option<TenantUser>, TenantAccessError> {
    let rows = tenant_members::Entity::find_by_id((tenant.to_string(), user_id.to_owned()))
        .find_also_related(member_users::Entity)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(with_users(rows).into_iter().next())
}

#[async_trait]
impl TenantMemberRepository for SeaOrmTenantAccessStore {
    async fn list(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<TenantUser>, TenantAccessError> {
        let mut select = tenant_members::Entity::find()
            .filter(tenant_members::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(tenant_members::Column::UserId);
        if let Some(after) = after {
            select = select.filter(tenant_members::Column::UserId.gt(after));
        }
        let rows = select
            .find_also_related(member_users::Entity)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(with_users(rows))
    }

    async fn get(
        &self,
        tenant: &TenantId,
        user_id: &str,
    ) -> Result<Option<TenantUser>, TenantAccessError> {
        get_in(&self.db, tenant, user_id).await
    }

    async fn attach(
        &self,
        member: &TenantMember,
        user: &MemberUser,
        ctx: &ChangeContext<'_>,
    ) -> Result<TenantUser, TenantAccessError> {
        let txn = self.begin().await?;
        projection::lock_user(&txn, &member.user_id).await?;
        let row = tenant_members::ActiveModel {
            tenant_id: Set(member.tenant.to_string()),
            user_id: Set(member.user_id.clone()),
            role: Set(member.role.to_string()),
            created: Set(ctx.now),
            modified: Set(ctx.now),
            created_by: Set(ctx.actor.to_owned()),
            modified_by: Set(ctx.actor.to_owned()),
            version: Set(db_version(member.version)),
        };
        let inserted = tenant_members::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    tenant_members::Column::TenantId,
                    tenant_members::Column::UserId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if inserted == 0 {
            return Err(TenantAccessError::already_attached(
                &member.tenant,
                &member.user_id,
            ));
        }
        projection::upsert(&txn, user).await?;
        // A deletion applied first left its tombstone: attach nothing.
        if projection::is_deleted(&txn, &member.user_id).await? {
            txn.rollback().await.map_err(|e| unavailable(&e))?;
            return Err(TenantAccessError::NotFound(format!(
                "email: user {} was deleted",
                member.user_id
            )));
        }
        record(&txn, ctx, TenantMemberEvent::Attached(member.clone())).await?;
        let answer = get_in(&txn, &member.tenant, &member.user_id)
            .await?
            .ok_or_else(|| TenantAccessError::no_access(&member.tenant, &member.user_id))?;
        self.commit(txn).await?;
        Ok(answer)
    }

    async fn update(
        &self,
        tenant: &TenantId,
        user_id: &str,
        role: Option<&RoleName>,
        user: Option<&MemberUser>,
        ctx: &ChangeContext<'_>,
    ) -> Result<TenantUser, TenantAccessError> {
        let txn = self.begin().await?;
        let row = lock_member(&txn, tenant, user_id)
            .await?
            .ok_or_else(|| TenantAccessError::no_access(tenant, user_id))?;
        if let Some(role) = role.filter(|r| r.as_str() != row.role) {
            let mut member = member_of(&row)?;
            member.role = role.clone();
            member.version += 1;
            let mut active = row.into_active_model();
            active.role = Set(role.to_string());
            active.version = Set(db_version(member.version));
            active.modified = Set(ctx.now);
            active.modified_by = Set(ctx.actor.to_owned());
            active.update(&txn).await.map_err(|e| unavailable(&e))?;
            record(&txn, ctx, TenantMemberEvent::Updated(member)).await?;
        }
        if let Some(user) = user {
            projection::upsert(&txn, user).await?;
        }
        let answer = get_in(&txn, tenant, user_id)
            .await?
            .ok_or_else(|| TenantAccessError::no_access(tenant, user_id))?;
        self.commit(txn).await?;
        Ok(answer)
    }

    async fn remove(
        &self,
        tenant: &TenantId,
        user_id: &str,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), TenantAccessError> {
        let txn = self.begin().await?;
        let row = lock_member(&txn, tenant, user_id)
            .await?
            .ok_or_else(|| TenantAccessError::no_access(tenant, user_id))?;
        remove_row(&txn, row, ctx).await?;
        self.commit(txn).await
    }

    async fn tenants_of(&self, user_id: &str) -> Result<Vec<(String, String)>, TenantAccessError> {
        Ok(tenant_members::Entity::find()
            .filter(tenant_members::Column::UserId.eq(user_id))
            .order_by_asc(tenant_members::Column::TenantId)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(|m| (m.tenant_id, m.role))
            .collect())
    }
}

/// Deletes a membership row and records its removal.
async fn remove_row(
    txn: &DatabaseTransaction,
    row: tenant_members::Model,
    ctx: &ChangeContext<'_>,
) -> Result<(), TenantAccessError> {
    let mut member = member_of(&row)?;
    member.version += 1;
    tenant_members::Entity::delete_by_id((row.tenant_id, row.user_id))
        .exec(txn)
        .await
        .map_err(|e| unavailable(&e))?;
    record(txn, ctx, TenantMemberEvent::Removed(member)).await
}
