//! `/v1/idp_tenants`: the identity-provider (Auth0) tenants users are linked to.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::api::body::{ApiJson, int32_param};
use crate::api::json::IdpTenantJson;
use crate::api::page::{Listing, NoFilter, Page, PageQuery};
use crate::api::params::IdpTenantPath;
use crate::api::patch::{ApiPatch, MergePatch, non_null};
use crate::api::problem::{ApiError, CommonErrors, ConflictError};
use crate::api::respond::with_location;
use crate::api::schema::DIGITS;

/// `POST /v1/idp_tenants` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateIdpTenantBody {
    /// Unique in Nexus.
    #[schema(min_length = 1, max_length = 100, pattern = "nexus:text")]
    pub name: String,
    /// The Auth0 tenant name.
    #[schema(min_length = 1, max_length = 100, pattern = "nexus:text")]
    pub azo_name: String,
    #[schema(max_length = 253, pattern = "nexus:dns")]
    pub fqdn: String,
    #[schema(max_length = 253, pattern = "nexus:dns")]
    pub login_domain: String,
}

/// The JSON merge patch of an IdP tenant: an absent key keeps the field; no
/// field may be cleared.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IdpTenantPatch {
    /// Unique in Nexus.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "nexus:text"
    )]
    pub name: Option<String>,
    /// The Auth0 tenant name.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "nexus:text"
    )]
    pub azo_name: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false, max_length = 253, pattern = "nexus:dns")]
    pub fqdn: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false, max_length = 253, pattern = "nexus:dns")]
    pub login_domain: Option<String>,
}

impl MergePatch for IdpTenantPatch {
    const READ_ONLY: &'static [&'static str] =
        &["id", "created", "modified", "createdBy", "modifiedBy"];
}

/// `GET /v1/idp_tenants`: pages of up to 1000, by integer id.
#[derive(Debug)]
pub struct IdpTenantList;

impl Listing for IdpTenantList {
    const MAX_LIMIT: u32 = 1000;
    const LIMIT_DOC: &'static str = "Page size, 1 to 1000 (default 100).";
    const CURSOR_PATTERN: Option<&'static str> = Some(DIGITS);
    type Filter = NoFilter;
}

/// The query of `GET /v1/idp_tenants`.
pub type ListIdpTenantsQuery = PageQuery<IdpTenantList>;

/// Create an IdP tenant.
///
/// Answers 201 with the IdP tenant and its `Location`.
#[utoipa::path(
    post,
    path = "/v1/idp_tenants",
    tag = "idp_tenants",
    operation_id = "CreateIdpTenant",
    security(("oauth2" = ["idp-tenants:admin"], "applicationToken" = []), ("basic" = [])),
    request_body = CreateIdpTenantBody,
    responses(
        (
            status = 201,
            description = "The created IdP tenant; `Location` names it",
            body = IdpTenantJson
        ),
        ConflictError,
        CommonErrors,
    )
)]
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
    Ok(with_location(response, &location))
}

/// List IdP tenants.
///
/// A page of IdP tenants in id order.
#[utoipa::path(
    get,
    path = "/v1/idp_tenants",
    tag = "idp_tenants",
    operation_id = "ListIdpTenants",
    security(("oauth2" = ["idp-tenants:admin"], "applicationToken" = []), ("basic" = [])),
    params(ListIdpTenantsQuery),
    responses(
        (status = 200, description = "A page of IdP tenants by id", body = Page<IdpTenantJson>),
        CommonErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: ListIdpTenantsQuery,
) -> Result<axum::Json<Page<IdpTenantJson>>, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::ListIdpTenantsRequest {
            limit: query.limit,
            cursor: query.cursor,
        },
    );
    let page = state
        .identity()
        .list_idp_tenants(request)
        .await?
        .into_inner();
    Ok(axum::Json(Page::of(page.idp_tenants, page.next_cursor)))
}

/// Read an IdP tenant.
///
/// Answers 404 for an unknown id.
#[utoipa::path(
    get,
    path = "/v1/idp_tenants/{idpTenantId}",
    tag = "idp_tenants",
    operation_id = "GetIdpTenant",
    security(("oauth2" = ["idp-tenants:admin"], "applicationToken" = []), ("basic" = [])),
    params(IdpTenantPath),
    responses(
        (status = 200, description = "The IdP tenant", body = IdpTenantJson),
        CommonErrors,
    )
)]
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

/// Change an IdP tenant.
///
/// A JSON merge patch: an absent key keeps the field.
#[utoipa::path(
    patch,
    path = "/v1/idp_tenants/{idpTenantId}",
    tag = "idp_tenants",
    operation_id = "UpdateIdpTenant",
    security(("oauth2" = ["idp-tenants:admin"], "applicationToken" = []), ("basic" = [])),
    params(IdpTenantPath),
    request_body(
        content = IdpTenantPatch,
        description = "JSON merge patch of the IdP tenant's fields: absent keeps",
        content_type = "application/merge-patch+json"
    ),
    responses(
        (status = 200, description = "The updated IdP tenant", body = IdpTenantJson),
        ConflictError,
        CommonErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiPatch(patch): ApiPatch<IdpTenantPatch>,
) -> Result<axum::Json<IdpTenantJson>, ApiError> {
    let id = int32_param("idpTenantId", &id)?;
    let request = state.identity_request(
        &principal,
        pb::UpdateIdpTenantRequest {
            id,
            name: patch.name,
            azo_name: patch.azo_name,
            fqdn: patch.fqdn,
            login_domain: patch.login_domain,
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

/// Delete an IdP tenant.
///
/// Refused with 409 while it is still in use.
#[utoipa::path(
    delete,
    path = "/v1/idp_tenants/{idpTenantId}",
    tag = "idp_tenants",
    operation_id = "DeleteIdpTenant",
    security(("oauth2" = ["idp-tenants:admin"], "applicationToken" = []), ("basic" = [])),
    params(IdpTenantPath),
    responses(
        (status = 204, description = "Deleted"),
        ConflictError,
        CommonErrors,
    )
)]
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
