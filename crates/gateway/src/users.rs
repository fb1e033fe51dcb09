//! `/v1/users`: create and read users through the identity service.

pub mod json;
pub mod patch;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use self::json::UserJson;
use crate::AppState;
use crate::extract::ApiJson;
use crate::idp_tenants::Page;
use crate::problem::ApiError;

/// `POST /v1/users` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateUserBody {
    pub email_address: String,
    pub username: String,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
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
pub async fn create_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(&principal, pb::CreateUserRequest::from(body));
    let user = state.identity().create_user(request).await?.into_inner();
    let location = format!("/v1/users/{}", user.id);
    let json = user_json(&state, &principal, user).await?;
    let mut response = (StatusCode::CREATED, axum::Json(json)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /v1/users/{userId}` → the User, or 404.
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListUsersQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub email_address: Option<String>,
    pub username: Option<String>,
}

/// `GET /v1/users` → a page of users, in creation order.
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
            cursor: query.cursor.unwrap_or_default(),
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
pub async fn delete_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::DeleteUserRequest { user_id });
    state.identity().delete_user(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
