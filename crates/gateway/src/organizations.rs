//! `/v1/organizations` and `/v1/users/{userId}/memberships/{organizationId}`.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::AppState;
use crate::extract::{ApiJson, int32_param};
use crate::idp_tenants::{Page, PageQuery};
use crate::openapi::{CommonErrors, ConflictError};
use crate::problem::ApiError;
use crate::users::json::{MembershipJson, OrganizationJson};

/// `POST /v1/organizations` body: `name` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateOrganizationBody {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    #[serde(default, rename = "type")]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub kind: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50, value_type = Vec<crate::openapi::Alias>)]
    pub aliases: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub contact: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50, value_type = Vec<crate::openapi::DomainName>)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub crm_account_id: Option<String>,
    #[serde(default)]
    pub is_mfa_required: Option<bool>,
    #[serde(default)]
    pub is_self_service: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub technical_contact: Option<String>,
    #[serde(default)]
    pub is_enabled_for_preview_features: Option<bool>,
    #[serde(default)]
    pub is_domain_verification_required: Option<bool>,
}

#[utoipa::path(post, path = "/v1/organizations", tag = "organizations", request_body = CreateOrganizationBody, responses((status = 201, body = OrganizationJson), ConflictError, CommonErrors))]
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
    Ok(crate::respond::with_location(response, &location))
}

#[utoipa::path(get, path = "/v1/organizations", tag = "organizations", params(PageQuery), responses((status = 200, body = Page<OrganizationJson>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Page<OrganizationJson>>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    if query.limit == Some(0) {
        return Err(ApiError::bad_request("limit: must be 1 to 1000"));
    }
    let request = state.identity_request(
        &principal,
        pb::ListOrganizationsRequest {
            limit: query.limit.unwrap_or(0),
            cursor: crate::extract::cursor(query.cursor)?,
        },
    );
    let page = state
        .identity()
        .list_organizations(request)
        .await?
        .into_inner();
    Ok(axum::Json(Page {
        items: page.organizations.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/v1/organizations/{organizationId}", tag = "organizations", params(("organizationId" = i32, Path, description = "The organization's id")), responses((status = 200, body = OrganizationJson), CommonErrors))]
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

fn nullable(k: &str, v: &Value) -> Result<pb::NullableString, ApiError> {
    match v {
        Value::Null => Ok(pb::NullableString { value: None }),
        Value::String(s) => Ok(pb::NullableString {
            value: Some(s.clone()),
        }),
        _ => Err(ApiError::bad_request(format!(
            "{k}: must be a string or null"
        ))),
    }
}

fn boolean(k: &str, v: &Value) -> Result<bool, ApiError> {
    v.as_bool()
        .ok_or_else(|| ApiError::bad_request(format!("{k}: must be true or false")))
}

fn strings(k: &str, v: &Value) -> Result<pb::StringList, ApiError> {
    let list = v
        .as_array()
        .ok_or_else(|| ApiError::bad_request(format!("{k}: must be a list of strings")))?;
    let values = list
        .iter()
        .map(|s| s.as_str().map(ToOwned::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| ApiError::bad_request(format!("{k}: must be a list of strings")))?;
    Ok(pb::StringList { values })
}

/// The gRPC update for an organization merge patch.
fn update_request(
    id: i32,
    patch: &Map<String, Value>,
) -> Result<pb::UpdateOrganizationRequest, ApiError> {
    let mut r = pb::UpdateOrganizationRequest {
        id,
        ..Default::default()
    };
    for (key, v) in patch {
        let k = key.as_str();
        match k {
            "name" => {
                r.name = Some(
                    v.as_str()
                        .map(ToOwned::to_owned)
                        .ok_or_else(|| ApiError::bad_request("name: must be a string"))?,
                );
            }
            "type" => r.r#type = Some(nullable(k, v)?),
            "aliases" => r.aliases = Some(strings(k, v)?),
            "contact" => r.contact = Some(nullable(k, v)?),
            "domains" => r.domains = Some(strings(k, v)?),
            "isActive" => r.is_active = Some(boolean(k, v)?),
            "displayName" => r.display_name = Some(nullable(k, v)?),
            "crmAccountId" => r.crm_account_id = Some(nullable(k, v)?),
            "isMfaRequired" => r.is_mfa_required = Some(boolean(k, v)?),
            "isSelfService" => r.is_self_service = Some(boolean(k, v)?),
            "technicalContact" => r.technical_contact = Some(nullable(k, v)?),
            "isEnabledForPreviewFeatures" => {
                r.is_enabled_for_preview_features = Some(boolean(k, v)?);
            }
            "isDomainVerificationRequired" => {
                r.is_domain_verification_required = Some(boolean(k, v)?);
            }
            "id" | "created" | "modified" | "createdBy" | "modifiedBy" | "members" | "products"
            | "applications" | "subscriptions" => {
                return Err(ApiError::bad_request(format!("{k}: is read-only")));
            }
            _ => return Err(ApiError::bad_request(format!("{k}: unknown field"))),
        }
    }
    Ok(r)
}

#[utoipa::path(patch, path = "/v1/organizations/{organizationId}", tag = "organizations", params(("organizationId" = i32, Path, description = "The organization's id")), request_body(content = OrganizationPatchDoc, description = "JSON merge patch of the organization's writable fields", content_type = "application/merge-patch+json"), responses((status = 200, body = OrganizationJson), ConflictError, CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<axum::Json<OrganizationJson>, ApiError> {
    let id = int32_param("organizationId", &id)?;
    let request = state.identity_request(&principal, update_request(id, &body)?);
    Ok(axum::Json(
        state
            .identity()
            .update_organization(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(delete, path = "/v1/organizations/{organizationId}", tag = "organizations", params(("organizationId" = i32, Path, description = "The organization's id")), responses((status = 204, description = "Deleted"), ConflictError, CommonErrors))]
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

/// The JSON merge patch of an organization, as documented.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OrganizationPatchDoc {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    name: Option<String>,
    #[serde(rename = "type")]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    kind: Option<String>,
    #[schema(nullable = false, max_items = 50, value_type = Option<Vec<crate::openapi::Alias>>)]
    aliases: Option<Vec<String>>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    contact: Option<String>,
    #[schema(nullable = false, max_items = 50, value_type = Option<Vec<crate::openapi::DomainName>>)]
    domains: Option<Vec<String>>,
    #[schema(nullable = false)]
    is_active: Option<bool>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    display_name: Option<String>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    crm_account_id: Option<String>,
    #[schema(nullable = false)]
    is_mfa_required: Option<bool>,
    #[schema(nullable = false)]
    is_self_service: Option<bool>,
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    technical_contact: Option<String>,
    #[schema(nullable = false)]
    is_enabled_for_preview_features: Option<bool>,
    #[schema(nullable = false)]
    is_domain_verification_required: Option<bool>,
}

/// `PUT /v1/users/{userId}/memberships/{organizationId}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MembershipBody {
    #[serde(default)]
    pub is_guest: bool,
    #[serde(default)]
    pub is_membership_mfa_required: bool,
    /// Role definition ids.
    #[serde(default)]
    #[schema(max_items = 100, value_type = Vec<crate::openapi::RoleId>)]
    pub roles: Vec<String>,
}

#[utoipa::path(get, path = "/v1/users/{userId}/memberships", tag = "organizations", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), responses((status = 200, body = Vec<MembershipJson>), CommonErrors))]
pub async fn list_memberships(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<Vec<MembershipJson>>, ApiError> {
    let request = state.identity_request(&principal, pb::ListMembershipsRequest { user_id });
    let list = state
        .identity()
        .list_memberships(request)
        .await?
        .into_inner();
    Ok(axum::Json(
        list.memberships.into_iter().map(Into::into).collect(),
    ))
}

#[utoipa::path(put, path = "/v1/users/{userId}/memberships/{organizationId}", tag = "organizations", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("organizationId" = i32, Path, description = "The organization's id")), request_body = MembershipBody, responses((status = 200, body = MembershipJson), CommonErrors))]
pub async fn put_membership(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, org)): Path<(String, String)>,
    ApiJson(body): ApiJson<MembershipBody>,
) -> Result<axum::Json<MembershipJson>, ApiError> {
    let organization_id = int32_param("organizationId", &org)?;
    let request = state.identity_request(
        &principal,
        pb::PutMembershipRequest {
            user_id,
            organization_id,
            is_guest: body.is_guest,
            is_membership_mfa_required: body.is_membership_mfa_required,
            role_ids: body.roles,
        },
    );
    Ok(axum::Json(
        state
            .identity()
            .put_membership(request)
            .await?
            .into_inner()
            .into(),
    ))
}

#[utoipa::path(delete, path = "/v1/users/{userId}/memberships/{organizationId}", tag = "organizations", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("organizationId" = i32, Path, description = "The organization's id")), responses((status = 204, description = "Removed"), CommonErrors))]
pub async fn delete_membership(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, org)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let organization_id = int32_param("organizationId", &org)?;
    let request = state.identity_request(
        &principal,
        pb::DeleteMembershipRequest {
            user_id,
            organization_id,
        },
    );
    state.identity().delete_membership(request).await?;
    Ok(StatusCode::NO_CONTENT)
}
