//! The provisioning steps against in-memory ports that fail at a chosen
//! step: whatever fails, a retry ends with one account, one user, one link.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use nexus_domain::Principal;

use super::{provision, rename};
use crate::domain::{MemberUser, TenantAccessError};
use crate::ports::{IdpAccount, IdpLinkTarget, IdpProvisioning, UserDirectory};

/// The step that fails next, once.
#[derive(Default)]
struct Failing(Mutex<Option<&'static str>>);

impl Failing {
    fn check(&self, step: &'static str) -> Result<(), TenantAccessError> {
        let mut failing = self.0.lock().unwrap();
        if *failing == Some(step) {
            *failing = None;
            return Err(TenantAccessError::IdentityProvider(format!(
                "{step} failed"
            )));
        }
        Ok(())
    }
}

struct InMemoryIdp {
    target: IdpLinkTarget,
    accounts: Mutex<Vec<(String, IdpAccount, Option<String>)>>,
    /// The addresses emailed, in order.
    invited: Mutex<Vec<String>>,
    failing: Failing,
}

impl InMemoryIdp {
    fn new() -> Self {
        Self {
            target: IdpLinkTarget {
                idp_tenant_id: 1,
                strategy: "auth0".into(),
                connection_id: "con_1".into(),
            },
            accounts: Mutex::new(Vec::new()),
            invited: Mutex::new(Vec::new()),
            failing: Failing::default(),
        }
    }
}

#[async_trait]
impl IdpProvisioning for InMemoryIdp {
    fn link_target(&self) -> &IdpLinkTarget {
        &self.target
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<IdpAccount>, TenantAccessError> {
        self.failing.check("find")?;
        let accounts = self.accounts.lock().unwrap();
        Ok(accounts
            .iter()
            .find(|(e, _, _)| e == email)
            .map(|(_, a, _)| a.clone()))
    }

    async fn create(&self, email: &str, _: Option<&str>) -> Result<IdpAccount, TenantAccessError> {
        self.failing.check("create")?;
        let mut accounts = self.accounts.lock().unwrap();
        let account = IdpAccount {
            id: format!("auth0|{}", accounts.len() + 1),
            nexus_user_id: None,
            created_by_nexus: true,
        };
        accounts.push((email.to_owned(), account.clone(), None));
        Ok(account)
    }

    async fn invite(&self, account: &str, email: &str) -> Result<(), TenantAccessError> {
        self.failing.check("invite")?;
        let accounts = self.accounts.lock().unwrap();
        assert!(
            accounts
                .iter()
                .any(|(e, a, _)| a.id == account && e == email),
            "{account} is not {email}'s account"
        );
        self.invited.lock().unwrap().push(email.to_owned());
        Ok(())
    }

    async fn claim(&self, account: &str, user: &str) -> Result<(), TenantAccessError> {
        self.failing.check("claim")?;
        for (_, a, _) in self.accounts.lock().unwrap().iter_mut() {
            if a.id == account {
                a.nexus_user_id = Some(user.to_owned());
            }
        }
        Ok(())
    }

    async fn rename(&self, account: &str, name: &str) -> Result<(), TenantAccessError> {
        self.failing.check("rename")?;
        for (_, a, n) in self.accounts.lock().unwrap().iter_mut() {
            if a.id == account {
                *n = Some(name.to_owned());
            }
        }
        Ok(())
    }
}

/// Identity: users by email and links (user, IdP tenant) → account.
#[derive(Default)]
struct InMemoryDirectory {
    users: Mutex<Vec<MemberUser>>,
    links: Mutex<BTreeMap<(String, i32), String>>,
    failing: Failing,
}

#[async_trait]
impl UserDirectory for InMemoryDirectory {
    async fn find_by_email(
        &self,
        email: &str,
        _: &Principal,
    ) -> Result<Option<MemberUser>, TenantAccessError> {
        let users = self.users.lock().unwrap();
        Ok(users.iter().find(|u| u.email == email).cloned())
    }

    async fn create(
        &self,
        email: &str,
        name: Option<&str>,
        _: &Principal,
    ) -> Result<MemberUser, TenantAccessError> {
        self.failing.check("user")?;
        let mut users = self.users.lock().unwrap();
        let user = MemberUser {
            user_id: format!("u{}", users.len() + 1),
            email: email.to_owned(),
            name: name.map(str::to_owned),
            blocked: false,
            last_login: None,
            version: 1,
        };
        users.push(user.clone());
        Ok(user)
    }

    async fn link(
        &self,
        user: &str,
        target: &IdpLinkTarget,
        account: &str,
        _: &Principal,
    ) -> Result<(), TenantAccessError> {
        self.failing.check("link")?;
        self.links
            .lock()
            .unwrap()
            .insert((user.to_owned(), target.idp_tenant_id), account.to_owned());
        Ok(())
    }

    async fn linked_account(
        &self,
        user: &str,
        idp_tenant: i32,
        _: &Principal,
    ) -> Result<Option<String>, TenantAccessError> {
        let links = self.links.lock().unwrap();
        Ok(links.get(&(user.to_owned(), idp_tenant)).cloned())
    }

    async fn rename(
        &self,
        user: &str,
        _: &str,
        _: &Principal,
    ) -> Result<MemberUser, TenantAccessError> {
        // Renaming in identity is not a provisioning step.
        Err(TenantAccessError::NotFound(user.to_owned()))
    }
}

async fn attach(
    idp: &InMemoryIdp,
    directory: &InMemoryDirectory,
) -> Result<MemberUser, TenantAccessError> {
    let actor = Principal::default();
    let found = directory.find_by_email("ann@example.com", &actor).await?;
    provision(
        idp,
        directory,
        "ann@example.com",
        Some("Ann"),
        found,
        &actor,
    )
    .await
}

#[tokio::test]
async fn a_retry_after_a_failure_at_any_step_converges() {
    for step in ["find", "create", "user", "invite", "claim", "link"] {
        let (idp, directory) = (InMemoryIdp::new(), InMemoryDirectory::default());
        *idp.failing.0.lock().unwrap() = Some(step);
        *directory.failing.0.lock().unwrap() = Some(step);
        assert!(attach(&idp, &directory).await.is_err(), "{step}");
        let user = attach(&idp, &directory).await.unwrap();

        let accounts = idp.accounts.lock().unwrap();
        assert_eq!(accounts.len(), 1, "{step}");
        assert_eq!(accounts[0].1.nexus_user_id.as_deref(), Some("u1"), "{step}");
        assert_eq!(directory.users.lock().unwrap().len(), 1, "{step}");
        let links = directory.links.lock().unwrap();
        assert_eq!(links.len(), 1, "{step}");
        assert_eq!(links[&(user.user_id, 1)], accounts[0].1.id, "{step}");
        // Emailed once, and once more only when the claim failed after it.
        let invited = idp.invited.lock().unwrap();
        let expected = if step == "claim" { 2 } else { 1 };
        assert_eq!(invited.len(), expected, "{step}: {invited:?}");
        assert!(invited.iter().all(|e| e == "ann@example.com"), "{step}");
    }
}

#[tokio::test]
async fn auth0_failing_first_leaves_nexus_untouched() {
    let (idp, directory) = (InMemoryIdp::new(), InMemoryDirectory::default());
    *idp.failing.0.lock().unwrap() = Some("find");
    attach(&idp, &directory).await.unwrap_err();
    assert!(directory.users.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_account_of_another_nexus_user_is_a_conflict() {
    let (idp, directory) = (InMemoryIdp::new(), InMemoryDirectory::default());
    let account = idp.create("ann@example.com", None).await.unwrap();
    idp.claim(&account.id, "someone-else").await.unwrap();
    let err = attach(&idp, &directory).await.unwrap_err();
    assert!(matches!(err, TenantAccessError::Conflict(_)), "{err}");
    assert!(directory.links.lock().unwrap().is_empty());
}

#[tokio::test]
async fn only_a_linked_user_is_renamed_in_the_provider() {
    let (idp, directory) = (InMemoryIdp::new(), InMemoryDirectory::default());
    let actor = Principal::default();
    rename(&idp, &directory, "u9", "Nobody", &actor)
        .await
        .unwrap();
    let user = attach(&idp, &directory).await.unwrap();
    rename(&idp, &directory, &user.user_id, "Ann Lee", &actor)
        .await
        .unwrap();
    let accounts = idp.accounts.lock().unwrap();
    assert_eq!(accounts[0].2.as_deref(), Some("Ann Lee"));
}
