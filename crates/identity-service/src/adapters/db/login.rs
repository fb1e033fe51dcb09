//! The login-time sync on sea-orm. Most logins change nothing but the login
//! time, so a login first reads the user in one statement without a lock and
//! works out its changes in memory; when only the time changes, one more
//! statement records it with its `user.logged_in` event, provided the user's
//! version is still the one read. Otherwise (groups or attributes change, or
//! the user changed meanwhile) the login takes the user's row lock, so
//! concurrent syncs of one user apply one after the other, and writes its
//! changes set-based, building the answer from what it read and wrote.

pub mod json_rows;
pub mod read;
pub mod write;

#[cfg(test)]
mod tests;

use nexus_domain::{ChangeContext, UserId};
use nexus_platform::telemetry::spans::db_transaction;
use sea_orm::{ConnectionTrait as _, DatabaseTransaction, DbBackend, TransactionTrait};
use tracing::Instrument as _;

use super::{SeaOrmIdentityStore, locked_user, record, touch, unavailable};
use crate::adapters::events::user_event_message;
use crate::domain::sync::login::{LoginPlan, login_time, with_attributes, with_groups};
use crate::domain::{DirectoryError, SyncFields, UserEvent};
use crate::ports::UserView;

impl SeaOrmIdentityStore {
    /// Applies a login and answers the user as it is after it.
    pub(super) async fn sync_login(
        &self,
        user_id: &UserId,
        fields: &SyncFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError> {
        let view = read::user_view(&self.db, user_id)
            .await?
            .ok_or_else(|| DirectoryError::user_not_found(user_id))?;
        let plan = LoginPlan::new(user_id, &view.identities, &view.attributes, fields)?;
        if plan.only_login_time()
            && let Some(view) = self.record_login(view, ctx).await?
        {
            return Ok(view);
        }
        self.locked_sync(user_id, fields, ctx)
            .instrument(db_transaction("locked_sync", None))
            .await
    }

    /// The login of a user read at `view.user.version`, unless the user has
    /// changed since.
    async fn record_login(
        &self,
        mut view: UserView,
        ctx: &ChangeContext<'_>,
    ) -> Result<Option<UserView>, DirectoryError> {
        let read_version = view.user.version;
        view.user.last_login = Some(login_time(view.user.last_login, ctx.now));
        let message = user_event_message(&ctx.record(UserEvent::LoggedIn(view.user.clone())));
        // One statement on PostgreSQL; an update and an insert on SQLite.
        let statements = match self.db.get_database_backend() {
            DbBackend::Postgres => 1,
            _ => 2,
        };
        let written = write::record_login(&self.db, &view.user.id, read_version, ctx.now, &message)
            .instrument(db_transaction("record_login", Some(statements)))
            .await?;
        if written {
            self.signal.notify();
            Ok(Some(view))
        } else {
            Ok(None)
        }
    }

    async fn locked_sync(
        &self,
        user_id: &UserId,
        fields: &SyncFields,
        ctx: &ChangeContext<'_>,
    ) -> Result<UserView, DirectoryError> {
        let txn = self.db.begin().await.map_err(|e| unavailable(&e))?;
        // The lock first, then the read: the read's snapshot must be taken
        // after any sync that held the lock has committed.
        locked_user(&txn, user_id).await?;
        let view = read::user_view(&txn, user_id)
            .await?
            .ok_or_else(|| DirectoryError::user_not_found(user_id))?;
        let plan = LoginPlan::new(user_id, &view.identities, &view.attributes, fields)?;
        let view = apply(&txn, view, &plan, ctx).await?;
        self.commit(txn).await?;
        Ok(view)
    }
}

/// Writes the plan's changes under the user's row lock and records the events.
async fn apply(
    txn: &DatabaseTransaction,
    mut view: UserView,
    plan: &LoginPlan,
    ctx: &ChangeContext<'_>,
) -> Result<UserView, DirectoryError> {
    let user_id = view.user.id.clone();
    write::remove_groups(txn, &plan.groups.remove).await?;
    let added = write::add_groups(txn, plan.identity_id, &plan.groups.add).await?;
    if let Some(identity) = view
        .identities
        .iter_mut()
        .find(|i| i.id == plan.identity_id)
    {
        let groups = std::mem::take(&mut identity.groups);
        identity.groups = with_groups(groups, &plan.groups.remove, added);
    }
    let written = write::upsert_attributes(txn, &user_id, &plan.upserts).await?;
    view.attributes = with_attributes(std::mem::take(&mut view.attributes), written);

    let mut user = view.user;
    let at = login_time(user.last_login, ctx.now);
    user.last_login = Some(at);
    if plan.only_login_time() {
        // Only the login time changes: one column, no new version.
        write::set_login_time(txn, &user_id, at).await?;
    } else {
        touch(&mut user, ctx);
        write::set_changed(txn, &user).await?;
        record(txn, ctx, UserEvent::Updated(user.clone())).await?;
    }
    record(txn, ctx, UserEvent::LoggedIn(user.clone())).await?;
    view.user = user;
    Ok(view)
}
