//! `/v1/users`: create, list, read, merge-patch and delete users through the
//! identity service. A user answer embeds its owner when it has one.

mod body;

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

pub use self::body::{CreateUserBody, UserPatch};
use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::json::UserJson;
use crate::api::page::{Listing, Page, PageQuery};
use crate::api::params::UserPath;
use crate::api::patch::ApiPatch;
use crate::api::problem::{ApiError, CommonErrors, ConflictError};
use crate::api::respond::with_location;
use crate::api::schema::ID;

/// The filters of `GET /v1/users`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserFilter {
    /// Only the user with this email address (case-insensitive).
    pub email_address: Option<String>,
    /// Only the user with this username.
    pub username: Option<String>,
}

/// `GET /v1/users`: pages of up to 200, by user id.
#[derive(Debug)]
pub struct UserList;

impl Listing for UserList {
    const MAX_LIMIT: u32 = 200;
    const LIMIT_DOC: &'static str = "Page size, 1 to 200 (default 50).";
    const CURSOR_PATTERN: Option<&'static str> = Some(ID);
    type Filter = UserFilter;
}

/// The query of `GET /v1/users`.
pub type ListUsersQuery = PageQuery<UserList>;

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

/// Create a user.
///
/// Answers 201 with the user and its `Location`.
#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "users",
    operation_id = "CreateUser",
    security(("oauth2" = ["users:write"], "applicationToken" = []), ("basic" = [])),
    request_body = CreateUserBody,
    responses(
        (status = 201, description = "The created user; `Location` names it", body = UserJson),
        ConflictError,
        CommonErrors,
    )
)]
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
    Ok(with_location(response, &location))
}

/// Read a user.
///
/// With everything it holds, and its owner when it has one.
#[utoipa::path(
    get,
    path = "/v1/users/{userId}",
    tag = "users",
    operation_id = "GetUser",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    responses(
        (status = 200, description = "The user", body = UserJson),
        CommonErrors,
    )
)]
pub async fn get_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<UserJson>, ApiError> {
    let request = state.identity_request(&principal, pb::GetUserRequest { user_id });
    let mut user = state.identity().get_user(request).await?.into_inner();
    // Identity answers with the owner embedded: one call.
    let owner = user.owner.take();
    let mut json = UserJson::from(user);
    json.owner = owner.map(|o| Box::new(UserJson::from(*o)));
    Ok(axum::Json(json))
}

/// List users.
///
/// A page of users in creation order, optionally filtered by email address
/// or username.
#[utoipa::path(
    get,
    path = "/v1/users",
    tag = "users",
    operation_id = "ListUsers",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users in creation order", body = Page<UserJson>),
        CommonErrors,
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: ListUsersQuery,
) -> Result<axum::Json<Page<UserJson>>, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::ListUsersRequest {
            limit: query.limit,
            cursor: query.cursor,
            email_address: query.filter.email_address,
            username: query.filter.username,
        },
    );
    let page = state.identity().list_users(request).await?.into_inner();
    // The answer carries the owners that are not on the page; together with
    // the page they are every owner the page refers to.
    let owners: HashMap<&str, &pb::User> = page
        .users
        .iter()
        .chain(&page.owners)
        .map(|u| (u.id.as_str(), u))
        .collect();
    let items = page
        .users
        .iter()
        .map(|user| {
            let mut json = UserJson::from(user.clone());
            json.owner = user
                .owner_id
                .as_deref()
                .and_then(|id| owners.get(id))
                .map(|owner| Box::new(UserJson::from((*owner).clone())));
            json
        })
        .collect();
    Ok(axum::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Change a user.
///
/// A JSON merge patch of the user's writable fields: an absent key keeps the
/// field, `null` clears a nullable one.
#[utoipa::path(
    patch,
    path = "/v1/users/{userId}",
    tag = "users",
    operation_id = "UpdateUser",
    security(("oauth2" = ["users:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    request_body(
        content = UserPatch,
        description = "JSON merge patch of the user's writable fields: absent keeps, null clears",
        content_type = "application/merge-patch+json"
    ),
    responses(
        (status = 200, description = "The updated user", body = UserJson),
        ConflictError,
        CommonErrors,
    )
)]
pub async fn update_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
    ApiPatch(patch): ApiPatch<UserPatch>,
) -> Result<axum::Json<UserJson>, ApiError> {
    let request = state.identity_request(&principal, patch.into_request(user_id));
    let user = state.identity().update_user(request).await?.into_inner();
    Ok(axum::Json(user_json(&state, &principal, user).await?))
}

/// Delete a user.
///
/// Its identities, attributes, grants and memberships go with it.
#[utoipa::path(
    delete,
    path = "/v1/users/{userId}",
    tag = "users",
    operation_id = "DeleteUser",
    security(("oauth2" = ["users:delete"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    responses(
        (
            status = 204,
            description = "Deleted with its identities, attributes, grants and memberships"
        ),
        CommonErrors,
    )
)]
pub async fn delete_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::DeleteUserRequest {
            user_id,
            expected_version: None,
        },
    );
    state.identity().delete_user(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
