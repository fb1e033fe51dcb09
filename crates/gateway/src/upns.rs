//! `/v1/users/{userId}/custom-upns`: a user's custom UPNs through the upn
//! service. Every UPN answer carries an `ETag` (`"<version>"`); PATCH and
//! DELETE honour `If-Match` (one ETag or `*`), answering 412 when it is stale.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::upn::v1 as pb;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AppState;
use crate::extract::ApiJson;
use crate::openapi::{CommonErrors, ConflictError};
use crate::problem::ApiError;
use crate::users::json::rfc3339;

/// A custom UPN as the contract shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomUpnJson {
    pub id: String,
    pub user_id: String,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub created_by: String,
    pub modified_by: String,
    pub client_upn_key: Option<String>,
    pub custom_upn_value: Option<String>,
}

impl From<pb::CustomUpn> for CustomUpnJson {
    fn from(u: pb::CustomUpn) -> Self {
        Self {
            created: rfc3339(u.created.as_ref()),
            modified: rfc3339(u.modified.as_ref()),
            id: u.id,
            user_id: u.user_id,
            created_by: u.created_by,
            modified_by: u.modified_by,
            client_upn_key: u.client_upn_key,
            custom_upn_value: u.custom_upn_value,
        }
    }
}

/// `POST …/custom-upns` body: both fields are required (checked by the upn
/// service, which names the missing one).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateCustomUpnBody {
    /// The Auth0 client metadata `app_upn_key` this UPN is for.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub client_upn_key: Option<String>,
    /// `user_part@domain_part`.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        max_length = 1024,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    pub custom_upn_value: Option<String>,
}

/// The JSON merge patch of a custom UPN: an absent field is unchanged, `null`
/// clears it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CustomUpnPatchDoc {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    client_upn_key: Option<String>,
    #[schema(
        max_length = 1024,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    custom_upn_value: Option<String>,
}

/// The `ETag` of a UPN version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// A UPN answer with its `ETag`.
fn with_etag(status: StatusCode, upn: pb::CustomUpn) -> Response {
    let tag = etag(upn.version);
    let mut response = (status, axum::Json(CustomUpnJson::from(upn))).into_response();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

fn stale() -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "If-Match: does not match the custom UPN's current ETag; read it again",
    )
}

/// The version `If-Match` requires: `None` when absent or `*`.
///
/// # Errors
/// 412 when no listed ETag can match (weak or not one of ours: strong
/// comparison, RFC 9110 §13.1.1); 400 for several different ETags.
pub fn expected_version(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = raw.to_str().map_err(|_| stale())?;
    let mut versions = Vec::new();
    for tag in raw.split(',').map(str::trim) {
        if tag == "*" {
            return Ok(None);
        }
        if let Some(v) = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|t| t.parse::<u64>().ok())
            && !versions.contains(&v)
        {
            versions.push(v);
        }
    }
    match versions.as_slice() {
        [] => Err(stale()),
        [v] => Ok(Some(*v)),
        _ => Err(ApiError::bad_request(
            "If-Match: give one ETag of the custom UPN, or *",
        )),
    }
}

fn nullable(field: &str, value: &Value) -> Result<pb::NullableString, ApiError> {
    match value {
        Value::Null => Ok(pb::NullableString { value: None }),
        Value::String(s) => Ok(pb::NullableString {
            value: Some(s.clone()),
        }),
        _ => Err(ApiError::bad_request(format!(
            "{field}: must be a string or null"
        ))),
    }
}

/// The gRPC update for a merge patch: absent fields unchanged, `null` clears.
///
/// # Errors
/// 400 naming the first unknown, read-only or mistyped field.
pub fn update_request(
    user_id: String,
    id: String,
    expected_version: Option<u64>,
    patch: &Map<String, Value>,
) -> Result<pb::UpdateCustomUpnRequest, ApiError> {
    let mut r = pb::UpdateCustomUpnRequest {
        user_id,
        id,
        expected_version,
        ..pb::UpdateCustomUpnRequest::default()
    };
    for (key, value) in patch {
        let k = key.as_str();
        match k {
            "clientUpnKey" => r.client_upn_key = Some(nullable(k, value)?),
            "customUpnValue" => r.custom_upn_value = Some(nullable(k, value)?),
            "id" | "userId" | "created" | "modified" | "createdBy" | "modifiedBy" => {
                return Err(ApiError::bad_request(format!("{k}: is read-only")));
            }
            _ => return Err(ApiError::bad_request(format!("{k}: unknown field"))),
        }
    }
    Ok(r)
}

/// `GET /v1/users/{userId}/custom-upns` → the user's UPNs, oldest first.
#[utoipa::path(get, path = "/v1/users/{userId}/custom-upns", tag = "custom UPNs", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), responses((status = 200, description = "The user's custom UPNs, oldest first", body = Vec<CustomUpnJson>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<Vec<CustomUpnJson>>, ApiError> {
    let request = state.identity_request(&principal, pb::ListCustomUpnsRequest { user_id });
    let list = state.upn().list_custom_upns(request).await?.into_inner();
    Ok(axum::Json(
        list.custom_upns.into_iter().map(Into::into).collect(),
    ))
}

/// `POST /v1/users/{userId}/custom-upns` → 201 with `Location` and `ETag`.
#[utoipa::path(post, path = "/v1/users/{userId}/custom-upns", tag = "custom UPNs", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), request_body = CreateCustomUpnBody, responses((status = 201, description = "Created; `Location` names it and `ETag` is its version", body = CustomUpnJson), ConflictError, CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<CreateCustomUpnBody>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::CreateCustomUpnRequest {
            user_id,
            client_upn_key: body.client_upn_key,
            custom_upn_value: body.custom_upn_value,
        },
    );
    let upn = state.upn().create_custom_upn(request).await?.into_inner();
    let location = format!("/v1/users/{}/custom-upns/{}", upn.user_id, upn.id);
    let response = with_etag(StatusCode::CREATED, upn);
    Ok(crate::respond::with_location(response, &location))
}

/// `GET /v1/users/{userId}/custom-upns/{upnId}` → the UPN with its `ETag`.
#[utoipa::path(get, path = "/v1/users/{userId}/custom-upns/{upnId}", tag = "custom UPNs", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("upnId" = String, Path, description = "The custom UPN's id", min_length = 1, max_length = 64)), responses((status = 200, description = "With its `ETag`", body = CustomUpnJson), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(&principal, pb::GetCustomUpnRequest { user_id, id });
    let upn = state.upn().get_custom_upn(request).await?.into_inner();
    Ok(with_etag(StatusCode::OK, upn))
}

/// `PATCH /v1/users/{userId}/custom-upns/{upnId}` (JSON merge patch).
#[utoipa::path(patch, path = "/v1/users/{userId}/custom-upns/{upnId}", tag = "custom UPNs", description = "Send `If-Match` with the `ETag` of the version read: a stale one gets 412 and changes nothing.", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("upnId" = String, Path, description = "The custom UPN's id", min_length = 1, max_length = 64)), request_body(content = CustomUpnPatchDoc, content_type = "application/merge-patch+json"), responses((status = 200, body = CustomUpnJson), (status = 412, description = "`If-Match` does not match the current `ETag`; nothing changed", body = crate::openapi::ProblemJson, content_type = "application/problem+json"), ConflictError, CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let expected = expected_version(&headers)?;
    let update = update_request(user_id, id, expected, &body)?;
    let request = state.identity_request(&principal, update);
    let upn = state.upn().update_custom_upn(request).await?.into_inner();
    Ok(with_etag(StatusCode::OK, upn))
}

/// `DELETE /v1/users/{userId}/custom-upns/{upnId}` → 204.
#[utoipa::path(delete, path = "/v1/users/{userId}/custom-upns/{upnId}", tag = "custom UPNs", description = "Honours `If-Match` like PATCH.", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("upnId" = String, Path, description = "The custom UPN's id", min_length = 1, max_length = 64)), responses((status = 204, description = "Deleted"), (status = 412, description = "`If-Match` does not match the current `ETag`; nothing changed", body = crate::openapi::ProblemJson, content_type = "application/problem+json"), CommonErrors))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let expected_version = expected_version(&headers)?;
    let request = state.identity_request(
        &principal,
        pb::DeleteCustomUpnRequest {
            user_id,
            id,
            expected_version,
        },
    );
    state.upn().delete_custom_upn(request).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn if_match(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn if_match_is_one_strong_etag_or_star() {
        assert_eq!(expected_version(&HeaderMap::new()).unwrap(), None);
        assert_eq!(expected_version(&if_match("*")).unwrap(), None);
        assert_eq!(expected_version(&if_match("\"7\"")).unwrap(), Some(7));
        assert_eq!(
            expected_version(&if_match(" \"7\" , \"7\"")).unwrap(),
            Some(7)
        );
        for never in ["W/\"7\"", "7", "\"x\""] {
            let e = expected_version(&if_match(never)).unwrap_err();
            assert_eq!(e.status, StatusCode::PRECONDITION_FAILED, "{never}");
        }
        let e = expected_version(&if_match("\"1\", \"2\"")).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let r = update_request(
            "u".into(),
            "i".into(),
            Some(3),
            &map(json!({"clientUpnKey": null})),
        )
        .unwrap();
        assert_eq!(r.client_upn_key, Some(pb::NullableString { value: None }));
        assert_eq!(r.custom_upn_value, None);
        assert_eq!(r.expected_version, Some(3));
    }

    #[test]
    fn bad_patch_keys_and_types_name_the_field() {
        for (body, field) in [
            (json!({"id": "x"}), "id: is read-only"),
            (json!({"bogus": 1}), "bogus: unknown field"),
            (json!({"customUpnValue": 3}), "customUpnValue: must be"),
        ] {
            let e = update_request("u".into(), "i".into(), None, &map(body)).unwrap_err();
            assert!(e.detail.starts_with(field), "{}", e.detail);
        }
    }
}
