//! `/v1/users/{userId}/idp_tenants/…` (LinkUserToTenant, unlink, list) and
//! `PUT /v1/users/{userId}/$sync` (SyncUserIdentity).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::extract::{ApiJson, int32_param};
use crate::openapi::{CommonErrors, ConflictError};
use crate::problem::ApiError;
use crate::users::json::{IdentityJson, RoleJson, UserJson};

/// LinkUserToTenant body: all required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkBody {
    /// The Auth0 connection strategy.
    #[schema(
        min_length = 1,
        max_length = 25,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub strategy: String,
    /// The user's id in that Auth0 tenant.
    #[schema(
        min_length = 1,
        max_length = 250,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub azo_user_id: String,
    /// Id or name of the Auth0 connection.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub azo_connection_id: String,
}

#[utoipa::path(put, path = "/v1/users/{userId}/idp_tenants/{idpTenantId}", tag = "identities", operation_id = "LinkUserToTenant", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("idpTenantId" = i32, Path, description = "The IdP tenant's id")), request_body = LinkBody, responses((status = 200, description = "The identity, filled from the IdP tenant record", body = IdentityJson), ConflictError, CommonErrors))]
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

#[utoipa::path(delete, path = "/v1/users/{userId}/idp_tenants/{idpTenantId}", tag = "identities", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$"), ("idpTenantId" = i32, Path, description = "The IdP tenant's id")), responses((status = 204, description = "Unlinked"), CommonErrors))]
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

#[utoipa::path(get, path = "/v1/users/{userId}/idp_tenants", tag = "identities", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), responses((status = 200, body = Vec<IdentityJson>), CommonErrors))]
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

/// SyncUserIdentity body. `attributes`, `audience` and `connection` are
/// required; unknown fields are ignored (IdP actions may send more).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncBody {
    /// The API or application the login is for.
    #[schema(
        min_length = 1,
        max_length = 1024,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub audience: String,
    #[schema(max_items = 1000)]
    pub attributes: Vec<SyncAttribute>,
    pub connection: SyncConnection,
    /// The Auth0 client's `app_upn_key`.
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub client_upn_key: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SyncAttribute {
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub key: String,
    #[serde(default)]
    #[schema(max_length = 4096, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub value: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncConnection {
    /// The identity's groups become exactly these.
    #[schema(max_items = 1000, value_type = Vec<crate::openapi::GroupName>)]
    pub groups: Vec<String>,
    /// The identity's `azoConnectionId`.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub connection_id: String,
}

/// SyncUserIdentity answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncAnswer {
    pub user: UserJson,
    pub roles: Vec<RoleJson>,
    pub user_id: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub is_authenticated: bool,
}

#[utoipa::path(put, path = "/v1/users/{userId}/$sync", tag = "identities", operation_id = "SyncUserIdentity", params(("userId" = String, Path, description = "The user's id", pattern = "^[A-Za-z0-9_-]{1,64}$")), request_body = SyncBody, responses((status = 200, description = "The user after the sync and its claims", body = SyncAnswer), CommonErrors))]
pub async fn sync(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<SyncBody>,
) -> Result<axum::Json<SyncAnswer>, ApiError> {
    let request = state.identity_request(
        &principal,
        pb::SyncUserRequest {
            user_id,
            audience: body.audience,
            attributes: body
                .attributes
                .into_iter()
                .map(|a| pb::SyncAttribute {
                    key: a.key,
                    value: a.value,
                })
                .collect(),
            connection_id: body.connection.connection_id,
            groups: body.connection.groups,
            client_upn_key: body.client_upn_key,
        },
    );
    let answer = state.identity().sync_user(request).await?.into_inner();
    let user = answer
        .user
        .ok_or_else(|| ApiError::internal(&"sync answered without a user"))?;
    Ok(axum::Json(SyncAnswer {
        user: user.into(),
        roles: answer.roles.into_iter().map(Into::into).collect(),
        user_id: answer.user_id,
        given_name: answer.given_name,
        family_name: answer.family_name,
        display_name: answer.display_name,
        is_authenticated: answer.is_authenticated,
    }))
}
