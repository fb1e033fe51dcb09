//! [`UserRepository`] on sea-orm.

use async_trait::async_trait;
use nexus_domain::UserId;
use nexus_platform::outbox;
use sea_orm::{ActiveModelTrait, IntoActiveModel, TransactionTrait};

use super::queries::{find_user, user_to_model, view_of};
use super::{SeaOrmIdentityStore, is_unique_violation, unavailable};
use crate::adapters::events::user_event_message;
use crate::domain::{Recorded, User, UserError, UserEvent};
use crate::ports::{UserRepository, UserView};

#[async_trait]
impl UserRepository for SeaOrmIdentityStore {
    async fn create(&self, user: &User, event: &Recorded<UserEvent>) -> Result<(), UserError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let inserted = user_to_model(user)
            .into_active_model()
            .reset_all()
            .insert(&txn)
            .await;
        if let Err(e) = inserted {
            return Err(if is_unique_violation(&e) {
                UserError::Conflict(format!(
                    "emailAddress: a user with email address {} already exists",
                    user.email_address
                ))
            } else {
                unavailable(&e)
            });
        }
        outbox::enqueue(&txn, &user_event_message(event))
            .await
            .map_err(|e| unavailable(&e))?;
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }

    async fn view(&self, id: &UserId) -> Result<Option<UserView>, UserError> {
        match find_user(&self.db, id).await? {
            Some(user) => Ok(Some(view_of(&self.db, user).await?)),
            None => Ok(None),
        }
    }
}
