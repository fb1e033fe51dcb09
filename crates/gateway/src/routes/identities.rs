//! `/v1/users/{userId}/idp_tenants/…`: a user's identities, one per
//! identity-provider tenant it is linked to (LinkUserToTenant, unlink, list).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::api::body::{ApiJson, int32_param};
use crate::api::json::IdentityJson;
use crate::api::params::{IdpTenantPath, UserPath};
use crate::api::problem::{ApiError, CommonErrors, ConflictError};

/// LinkUserToTenant body: all required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkBody {
    /// The Auth0 connection strategy.
    #[schema(min_length = 1, max_length = 25, pattern = "nexus:text")]
    pub strategy: String,
    /// The user's id in that Auth0 tenant.
    #[schema(min_length = 1, max_length = 250, pattern = "nexus:text")]
    pub azo_user_id: String,
    /// Id or name of the Auth0 connection.
    #[schema(min_length = 1, max_length = 50, pattern = "nexus:text")]
    pub azo_connection_id: String,
}

/// Link a user to an IdP tenant.
///
/// Creates or updates the user's identity in that tenant.
#[utoipa::path(
    put,
    path = "/v1/users/{userId}/idp_tenants/{idpTenantId}",
    tag = "identities",
    operation_id = "LinkUserToTenant",
    security(("oauth2" = ["identities:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, IdpTenantPath),
    request_body = LinkBody,
    responses(
        (
            status = 200,
            description = "The identity, filled from the IdP tenant record",
            body = IdentityJson
        ),
        ConflictError,
        CommonErrors,
    )
)]
pub async fn link(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, tenant)): Path<(String, String)>,
    ApiJson(body): ApiJson<LinkBody>,
) -> Result<axum::Json<IdentityJson>, ApiError> {
    let idp_tenant_id = int32_param("idpTenantId", &tenant)?;
    let request = state.identity_request(
        &principal,
        pb::LinkIdentityRequest {
            user_id,
            idp_tenant_id,
            strategy: body.strategy,
            azo_user_id: body.azo_user_id,
            azo_connection_id: body.azo_connection_id,
        },
    );
    Ok(axum::Json(
        state
            .identity()
            .link_identity(request)
            .await?
            .into_inner()
            .into(),
    ))
}

/// Unlink a user from an IdP tenant.
///
/// Removes the user's identity in that tenant with its groups.
#[utoipa::path(
    delete,
    path = "/v1/users/{userId}/idp_tenants/{idpTenantId}",
    tag = "identities",
    operation_id = "UnlinkUserFromTenant",
    security(("oauth2" = ["identities:write"], "applicationToken" = []), ("basic" = [])),
    params(UserPath, IdpTenantPath),
    responses(
        (status = 204, description = "Unlinked"),
        CommonErrors,
    )
)]
pub async fn unlink(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((user_id, tenant)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let idp_tenant_id = int32_param("idpTenantId", &tenant)?;
    let request = state.identity_request(
        &principal,
        pb::UnlinkIdentityRequest {
            user_id,
            idp_tenant_id,
        },
    );
    state.identity().unlink_identity(request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a user's identities.
///
/// One per IdP tenant the user is linked to, with its groups.
#[utoipa::path(
    get,
    path = "/v1/users/{userId}/idp_tenants",
    tag = "identities",
    operation_id = "ListUserIdpTenants",
    security(("oauth2" = ["users:read"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    responses(
        (
            status = 200,
            description = "The user's identities, one per linked IdP tenant",
            body = Vec<IdentityJson>
        ),
        CommonErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<Vec<IdentityJson>>, ApiError> {
    let request = state.identity_request(&principal, pb::ListIdentitiesRequest { user_id });
    let list = state
        .identity()
        .list_identities(request)
        .await?
        .into_inner();
    Ok(axum::Json(
        list.identities.into_iter().map(Into::into).collect(),
    ))
}
