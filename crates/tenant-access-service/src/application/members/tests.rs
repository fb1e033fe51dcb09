//! Unit tests of the membership operations, on in-memory ports.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nexus_domain::{SystemClock, UuidV7Ids};

use super::*;
use crate::domain::{MemberUser, RoleName};

#[derive(Default)]
struct InMemoryMembers {
    rows: Mutex<BTreeMap<(String, String), String>>,
}

fn shown(id: &str, role: &str) -> TenantUser {
    TenantUser {
        id: id.to_owned(),
        email: format!("{id}@example.com"),
        name: None,
        blocked: false,
        last_login: None,
        tenant_role: role.to_owned(),
    }
}

#[async_trait]
impl TenantMemberRepository for Arc<InMemoryMembers> {
    async fn list(
        &self,
        _: &TenantId,
        _: Option<&str>,
        _: u64,
    ) -> Result<Vec<TenantUser>, TenantAccessError> {
        Ok(Vec::new())
    }

    async fn get(
        &self,
        tenant: &TenantId,
        user: &str,
    ) -> Result<Option<TenantUser>, TenantAccessError> {
        let rows = self.rows.lock().unwrap();
        Ok(rows
            .get(&(tenant.to_string(), user.to_owned()))
            .map(|role| shown(user, role)))
    }

    async fn attach(
        &self,
        m: &TenantMember,
        _: &MemberUser,
        _: &ChangeContext<'_>,
    ) -> Result<TenantUser, TenantAccessError> {
        self.rows.lock().unwrap().insert(
            (m.tenant.to_string(), m.user_id.clone()),
            m.role.to_string(),
        );
        Ok(shown(&m.user_id, m.role.as_str()))
    }

    async fn update(
        &self,
        tenant: &TenantId,
        user: &str,
        role: Option<&RoleName>,
        _: Option<&MemberUser>,
        _: &ChangeContext<'_>,
    ) -> Result<TenantUser, TenantAccessError> {
        let mut rows = self.rows.lock().unwrap();
        let held = rows
            .get_mut(&(tenant.to_string(), user.to_owned()))
            .ok_or_else(|| TenantAccessError::no_access(tenant, user))?;
        if let Some(role) = role {
            *held = role.to_string();
        }
        Ok(shown(user, held))
    }

    async fn remove(
        &self,
        tenant: &TenantId,
        user: &str,
        _: &ChangeContext<'_>,
    ) -> Result<(), TenantAccessError> {
        self.rows
            .lock()
            .unwrap()
            .remove(&(tenant.to_string(), user.to_owned()))
            .map(|_| ())
            .ok_or_else(|| TenantAccessError::no_access(tenant, user))
    }

    async fn tenants_of(&self, _: &str) -> Result<Vec<(String, String)>, TenantAccessError> {
        Ok(Vec::new())
    }
}

/// Knows one user, `u1`, and counts the changes asked of it.
#[derive(Default)]
struct InMemoryDirectory {
    created: Mutex<u32>,
    renamed: Mutex<u32>,
}

fn u1() -> MemberUser {
    MemberUser {
        user_id: "u1".into(),
        email: "ann@example.com".into(),
        name: None,
        blocked: false,
        last_login: None::<DateTime<Utc>>,
        version: 1,
    }
}

#[async_trait]
impl UserDirectory for Arc<InMemoryDirectory> {
    async fn find_by_email(
        &self,
        email: &str,
        _: &Principal,
    ) -> Result<Option<MemberUser>, TenantAccessError> {
        Ok((email.to_lowercase() == "ann@example.com").then(u1))
    }

    async fn create(
        &self,
        email: &str,
        _: Option<&str>,
        _: &Principal,
    ) -> Result<MemberUser, TenantAccessError> {
        *self.created.lock().unwrap() += 1;
        Ok(MemberUser {
            user_id: "u2".into(),
            email: email.to_owned(),
            ..u1()
        })
    }

    async fn link(
        &self,
        _: &str,
        _: &crate::ports::IdpLinkTarget,
        _: &str,
        _: &Principal,
    ) -> Result<(), TenantAccessError> {
        Ok(())
    }

    async fn linked_account(
        &self,
        _: &str,
        _: i32,
        _: &Principal,
    ) -> Result<Option<String>, TenantAccessError> {
        Ok(None)
    }

    async fn rename(
        &self,
        _: &str,
        _: &str,
        _: &Principal,
    ) -> Result<MemberUser, TenantAccessError> {
        *self.renamed.lock().unwrap() += 1;
        Ok(u1())
    }
}

type Service = TenantUserService<Arc<InMemoryMembers>, Arc<InMemoryDirectory>>;

fn service() -> (Service, Arc<InMemoryDirectory>) {
    let directory = Arc::new(InMemoryDirectory::default());
    let svc = TenantUserService::new(
        Arc::new(InMemoryMembers::default()),
        directory.clone(),
        Roles::default(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    );
    (svc, directory)
}

fn actor(tenants: &[&str]) -> Principal {
    Principal {
        subject: "admin".into(),
        tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
        ..Principal::default()
    }
}

#[tokio::test]
async fn attach_finds_by_email_creates_otherwise_and_refuses_twice() {
    let (svc, directory) = service();
    let a = actor(&["acme"]);
    let found = svc
        .attach("acme", "ANN@example.com", None, "admin", &a)
        .await
        .unwrap();
    assert_eq!(found.id, "u1");
    let created = svc
        .attach("acme", "new@example.com", Some("New"), "viewer", &a)
        .await
        .unwrap();
    assert_eq!(created.id, "u2");
    let again = svc
        .attach("acme", "ann@example.com", None, "viewer", &a)
        .await
        .unwrap_err();
    assert!(matches!(again, TenantAccessError::Conflict(_)), "{again}");
    assert_eq!(*directory.created.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_user_outside_the_tenant_is_not_renamed() {
    let (svc, directory) = service();
    let err = svc
        .update("acme", "u1", Some("Ann"), None, &actor(&["acme"]))
        .await
        .unwrap_err();
    assert!(matches!(err, TenantAccessError::NotFound(_)), "{err}");
    assert_eq!(*directory.renamed.lock().unwrap(), 0);
}

#[tokio::test]
async fn every_operation_needs_the_tenant_in_the_principal() {
    let (svc, _) = service();
    let other = actor(&["globex"]);
    let forbidden = |r: Result<_, TenantAccessError>| {
        assert!(matches!(r, Err(TenantAccessError::Forbidden(_))));
    };
    forbidden(svc.list("acme", 0, "", &other).await.map(|_| ()));
    forbidden(svc.get("acme", "u1", &other).await.map(|_| ()));
    forbidden(
        svc.attach("acme", "ann@example.com", None, "admin", &other)
            .await
            .map(|_| ()),
    );
    forbidden(
        svc.update("acme", "u1", None, Some("admin"), &other)
            .await
            .map(|_| ()),
    );
    forbidden(svc.remove("acme", "u1", &other).await);
}
