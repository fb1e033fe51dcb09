//! Custom UPN use cases: list, create, read, update, delete, and the removal
//! of every UPN of a deleted user.

use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal, UserId};

use crate::domain::{CustomUpn, NewCustomUpn, UpnError, UpnEvent, UpnPatch};
use crate::ports::{UpnRepository, UserDirectory};

/// The custom UPN operations.
pub struct UpnService<R, D> {
    repo: R,
    users: D,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl<R: UpnRepository, D: UserDirectory> UpnService<R, D> {
    pub fn new(repo: R, users: D, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self {
            repo,
            users,
            clock,
            ids,
        }
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// The user, when the identity service knows it.
    async fn known_user(&self, user: &str, actor: &Principal) -> Result<UserId, UpnError> {
        let user = UserId::parse(user)?;
        if self.users.user_exists(&user, actor).await? {
            Ok(user)
        } else {
            Err(UpnError::user_not_found(&user))
        }
    }

    /// # Errors
    /// Unknown user, or storage failure.
    pub async fn list(&self, user: &str, actor: &Principal) -> Result<Vec<CustomUpn>, UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo.list_for_user(&user).await
    }

    /// Validates and stores a new UPN (version 1), recording
    /// `custom_upn.created`.
    ///
    /// # Errors
    /// A missing or bad field, an unknown user, a conflict.
    pub async fn create(
        &self,
        user: &str,
        client_upn_key: Option<&str>,
        custom_upn_value: Option<&str>,
        actor: &Principal,
    ) -> Result<CustomUpn, UpnError> {
        let user_id = UserId::parse(user)?;
        let new = NewCustomUpn::new(client_upn_key, custom_upn_value)?;
        let user = self.known_user(user_id.as_str(), actor).await?;
        let ctx = self.ctx(actor);
        // UPN ids are UUIDv7 like every other id: unique and time-ordered.
        let id = self.ids.event_id().0.simple().to_string();
        let upn = CustomUpn {
            id,
            user_id: user,
            client_upn_key: Some(new.client_upn_key),
            custom_upn_value: Some(new.custom_upn_value),
            created: ctx.now,
            modified: ctx.now,
            created_by: ctx.actor.to_owned(),
            modified_by: ctx.actor.to_owned(),
            version: 1,
        };
        let recorded = ctx.record(UpnEvent::Created(upn.clone()));
        self.repo.create(&upn, &recorded).await?;
        Ok(upn)
    }

    /// # Errors
    /// Unknown user, or no such UPN of that user.
    pub async fn get(
        &self,
        user: &str,
        id: &str,
        actor: &Principal,
    ) -> Result<CustomUpn, UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo
            .get(&user, id)
            .await?
            .ok_or_else(|| UpnError::upn_not_found(&user, id))
    }

    /// # Errors
    /// Unknown user or UPN, a stale version, a bad field, a conflict.
    pub async fn update(
        &self,
        user: &str,
        id: &str,
        patch: &UpnPatch,
        expected_version: Option<u64>,
        actor: &Principal,
    ) -> Result<CustomUpn, UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo
            .update(&user, id, patch, expected_version, &self.ctx(actor))
            .await
    }

    /// # Errors
    /// Unknown user or UPN, a stale version.
    pub async fn delete(
        &self,
        user: &str,
        id: &str,
        expected_version: Option<u64>,
        actor: &Principal,
    ) -> Result<(), UpnError> {
        let user = self.known_user(user, actor).await?;
        self.repo
            .delete(&user, id, expected_version, &self.ctx(actor))
            .await
    }

    /// Deletes every UPN of `user` without asking whether it exists: this
    /// follows the user's deletion.
    ///
    /// # Errors
    /// A malformed id, or storage failure.
    pub async fn delete_user_upns(&self, user: &str, actor: &Principal) -> Result<u64, UpnError> {
        let user = UserId::parse(user)?;
        self.repo.delete_all_of_user(&user, &self.ctx(actor)).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use chrono::{DateTime, TimeZone, Utc};
    use nexus_domain::{Recorded, UuidV7Ids};

    use super::*;
    #[derive(Default)]
    struct InMemoryUpnRepository {
        upns: Mutex<Vec<CustomUpn>>,
        events: Mutex<Vec<Recorded<UpnEvent>>>,
    }

    #[async_trait]
    impl UpnRepository for Arc<InMemoryUpnRepository> {
        async fn list_for_user(&self, user: &UserId) -> Result<Vec<CustomUpn>, UpnError> {
            let upns = self.upns.lock().unwrap();
            Ok(upns
                .iter()
                .filter(|u| &u.user_id == user)
                .cloned()
                .collect())
        }

        async fn get(&self, user: &UserId, id: &str) -> Result<Option<CustomUpn>, UpnError> {
            let upns = self.upns.lock().unwrap();
            Ok(upns
                .iter()
                .find(|u| &u.user_id == user && u.id == id)
                .cloned())
        }

        async fn create(
            &self,
            upn: &CustomUpn,
            event: &Recorded<UpnEvent>,
        ) -> Result<(), UpnError> {
            self.upns.lock().unwrap().push(upn.clone());
            self.events.lock().unwrap().push(event.clone());
            Ok(())
        }

        async fn update(
            &self,
            user: &UserId,
            id: &str,
            _: &UpnPatch,
            _: Option<u64>,
            _: &ChangeContext<'_>,
        ) -> Result<CustomUpn, UpnError> {
            Err(UpnError::upn_not_found(user, id))
        }

        async fn delete(
            &self,
            user: &UserId,
            id: &str,
            _: Option<u64>,
            _: &ChangeContext<'_>,
        ) -> Result<(), UpnError> {
            Err(UpnError::upn_not_found(user, id))
        }

        async fn delete_all_of_user(
            &self,
            user: &UserId,
            ctx: &ChangeContext<'_>,
        ) -> Result<u64, UpnError> {
            let mut upns = self.upns.lock().unwrap();
            let (gone, kept): (Vec<_>, Vec<_>) = upns.drain(..).partition(|u| &u.user_id == user);
            *upns = kept;
            let mut events = self.events.lock().unwrap();
            for mut upn in gone.iter().cloned() {
                upn.version += 1;
                events.push(ctx.record(UpnEvent::Deleted(upn)));
            }
            Ok(gone.len() as u64)
        }
    }

    /// Knows one user, and counts the questions.
    #[derive(Default)]
    struct FakeDirectory {
        known: Vec<String>,
        asked: AtomicUsize,
    }

    #[async_trait]
    impl UserDirectory for Arc<FakeDirectory> {
        async fn user_exists(&self, user: &UserId, _: &Principal) -> Result<bool, UpnError> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            Ok(self.known.iter().any(|k| k == user.as_str()))
        }
    }

    struct FixedClock(DateTime<Utc>);
    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    type Service = UpnService<Arc<InMemoryUpnRepository>, Arc<FakeDirectory>>;

    fn service() -> (Service, Arc<InMemoryUpnRepository>, Arc<FakeDirectory>) {
        let repo = Arc::new(InMemoryUpnRepository::default());
        let directory = Arc::new(FakeDirectory {
            known: vec!["ann".into()],
            ..FakeDirectory::default()
        });
        let clock = Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        ));
        (
            UpnService::new(repo.clone(), directory.clone(), clock, Arc::new(UuidV7Ids)),
            repo,
            directory,
        )
    }

    fn actor() -> Principal {
        Principal {
            subject: "admin".into(),
            ..Principal::default()
        }
    }

    #[tokio::test]
    async fn create_records_one_created_event_at_version_1() {
        let (svc, repo, _) = service();
        let upn = svc
            .create("ann", Some("crm"), Some("ann@example.com"), &actor())
            .await
            .unwrap();
        assert_eq!((upn.version, upn.created_by.as_str()), (1, "admin"));
        let events = repo.events.lock().unwrap();
        assert_eq!(events.len(), 1);
        let meta = &events[0].metadata;
        assert_eq!(
            (
                meta.event_type,
                meta.aggregate_type,
                meta.aggregate_id.as_str(),
                meta.aggregate_version
            ),
            ("custom_upn.created", "custom_upn", upn.id.as_str(), 1)
        );
        assert_eq!(meta.subject(), "nexus.upn.custom_upn.created");
    }

    #[tokio::test]
    async fn an_unknown_user_is_not_found_and_nothing_is_recorded() {
        let (svc, repo, _) = service();
        let err = svc
            .create("bob", Some("crm"), Some("bob@example.com"), &actor())
            .await
            .unwrap_err();
        assert!(matches!(err, UpnError::NotFound(_)), "{err}");
        assert!(matches!(
            svc.list("bob", &actor()).await,
            Err(UpnError::NotFound(_))
        ));
        assert!(repo.events.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn bad_input_is_refused_before_asking_the_directory() {
        let (svc, _, directory) = service();
        let err = svc
            .create("ann", Some("crm"), Some("no-at"), &actor())
            .await
            .unwrap_err();
        assert!(matches!(err, UpnError::Invalid(_)), "{err}");
        assert_eq!(directory.asked.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn deleting_a_users_upns_does_not_need_the_user_to_exist() {
        let (svc, repo, directory) = service();
        svc.create("ann", Some("crm"), Some("ann@example.com"), &actor())
            .await
            .unwrap();
        svc.create("ann", Some("erp"), Some("ann@example.com"), &actor())
            .await
            .unwrap();
        let asked = directory.asked.load(Ordering::SeqCst);
        assert_eq!(svc.delete_user_upns("ann", &actor()).await.unwrap(), 2);
        assert_eq!(directory.asked.load(Ordering::SeqCst), asked);
        let deleted: Vec<_> = repo
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.metadata.event_type == "custom_upn.deleted")
            .map(|e| e.metadata.aggregate_version)
            .collect();
        assert_eq!(deleted, [2, 2]);
        assert_eq!(svc.delete_user_upns("nobody", &actor()).await.unwrap(), 0);
    }
}
