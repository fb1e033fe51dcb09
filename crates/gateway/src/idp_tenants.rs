//! `/v1/idp_tenants`: the identity-provider (Auth0) tenants users are linked to.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::extract::{ApiJson, int32_param};
use crate::openapi::{CommonErrors, ConflictError};
use crate::problem::ApiError;
use crate::users::json::rfc3339;

/// An IdP tenant as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdpTenantJson {
    pub id: i32,
    pub name: String,
    pub azo_name: String,
    pub fqdn: String,
    pub login_domain: String,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub created_by: String,
    pub modified_by: String,
}

impl From<pb::IdpTenant> for IdpTenantJson {
    fn from(t: pb::IdpTenant) -> Self {
        Self {
            created: rfc3339(t.created.as_ref()),
            modified: rfc3339(t.modified.as_ref()),
            id: t.id,
            name: t.name,
            azo_name: t.azo_name,
            fqdn: t.fqdn,
            login_domain: t.login_domain,
            created_by: t.created_by,
            modified_by: t.modified_by,
        }
    }
}

/// `POST /v1/idp_tenants` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateIdpTenantBody {
    /// Unique in Nexus.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    /// The Auth0 tenant name.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub azo_name: String,
    #[schema(
        max_length = 253,
        pattern = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    pub fqdn: String,
    #[schema(
        max_length = 253,
        pattern = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    pub login_domain: String,
}

/// `PATCH /v1/idp_tenants/{id}` body: absent fields are unchanged.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchIdpTenantBody {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    #[serde(default, deserialize_with = "crate::extract::non_null")]
    pub name: Option<String>,
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    #[serde(default, deserialize_with = "crate::extract::non_null")]
    pub azo_name: Option<String>,
    #[schema(
        nullable = false,
        max_length = 253,
        pattern = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    #[serde(default, deserialize_with = "crate::extract::non_null")]
    pub fqdn: Option<String>,
    #[schema(
        nullable = false,
        max_length = 253,
        pattern = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
    )]
    #[serde(default, deserialize_with = "crate::extract::non_null")]
    pub login_domain: Option<String>,
}

/// Query of a list: `limit` (1..1000, default 100) and `cursor` (from `nextCursor`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[0-9]{1,9}$")]
    pub cursor: Option<String>,
}

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(post, path = "/v1/idp_tenants", tag = "idp_tenants", request_body = CreateIdpTenantBody, responses((status = 201, body = IdpTenantJson), ConflictError, CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(body): ApiJson<CreateIdpTenantBody>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::CreateIdpTenantRequest {
            name: body.name,
            azo_name: body.azo_name,
            fqdn: body.fqdn,
            login_domain: body.login_domain,
        },
    );
    let tenant = state
        .identity()
        .create_idp_tenant(request)
        .await?
        .into_inner();
    let location = format!("/v1/idp_tenants/{}", tenant.id);
    let response = (StatusCode::CREATED, axum::Json(IdpTenantJson::from(tenant))).into_response();
    Ok(crate::respond::with_location(response, &location))
}

#[utoipa::path(get, path = "/v1/idp_tenants", tag = "idp_tenants", params(PageQuery), responses((status = 200, body = Page<IdpTenantJson>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Page<IdpTenantJson>>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    if query.limit == Some(0) {
        return Err(ApiError::bad_request("limit: must be 1 to 1000"));
    }
    let request = state.identity_request(
        &principal,
        pb::ListIdpTenantsRequest {
            limit: query.limit.unwrap_or(0),
            cursor: crate::extract::cursor(query.cursor)?,
        },
    );
    let page = state
        .identity()
        .list_idp_tenants(request)
        .await?
        .into_inner();
    Ok(axum::Json(Page {
        items: page.idp_tenants.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/v1/idp_tenants/{idpTenantId}", tag = "idp_tenants", params(("idpTenantId" = i32, Path, description = "The IdP tenant's id")), responses((status = 200, body = IdpTenantJson), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<axum::Json<IdpTenantJson>, ApiError> {
    let id = int32_param("idpTenantId", &id)?;
    let request = state.identity_request(&principal, pb::GetIdpTenantRequest { id });
    Ok(axum::Json(
        state
            .identity()
            .get_idp_tenant(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(patch, path = "/v1/idp_tenants/{idpTenantId}", tag = "idp_tenants", params(("idpTenantId" = i32, Path, description = "The IdP tenant's id")), request_body = PatchIdpTenantBody, responses((status = 200, body = IdpTenantJson), ConflictError, CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchIdpTenantBody>,
) -> Result<axum::Json<IdpTenantJson>, ApiError> {
    let id = int32_param("idpTenantId", &id)?;
    let request = state.identity_request(
        &principal,
        pb::UpdateIdpTenantRequest {
            id,
            name: body.name,
            azo_name: body.azo_name,
            fqdn: body.fqdn,
            login_domain: body.login_domain,
        },
    );
    Ok(axum::Json(
        state
            .identity()
            .update_idp_tenant(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(delete, path = "/v1/idp_tenants/{idpTenantId}", tag = "idp_tenants", params(("idpTenantId" = i32, Path, description = "The IdP tenant's id")), responses((status = 204, description = "Deleted"), ConflictError, CommonErrors))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = int32_param("idpTenantId", &id)?;
    let request = state.identity_request(&principal, pb::DeleteIdpTenantRequest { id });
    state.identity().delete_idp_tenant(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
