//! `/scim/v2/Users`: create, read, replace (PUT), PATCH, delete and list SCIM Users, each
//! through [`Directory`]. Writes honour `If-Match` (412 on a stale version); every answer
//! carries the resource's version as its `ETag`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse as _;
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use nexus_scim::mapping::{from_scim, to_scim};
use nexus_scim::patch::{PatchRequest, apply_patch};
use nexus_scim::projection::{parse_attribute_list, project};
use nexus_scim::resource::normalize;
use nexus_scim::schema::USER_RESOURCE;

use super::directory::{Directory, nexus_user};
use super::discovery::present;
use super::list::list_users;
use super::request::Params;
use super::request::{check_if_match, json_body, params, version};
use super::{Answer, base_url, reply};
use crate::AppState;

/// The resource answer of a stored user, with its `ETag` (and `Location` when created).
fn user_reply(user: &pb::User, base: &str, status: StatusCode, shape: Option<&Params>) -> Answer {
    let document = to_scim(&nexus_user(user), base);
    let mut headers = vec![(header::ETAG, version(&document))];
    if status == StatusCode::CREATED {
        headers.push((
            header::LOCATION,
            document["meta"]["location"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ));
    }
    let presented = present(document);
    let body = match shape {
        Some(params) => {
            let attributes = parse_attribute_list(params.get("attributes").unwrap_or_default())?;
            let excluded =
                parse_attribute_list(params.get("excludedAttributes").unwrap_or_default())?;
            project(&presented, &USER_RESOURCE, &attributes, &excluded)
        }
        None => presented,
    };
    Ok(reply(status, &body, &headers))
}

/// `POST /Users`: 201 with the created user; 409 `uniqueness` for a taken userName or email.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let resource = normalize(&json_body(&body)?, &USER_RESOURCE)?;
    let user = from_scim(&resource)?;
    let created = Directory::new(&state, &principal).create(&user).await?;
    user_reply(&created, &base_url(&headers), StatusCode::CREATED, None)
}

/// `GET /Users/{id}`, with `attributes` / `excludedAttributes`.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let user = Directory::new(&state, &principal).get(&id).await?;
    user_reply(&user, &base_url(&headers), StatusCode::OK, Some(&params))
}

/// `PUT /Users/{id}`: the body replaces the user (absent attributes are cleared).
pub async fn replace(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let base = base_url(&headers);
    let resource = normalize(&json_body(&body)?, &USER_RESOURCE)?;
    let user = from_scim(&resource)?;
    let directory = Directory::new(&state, &principal);
    let current = directory.get(&id).await?;
    check_if_match(&headers, &to_scim(&nexus_user(&current), &base))?;
    let stored = directory.replace(&current, &user).await?;
    user_reply(&stored, &base, StatusCode::OK, None)
}

/// `PATCH /Users/{id}`: the operations apply to the current representation, all or none.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let base = base_url(&headers);
    let request = PatchRequest::from_json(&json_body(&body)?)?;
    let directory = Directory::new(&state, &principal);
    let current = directory.get(&id).await?;
    let document = to_scim(&nexus_user(&current), &base);
    check_if_match(&headers, &document)?;
    let patched = apply_patch(&document, &request, &USER_RESOURCE)?;
    let user = from_scim(&patched)?;
    let stored = directory.replace(&current, &user).await?;
    user_reply(&stored, &base, StatusCode::OK, None)
}

/// `DELETE /Users/{id}`: 204. With `If-Match`, identity deletes the user only at the
/// version whose representation matched, so a change in between is 412.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let directory = Directory::new(&state, &principal);
    let current = directory.get(&id).await?;
    let mut expected = None;
    if headers.contains_key(header::IF_MATCH) {
        check_if_match(
            &headers,
            &to_scim(&nexus_user(&current), &base_url(&headers)),
        )?;
        expected = Some(current.version);
    }
    directory.delete(&id, expected).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /Users` with `filter`, `startIndex`, `count`, `sortBy`, `sortOrder`, `attributes`
/// and `excludedAttributes`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let body = list_users(
        &Directory::new(&state, &principal),
        &params,
        &base_url(&headers),
    )
    .await?;
    Ok(reply(StatusCode::OK, &body, &[]))
}

/// `POST /Users/.search` (RFC 7644 §3.4.3): the list query in a `SearchRequest` body.
pub async fn search(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = Params::from_search(&json_body(&body)?)?;
    let body = list_users(
        &Directory::new(&state, &principal),
        &params,
        &base_url(&headers),
    )
    .await?;
    Ok(reply(StatusCode::OK, &body, &[]))
}
