//! `/scim/v2/Groups`: create, read, replace (PUT), PATCH, delete and list SCIM Groups, each
//! through [`Groups`]. Writes honour `If-Match` (412 on a stale version); every answer
//! carries the group's version as its `ETag`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse as _;
use nexus_domain::Principal;
use nexus_proto::identity::v1 as pb;
use nexus_scim::group::{group_from_scim, group_to_scim};
use nexus_scim::patch::{PatchRequest, apply_patch};
use nexus_scim::projection::{parse_attribute_list, project};
use nexus_scim::resource::normalize;
use nexus_scim::schema::GROUP_RESOURCE;

use super::group_directory::{Groups, nexus_group};
use super::group_list::{list_groups, present_group, shows_members};
use super::request::Params;
use super::request::{check_if_match, json_body, params, version};
use super::{Answer, base_url, reply};
use crate::AppState;

/// The resource answer of a stored group (read with its members), with its `ETag` (and
/// `Location` when created).
fn group_reply(
    group: &pb::DirectoryGroup,
    base: &str,
    status: StatusCode,
    shape: Option<&Params>,
) -> Answer {
    let document = group_to_scim(&nexus_group(group), base, true);
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
    let body = match shape {
        Some(params) => {
            let attributes = parse_attribute_list(params.get("attributes").unwrap_or_default())?;
            let excluded =
                parse_attribute_list(params.get("excludedAttributes").unwrap_or_default())?;
            let document = present_group(document, &attributes);
            project(&document, &GROUP_RESOURCE, &attributes, &excluded)
        }
        None => present_group(document, &[]),
    };
    Ok(reply(status, &body, &headers))
}

/// `POST /Groups`: 201 with the created group; 409 `uniqueness` for a taken displayName,
/// 400 `invalidValue` for a member that is not a user.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let resource = normalize(&json_body(&body)?, &GROUP_RESOURCE)?;
    let group = group_from_scim(&resource)?;
    let created = Groups::new(&state, &principal).create(&group).await?;
    group_reply(&created, &base_url(&headers), StatusCode::CREATED, None)
}

/// `GET /Groups/{id}`, with `attributes` / `excludedAttributes`.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let attributes = parse_attribute_list(params.get("attributes").unwrap_or_default())?;
    let excluded = parse_attribute_list(params.get("excludedAttributes").unwrap_or_default())?;
    let groups = Groups::new(&state, &principal);
    if shows_members(&attributes, &excluded) {
        let group = groups.get(&id, true).await?;
        return group_reply(&group, &base_url(&headers), StatusCode::OK, Some(&params));
    }
    let group = groups.get(&id, false).await?;
    let document = group_to_scim(&nexus_group(&group), &base_url(&headers), false);
    let headers = [(header::ETAG, version(&document))];
    let body = project(&document, &GROUP_RESOURCE, &attributes, &excluded);
    Ok(reply(StatusCode::OK, &body, &headers))
}

/// `PUT /Groups/{id}`: the body replaces the group, members included.
pub async fn replace(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let base = base_url(&headers);
    let resource = normalize(&json_body(&body)?, &GROUP_RESOURCE)?;
    let group = group_from_scim(&resource)?;
    let groups = Groups::new(&state, &principal);
    let current = groups.get(&id, true).await?;
    check_if_match(
        &headers,
        &group_to_scim(&nexus_group(&current), &base, true),
    )?;
    let stored = groups.replace(&current, &group).await?;
    group_reply(&stored, &base, StatusCode::OK, None)
}

/// `PATCH /Groups/{id}`: the operations apply to the current group, all or none, in one
/// identity write.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let base = base_url(&headers);
    let request = PatchRequest::from_json(&json_body(&body)?)?;
    let groups = Groups::new(&state, &principal);
    let current = groups.get(&id, true).await?;
    let document = group_to_scim(&nexus_group(&current), &base, true);
    check_if_match(&headers, &document)?;
    let patched = apply_patch(&document, &request, &GROUP_RESOURCE)?;
    let group = group_from_scim(&patched)?;
    let stored = groups.replace(&current, &group).await?;
    group_reply(&stored, &base, StatusCode::OK, None)
}

/// `DELETE /Groups/{id}`: 204; the group's memberships go with it. With `If-Match`,
/// identity deletes it only at the version named.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let groups = Groups::new(&state, &principal);
    let mut expected = None;
    if headers.contains_key(header::IF_MATCH) {
        let current = groups.get(&id, false).await?;
        check_if_match(
            &headers,
            &group_to_scim(&nexus_group(&current), &base_url(&headers), false),
        )?;
        expected = Some(current.version);
    }
    groups.delete(&id, expected).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /Groups` with `filter`, `startIndex`, `count`, `sortBy`, `sortOrder`,
/// `attributes` and `excludedAttributes`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Answer {
    let params = params(query)?;
    let body = list_groups(
        &Groups::new(&state, &principal),
        &params,
        &base_url(&headers),
    )
    .await?;
    Ok(reply(StatusCode::OK, &body, &[]))
}

/// `POST /Groups/.search` (RFC 7644 §3.4.3): the list query in a `SearchRequest` body.
pub async fn search(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = Params::from_search(&json_body(&body)?)?;
    let body = list_groups(
        &Groups::new(&state, &principal),
        &params,
        &base_url(&headers),
    )
    .await?;
    Ok(reply(StatusCode::OK, &body, &[]))
}
