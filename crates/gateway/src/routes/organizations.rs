//! `/v1/organizations`: organizations, created, listed, read, merge-patched
//! and deleted through the identity service.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::api::body::{ApiJson, int32_param};
use crate::api::json::OrganizationJson;
use crate::api::page::{Listing, NoFilter, Page, PageQuery};
use crate::api::params::OrganizationPath;
use crate::api::patch::{ApiPatch, MergePatch, non_null, nullable, nullable_text};
use crate::api::problem::{ApiError, CommonErrors, ConflictError};
use crate::api::respond::with_location;
use crate::api::schema::{Alias, DIGITS, DomainName};

/// `POST /v1/organizations` body: `name` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateOrganizationBody {
    #[schema(min_length = 1, max_length = 100, pattern = "nexus:text")]
    pub name: String,
    #[serde(default, rename = "type")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub kind: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50, value_type = Vec<Alias>)]
    pub aliases: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub contact: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50, value_type = Vec<DomainName>)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub crm_account_id: Option<String>,
    #[serde(default)]
    pub is_mfa_required: Option<bool>,
    #[serde(default)]
    pub is_self_service: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub technical_contact: Option<String>,
    #[serde(default)]
    pub is_enabled_for_preview_features: Option<bool>,
    #[serde(default)]
    pub is_domain_verification_required: Option<bool>,
}

/// The JSON merge patch of an organization's writable fields: an absent key
/// keeps the field, `null` clears a nullable one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrganizationPatch {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "nexus:text"
    )]
    pub name: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub kind: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false, max_items = 50, value_type = Option<Vec<Alias>>)]
    pub aliases: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub contact: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false, max_items = 50, value_type = Option<Vec<DomainName>>)]
    pub domains: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub is_active: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub crm_account_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub is_mfa_required: Option<bool>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub is_self_service: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub technical_contact: Option<Option<String>>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub is_enabled_for_preview_features: Option<bool>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(nullable = false)]
    pub is_domain_verification_required: Option<bool>,
}

impl MergePatch for OrganizationPatch {
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "created",
        "modified",
        "createdBy",
        "modifiedBy",
        "members",
        "products",
        "applications",
        "subscriptions",
    ];
}

impl OrganizationPatch {
    /// The gRPC update of organization `id`.
    pub fn into_request(self, id: i32) -> pb::UpdateOrganizationRequest {
        let list = |values: Option<Vec<String>>| values.map(|values| pb::StringList { values });
        pb::UpdateOrganizationRequest {
            id,
            name: self.name,
            r#type: nullable_text(self.kind),
            aliases: list(self.aliases),
            contact: nullable_text(self.contact),
            domains: list(self.domains),
            is_active: self.is_active,
            display_name: nullable_text(self.display_name),
            crm_account_id: nullable_text(self.crm_account_id),
            is_mfa_required: self.is_mfa_required,
            is_self_service: self.is_self_service,
            technical_contact: nullable_text(self.technical_contact),
            is_enabled_for_preview_features: self.is_enabled_for_preview_features,
            is_domain_verification_required: self.is_domain_verification_required,
        }
    }
}

/// `GET /v1/organizations`: pages of up to 1000, by integer id.
#[derive(Debug)]
pub struct OrganizationList;

impl Listing for OrganizationList {
    const MAX_LIMIT: u32 = 1000;
    const LIMIT_DOC: &'static str = "Page size, 1 to 1000 (default 100).";
    const CURSOR_PATTERN: Option<&'static str> = Some(DIGITS);
    type Filter = NoFilter;
}

/// The query of `GET /v1/organizations`.
pub type ListOrganizationsQuery = PageQuery<OrganizationList>;

/// Create an organization.
///
/// Answers 201 with the organization and its `Location`.
#[utoipa::path(
    post,
    path = "/v1/organizations",
    tag = "organizations",
    operation_id = "CreateOrganization",
    security(("oauth2" = ["organizations:admin"], "applicationToken" = []), ("basic" = [])),
    request_body = CreateOrganizationBody,
    responses(
        (
            status = 201,
            description = "The created organization; `Location` names it",
            body = OrganizationJson
        ),
        ConflictError,
        CommonErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(b): ApiJson<CreateOrganizationBody>,
) -> Result<Response, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::CreateOrganizationRequest {
            name: b.name,
            r#type: b.kind,
            aliases: b.aliases,
            contact: b.contact,
            domains: b.domains,
            is_active: b.is_active,
            display_name: b.display_name,
            crm_account_id: b.crm_account_id,
            is_mfa_required: b.is_mfa_required,
            is_self_service: b.is_self_service,
            technical_contact: b.technical_contact,
            is_enabled_for_preview_features: b.is_enabled_for_preview_features,
            is_domain_verification_required: b.is_domain_verification_required,
        },
    );
    let org = state
        .identity()
        .create_organization(request)
        .await?
        .into_inner();
    let location = format!("/v1/organizations/{}", org.id);
    let response = (StatusCode::CREATED, axum::Json(OrganizationJson::from(org))).into_response();
    Ok(with_location(response, &location))
}

/// List organizations.
///
/// A page of organizations in id order.
#[utoipa::path(
    get,
    path = "/v1/organizations",
    tag = "organizations",
    operation_id = "ListOrganizations",
    security(("oauth2" = ["organizations:admin"], "applicationToken" = []), ("basic" = [])),
    params(ListOrganizationsQuery),
    responses(
        (
            status = 200,
            description = "A page of organizations by id",
            body = Page<OrganizationJson>
        ),
        CommonErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: ListOrganizationsQuery,
) -> Result<axum::Json<Page<OrganizationJson>>, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::ListOrganizationsRequest {
            limit: query.limit,
            cursor: query.cursor,
        },
    );
    let page = state
        .identity()
        .list_organizations(request)
        .await?
        .into_inner();
    Ok(axum::Json(Page::of(page.organizations, page.next_cursor)))
}

/// Read an organization.
///
/// Answers 404 for an unknown id.
#[utoipa::path(
    get,
    path = "/v1/organizations/{organizationId}",
    tag = "organizations",
    operation_id = "GetOrganization",
    security(("oauth2" = ["organizations:admin"], "applicationToken" = []), ("basic" = [])),
    params(OrganizationPath),
    responses(
        (status = 200, description = "The organization", body = OrganizationJson),
        CommonErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<axum::Json<OrganizationJson>, ApiError> {
    let id = int32_param("organizationId", &id)?;
    let request = state.identity_request(&principal, pb::GetOrganizationRequest { id });
    Ok(axum::Json(
        state
            .identity()
            .get_organization(request)
            .await?
            .into_inner()
            .into(),
    ))
}

/// Change an organization.
///
/// A JSON merge patch of the organization's writable fields: an absent key
/// keeps the field, `null` clears a nullable one.
#[utoipa::path(
    patch,
    path = "/v1/organizations/{organizationId}",
    tag = "organizations",
    operation_id = "UpdateOrganization",
    security(("oauth2" = ["organizations:admin"], "applicationToken" = []), ("basic" = [])),
    params(OrganizationPath),
    request_body(
        content = OrganizationPatch,
        description = "JSON merge patch of the organization's writable fields",
        content_type = "application/merge-patch+json"
    ),
    responses(
        (status = 200, description = "The updated organization", body = OrganizationJson),
        ConflictError,
        CommonErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiPatch(patch): ApiPatch<OrganizationPatch>,
) -> Result<axum::Json<OrganizationJson>, ApiError> {
    let id = int32_param("organizationId", &id)?;
    let request = state.identity_request(&principal, patch.into_request(id));
    Ok(axum::Json(
        state
            .identity()
            .update_organization(request)
            .await?
            .into_inner()
            .into(),
    ))
}

/// Delete an organization.
///
/// Refused with 409 while it is still in use.
#[utoipa::path(
    delete,
    path = "/v1/organizations/{organizationId}",
    tag = "organizations",
    operation_id = "DeleteOrganization",
    security(("oauth2" = ["organizations:admin"], "applicationToken" = []), ("basic" = [])),
    params(OrganizationPath),
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
    let id = int32_param("organizationId", &id)?;
    let request = state.identity_request(&principal, pb::DeleteOrganizationRequest { id });
    state.identity().delete_organization(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
