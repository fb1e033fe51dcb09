//! Storage of custom UPNs on sea-orm.

pub mod custom_upns;
pub mod migrations;

use async_trait::async_trait;
use nexus_domain::UserId;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

pub use migrations::Migrator;

use crate::domain::{CustomUpn, UpnError};
use crate::ports::UpnRepository;

/// [`UpnRepository`] on sea-orm.
#[derive(Debug, Clone)]
pub struct SeaOrmUpnRepository {
    db: DatabaseConnection,
}

impl SeaOrmUpnRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UpnRepository for SeaOrmUpnRepository {
    async fn list_for_user(&self, user: &UserId) -> Result<Vec<CustomUpn>, UpnError> {
        let rows = custom_upns::Entity::find()
            .filter(custom_upns::Column::UserId.eq(user.as_str()))
            .order_by_asc(custom_upns::Column::Created)
            .order_by_asc(custom_upns::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| UpnError::Unavailable(e.to_string()))?;
        Ok(rows
            .into_iter()
            .map(|m| CustomUpn {
                id: m.id,
                user_id: m.user_id,
                client_upn_key: m.client_upn_key,
                custom_upn_value: m.custom_upn_value,
                created: m.created,
                modified: m.modified,
                created_by: m.created_by,
                modified_by: m.modified_by,
            })
            .collect())
    }
}
