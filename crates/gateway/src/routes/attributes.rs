//! `/v1/users/{userId}/attributes`: a user's attributes, by name.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::api::body::{ApiJson, timestamp};
use crate::api::json::AttributeJson;
use crate::api::params::{AttributePath, UserPath};
use crate::api::problem::{ApiError, CommonErrors};

/// `PUT /v1/users/{userId}/attributes/{name}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutAttributeBody {
    #[schema(max_length = 4096, pattern = "nexus:text")]
    pub value: Option<String>,
    /// RFC 3339; a past time stores the attribute as already expired.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub expires: Option<String>,
}

/// List a user's attributes.
///
/// Each with its value and expiry.
#[utoipa::path(
    get,
    path = "/v1/users/{userId}/attributes",
    tag = "attributes",
    operation_id = "ListUserAttributes",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    responses(
        (status = 200, description = "The user's attributes", body = Vec<AttributeJson>),
        CommonErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<Vec<AttributeJson>>, ApiError> {
    let request = state.identity_request(&principal, pb::ListAttributesRequest { user_id });
    let list = state
        .identity()
        .list_attributes(request)
        .await?
        .into_inner();
    Ok(axum::Json(
        list.attributes.into_iter().map(Into::into).collect(),
    ))
}

/// Set a user's attribute.
///
/// Creates the attribute or replaces its value and expiry.
#[utoipa::path(
    put,
    path = "/v1/users/{userId}/attributes/{name}",
    tag = "attributes",
    operation_id = "PutUserAttribute",
    security(("oauth2" = ["users:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, AttributePath),
    request_body = PutAttributeBody,
    responses(
        (status = 200, description = "The attribute as stored", body = AttributeJson),
        CommonErrors,
    )
)]
pub async fn put(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<PutAttributeBody>,
) -> Result<axum::Json<AttributeJson>, ApiError> {
    let expires = timestamp("expires", body.expires.as_deref())?;
    let request = state.identity_request(
        &principal,
        pb::PutAttributeRequest {
            user_id,
            name,
            value: body.value,
            expires,
        },
    );
    Ok(axum::Json(
        state
            .identity()
            .put_attribute(request)
            .await?
            .into_inner()
            .into(),
    ))
}

/// Delete a user's attribute.
///
/// Removes the attribute of that name from the user.
#[utoipa::path(
    delete,
    path = "/v1/users/{userId}/attributes/{name}",
    tag = "attributes",
    operation_id = "DeleteUserAttribute",
    security(("oauth2" = ["users:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, AttributePath),
    responses(
        (status = 204, description = "Deleted"),
        CommonErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::DeleteAttributeRequest { user_id, name });
    state.identity().delete_attribute(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
