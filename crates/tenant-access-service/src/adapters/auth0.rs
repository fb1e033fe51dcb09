//! [`IdpProvisioning`] over Auth0's Management API v2: accounts are found
//! with `users-by-email`, created in the configured database connection with
//! a random password nobody knows, claimed by writing
//! `app_metadata.nexus_user_id` (read by the post-login Action) and renamed
//! through `name`. The person is invited through the Authentication API's
//! `dbconnections/change_password`: Auth0 emails them the link with which they
//! set a password.

mod client;

use async_trait::async_trait;
use base64::Engine as _;
use http::{Method, StatusCode};
use nexus_platform::config::Auth0Settings;
use serde_json::{Value, json};

use crate::domain::TenantAccessError;
use crate::ports::{IdpAccount, IdpLinkTarget, IdpProvisioning};
use client::{Api, Management, Reply, failure, failure_of};

/// Provisioning into one Auth0 tenant.
pub struct Auth0Provisioning {
    api: Management,
    connection: String,
    target: IdpLinkTarget,
}

impl Auth0Provisioning {
    pub fn new(settings: &Auth0Settings) -> Self {
        Self {
            api: Management::new(settings),
            connection: settings.connection.clone(),
            target: IdpLinkTarget {
                idp_tenant_id: settings.idp_tenant_id,
                strategy: "auth0".to_owned(),
                connection_id: settings
                    .connection_id
                    .clone()
                    .unwrap_or_else(|| settings.connection.clone()),
            },
        }
    }

    /// Whether `user` (a Management API user) has an identity in the
    /// configured connection.
    fn in_connection(&self, user: &Value) -> bool {
        user.get("identities")
            .and_then(Value::as_array)
            .is_some_and(|ids| {
                ids.iter()
                    .any(|i| i.get("connection").and_then(Value::as_str) == Some(&self.connection))
            })
    }
}

fn account_of(user: &Value) -> Result<IdpAccount, TenantAccessError> {
    let id = user
        .get("user_id")
        .and_then(Value::as_str)
        .ok_or_else(|| failure("a user without user_id was answered"))?;
    let metadata = user.get("app_metadata");
    Ok(IdpAccount {
        id: id.to_owned(),
        nexus_user_id: metadata
            .and_then(|m| m.get("nexus_user_id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        created_by_nexus: metadata
            .and_then(|m| m.get("nexus_provisioned"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// The answer when it has `expected` status, else a failure naming `what`.
fn expect(reply: Reply, expected: StatusCode, what: &str) -> Result<Value, TenantAccessError> {
    expect_of(Api::Management, reply, expected, what)
}

/// [`expect`] for a call to `api`.
fn expect_of(
    api: Api,
    reply: Reply,
    expected: StatusCode,
    what: &str,
) -> Result<Value, TenantAccessError> {
    if reply.status == expected {
        return Ok(reply.body);
    }
    // The Management API says `message`; the Authentication API says
    // `error_description` (or `description`), or answers plain text.
    let said = ["message", "error_description", "description"]
        .iter()
        .find_map(|key| reply.body.get(key).and_then(Value::as_str))
        .or_else(|| reply.body.as_str())
        .unwrap_or_default();
    Err(failure_of(
        api,
        format_args!("{what} answered {}: {said}", reply.status.as_u16()),
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A password nobody is told: Auth0 requires one for a database user, and
/// the person replaces it through the emailed link. Mixed classes satisfy Auth0's
/// strongest password policy.
fn unusable_password() -> Result<String, TenantAccessError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| TenantAccessError::Unavailable(format!("no randomness: {e}")))?;
    let random = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Ok(format!("{random}aA1!"))
}

#[async_trait]
impl IdpProvisioning for Auth0Provisioning {
    fn link_target(&self) -> &IdpLinkTarget {
        &self.target
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<IdpAccount>, TenantAccessError> {
        // Auth0 keeps addresses in lower case and matches this one exactly.
        let path = format!("users-by-email?email={}", encode(&email.to_lowercase()));
        let reply = self.api.call(Method::GET, &path, None).await?;
        let users = expect(reply, StatusCode::OK, "users-by-email")?;
        users
            .as_array()
            .into_iter()
            .flatten()
            .find(|u| self.in_connection(u))
            .map(account_of)
            .transpose()
    }

    async fn create(
        &self,
        email: &str,
        name: Option<&str>,
    ) -> Result<IdpAccount, TenantAccessError> {
        let mut body = json!({
            "email": email,
            "connection": self.connection,
            "password": unusable_password()?,
            "email_verified": false,
            "verify_email": false,
            "app_metadata": {"nexus_provisioned": true},
        });
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            body["name"] = json!(name);
        }
        let reply = self.api.call(Method::POST, "users", Some(&body)).await?;
        // A 409 is an account made meanwhile (or by an earlier try whose
        // answer was lost): it is the one to use.
        if reply.status == StatusCode::CONFLICT {
            return self
                .find_by_email(email)
                .await?
                .ok_or_else(|| failure("create users answered 409 but no user has that email"));
        }
        account_of(&expect(reply, StatusCode::CREATED, "create users")?)
    }

    async fn invite(&self, _account: &str, email: &str) -> Result<(), TenantAccessError> {
        // Auth0 answers 200 whether or not the address has an account, and
        // sends the email itself; the account was just found or made.
        let body = json!({
            "client_id": self.api.client_id(),
            "email": email.to_lowercase(),
            "connection": self.connection,
        });
        let reply = self
            .api
            .post_public("dbconnections/change_password", &body)
            .await?;
        expect_of(
            Api::Authentication,
            reply,
            StatusCode::OK,
            "change_password",
        )
        .map(|_| ())
    }

    async fn claim(&self, account: &str, nexus_user_id: &str) -> Result<(), TenantAccessError> {
        // Auth0 merges app_metadata's top-level keys: other keys stay.
        let body = json!({"app_metadata": {"nexus_user_id": nexus_user_id}});
        let path = format!("users/{}", encode(account));
        let reply = self.api.call(Method::PATCH, &path, Some(&body)).await?;
        expect(reply, StatusCode::OK, "update user").map(|_| ())
    }

    async fn rename(&self, account: &str, name: &str) -> Result<(), TenantAccessError> {
        let body = json!({"name": name});
        let path = format!("users/{}", encode(account));
        let reply = self.api.call(Method::PATCH, &path, Some(&body)).await?;
        expect(reply, StatusCode::OK, "update user").map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_emails_are_encoded_for_paths_and_queries() {
        assert_eq!(encode("auth0|abc"), "auth0%7Cabc");
        assert_eq!(encode("a+b@x.io"), "a%2Bb%40x.io");
    }

    #[test]
    fn an_account_carries_what_provisioning_wrote() {
        let account = account_of(&json!({
            "user_id": "auth0|1",
            "app_metadata": {"nexus_user_id": "u1", "nexus_provisioned": true}
        }))
        .unwrap();
        assert_eq!(account.nexus_user_id.as_deref(), Some("u1"));
        assert!(account.created_by_nexus);
        assert!(
            !account_of(&json!({"user_id": "x"}))
                .unwrap()
                .created_by_nexus
        );
    }

    #[test]
    fn the_unusable_password_is_random_and_strong() {
        let a = unusable_password().unwrap();
        assert_ne!(a, unusable_password().unwrap());
        assert!(a.len() > 40);
    }
}
