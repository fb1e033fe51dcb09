//! `PUT /v1/users/{userId}/$sync` (SyncUserIdentity): what an identity
//! provider's login action sends, applied to the user's identity, attributes
//! and groups; answered with the user and its claims.

use axum::Extension;
use axum::extract::{Path, State};
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::json::{RoleJson, UserJson};
use crate::api::params::UserPath;
use crate::api::problem::{ApiError, CommonErrors};
use crate::api::schema::GroupName;

/// SyncUserIdentity body. `attributes`, `audience` and `connection` are
/// required; unknown fields are ignored (IdP actions may send more).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncBody {
    /// The API or application the login is for.
    #[schema(min_length = 1, max_length = 1024, pattern = "nexus:text")]
    pub audience: String,
    #[schema(max_items = 1000)]
    pub attributes: Vec<SyncAttribute>,
    pub connection: SyncConnection,
    /// The Auth0 client's `app_upn_key`.
    #[serde(default)]
    #[schema(max_length = 255, pattern = "nexus:text")]
    pub client_upn_key: Option<String>,
}

/// An attribute the login brings.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SyncAttribute {
    #[schema(min_length = 1, max_length = 255, pattern = "nexus:text")]
    pub key: String,
    #[serde(default)]
    #[schema(max_length = 4096, pattern = "nexus:text")]
    pub value: Option<String>,
}

/// The connection the login came through, with its groups.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncConnection {
    /// The identity's groups become exactly these.
    #[schema(max_items = 1000, value_type = Vec<GroupName>)]
    pub groups: Vec<String>,
    /// The identity's `azoConnectionId`.
    #[schema(min_length = 1, max_length = 50, pattern = "nexus:text")]
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

/// Sync a user's identity at login.
///
/// Applies what the identity provider's login action sends: the identity of
/// the connection, its groups and the user's attributes.
#[utoipa::path(
    put,
    path = "/v1/users/{userId}/$sync",
    tag = "identities",
    operation_id = "SyncUserIdentity",
    security(("oauth2" = ["users:sync"], "applicationToken" = []), ("basic" = [])),
    params(UserPath),
    request_body = SyncBody,
    responses(
        (status = 200, description = "The user after the sync and its claims", body = SyncAnswer),
        CommonErrors,
    )
)]
pub async fn sync_user(
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
