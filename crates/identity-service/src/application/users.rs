//! User use cases: create and read.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use nexus_domain::{ChangeContext, Clock, IdGenerator, Principal, UserId};

use nexus_domain::ValidationError;

use crate::application::{Page, page_size};
use crate::domain::{DirectoryError, NewUser, NewUserInput, User, UserEvent, UserPatch};
use crate::ports::{UserQuery, UserRepository, UserView};

/// Default and largest page of the user list.
pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

/// A page of users with the owners it refers to.
#[derive(Debug)]
pub struct UserListing {
    pub page: Page<UserView>,
    /// The owners of the page's users that are not on the page, by id.
    pub owners: Vec<UserView>,
}

/// The user operations.
pub struct UserService<R> {
    repo: R,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl<R: UserRepository> UserService<R> {
    pub fn new(repo: R, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { repo, clock, ids }
    }

    /// Validates and stores a new user, recording `user.created`.
    ///
    /// # Errors
    /// Invalid input, a duplicate email, or storage failure.
    pub async fn create_user(
        &self,
        input: &NewUserInput,
        actor: &Principal,
    ) -> Result<User, DirectoryError> {
        let new = NewUser::new(input)?;
        let ctx = ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref());
        let user = User::create(new, self.ids.user_id(), ctx.now, ctx.actor);
        let recorded = ctx.record(UserEvent::Created(user.clone()));
        self.repo.create(&user, &recorded).await?;
        Ok(user)
    }

    fn ctx<'a>(&'a self, actor: &'a Principal) -> ChangeContext<'a> {
        ChangeContext::new(&actor.subject, self.clock.as_ref(), self.ids.as_ref())
    }

    /// A page of users in creation order, and the owners of its users that
    /// are not on the page themselves; `email_address` and `username` filter
    /// by exact, case-insensitive match.
    ///
    /// # Errors
    /// A bad limit or cursor.
    pub async fn list_users(
        &self,
        limit: u64,
        cursor: &str,
        email_address: Option<&str>,
        username: Option<&str>,
    ) -> Result<UserListing, DirectoryError> {
        let limit = page_size(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = if cursor.is_empty() {
            None
        } else {
            Some(
                UserId::parse(cursor)
                    .map_err(|_| ValidationError::new("cursor", "is not a cursor of this list"))?
                    .into_string(),
            )
        };
        let query = UserQuery {
            after,
            limit: limit + 1,
            email_normalized: email_address.map(|e| e.trim().to_lowercase()),
            username_normalized: username.map(|u| u.trim().to_lowercase()),
        };
        let now = self.clock.now();
        let listed = self.repo.list(&query).await?;
        let mut items: Vec<UserView> = listed.users;
        // The user after the page only says that another page follows, but
        // it may own a user of the page.
        let size = usize::try_from(limit).unwrap_or(usize::MAX);
        let beyond = items.split_off(size.min(items.len()));
        let next_cursor = if beyond.is_empty() {
            None
        } else {
            items.last().map(|v| v.user.id.to_string())
        };
        let items: Vec<UserView> = items.into_iter().map(|v| v.unexpired(now)).collect();
        let listed_ids: HashSet<&UserId> = items.iter().map(|v| &v.user.id).collect();
        let mut wanted: Vec<&UserId> = items
            .iter()
            .filter_map(|v| v.user.owner_id.as_ref())
            .filter(|o| !listed_ids.contains(o))
            .collect();
        wanted.sort();
        wanted.dedup();
        let mut others: HashMap<UserId, UserView> = listed
            .owners
            .into_iter()
            .chain(beyond)
            .map(|v| (v.user.id.clone(), v))
            .collect();
        let owners = wanted
            .into_iter()
            .filter_map(|id| others.remove(id))
            .map(|v| v.unexpired(now))
            .collect();
        let page = Page { items, next_cursor };
        Ok(UserListing { page, owners })
    }

    /// # Errors
    /// Unknown user, a bad field, a taken email address.
    pub async fn update_user(
        &self,
        id: &str,
        patch: &UserPatch,
        actor: &Principal,
    ) -> Result<UserView, DirectoryError> {
        let id = UserId::parse(id)?;
        let ctx = self.ctx(actor);
        let now = ctx.now;
        Ok(self.repo.update(&id, patch, &ctx).await?.unexpired(now))
    }

    /// # Errors
    /// Unknown user.
    pub async fn delete_user(
        &self,
        id: &str,
        expected_version: Option<u64>,
        actor: &Principal,
    ) -> Result<(), DirectoryError> {
        let id = UserId::parse(id)?;
        self.repo
            .delete(&id, expected_version, &self.ctx(actor))
            .await
    }

    /// The user and, when its `ownerId` names a user, that owner.
    ///
    /// # Errors
    /// As [`Self::get_user`].
    pub async fn get_user_with_owner(
        &self,
        id: &str,
    ) -> Result<(UserView, Option<UserView>), DirectoryError> {
        let id = UserId::parse(id)?;
        let now = self.clock.now();
        let (view, owner) = self
            .repo
            .view_with_owner(&id)
            .await?
            .ok_or_else(|| DirectoryError::user_not_found(&id))?;
        let (view, owner) = (view.unexpired(now), owner.map(|o| o.unexpired(now)));
        Ok((view, owner))
    }

    /// The user with its identities, attributes and roles.
    ///
    /// # Errors
    /// [`DirectoryError::NotFound`], a malformed id, or storage failure.
    pub async fn get_user(&self, id: &str) -> Result<UserView, DirectoryError> {
        let id = UserId::parse(id)?;
        let view = self
            .repo
            .view(&id)
            .await?
            .ok_or_else(|| DirectoryError::user_not_found(&id))?;
        Ok(view.unexpired(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::{DateTime, TimeZone, Utc};
    use nexus_domain::{EventId, Recorded, UuidV7Ids};

    use super::*;
    use crate::ports::ListedUsers;
    #[derive(Default)]
    struct InMemoryUserRepository {
        users: Mutex<HashMap<UserId, User>>,
        events: Mutex<Vec<Recorded<UserEvent>>>,
    }

    #[async_trait]
    impl UserRepository for Arc<InMemoryUserRepository> {
        async fn create(
            &self,
            user: &User,
            event: &Recorded<UserEvent>,
        ) -> Result<(), DirectoryError> {
            let mut users = self.users.lock().unwrap();
            let email = user.email_address.normalized();
            if users
                .values()
                .any(|u| u.email_address.normalized() == email)
            {
                return Err(DirectoryError::Conflict(email));
            }
            users.insert(user.id.clone(), user.clone());
            self.events.lock().unwrap().push(event.clone());
            Ok(())
        }

        async fn view(&self, id: &UserId) -> Result<Option<UserView>, DirectoryError> {
            Ok(self
                .users
                .lock()
                .unwrap()
                .get(id)
                .cloned()
                .map(UserView::bare))
        }

        async fn list(&self, _query: &UserQuery) -> Result<ListedUsers, DirectoryError> {
            Ok(ListedUsers::default())
        }

        async fn views(&self, ids: &[UserId]) -> Result<Vec<UserView>, DirectoryError> {
            let users = self.users.lock().unwrap();
            Ok(ids
                .iter()
                .filter_map(|id| users.get(id).cloned().map(UserView::bare))
                .collect())
        }

        async fn update(
            &self,
            id: &UserId,
            _: &UserPatch,
            _: &ChangeContext<'_>,
        ) -> Result<UserView, DirectoryError> {
            Err(DirectoryError::user_not_found(id))
        }

        async fn delete(
            &self,
            id: &UserId,
            _: Option<u64>,
            _: &ChangeContext<'_>,
        ) -> Result<(), DirectoryError> {
            Err(DirectoryError::user_not_found(id))
        }
    }

    struct FixedClock(DateTime<Utc>);
    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    fn service() -> (
        UserService<Arc<InMemoryUserRepository>>,
        Arc<InMemoryUserRepository>,
    ) {
        let repo = Arc::new(InMemoryUserRepository::default());
        let clock = Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        ));
        (
            UserService::new(repo.clone(), clock, Arc::new(UuidV7Ids)),
            repo,
        )
    }

    fn input(email: &str) -> NewUserInput {
        NewUserInput {
            email_address: email.into(),
            username: "ann".into(),
            ..NewUserInput::default()
        }
    }

    fn actor() -> Principal {
        Principal {
            subject: "admin".into(),
            ..Principal::default()
        }
    }

    #[tokio::test]
    async fn create_records_one_created_event_with_the_users_version() {
        let (svc, repo) = service();
        let user = svc
            .create_user(&input("ann@example.com"), &actor())
            .await
            .unwrap();
        let events = repo.events.lock().unwrap();
        assert_eq!(events.len(), 1);
        let meta = &events[0].metadata;
        assert_eq!(
            (
                meta.event_type,
                meta.aggregate_id.as_str(),
                meta.aggregate_version,
                meta.actor.as_str()
            ),
            ("user.created", user.id.as_str(), 1, "admin")
        );
        assert_ne!(meta.id, EventId(uuid::Uuid::nil()));
        assert_eq!(meta.subject(), "nexus.identity.user.created");
    }

    #[tokio::test]
    async fn a_duplicate_email_in_other_case_is_refused_and_records_nothing() {
        let (svc, repo) = service();
        svc.create_user(&input("ann@example.com"), &actor())
            .await
            .unwrap();
        let err = svc
            .create_user(&input("ANN@Example.com"), &actor())
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::Conflict(_)), "{err}");
        assert_eq!(repo.events.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn get_of_an_unknown_or_malformed_id_fails_distinctly() {
        let (svc, _) = service();
        assert!(matches!(
            svc.get_user("nobody").await,
            Err(DirectoryError::NotFound(_))
        ));
        assert!(matches!(
            svc.get_user("no body").await,
            Err(DirectoryError::Invalid(_))
        ));
    }
}
