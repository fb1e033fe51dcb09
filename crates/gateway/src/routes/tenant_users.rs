//! `/api/{tenantId}/admin/users`: a tenant's back-office users and their roles,
//! for OAuth2 bearer tokens. Reads need `tenant.access:read`, writes
//! `tenant.access:write` (which does not imply read), and the token's tenants
//! must include `{tenantId}`; all checked here before the service is called.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::tenant_access::v1 as pb;
use serde::{Deserialize, Deserializer};

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::json::TenantUserJson;
use crate::api::page::{Listing, NoFilter, PageQuery};
use crate::api::params::{TenantPath, UserPath};
use crate::api::problem::{ApiError, CommonErrors, ConflictError};
use crate::api::respond::with_location;
use crate::api::schema::ID;

pub const READ_SCOPE: &str = "tenant.access:read";
pub const WRITE_SCOPE: &str = "tenant.access:write";
/// The largest page, and the most an unpaginated list answers.
pub const MAX_LIMIT: u32 = 10_000;
/// Header carrying the cursor of the next page of a list.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

/// `POST` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachBody {
    /// Found case-insensitively in identity, or a new user is created.
    #[schema(min_length = 1, max_length = 254, pattern = "nexus:email")]
    pub email: String,
    /// Display name of a newly created user.
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub name: Option<String>,
    /// One of the roles configured for this deployment.
    #[schema(min_length = 1, max_length = 64, pattern = "nexus:tenant-role")]
    pub role: String,
}

/// `PUT` body: `role` is a required key whose `null` keeps the role; an
/// absent or `null` `name` keeps the display name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub name: Option<String>,
    /// Required key; `null` keeps the role.
    #[serde(deserialize_with = "required_nullable")]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 64,
        pattern = "nexus:tenant-role"
    )]
    pub role: Option<String>,
}

/// A field that must be present but may be `null` (a `deserialize_with`
/// field without `default` is required).
fn required_nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// `GET /api/{tenantId}/admin/users`: every user up to [`MAX_LIMIT`], or
/// pages when `limit` or `cursor` is given.
#[derive(Debug)]
pub struct TenantUserList;

impl Listing for TenantUserList {
    const MAX_LIMIT: u32 = MAX_LIMIT;
    const LIMIT_DOC: &'static str = "Page size; with `limit` or `cursor` the next page is named \
                                     by the `X-Next-Cursor` and `Link` headers.";
    const CURSOR_DOC: &'static str = "`X-Next-Cursor` of the previous page.";
    const CURSOR_PATTERN: Option<&'static str> = Some(ID);
    type Filter = NoFilter;
}

/// The query of the list.
pub type ListTenantUsersQuery = PageQuery<TenantUserList>;

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

/// List a tenant's back-office users.
///
/// Without `limit` or `cursor`, every user up to 10 000; with either, a page
/// whose successor the `X-Next-Cursor` and `Link` headers name.
#[utoipa::path(
    get,
    path = "/api/{tenantId}/admin/users",
    tag = "tenant access",
    operation_id = "ListTenantAdminUsers",
    params(TenantPath, ListTenantUsersQuery),
    security(("oauth2" = ["tenant.access:read"])),
    responses(
        (
            status = 200,
            description = "Every back-office user of the tenant (up to 10 000 without paging)",
            body = Vec<TenantUserJson>
        ),
        CommonErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(tenant): Path<String>,
    query: Result<ListTenantUsersQuery, ApiError>,
) -> Result<Response, ApiError> {
    guard(&principal, &tenant, READ_SCOPE)?;
    let query = query?;
    let limit = query.limit;
    let request = state.identity_request(
        &principal,
        pb::ListTenantUsersRequest {
            tenant_id: tenant.clone(),
            limit,
            cursor: query.cursor,
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

/// Give a user access to a tenant.
///
/// Finds the user by email, or creates it, and gives it the role.
#[utoipa::path(
    post,
    path = "/api/{tenantId}/admin/users",
    tag = "tenant access",
    operation_id = "CreateTenantAdminUser",
    params(TenantPath),
    request_body = AttachBody,
    security(("oauth2" = ["tenant.access:write"])),
    responses(
        (status = 201, description = "Attached; `Location` names the user", body = TenantUserJson),
        ConflictError,
        CommonErrors,
    )
)]
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
    Ok(with_location(response, &location))
}

/// Read a tenant's back-office user.
///
/// With the role it holds in the tenant.
#[utoipa::path(
    get,
    path = "/api/{tenantId}/admin/users/{userId}",
    tag = "tenant access",
    operation_id = "GetTenantAdminUser",
    params(TenantPath, UserPath),
    security(("oauth2" = ["tenant.access:read"])),
    responses(
        (status = 200, description = "The back-office user", body = TenantUserJson),
        CommonErrors,
    )
)]
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

/// Change a back-office user's role or display name.
///
/// `role` is required, `null` keeps it; an absent or `null` `name` keeps the
/// display name. The name is the user's everywhere, so it can be changed only
/// for a user of this tenant alone (409 otherwise).
#[utoipa::path(
    put,
    path = "/api/{tenantId}/admin/users/{userId}",
    tag = "tenant access",
    operation_id = "UpdateTenantAdminUser",
    params(TenantPath, UserPath),
    request_body = UpdateBody,
    security(("oauth2" = ["tenant.access:write"])),
    responses(
        (
            status = 200,
            description = "The back-office user after the change",
            body = TenantUserJson
        ),
        ConflictError,
        CommonErrors,
    )
)]
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

/// Remove a user's access to a tenant.
///
/// The user account stays.
#[utoipa::path(
    delete,
    path = "/api/{tenantId}/admin/users/{userId}",
    tag = "tenant access",
    operation_id = "DeleteTenantAdminUser",
    params(TenantPath, UserPath),
    security(("oauth2" = ["tenant.access:write"])),
    responses(
        (status = 204, description = "Access removed; the user account stays"),
        CommonErrors,
    )
)]
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
mod tests;
