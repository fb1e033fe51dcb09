//! The bodies of `POST /v1/users` and of its merge patch, and the gRPC
//! requests they become.

use nexus_proto::common::v1 as common;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use crate::api::patch::{MergePatch, non_null, nullable, nullable_text};

/// `POST /v1/users` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateUserBody {
    #[schema(max_length = 254, pattern = "nexus:email")]
    pub email_address: String,
    #[schema(min_length = 1, max_length = 255, pattern = "nexus:text")]
    pub username: String,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub given_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub family_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub nickname: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2048, pattern = "nexus:text")]
    pub picture: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub language: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub phone_number: Option<String>,
    #[serde(default, rename = "type")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub kind: Option<String>,
    #[serde(default)]
    #[schema(pattern = "nexus:id")]
    pub owner_id: Option<String>,
    #[serde(default)]
    #[schema(max_length = 254, pattern = "nexus:email")]
    pub recovery_email_address: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl From<CreateUserBody> for pb::CreateUserRequest {
    fn from(b: CreateUserBody) -> Self {
        Self {
            email_address: b.email_address,
            username: b.username,
            given_name: b.given_name.unwrap_or_default(),
            family_name: b.family_name.unwrap_or_default(),
            display_name: b.display_name.unwrap_or_default(),
            nickname: b.nickname,
            picture: b.picture,
            language: b.language,
            phone_number: b.phone_number,
            r#type: b.kind,
            owner_id: b.owner_id,
            recovery_email_address: b.recovery_email_address,
            is_active: b.is_active,
        }
    }
}

/// The JSON merge patch of a user's writable fields: absent keeps, `null`
/// clears a nullable field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserPatch {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false, max_length = 254, pattern = "nexus:email")]
    pub email_address: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "nexus:text"
    )]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub given_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub family_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub nickname: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 2048, pattern = "nexus:text")]
    pub picture: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub language: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub phone_number: Option<Option<String>>,
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub kind: Option<Option<String>>,
    /// Another user's id.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(pattern = "nexus:id")]
    pub owner_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 254, pattern = "nexus:email")]
    pub recovery_email_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub is_active: Option<bool>,
    #[serde(default, rename = "email-verified", deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub email_verified: Option<bool>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub is_mfa_disabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub mfa_enrollment_status: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub authentication_method: Option<Option<String>>,
    #[serde(
        default,
        rename = "email-verification-status-type",
        deserialize_with = "nullable"
    )]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub email_verification_status_type: Option<Option<String>>,
    /// An existing organization's id.
    #[serde(default, deserialize_with = "nullable")]
    pub organization_id: Option<Option<i32>>,
}

impl MergePatch for UserPatch {
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "owner",
        "roles",
        "created",
        "memberOf",
        "modified",
        "createdBy",
        "attributes",
        "customUpns",
        "identities",
        "modifiedBy",
        "organization",
        "subscriptions",
        "applicationDeployments",
        "email-verify-sent-date",
    ];
}

impl UserPatch {
    /// The gRPC update of `user_id`.
    pub fn into_request(self, user_id: String) -> pb::UpdateUserRequest {
        pb::UpdateUserRequest {
            user_id,
            email_address: self.email_address,
            username: self.username,
            given_name: nullable_text(self.given_name),
            family_name: nullable_text(self.family_name),
            display_name: nullable_text(self.display_name),
            nickname: nullable_text(self.nickname),
            picture: nullable_text(self.picture),
            language: nullable_text(self.language),
            phone_number: nullable_text(self.phone_number),
            r#type: nullable_text(self.kind),
            owner_id: nullable_text(self.owner_id),
            recovery_email_address: nullable_text(self.recovery_email_address),
            is_active: self.is_active,
            email_verified: self.email_verified,
            is_mfa_disabled: self.is_mfa_disabled,
            mfa_enrollment_status: nullable_text(self.mfa_enrollment_status),
            authentication_method: nullable_text(self.authentication_method),
            email_verification_status_type: nullable_text(self.email_verification_status_type),
            organization_id: self
                .organization_id
                .map(|value| common::NullableInt32 { value }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::patch::parse;
    use serde_json::{Map, Value, json};

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn update_request(
        patch: Value,
    ) -> Result<pb::UpdateUserRequest, crate::api::problem::ApiError> {
        parse::<UserPatch>(map(patch)).map(|p| p.into_request("u".into()))
    }

    #[test]
    fn absent_null_and_values_are_told_apart() {
        let r = update_request(json!({"nickname": null, "givenName": "Ann", "isActive": false}))
            .unwrap();
        assert_eq!(r.nickname, Some(common::NullableString { value: None }));
        assert_eq!(
            r.given_name,
            Some(common::NullableString {
                value: Some("Ann".into())
            })
        );
        assert_eq!(r.is_active, Some(false));
        assert_eq!(r.family_name, None);
        let r = update_request(json!({"organizationId": 7})).unwrap();
        assert_eq!(
            r.organization_id,
            Some(common::NullableInt32 { value: Some(7) })
        );
    }

    #[test]
    fn bad_keys_and_types_name_the_field() {
        for (body, field) in [
            (json!({"id": "x"}), "id"),
            (json!({"bogus": 1}), "bogus"),
            (json!({"emailAddress": null}), "emailAddress"),
            (json!({"isActive": "no"}), "isActive"),
            (json!({"nickname": 3}), "nickname"),
        ] {
            let e = update_request(body).unwrap_err();
            assert!(e.detail.starts_with(field), "{}", e.detail);
        }
    }
}
