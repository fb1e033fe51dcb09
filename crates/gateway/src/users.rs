//! `/v1/users`: create and read users through the identity service.

pub mod json;
pub mod patch;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use self::json::UserJson;
use crate::AppState;
use crate::extract::ApiJson;
use crate::idp_tenants::Page;
use crate::openapi::{CommonErrors, ConflictError};
use crate::problem::ApiError;

/// `POST /v1/users` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateUserBody {
    #[schema(
        max_length = 254,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    pub email_address: String,
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub username: String,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub given_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub family_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub nickname: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2048, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub picture: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub language: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub phone_number: Option<String>,
    #[serde(default, rename = "type")]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub kind: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub owner_id: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 254,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
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

/// Reads a user and, when it has one, its owner.
async fn user_json(
    state: &AppState,
    principal: &Principal,
    user: pb::User,
) -> Result<UserJson, ApiError> {
    let owner_id = user.owner_id.clone();
    let mut json = UserJson::from(user);
    if let Some(owner_id) = owner_id {
        let request = state.identity_request(principal, pb::GetUserRequest { user_id: owner_id });
        match state.identity().get_user(request).await {
            Ok(owner) => json.owner = Some(Box::new(UserJson::from(owner.into_inner()))),
            Err(s) if s.code() == tonic::Code::NotFound => {}
            Err(s) => return Err(s.into()),
        }
    }
    Ok(json)
}

/// `POST /v1/users` → 201 with the User and its `Location`.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUserBody, responses((status = 201, description = "The created user; `Location` names it", body = UserJson), ConflictError, CommonErrors))]
pub async fn create_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(&principal, pb::CreateUserRequest::from(body));
    let user = state.identity().create_user(request).await?.into_inner();
    let location = format!("/v1/users/{}", user.id);
    let json = user_json(&state, &principal, user).await?;
    let response = (StatusCode::CREATED, axum::Json(json)).into_response();
    Ok(crate::respond::with_location(response, &location))
}

/// `GET /v1/users/{userId}` → the User, or 404.
#[utoipa::path(get, path = "/v1/users/{userId}", tag = "users", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), responses((status = 200, body = UserJson), CommonErrors))]
pub async fn get_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<UserJson>, ApiError> {
    let request = state.identity_request(&principal, pb::GetUserRequest { user_id });
    let user = state.identity().get_user(request).await?.into_inner();
    Ok(axum::Json(user_json(&state, &principal, user).await?))
}

/// `GET /v1/users` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListUsersQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub cursor: Option<String>,
    pub email_address: Option<String>,
    pub username: Option<String>,
}

/// `GET /v1/users` → a page of users, in creation order.
#[utoipa::path(get, path = "/v1/users", tag = "users", params(ListUsersQuery), responses((status = 200, description = "A page of users in creation order", body = Page<UserJson>), CommonErrors))]
pub async fn list_users(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<ListUsersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Page<UserJson>>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    if query.limit == Some(0) {
        return Err(ApiError::bad_request("limit: must be 1 to 200"));
    }
    let request = state.identity_request(
        &principal,
        pb::ListUsersRequest {
            limit: query.limit.unwrap_or(0),
            cursor: crate::extract::cursor(query.cursor)?,
            email_address: query.email_address,
            username: query.username,
        },
    );
    let page = state.identity().list_users(request).await?.into_inner();
    let mut items = Vec::with_capacity(page.users.len());
    for user in page.users {
        items.push(user_json(&state, &principal, user).await?);
    }
    Ok(axum::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// `PATCH /v1/users/{userId}` (JSON merge patch) → the updated User.
#[utoipa::path(patch, path = "/v1/users/{userId}", tag = "users", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), request_body(content = patch::UserPatchDoc, description = "JSON merge patch of the user's writable fields: absent keeps, null clears", content_type = "application/merge-patch+json"), responses((status = 200, body = UserJson), ConflictError, CommonErrors))]
pub async fn update_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<axum::Json<UserJson>, ApiError> {
    let update = patch::update_request(user_id, &body)?;
    let request = state.identity_request(&principal, update);
    let user = state.identity().update_user(request).await?.into_inner();
    Ok(axum::Json(user_json(&state, &principal, user).await?))
}

/// `DELETE /v1/users/{userId}` → 204.
#[utoipa::path(delete, path = "/v1/users/{userId}", tag = "users", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), responses((status = 204, description = "Deleted with its identities, attributes, grants and memberships"), CommonErrors))]
pub async fn delete_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::DeleteUserRequest { user_id });
    state.identity().delete_user(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
