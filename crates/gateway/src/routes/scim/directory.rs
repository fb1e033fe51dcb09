//! Nexus users as SCIM sees them, read and written through identity's gRPC user and attribute
//! use cases: a change made here is the same change `/v1` makes, with the same events.
//!
//! The SCIM-owned `scim.*` user attributes (`externalId`, the enterprise extension) are kept
//! as user attributes; a write replaces exactly that set and leaves every other attribute
//! alone. `userName` is unique case-insensitively: identity keeps email addresses unique and
//! indexes usernames, so the username check is a lookup before the write.

use chrono::{DateTime, Utc};
use nexus_domain::Principal;
use nexus_proto::common::v1::NullableString;
use nexus_proto::identity::v1 as pb;
use nexus_scim::mapping::{NexusUser, UserAttribute, is_scim_attribute};
use nexus_scim::{ScimError, ScimType};

use super::Failure;
use crate::AppState;

/// The page identity answers at most.
const PAGE: u32 = 200;

/// Identity's users on behalf of one principal.
pub struct Directory<'a> {
    state: &'a AppState,
    principal: &'a Principal,
}

fn uniqueness(detail: String) -> Failure {
    Failure(ScimError {
        status: 409,
        scim_type: Some(ScimType::Uniqueness),
        detail,
    })
}

impl<'a> Directory<'a> {
    pub fn new(state: &'a AppState, principal: &'a Principal) -> Self {
        Self { state, principal }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        self.state.identity_request(self.principal, message)
    }

    /// The user with this id; 404 for an unknown or malformed id.
    pub async fn get(&self, id: &str) -> Result<pb::User, Failure> {
        let request = self.request(pb::GetUserRequest {
            user_id: id.to_owned(),
        });
        match self.state.identity().get_user(request).await {
            Ok(user) => Ok(user.into_inner()),
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::NotFound | tonic::Code::InvalidArgument
                ) =>
            {
                Err(ScimError::status(404, format!("User {id} not found")).into())
            }
            Err(s) => Err(s.into()),
        }
    }

    /// The user with this id, or `None`.
    pub async fn find(&self, id: &str) -> Result<Option<pb::User>, Failure> {
        match self.get(id).await {
            Ok(user) => Ok(Some(user)),
            Err(Failure(e)) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page of users in id order, with the cursor of the next.
    pub async fn page(
        &self,
        cursor: &str,
        email_address: Option<&str>,
        username: Option<&str>,
    ) -> Result<(Vec<pb::User>, Option<String>), Failure> {
        let request = self.request(pb::ListUsersRequest {
            limit: PAGE,
            cursor: cursor.to_owned(),
            email_address: email_address.map(str::to_owned),
            username: username.map(str::to_owned),
        });
        let answer = self
            .state
            .identity()
            .list_users(request)
            .await?
            .into_inner();
        Ok((answer.users, answer.next_cursor))
    }

    /// Users whose username equals `username`, case-insensitively.
    pub async fn by_username(&self, username: &str) -> Result<Vec<pb::User>, Failure> {
        Ok(self.page("", None, Some(username)).await?.0)
    }

    /// Users whose email address equals `email`, case-insensitively.
    pub async fn by_email(&self, email: &str) -> Result<Vec<pb::User>, Failure> {
        Ok(self.page("", Some(email), None).await?.0)
    }

    /// 409 `uniqueness` when another user has this username.
    async fn username_free(&self, username: &str, own_id: Option<&str>) -> Result<(), Failure> {
        let taken = self
            .by_username(username.trim())
            .await?
            .into_iter()
            .any(|u| Some(u.id.as_str()) != own_id);
        if taken {
            return Err(uniqueness(format!("userName {username} is taken")));
        }
        Ok(())
    }

    /// Creates the user and its `scim.*` attributes; answers the stored user.
    pub async fn create(&self, user: &NexusUser) -> Result<pb::User, Failure> {
        let email = email_of(user)?;
        self.username_free(&user.username, None).await?;
        let request = self.request(pb::CreateUserRequest {
            email_address: email,
            username: user.username.clone(),
            given_name: user.given_name.clone().unwrap_or_default(),
            family_name: user.family_name.clone().unwrap_or_default(),
            display_name: user.display_name.clone().unwrap_or_default(),
            nickname: user.nickname.clone(),
            language: user.language.clone(),
            phone_number: user.phone_number.clone(),
            is_active: Some(user.is_active),
            ..pb::CreateUserRequest::default()
        });
        let created = self.state.identity().create_user(request).await;
        let created = created.map_err(|s| match s.code() {
            tonic::Code::AlreadyExists => {
                uniqueness("an email address of this user is taken".to_owned())
            }
            _ => s.into(),
        })?;
        let created = created.into_inner();
        self.sync_attributes(&created, &user.attributes).await?;
        self.get(&created.id).await
    }

    /// Makes the stored user `current` match `user`: the user's fields in one update and its
    /// `scim.*` attributes; answers the stored user.
    pub async fn replace(&self, current: &pb::User, user: &NexusUser) -> Result<pb::User, Failure> {
        let email = email_of(user)?;
        if !user.username.eq_ignore_ascii_case(&current.username) {
            self.username_free(&user.username, Some(&current.id))
                .await?;
        }
        let nullable = |v: &Option<String>| Some(NullableString { value: v.clone() });
        let request = self.request(pb::UpdateUserRequest {
            user_id: current.id.clone(),
            email_address: (email != current.email_address).then_some(email),
            username: (user.username != current.username).then(|| user.username.clone()),
            given_name: nullable(&user.given_name),
            family_name: nullable(&user.family_name),
            display_name: nullable(&user.display_name),
            nickname: nullable(&user.nickname),
            language: nullable(&user.language),
            phone_number: nullable(&user.phone_number),
            is_active: Some(user.is_active),
            ..pb::UpdateUserRequest::default()
        });
        self.state
            .identity()
            .update_user(request)
            .await
            .map_err(|s| match s.code() {
                tonic::Code::AlreadyExists => {
                    uniqueness("an email address of this user is taken".to_owned())
                }
                _ => s.into(),
            })?;
        self.sync_attributes(current, &user.attributes).await?;
        self.get(&current.id).await
    }

    /// Deletes the user.
    pub async fn delete(&self, id: &str) -> Result<(), Failure> {
        let request = self.request(pb::DeleteUserRequest {
            user_id: id.to_owned(),
        });
        self.state.identity().delete_user(request).await?;
        Ok(())
    }

    /// Puts the `scim.*` attributes that changed and deletes those no longer sent.
    async fn sync_attributes(
        &self,
        current: &pb::User,
        wanted: &[UserAttribute],
    ) -> Result<(), Failure> {
        for old in current
            .attributes
            .iter()
            .filter(|a| is_scim_attribute(&a.name))
        {
            if !wanted.iter().any(|w| w.name == old.name) {
                let request = self.request(pb::DeleteAttributeRequest {
                    user_id: current.id.clone(),
                    name: old.name.clone(),
                });
                match self.state.identity().delete_attribute(request).await {
                    Ok(_) => {}
                    Err(s) if s.code() == tonic::Code::NotFound => {}
                    Err(s) => return Err(s.into()),
                }
            }
        }
        for attribute in wanted {
            let unchanged = current
                .attributes
                .iter()
                .any(|a| a.name == attribute.name && a.value.as_deref() == Some(&attribute.value));
            if !unchanged {
                let request = self.request(pb::PutAttributeRequest {
                    user_id: current.id.clone(),
                    name: attribute.name.clone(),
                    value: Some(attribute.value.clone()),
                    expires: None,
                });
                self.state.identity().put_attribute(request).await?;
            }
        }
        Ok(())
    }
}

/// Nexus needs an email address: the SCIM one, else an email-shaped `userName`.
fn email_of(user: &NexusUser) -> Result<String, Failure> {
    match &user.email_address {
        Some(email) => Ok(email.clone()),
        None if user.username.contains('@') => Ok(user.username.clone()),
        None => Err(ScimError::invalid_value(
            "emails: a Nexus user needs an email address (send emails, or an email as userName)",
        )
        .into()),
    }
}

fn time(t: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// The SCIM view of a stored user: the fields `nexus-scim` maps and its `scim.*` attributes.
pub fn nexus_user(user: &pb::User) -> NexusUser {
    NexusUser {
        id: user.id.clone(),
        username: user.username.clone(),
        email_address: non_empty(&user.email_address),
        given_name: non_empty(&user.given_name),
        family_name: non_empty(&user.family_name),
        display_name: non_empty(&user.display_name),
        nickname: user.nickname.clone(),
        language: user.language.clone(),
        phone_number: user.phone_number.clone(),
        is_active: user.is_active,
        attributes: user
            .attributes
            .iter()
            .filter(|a| is_scim_attribute(&a.name))
            .filter_map(|a| {
                a.value.as_ref().map(|value| UserAttribute {
                    name: a.name.clone(),
                    value: value.clone(),
                })
            })
            .collect(),
        created: time(user.created.as_ref()),
        modified: time(user.modified.as_ref()),
    }
}
