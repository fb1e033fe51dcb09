//! `/v1/users/{userId}/attributes`, `/v1/roles` and
//! `/v1/users/{userId}/roles`: attributes by name, role definitions per
//! audience, and grants of roles to users.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::extract::{ApiJson, parse};
use crate::idp_tenants::Page;
use crate::openapi::{CommonErrors, ConflictError};
use crate::problem::ApiError;
use crate::users::json::{AttributeJson, RoleJson};

/// An RFC 3339 time from a request, as a protobuf timestamp.
fn timestamp(field: &str, raw: Option<&str>) -> Result<Option<prost_types::Timestamp>, ApiError> {
    raw.map(|r| {
        chrono::DateTime::parse_from_rfc3339(r)
            .map(|t| prost_types::Timestamp {
                seconds: t.timestamp(),
                nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
            })
            .map_err(|_| ApiError::bad_request(format!("{field}: must be an RFC 3339 date-time")))
    })
    .transpose()
}

/// `PUT /v1/users/{userId}/attributes/{name}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutAttributeBody {
    #[schema(max_length = 4096, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub value: Option<String>,
    /// RFC 3339; a past time stores the attribute as already expired.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub expires: Option<String>,
}

#[utoipa::path(get, path = "/v1/users/{userId}/attributes", tag = "attributes", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), responses((status = 200, body = Vec<AttributeJson>), CommonErrors))]
pub async fn list_attributes(
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

#[utoipa::path(put, path = "/v1/users/{userId}/attributes/{name}", tag = "attributes", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("name" = String, Path, description = "The attribute's name", min_length = 1, max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")), request_body = PutAttributeBody, responses((status = 200, body = AttributeJson), CommonErrors))]
pub async fn put_attribute(
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

#[utoipa::path(delete, path = "/v1/users/{userId}/attributes/{name}", tag = "attributes", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("name" = String, Path, description = "The attribute's name", min_length = 1, max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")), responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete_attribute(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::DeleteAttributeRequest { user_id, name });
    state.identity().delete_attribute(request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A role definition as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleDefinitionJson {
    pub id: String,
    pub audience: String,
    pub name: String,
    pub description: Option<String>,
}

impl From<pb::RoleDefinition> for RoleDefinitionJson {
    fn from(r: pb::RoleDefinition) -> Self {
        Self {
            id: r.id,
            audience: r.audience,
            name: r.name,
            description: r.description,
        }
    }
}

/// `POST /v1/roles` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleBody {
    /// The API or application the role is for.
    #[schema(
        min_length = 1,
        max_length = 1024,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub audience: String,
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 1024, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub description: Option<String>,
}

/// `GET /v1/roles` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListRolesQuery {
    pub audience: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

#[utoipa::path(post, path = "/v1/roles", tag = "roles", request_body = CreateRoleBody, responses((status = 201, body = RoleDefinitionJson), ConflictError, CommonErrors))]
pub async fn create_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(body): ApiJson<CreateRoleBody>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::CreateRoleRequest {
            audience: body.audience,
            name: body.name,
            description: body.description,
        },
    );
    let role = state.identity().create_role(request).await?.into_inner();
    let location = format!("/v1/roles/{}", role.id);
    let response = (
        StatusCode::CREATED,
        axum::Json(RoleDefinitionJson::from(role)),
    )
        .into_response();
    Ok(crate::respond::with_location(response, &location))
}

#[utoipa::path(get, path = "/v1/roles", tag = "roles", params(ListRolesQuery), responses((status = 200, body = Page<RoleDefinitionJson>), CommonErrors))]
pub async fn list_roles(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<ListRolesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Page<RoleDefinitionJson>>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    if query.limit == Some(0) {
        return Err(ApiError::bad_request("limit: must be 1 to 1000"));
    }
    let request = state.identity_request(
        &principal,
        pb::ListRolesRequest {
            audience: query.audience,
            limit: query.limit.unwrap_or(0),
            cursor: crate::extract::cursor(query.cursor)?,
        },
    );
    let page = state.identity().list_roles(request).await?.into_inner();
    Ok(axum::Json(Page {
        items: page.roles.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/v1/roles/{roleId}", tag = "roles", params(("roleId" = String, Path, description = "The role's id", min_length = 1, max_length = 64)), responses((status = 200, body = RoleDefinitionJson), CommonErrors))]
pub async fn get_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(role_id): Path<String>,
) -> Result<axum::Json<RoleDefinitionJson>, ApiError> {
    let request = state.identity_request(&principal, pb::GetRoleRequest { role_id });
    Ok(axum::Json(
        state
            .identity()
            .get_role(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(delete, path = "/v1/roles/{roleId}", tag = "roles", params(("roleId" = String, Path, description = "The role's id", min_length = 1, max_length = 64)), responses((status = 204, description = "Deleted with its grants"), CommonErrors))]
pub async fn delete_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(role_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::DeleteRoleRequest { role_id });
    state.identity().delete_role(request).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/users/{userId}/roles", tag = "roles", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), responses((status = 200, body = Vec<RoleJson>), CommonErrors))]
pub async fn list_user_roles(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<Vec<RoleJson>>, ApiError> {
    let request = state.identity_request(&principal, pb::ListUserRolesRequest { user_id });
    let list = state
        .identity()
        .list_user_roles(request)
        .await?
        .into_inner();
    Ok(axum::Json(list.roles.into_iter().map(Into::into).collect()))
}

/// `PUT /v1/users/{userId}/roles/{roleId}` body; the body may be empty.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// RFC 3339; a past time stores the grant as already expired.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub expires: Option<String>,
}

#[utoipa::path(put, path = "/v1/users/{userId}/roles/{roleId}", tag = "roles", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("roleId" = String, Path, description = "The role's id", min_length = 1, max_length = 64)), request_body(content = Option<GrantBody>, description = "Optional; an empty body grants without expiry"), responses((status = 200, body = RoleJson), CommonErrors))]
pub async fn grant_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, role_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<RoleJson>, ApiError> {
    let body: GrantBody = if body.is_empty() {
        GrantBody::default()
    } else {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be application/json",
            ));
        }
        if body.trim_ascii() == b"null" {
            GrantBody::default()
        } else {
            crate::extract::object(&body)?;
            parse::<GrantBody>(&body)?
        }
    };
    let expires = timestamp("expires", body.expires.as_deref())?;
    let request = state.identity_request(
        &principal,
        pb::GrantRoleRequest {
            user_id,
            role_id,
            expires,
        },
    );
    Ok(axum::Json(
        state
            .identity()
            .grant_role(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(delete, path = "/v1/users/{userId}/roles/{roleId}", tag = "roles", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("roleId" = String, Path, description = "The role's id", min_length = 1, max_length = 64)), responses((status = 204, description = "Revoked"), CommonErrors))]
pub async fn revoke_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, role_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::RevokeRoleRequest { user_id, role_id });
    state.identity().revoke_role(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
