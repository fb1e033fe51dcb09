//! `/v1/users/{userId}/attributes`, `/v1/roles` and
//! `/v1/users/{userId}/roles`: attributes by name, role definitions per
//! audience, and grants of roles to users.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::extract::{ApiJson, parse};
use crate::idp_tenants::Page;
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutAttributeBody {
    pub value: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
}

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
#[derive(Debug, Serialize)]
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleBody {
    pub audience: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// `GET /v1/roles` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRolesQuery {
    pub audience: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

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
    let mut response = (
        StatusCode::CREATED,
        axum::Json(RoleDefinitionJson::from(role)),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

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
            cursor: query.cursor.unwrap_or_default(),
        },
    );
    let page = state.identity().list_roles(request).await?.into_inner();
    Ok(axum::Json(Page {
        items: page.roles.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

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

pub async fn delete_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(role_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::DeleteRoleRequest { role_id });
    state.identity().delete_role(request).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    #[serde(default)]
    pub expires: Option<String>,
}

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
        parse(&body)?
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

pub async fn revoke_role(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, role_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let request = state.identity_request(&principal, pb::RevokeRoleRequest { user_id, role_id });
    state.identity().revoke_role(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
