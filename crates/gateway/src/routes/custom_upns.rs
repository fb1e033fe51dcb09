//! `/v1/users/{userId}/custom-upns`: a user's custom UPNs through the upn
//! service. Every UPN answer carries an `ETag` (`"<version>"`); PATCH and
//! DELETE honour `If-Match` (one ETag or `*`), answering 412 when it is stale.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::common::v1 as common;
use nexus_proto::upn::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::json::CustomUpnJson;
use crate::api::params::{CustomUpnPath, UserPath};
use crate::api::patch::{ApiPatch, MergePatch, nullable, nullable_text};
use crate::api::problem::{ApiError, CommonErrors, ConflictError, ProblemJson};
use crate::api::respond::with_location;

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
        pattern = "nexus:text"
    )]
    pub client_upn_key: Option<String>,
    /// `user_part@domain_part`.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        max_length = 1024,
        pattern = "nexus:email"
    )]
    pub custom_upn_value: Option<String>,
}

/// The JSON merge patch of a custom UPN: an absent key keeps the field,
/// `null` clears it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomUpnPatch {
    /// The Auth0 client metadata `app_upn_key` this UPN is for.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(min_length = 1, max_length = 255, pattern = "nexus:text")]
    pub client_upn_key: Option<Option<String>>,
    /// `user_part@domain_part`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 1024, pattern = "nexus:email")]
    pub custom_upn_value: Option<Option<String>>,
}

impl MergePatch for CustomUpnPatch {
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "userId",
        "created",
        "modified",
        "createdBy",
        "modifiedBy",
    ];
}

/// The answer to an `If-Match` that names another version.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum StaleEtag {
    /// `If-Match` does not match the current `ETag`; nothing changed.
    #[response(status = 412, content_type = "application/problem+json")]
    Stale(ProblemJson),
}

impl CustomUpnPatch {
    /// The gRPC update of UPN `id` of `user_id`, at `expected_version` when
    /// the caller named one.
    pub fn into_request(
        self,
        user_id: String,
        id: String,
        expected_version: Option<u64>,
    ) -> pb::UpdateCustomUpnRequest {
        pb::UpdateCustomUpnRequest {
            user_id,
            id,
            client_upn_key: nullable_text(self.client_upn_key),
            custom_upn_value: nullable_text(self.custom_upn_value),
            expected_version,
        }
    }
}

/// The `ETag` of a UPN version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// A UPN answer with its `ETag`.
fn with_etag(status: StatusCode, upn: common::CustomUpn) -> Response {
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

/// List a user's custom UPNs.
///
/// Oldest first.
#[utoipa::path(
    get,
    path = "/v1/users/{userId}/custom-upns",
    tag = "custom UPNs",
    operation_id = "ListCustomUpns",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    responses(
        (
            status = 200,
            description = "The user's custom UPNs, oldest first",
            body = Vec<CustomUpnJson>
        ),
        CommonErrors,
    )
)]
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

/// Create a custom UPN for a user.
///
/// Answers 201 with `Location` and `ETag`.
#[utoipa::path(
    post,
    path = "/v1/users/{userId}/custom-upns",
    tag = "custom UPNs",
    operation_id = "CreateCustomUpn",
    security(("oauth2" = ["custom-upns:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    request_body = CreateCustomUpnBody,
    responses(
        (
            status = 201,
            description = "Created; `Location` names it and `ETag` is its version",
            body = CustomUpnJson
        ),
        ConflictError,
        CommonErrors,
    )
)]
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
    Ok(with_location(response, &location))
}

/// Read a custom UPN.
///
/// Its `ETag` is its version, for `If-Match` on PATCH and DELETE.
#[utoipa::path(
    get,
    path = "/v1/users/{userId}/custom-upns/{upnId}",
    tag = "custom UPNs",
    operation_id = "GetCustomUpn",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, CustomUpnPath),
    responses(
        (status = 200, description = "The custom UPN, with its `ETag`", body = CustomUpnJson),
        CommonErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(&principal, pb::GetCustomUpnRequest { user_id, id });
    let upn = state.upn().get_custom_upn(request).await?.into_inner();
    Ok(with_etag(StatusCode::OK, upn))
}

/// Change a custom UPN.
///
/// A JSON merge patch. Send `If-Match` with the `ETag` of the version read: a
/// stale one gets 412 and changes nothing.
#[utoipa::path(
    patch,
    path = "/v1/users/{userId}/custom-upns/{upnId}",
    tag = "custom UPNs",
    operation_id = "UpdateCustomUpn",
    security(("oauth2" = ["custom-upns:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, CustomUpnPath),
    request_body(
        content = CustomUpnPatch,
        description = "JSON merge patch of the custom UPN: absent keeps, null clears",
        content_type = "application/merge-patch+json"
    ),
    responses(
        (
            status = 200,
            description = "The updated custom UPN, with its new `ETag`",
            body = CustomUpnJson
        ),
        StaleEtag,
        ConflictError,
        CommonErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiPatch(patch): ApiPatch<CustomUpnPatch>,
) -> Result<Response, ApiError> {
    let expected = expected_version(&headers)?;
    let request = state.identity_request(&principal, patch.into_request(user_id, id, expected));
    let upn = state.upn().update_custom_upn(request).await?.into_inner();
    Ok(with_etag(StatusCode::OK, upn))
}

/// Delete a custom UPN.
///
/// Honours `If-Match` like PATCH.
#[utoipa::path(
    delete,
    path = "/v1/users/{userId}/custom-upns/{upnId}",
    tag = "custom UPNs",
    operation_id = "DeleteCustomUpn",
    security(("oauth2" = ["custom-upns:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, CustomUpnPath),
    responses(
        (status = 204, description = "Deleted"),
        StaleEtag,
        CommonErrors,
    )
)]
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
    use serde_json::{Value, json};

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

    fn update_request(
        expected_version: Option<u64>,
        patch: Value,
    ) -> Result<pb::UpdateCustomUpnRequest, ApiError> {
        let Value::Object(patch) = patch else {
            return Err(ApiError::bad_request("not an object"));
        };
        crate::api::patch::parse::<CustomUpnPatch>(patch)
            .map(|p| p.into_request("u".into(), "i".into(), expected_version))
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let r = update_request(Some(3), json!({"clientUpnKey": null})).unwrap();
        assert_eq!(
            r.client_upn_key,
            Some(common::NullableString { value: None })
        );
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
            let e = update_request(None, body).unwrap_err();
            assert!(e.detail.starts_with(field), "{}", e.detail);
        }
    }
}
