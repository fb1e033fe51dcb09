//! `PATCH /v1/users/{userId}` as a JSON merge patch (RFC 7396): a field absent
//! from the body is unchanged, `null` clears a nullable field, any other
//! unknown or read-only key is refused with 400.

use nexus_proto::identity::v1 as pb;
use serde_json::{Map, Value};

use crate::problem::ApiError;

/// Fields a patch may not set.
const READ_ONLY: &[&str] = &[
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
    "organizationId",
    "applicationDeployments",
    "email-verify-sent-date",
];

fn string(field: &str, value: &Value) -> Result<String, ApiError> {
    value
        .as_str()
        .map(ToOwned::to_owned)
        .ok_or_else(|| ApiError::bad_request(format!("{field}: must be a string")))
}

fn required_string(field: &str, value: &Value) -> Result<String, ApiError> {
    if value.is_null() {
        return Err(ApiError::bad_request(format!("{field}: cannot be null")));
    }
    string(field, value)
}

fn nullable(field: &str, value: &Value) -> Result<pb::NullableString, ApiError> {
    Ok(pb::NullableString {
        value: if value.is_null() {
            None
        } else {
            Some(string(field, value)?)
        },
    })
}

/// JSON has one number type: 7.0 is the integer 7.
fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    })
}

fn boolean(field: &str, value: &Value) -> Result<bool, ApiError> {
    value
        .as_bool()
        .ok_or_else(|| ApiError::bad_request(format!("{field}: must be true or false")))
}

/// The gRPC update for a merge patch.
///
/// # Errors
/// 400 naming the first unknown, read-only or mistyped field.
pub fn update_request(
    user_id: String,
    patch: &Map<String, Value>,
) -> Result<pb::UpdateUserRequest, ApiError> {
    let mut r = pb::UpdateUserRequest {
        user_id,
        ..pb::UpdateUserRequest::default()
    };
    for (key, value) in patch {
        let k = key.as_str();
        match k {
            "emailAddress" => r.email_address = Some(required_string(k, value)?),
            "username" => r.username = Some(required_string(k, value)?),
            "givenName" => r.given_name = Some(nullable(k, value)?),
            "familyName" => r.family_name = Some(nullable(k, value)?),
            "displayName" => r.display_name = Some(nullable(k, value)?),
            "nickname" => r.nickname = Some(nullable(k, value)?),
            "picture" => r.picture = Some(nullable(k, value)?),
            "language" => r.language = Some(nullable(k, value)?),
            "phoneNumber" => r.phone_number = Some(nullable(k, value)?),
            "type" => r.r#type = Some(nullable(k, value)?),
            "ownerId" => r.owner_id = Some(nullable(k, value)?),
            "recoveryEmailAddress" => r.recovery_email_address = Some(nullable(k, value)?),
            "isActive" => r.is_active = Some(boolean(k, value)?),
            "email-verified" => r.email_verified = Some(boolean(k, value)?),
            "isMfaDisabled" => r.is_mfa_disabled = Some(boolean(k, value)?),
            "mfaEnrollmentStatus" => r.mfa_enrollment_status = Some(nullable(k, value)?),
            "authenticationMethod" => r.authentication_method = Some(nullable(k, value)?),
            "organizationId" => {
                r.organization_id = Some(pb::NullableInt32 {
                    value: match value {
                        Value::Null => None,
                        v => Some(integer(v).and_then(|n| i32::try_from(n).ok()).ok_or_else(
                            || ApiError::bad_request("organizationId: must be an int32 or null"),
                        )?),
                    },
                });
            }
            "email-verification-status-type" => {
                r.email_verification_status_type = Some(nullable(k, value)?);
            }
            _ if READ_ONLY.contains(&k) => {
                return Err(ApiError::bad_request(format!("{k}: is read-only")));
            }
            _ => return Err(ApiError::bad_request(format!("{k}: unknown field"))),
        }
    }
    Ok(r)
}

/// The JSON merge patch of a user, as documented: every key optional; a
/// nullable key set to `null` clears the field.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UserPatchDoc {
    #[schema(
        nullable = false,
        max_length = 254,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    email_address: Option<String>,
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    username: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    given_name: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    family_name: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    display_name: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    nickname: Option<String>,
    #[schema(max_length = 2048, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    picture: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    language: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    phone_number: Option<String>,
    #[serde(rename = "type")]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    kind: Option<String>,
    /// Another user's id.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    owner_id: Option<String>,
    #[schema(
        max_length = 254,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    recovery_email_address: Option<String>,
    #[schema(nullable = false)]
    is_active: Option<bool>,
    #[serde(rename = "email-verified")]
    #[schema(nullable = false)]
    email_verified: Option<bool>,
    #[schema(nullable = false)]
    is_mfa_disabled: Option<bool>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    mfa_enrollment_status: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    authentication_method: Option<String>,
    #[serde(rename = "email-verification-status-type")]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    email_verification_status_type: Option<String>,
    /// An existing organization's id.
    organization_id: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn absent_null_and_values_are_told_apart() {
        let r = update_request(
            "u".into(),
            &map(json!({"nickname": null, "givenName": "Ann", "isActive": false})),
        )
        .unwrap();
        assert_eq!(r.nickname, Some(pb::NullableString { value: None }));
        assert_eq!(
            r.given_name,
            Some(pb::NullableString {
                value: Some("Ann".into())
            })
        );
        assert_eq!(r.is_active, Some(false));
        assert_eq!(r.family_name, None);
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
            let e = update_request("u".into(), &map(body)).unwrap_err();
            assert!(e.detail.starts_with(field), "{}", e.detail);
        }
    }
}
