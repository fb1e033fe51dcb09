//! Nexus users as SCIM sees them, read and written through identity's gRPC user and attribute
//! use cases: a change made here is the same change `/v1` makes, with the same events.
//!
//! The SCIM-owned `scim.*` user attributes (`externalId`, the enterprise extension) are kept
//! as user attributes; a write replaces exactly that set and leaves every other attribute
//! alone. Each SCIM write is one identity call (`ProvisionUser`, `ApplyUserChanges`): the
//! user's fields and attributes change in one transaction with one event, or not at all.
//! `userName` is unique case-insensitively, checked by identity inside that transaction.

use chrono::{DateTime, Utc};
use nexus_domain::Principal;
use nexus_proto::common::v1::NullableString;
use nexus_proto::identity::v1 as pb;
use nexus_scim::ScimError;
use nexus_scim::mapping::{NexusUser, UserAttribute, is_scim_attribute};

use super::Failure;
use super::request::stale;
use crate::AppState;

/// The page identity answers at most.
const PAGE: u32 = 200;

/// Identity's users on behalf of one principal.
pub struct Directory<'a> {
    state: &'a AppState,
    principal: &'a Principal,
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

    /// Users holding the `scim.*` attribute `name` with exactly `value` (an indexed lookup).
    pub async fn by_attribute(&self, name: &str, value: &str) -> Result<Vec<pb::User>, Failure> {
        let request = self.request(pb::FindUsersByAttributeRequest {
            name: name.to_owned(),
            value: value.to_owned(),
            limit: PAGE,
        });
        let answer = self
            .state
            .identity()
            .find_users_by_attribute(request)
            .await?
            .into_inner();
        Ok(answer.users)
    }

    /// Creates the user with its `scim.*` attributes in one identity write (one
    /// `user.created`); answers the stored user. 409 `uniqueness` for a taken userName
    /// or email address.
    pub async fn create(&self, user: &NexusUser) -> Result<pb::User, Failure> {
        let email = email_of(user)?;
        let request = self.request(pb::ProvisionUserRequest {
            user: Some(pb::CreateUserRequest {
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
            }),
            attributes: user.attributes.iter().map(attribute_value).collect(),
            unique_username: true,
        });
        let created = self.state.identity().provision_user(request).await?;
        Ok(created.into_inner())
    }

    /// Makes the stored user `current` match `user` in one identity write: its fields,
    /// and its `scim.*` attributes put or deleted, all or nothing, with one
    /// `user.updated`. 412 when the user changed since `current` was read.
    pub async fn replace(&self, current: &pb::User, user: &NexusUser) -> Result<pb::User, Failure> {
        let email = email_of(user)?;
        let nullable = |v: &Option<String>| Some(NullableString { value: v.clone() });
        let (put_attributes, delete_attributes) = attribute_changes(current, &user.attributes);
        let request = self.request(pb::ApplyUserChangesRequest {
            changes: Some(pb::UpdateUserRequest {
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
            }),
            expected_version: Some(current.version),
            put_attributes,
            delete_attributes,
            unique_username: true,
        });
        match self.state.identity().apply_user_changes(request).await {
            Ok(stored) => Ok(stored.into_inner()),
            Err(s) if s.code() == tonic::Code::FailedPrecondition => Err(ScimError::status(
                412,
                "the resource has changed since it was read; read it again",
            )
            .into()),
            Err(s) => Err(s.into()),
        }
    }

    /// Deletes the user, if it is still at `version` (checked in identity's delete
    /// transaction): 412 when it changed since it was read.
    pub async fn delete(&self, id: &str, version: Option<u64>) -> Result<(), Failure> {
        let request = self.request(pb::DeleteUserRequest {
            user_id: id.to_owned(),
            expected_version: version,
        });
        match self.state.identity().delete_user(request).await {
            Ok(_) => Ok(()),
            Err(s) if s.code() == tonic::Code::FailedPrecondition => Err(stale()),
            Err(s) => Err(s.into()),
        }
    }
}

fn attribute_value(a: &UserAttribute) -> pb::AttributeValue {
    pb::AttributeValue {
        name: a.name.clone(),
        value: a.value.clone(),
    }
}

/// The `scim.*` attributes to put (new or changed) and to delete (no longer wanted).
fn attribute_changes(
    current: &pb::User,
    wanted: &[UserAttribute],
) -> (Vec<pb::AttributeValue>, Vec<String>) {
    let delete = current
        .attributes
        .iter()
        .filter(|a| is_scim_attribute(&a.name))
        .filter(|old| !wanted.iter().any(|w| w.name == old.name))
        .map(|old| old.name.clone())
        .collect();
    let put = wanted
        .iter()
        .filter(|w| {
            !current
                .attributes
                .iter()
                .any(|a| a.name == w.name && a.value.as_deref() == Some(&w.value))
        })
        .map(attribute_value)
        .collect();
    (put, delete)
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
