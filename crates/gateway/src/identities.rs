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
use crate::problem::ApiError;
use crate::users::json::{IdentityJson, RoleJson, UserJson};

/// LinkUserToTenant body: all required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkBody {
    pub strategy: String,
    pub azo_user_id: String,
    pub azo_connection_id: String,
}

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
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncBody {
    pub audience: String,
    pub attributes: Vec<SyncAttribute>,
    pub connection: SyncConnection,
    #[serde(default)]
    pub client_upn_key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SyncAttribute {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncConnection {
    pub groups: Vec<String>,
    pub connection_id: String,
}

/// SyncUserIdentity answer.
#[derive(Debug, Serialize)]
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
