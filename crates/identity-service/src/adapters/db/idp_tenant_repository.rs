//! [`IdpTenantRepository`] on sea-orm.

use async_trait::async_trait;
use nexus_domain::ChangeContext;
use nexus_platform::outbox;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{identities, idp_tenants};
use super::rows::tenant_to_domain;
use super::{SeaOrmIdentityStore, is_unique_violation, unavailable};
use crate::adapters::events::idp_tenant_event_message;
use crate::domain::{DirectoryError, IdpTenant, IdpTenantEvent, IdpTenantFields, IdpTenantPatch};
use crate::ports::IdpTenantRepository;

fn not_found(id: i32) -> DirectoryError {
    DirectoryError::NotFound(format!("IdP tenant {id} not found"))
}

fn name_taken(e: &sea_orm::DbErr, name: &str) -> DirectoryError {
    if is_unique_violation(e) {
        DirectoryError::Conflict(format!("name: an IdP tenant named {name} already exists"))
    } else {
        unavailable(e)
    }
}

fn to_model(t: &IdpTenant) -> idp_tenants::ActiveModel {
    idp_tenants::ActiveModel {
        id: ActiveValue::Unchanged(t.id),
        name: ActiveValue::Set(t.name.clone()),
        azo_name: ActiveValue::Set(t.azo_name.clone()),
        fqdn: ActiveValue::Set(t.fqdn.clone()),
        login_domain: ActiveValue::Set(t.login_domain.clone()),
        created: ActiveValue::Set(t.created),
        modified: ActiveValue::Set(t.modified),
        created_by: ActiveValue::Set(t.created_by.clone()),
        modified_by: ActiveValue::Set(t.modified_by.clone()),
        version: ActiveValue::Set(i64::try_from(t.version).unwrap_or(i64::MAX)),
    }
}

impl SeaOrmIdentityStore {
    async fn commit_with(
        &self,
        txn: DatabaseTransaction,
        event: IdpTenantEvent,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        outbox::enqueue(&txn, &idp_tenant_event_message(&ctx.record(event)))
            .await
            .map_err(|e| unavailable(&e))?;
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }
}

#[async_trait]
impl IdpTenantRepository for SeaOrmIdentityStore {
    async fn create_idp_tenant(
        &self,
        fields: &IdpTenantFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<IdpTenant, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let row = idp_tenants::ActiveModel {
            id: ActiveValue::NotSet,
            name: ActiveValue::Set(fields.name.clone()),
            azo_name: ActiveValue::Set(fields.azo_name.clone()),
            fqdn: ActiveValue::Set(fields.fqdn.clone()),
            login_domain: ActiveValue::Set(fields.login_domain.clone()),
            created: ActiveValue::Set(ctx.now),
            modified: ActiveValue::Set(ctx.now),
            created_by: ActiveValue::Set(ctx.actor.to_owned()),
            modified_by: ActiveValue::Set(ctx.actor.to_owned()),
            version: ActiveValue::Set(1),
        }
        .insert(&txn)
        .await
        .map_err(|e| name_taken(&e, &fields.name))?;
        let tenant = tenant_to_domain(row);
        self.commit_with(txn, IdpTenantEvent::Created(tenant.clone()), ctx)
            .await?;
        Ok(tenant)
    }

    async fn get_idp_tenant(&self, id: i32) -> Result<Option<IdpTenant>, DirectoryError> {
        Ok(idp_tenants::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .map(tenant_to_domain))
    }

    async fn list_idp_tenants(
        &self,
        after: Option<i32>,
        limit: u64,
    ) -> Result<Vec<IdpTenant>, DirectoryError> {
        let mut query = idp_tenants::Entity::find().order_by_asc(idp_tenants::Column::Id);
        if let Some(after) = after {
            query = query.filter(idp_tenants::Column::Id.gt(after));
        }
        Ok(query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(tenant_to_domain)
            .collect())
    }

    async fn update_idp_tenant(
        &self,
        id: i32,
        patch: &IdpTenantPatch,
        ctx: &ChangeContext<'_>,
    ) -> Result<IdpTenant, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let mut tenant = idp_tenants::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?
            .map(tenant_to_domain)
            .ok_or_else(|| not_found(id))?;
        if !tenant.apply(patch, ctx.now, ctx.actor)? {
            return Ok(tenant);
        }
        to_model(&tenant)
            .update(&txn)
            .await
            .map_err(|e| name_taken(&e, &tenant.name))?;
        self.commit_with(txn, IdpTenantEvent::Updated(tenant.clone()), ctx)
            .await?;
        Ok(tenant)
    }

    async fn delete_idp_tenant(
        &self,
        id: i32,
        ctx: &ChangeContext<'_>,
    ) -> Result<(), DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let row = idp_tenants::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(|e| unavailable(&e))?
            .ok_or_else(|| not_found(id))?;
        let linked = identities::Entity::find()
            .filter(identities::Column::IdpTenantId.eq(id))
            .count(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        if linked > 0 {
            return Err(DirectoryError::Conflict(format!(
                "IdP tenant {id} still has {linked} linked identities; unlink them first"
            )));
        }
        let mut tenant = tenant_to_domain(row.clone());
        row.into_active_model()
            .delete(&txn)
            .await
            .map_err(|e| unavailable(&e))?;
        tenant.version += 1;
        tenant.modified = ctx.now;
        tenant.modified_by = ctx.actor.to_owned();
        self.commit_with(txn, IdpTenantEvent::Deleted(tenant), ctx)
            .await
    }
}
