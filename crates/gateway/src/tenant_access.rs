//! `/api/{tenantId}/admin/users`: a tenant's back-office users and their roles,
//! for OAuth2 bearer tokens. Reads need `tenant.access:read`, writes
//! `tenant.access:write` (which does not imply read), and the token's tenants
//! must include `{tenantId}`; all checked here before the service is called.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::tenant_access::v1 as pb;
use serde::{Deserialize, Deserializer, Serialize};

use crate::AppState;
use crate::extract::ApiJson;
use crate::openapi::{CommonErrors, ConflictError};
use crate::problem::ApiError;
use crate::users::json::rfc3339;

pub const READ_SCOPE: &str = "tenant.access:read";
pub const WRITE_SCOPE: &str = "tenant.access:write";
/// The largest page, and the most an unpaginated list answers.
pub const MAX_LIMIT: u32 = 10_000;
/// Header carrying the cursor of the next page of a list.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

/// A back-office user as the contract shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantUserJson {
    #[schema(min_length = 1)]
    pub id: String,
    #[schema(min_length = 1)]
    pub email: String,
    pub name: Option<String>,
    pub blocked: bool,
    pub last_login: Option<String>,
    pub tenant_role: Option<String>,
}

impl From<pb::TenantUser> for TenantUserJson {
    fn from(u: pb::TenantUser) -> Self {
        Self {
            last_login: rfc3339(u.last_login.as_ref()),
            id: u.id,
            email: u.email,
            name: u.name,
            blocked: u.blocked,
            tenant_role: u.tenant_role,
        }
    }
}

/// `POST` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachBody {
    /// Found case-insensitively in identity, or a new user is created.
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    pub email: String,
    /// Display name of a newly created user.
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub name: Option<String>,
    /// One of the roles configured for this deployment.
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z0-9._-]{1,64}$")]
    pub role: String,
}

/// `PUT` body: `role` is a required key whose `null` keeps the role; an
/// absent or `null` `name` keeps the display name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub name: Option<String>,
    /// Required key; `null` keeps the role.
    #[serde(deserialize_with = "required_nullable")]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z0-9._-]{1,64}$"
    )]
    pub role: Option<String>,
}

/// A field that must be present but may be `null` (a `deserialize_with`
/// field without `default` is required).
fn required_nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// Query of the list: both optional; either turns pagination on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size; with `limit` or `cursor` the next page is named by the
    /// `X-Next-Cursor` and `Link` headers.
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
    /// `X-Next-Cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub cursor: Option<String>,
}

/// 400 for a malformed tenant id, 403 for a missing scope or tenant.
fn guard(principal: &Principal, tenant: &str, scope: &str) -> Result<(), ApiError> {
    let well_formed = (1..=128).contains(&tenant.len())
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !well_formed {
        return Err(ApiError::bad_request(
            "tenantId: must be 1 to 128 of letters, digits, '.', '_' or '-'",
        ));
    }
    if !principal.has_scope(scope) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("the token lacks the scope {scope}"),
        ));
    }
    if !principal.may_act_on_tenant(tenant) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("the token is not entitled to tenant {tenant}"),
        ));
    }
    Ok(())
}

fn location(tenant: &str, user: &str) -> String {
    format!("/api/{tenant}/admin/users/{user}")
}

#[utoipa::path(get, path = "/api/{tenantId}/admin/users", tag = "tenant access", params(("tenantId" = String, Path, description = "The tenant", pattern = "^[A-Za-z0-9._-]{1,128}$"), ListQuery), security(("oauth2" = ["tenant.access:read"])), responses((status = 200, description = "Every back-office user of the tenant (up to 10 000 without paging)", body = Vec<TenantUserJson>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(tenant): Path<String>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    guard(&principal, &tenant, READ_SCOPE)?;
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    let limit = match query.limit {
        None => 0,
        Some(n @ 1..=MAX_LIMIT) => n,
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "limit: must be 1 to {MAX_LIMIT}"
            )));
        }
    };
    let request = state.identity_request(
        &principal,
        pb::ListTenantUsersRequest {
            tenant_id: tenant.clone(),
            limit,
            cursor: crate::extract::cursor(query.cursor)?,
        },
    );
    let page = state
        .tenant_access()
        .list_tenant_users(request)
        .await?
        .into_inner();
    let users: Vec<TenantUserJson> = page.users.into_iter().map(Into::into).collect();
    let mut headers = HeaderMap::new();
    if let Some(cursor) = page.next_cursor {
        let limit = if limit == 0 { MAX_LIMIT } else { limit };
        let link =
            format!("</api/{tenant}/admin/users?limit={limit}&cursor={cursor}>; rel=\"next\"");
        if let (Ok(c), Ok(l)) = (HeaderValue::from_str(&cursor), HeaderValue::from_str(&link)) {
            headers.insert(NEXT_CURSOR_HEADER, c);
            headers.insert(header::LINK, l);
        }
    }
    Ok((headers, axum::Json(users)).into_response())
}

#[utoipa::path(post, path = "/api/{tenantId}/admin/users", tag = "tenant access", params(("tenantId" = String, Path, description = "The tenant", pattern = "^[A-Za-z0-9._-]{1,128}$")), request_body = AttachBody, security(("oauth2" = ["tenant.access:write"])), responses((status = 201, description = "Attached; `Location` names the user", body = TenantUserJson), ConflictError, CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(tenant): Path<String>,
    ApiJson(body): ApiJson<AttachBody>,
) -> Result<Response, ApiError> {
    guard(&principal, &tenant, WRITE_SCOPE)?;
    let request = state.identity_request(
        &principal,
        pb::AttachTenantUserRequest {
            tenant_id: tenant.clone(),
            email: body.email,
            name: body.name,
            role: body.role,
        },
    );
    let user = state
        .tenant_access()
        .attach_tenant_user(request)
        .await?
        .into_inner();
    let location = location(&tenant, &user.id);
    let response = (StatusCode::CREATED, axum::Json(TenantUserJson::from(user))).into_response();
    Ok(crate::respond::with_location(response, &location))
}

#[utoipa::path(get, path = "/api/{tenantId}/admin/users/{userId}", tag = "tenant access", params(("tenantId" = String, Path, description = "The tenant", pattern = "^[A-Za-z0-9._-]{1,128}$"), ("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), security(("oauth2" = ["tenant.access:read"])), responses((status = 200, body = TenantUserJson), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((tenant, user)): Path<(String, String)>,
) -> Result<axum::Json<TenantUserJson>, ApiError> {
    guard(&principal, &tenant, READ_SCOPE)?;
    let request = state.identity_request(
        &principal,
        pb::GetTenantUserRequest {
            tenant_id: tenant,
            user_id: user,
        },
    );
    Ok(axum::Json(
        state
            .tenant_access()
            .get_tenant_user(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(put, path = "/api/{tenantId}/admin/users/{userId}", tag = "tenant access", params(("tenantId" = String, Path, description = "The tenant", pattern = "^[A-Za-z0-9._-]{1,128}$"), ("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), request_body = UpdateBody, security(("oauth2" = ["tenant.access:write"])), responses((status = 200, body = TenantUserJson), CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((tenant, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<axum::Json<TenantUserJson>, ApiError> {
    guard(&principal, &tenant, WRITE_SCOPE)?;
    let request = state.identity_request(
        &principal,
        pb::UpdateTenantUserRequest {
            tenant_id: tenant,
            user_id: user,
            name: body.name,
            role: body.role,
        },
    );
    Ok(axum::Json(
        state
            .tenant_access()
            .update_tenant_user(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/{tenantId}/admin/users/{userId}", tag = "tenant access", params(("tenantId" = String, Path, description = "The tenant", pattern = "^[A-Za-z0-9._-]{1,128}$"), ("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), security(("oauth2" = ["tenant.access:write"])), responses((status = 204, description = "Access removed; the user account stays"), CommonErrors))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((tenant, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    guard(&principal, &tenant, WRITE_SCOPE)?;
    let request = state.identity_request(
        &principal,
        pb::RemoveTenantUserRequest {
            tenant_id: tenant,
            user_id: user,
        },
    );
    state.tenant_access().remove_tenant_user(request).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::parse;

    fn principal(scopes: &[&str], tenants: &[&str]) -> Principal {
        Principal {
            subject: "alice".into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            tenants: tenants.iter().map(|s| (*s).to_owned()).collect(),
            ..Principal::default()
        }
    }

    #[test]
    fn guard_checks_the_tenant_id_then_the_scope_then_the_tenant() {
        let p = principal(&[READ_SCOPE], &["t1"]);
        assert!(guard(&p, "t1", READ_SCOPE).is_ok());
        assert_eq!(guard(&p, "t 1", READ_SCOPE).unwrap_err().status, 400);
        assert_eq!(guard(&p, "t1", WRITE_SCOPE).unwrap_err().status, 403);
        assert_eq!(guard(&p, "t2", READ_SCOPE).unwrap_err().status, 403);
    }

    #[test]
    fn put_needs_the_role_key_but_accepts_null() {
        let body: UpdateBody = parse(br#"{"role": null}"#).unwrap();
        assert_eq!(body.role, None);
        let body: UpdateBody = parse(br#"{"name": "Ann", "role": "admin"}"#).unwrap();
        assert_eq!(body.role.as_deref(), Some("admin"));
        let e = parse::<UpdateBody>(br#"{"name": "Ann"}"#).unwrap_err();
        assert!(e.detail.contains("role"), "{}", e.detail);
    }
}
