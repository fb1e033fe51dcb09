//! `/v1/roles` and `/v1/users/{userId}/roles`: role definitions per audience,
//! and grants of roles to users.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::api::body::{ApiJson, object, parse, timestamp};
use crate::api::json::{RoleDefinitionJson, RoleJson};
use crate::api::page::{Listing, Page, PageQuery};
use crate::api::params::{RolePath, UserPath};
use crate::api::problem::{ApiError, CommonErrors, ConflictError};
use crate::api::respond::with_location;

/// `POST /v1/roles` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleBody {
    /// The API or application the role is for.
    #[schema(min_length = 1, max_length = 1024, pattern = "nexus:text")]
    pub audience: String,
    #[schema(min_length = 1, max_length = 255, pattern = "nexus:text")]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 1024, pattern = "nexus:text")]
    pub description: Option<String>,
}

/// The filter of `GET /v1/roles`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RoleFilter {
    /// Only the roles of this audience.
    pub audience: Option<String>,
}

/// `GET /v1/roles`: pages of up to 1000.
#[derive(Debug)]
pub struct RoleList;

impl Listing for RoleList {
    const MAX_LIMIT: u32 = 1000;
    const LIMIT_DOC: &'static str = "Page size, 1 to 1000 (default 100).";
    const CURSOR_PATTERN: Option<&'static str> = None;
    type Filter = RoleFilter;
}

/// The query of `GET /v1/roles`.
pub type ListRolesQuery = PageQuery<RoleList>;

/// `PUT /v1/users/{userId}/roles/{roleId}` body; the body may be empty.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// RFC 3339; a past time stores the grant as already expired.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub expires: Option<String>,
}

/// Create a role definition.
///
/// Answers 201 with the role and its `Location`.
#[utoipa::path(
    post,
    path = "/v1/roles",
    tag = "roles",
    operation_id = "CreateRole",
    security(("oauth2" = ["roles:admin"], "applicationToken" = []), ("basic" = [])),
    request_body = CreateRoleBody,
    responses(
        (
            status = 201,
            description = "The created role; `Location` names it",
            body = RoleDefinitionJson
        ),
        ConflictError,
        CommonErrors,
    )
)]
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
    Ok(with_location(response, &location))
}

/// List role definitions.
///
/// A page of role definitions, optionally of one audience.
#[utoipa::path(
    get,
    path = "/v1/roles",
    tag = "roles",
    operation_id = "ListRoles",
    security(("oauth2" = ["roles:admin"], "applicationToken" = []), ("basic" = [])),
    params(ListRolesQuery),
    responses(
        (status = 200, description = "A page of role definitions", body = Page<RoleDefinitionJson>),
        CommonErrors,
    )
)]
pub async fn list_roles(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: ListRolesQuery,
) -> Result<axum::Json<Page<RoleDefinitionJson>>, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::ListRolesRequest {
            audience: query.filter.audience,
            limit: query.limit,
            cursor: query.cursor,
        },
    );
    let page = state.identity().list_roles(request).await?.into_inner();
    Ok(axum::Json(Page::of(page.roles, page.next_cursor)))
}

/// Read a role definition.
///
/// Answers 404 for an unknown id.
#[utoipa::path(
    get,
    path = "/v1/roles/{roleId}",
    tag = "roles",
    operation_id = "GetRole",
    security(("oauth2" = ["roles:admin"], "applicationToken" = []), ("basic" = [])),
    params(RolePath),
    responses(
        (status = 200, description = "The role definition", body = RoleDefinitionJson),
        CommonErrors,
    )
)]
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

/// Delete a role definition.
///
/// Its grants go with it.
#[utoipa::path(
    delete,
    path = "/v1/roles/{roleId}",
    tag = "roles",
    operation_id = "DeleteRole",
    security(("oauth2" = ["roles:admin"], "applicationToken" = []), ("basic" = [])),
    params(RolePath),
    responses(
        (status = 204, description = "Deleted with its grants"),
        CommonErrors,
    )
)]
pub async fn delete_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(role_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::DeleteRoleRequest { role_id });
    state.identity().delete_role(request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the roles granted to a user.
///
/// Each with the grant's expiry.
#[utoipa::path(
    get,
    path = "/v1/users/{userId}/roles",
    tag = "roles",
    operation_id = "ListUserRoles",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    responses(
        (status = 200, description = "The roles granted to the user", body = Vec<RoleJson>),
        CommonErrors,
    )
)]
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

/// The grant body: empty or `null` grants without expiry.
fn grant_body(headers: &HeaderMap, body: &Bytes) -> Result<GrantBody, ApiError> {
    if body.is_empty() {
        return Ok(GrantBody::default());
    }
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
        return Ok(GrantBody::default());
    }
    object(body)?;
    parse::<GrantBody>(body)
}

/// Grant a role to a user, optionally until a time.
///
/// The body may be empty: the grant then has no expiry.
#[utoipa::path(
    put,
    path = "/v1/users/{userId}/roles/{roleId}",
    tag = "roles",
    operation_id = "GrantUserRole",
    security(("oauth2" = ["roles:admin"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, RolePath),
    request_body(
        content = Option<GrantBody>,
        description = "Optional; an empty body grants without expiry"
    ),
    responses(
        (status = 200, description = "The grant", body = RoleJson),
        CommonErrors,
    )
)]
pub async fn grant_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, role_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<RoleJson>, ApiError> {
    let body = grant_body(&headers, &body)?;
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

/// Revoke a role from a user.
///
/// The role definition stays.
#[utoipa::path(
    delete,
    path = "/v1/users/{userId}/roles/{roleId}",
    tag = "roles",
    operation_id = "RevokeUserRole",
    security(("oauth2" = ["roles:admin"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, RolePath),
    responses(
        (status = 204, description = "Revoked"),
        CommonErrors,
    )
)]
pub async fn revoke_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, role_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::RevokeRoleRequest { user_id, role_id });
    state.identity().revoke_role(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
