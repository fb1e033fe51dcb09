//! `/v1/users/{userId}/memberships`: a user's memberships of organizations,
//! with the roles it holds in each.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::api::body::{ApiJson, int32_param};
use crate::api::json::MembershipJson;
use crate::api::params::{OrganizationPath, UserPath};
use crate::api::problem::{ApiError, CommonErrors};
use crate::api::schema::RoleId;

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
    #[schema(max_items = 100, value_type = Vec<RoleId>)]
    pub roles: Vec<String>,
}

/// List a user's memberships.
///
/// With the roles the user holds in each organization.
#[utoipa::path(
    get,
    path = "/v1/users/{userId}/memberships",
    tag = "organizations",
    operation_id = "ListUserMemberships",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    responses(
        (status = 200, description = "The user's memberships", body = Vec<MembershipJson>),
        CommonErrors,
    )
)]
pub async fn list(
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

/// Make a user a member of an organization.
///
/// Creates the membership or replaces its flags and roles.
#[utoipa::path(
    put,
    path = "/v1/users/{userId}/memberships/{organizationId}",
    tag = "organizations",
    operation_id = "PutUserMembership",
    security(("oauth2" = ["organizations:admin"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, OrganizationPath),
    request_body = MembershipBody,
    responses(
        (status = 200, description = "The membership", body = MembershipJson),
        CommonErrors,
    )
)]
pub async fn put(
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

/// Remove a user from an organization.
///
/// The user and the organization stay.
#[utoipa::path(
    delete,
    path = "/v1/users/{userId}/memberships/{organizationId}",
    tag = "organizations",
    operation_id = "DeleteUserMembership",
    security(("oauth2" = ["organizations:admin"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, OrganizationPath),
    responses(
        (status = 204, description = "Removed"),
        CommonErrors,
    )
)]
pub async fn delete(
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
