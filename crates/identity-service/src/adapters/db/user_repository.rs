//! [`UserRepository`] on sea-orm: each write and its outbox row in one
//! transaction, then a nudge to the relay.

use async_trait::async_trait;
use nexus_domain::{EmailAddress, UserId};
use nexus_platform::outbox::{self, OutboxSignal};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, SqlErr,
    TransactionTrait,
};

use super::entities::users;
use crate::adapters::events::user_event_message;
use crate::domain::{User, UserError, UserEvent};
use crate::ports::{Recorded, UserRepository};

/// Users in the service's database.
#[derive(Debug, Clone)]
pub struct SeaOrmUserRepository {
    db: DatabaseConnection,
    signal: OutboxSignal,
}

impl SeaOrmUserRepository {
    pub fn new(db: DatabaseConnection, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }
}

fn unavailable(e: &DbErr) -> UserError {
    UserError::Unavailable(e.to_string())
}

fn to_model(user: &User) -> users::Model {
    users::Model {
        id: user.id.to_string(),
        email_address: user.email_address.to_string(),
        email_normalized: user.email_address.normalized(),
        username: user.username.clone(),
        username_normalized: user.username.to_lowercase(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        display_name: user.display_name.clone(),
        nickname: user.nickname.clone(),
        picture: user.picture.clone(),
        language: user.language.clone(),
        phone_number: user.phone_number.clone(),
        user_type: user.user_type.clone(),
        owner_id: user.owner_id.as_ref().map(ToString::to_string),
        recovery_email_address: user
            .recovery_email_address
            .as_ref()
            .map(ToString::to_string),
        is_active: user.is_active,
        email_verified: user.email_verified,
        email_verify_sent_date: user.email_verify_sent_date,
        email_verification_status_type: user.email_verification_status_type.clone(),
        is_mfa_disabled: user.is_mfa_disabled,
        mfa_enrollment_status: user.mfa_enrollment_status.clone(),
        authentication_method: user.authentication_method.clone(),
        organization_id: user.organization_id,
        created: user.created,
        modified: user.modified,
        created_by: user.created_by.clone(),
        modified_by: user.modified_by.clone(),
        last_login: user.last_login,
        version: i64::try_from(user.version).unwrap_or(i64::MAX),
    }
}

fn to_domain(m: users::Model) -> Result<User, UserError> {
    let corrupt =
        |what: &str| UserError::Unavailable(format!("stored user {} has a bad {what}", m.id));
    Ok(User {
        id: UserId::parse(&m.id).map_err(|_| corrupt("id"))?,
        email_address: EmailAddress::parse("emailAddress", &m.email_address)
            .map_err(|_| corrupt("email address"))?,
        recovery_email_address: m
            .recovery_email_address
            .as_deref()
            .map(|e| EmailAddress::parse("recoveryEmailAddress", e))
            .transpose()
            .map_err(|_| corrupt("recovery email address"))?,
        owner_id: m
            .owner_id
            .as_deref()
            .map(UserId::parse)
            .transpose()
            .map_err(|_| corrupt("owner id"))?,
        version: u64::try_from(m.version).map_err(|_| corrupt("version"))?,
        username: m.username,
        given_name: m.given_name,
        family_name: m.family_name,
        display_name: m.display_name,
        nickname: m.nickname,
        picture: m.picture,
        language: m.language,
        phone_number: m.phone_number,
        user_type: m.user_type,
        is_active: m.is_active,
        email_verified: m.email_verified,
        email_verify_sent_date: m.email_verify_sent_date,
        email_verification_status_type: m.email_verification_status_type,
        is_mfa_disabled: m.is_mfa_disabled,
        mfa_enrollment_status: m.mfa_enrollment_status,
        authentication_method: m.authentication_method,
        organization_id: m.organization_id,
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
        last_login: m.last_login,
    })
}

#[async_trait]
impl UserRepository for SeaOrmUserRepository {
    async fn create(&self, user: &User, event: &Recorded<UserEvent>) -> Result<(), UserError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        let inserted = to_model(user)
            .into_active_model()
            .reset_all()
            .insert(&txn)
            .await;
        if let Err(e) = inserted {
            return Err(match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    UserError::DuplicateEmail(user.email_address.to_string())
                }
                _ => unavailable(&e),
            });
        }
        outbox::enqueue(&txn, &user_event_message(event))
            .await
            .map_err(|e| unavailable(&e))?;
        txn.commit().await.map_err(|e| unavailable(&e))?;
        self.signal.notify();
        Ok(())
    }

    async fn find(&self, id: &UserId) -> Result<Option<User>, UserError> {
        users::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await
            .map_err(|e| unavailable(&e))?
            .map(to_domain)
            .transpose()
    }
}
