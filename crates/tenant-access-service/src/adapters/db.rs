//! Storage of tenant memberships and the user projection on sea-orm.

pub mod entities;
pub mod migrations;

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

pub use migrations::Migrator;

use self::entities::{member_users, tenant_members};
use crate::domain::{TenantAccessError, TenantUser};
use crate::ports::TenantMemberRepository;

/// [`TenantMemberRepository`] on sea-orm.
#[derive(Debug, Clone)]
pub struct SeaOrmTenantMemberRepository {
    db: DatabaseConnection,
}

impl SeaOrmTenantMemberRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn unavailable(e: &sea_orm::DbErr) -> TenantAccessError {
    TenantAccessError::Unavailable(e.to_string())
}

#[async_trait]
impl TenantMemberRepository for SeaOrmTenantMemberRepository {
    async fn list(&self, tenant: &str) -> Result<Vec<TenantUser>, TenantAccessError> {
        let members = tenant_members::Entity::find()
            .filter(tenant_members::Column::TenantId.eq(tenant))
            .order_by_asc(tenant_members::Column::UserId)
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?;
        let ids: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
        let users: HashMap<String, member_users::Model> = member_users::Entity::find()
            .filter(member_users::Column::UserId.is_in(ids))
            .all(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(|u| (u.user_id.clone(), u))
            .collect();
        Ok(members
            .into_iter()
            .filter_map(|m| {
                let user = users.get(&m.user_id)?;
                Some(TenantUser {
                    id: m.user_id,
                    email: user.email.clone(),
                    name: user.name.clone(),
                    blocked: user.blocked,
                    last_login: user.last_login,
                    tenant_role: m.role,
                })
            })
            .collect())
    }
}
