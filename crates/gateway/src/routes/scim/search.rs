//! `POST /.search` (RFC 7644 §3.4.3) at the root: a search of every resource type, Users
//! then Groups, paged as one list. Each type answers its own part of the page with the
//! same filter, sort and projection, so the page is the slice of "every matching User,
//! then every matching Group" that `startIndex` and `count` name.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use nexus_domain::Principal;
use nexus_scim::response::{Page, list_response};
use serde_json::Value;

use super::directory::Directory;
use super::discovery::MAX_RESULTS;
use super::group_directory::Groups;
use super::group_list::list_groups;
use super::list::list_users;
use super::request::Params;
use super::request::json_body;
use super::{Answer, base_url, reply};
use crate::AppState;

/// `params` with another `startIndex` and `count`.
fn paged(params: &Params, start_index: usize, count: usize) -> Params {
    let mut pairs: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("startIndex") && !k.eq_ignore_ascii_case("count"))
        .cloned()
        .collect();
    pairs.push(("startIndex".to_owned(), start_index.to_string()));
    pairs.push(("count".to_owned(), count.to_string()));
    Params(pairs)
}

fn parts(list: Value) -> (usize, Vec<Value>) {
    let total = list["totalResults"]
        .as_u64()
        .and_then(|t| usize::try_from(t).ok())
        .unwrap_or(0);
    let resources = match list {
        Value::Object(mut map) => match map.remove("Resources") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    (total, resources)
}

pub async fn search_all(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let params = Params::from_search(&json_body(&body)?)?;
    let base = base_url(&headers);
    let page = Page::from_query(
        params.integer("startIndex")?,
        params.integer("count")?,
        MAX_RESULTS,
    );
    let users = list_users(
        &Directory::new(&state, &principal),
        &paged(&params, page.start_index, page.count),
        &base,
    )
    .await?;
    let (user_total, mut resources) = parts(users);
    let group_start = page.start_index.saturating_sub(user_total).max(1);
    let group_count = page.count.saturating_sub(resources.len());
    let groups = list_groups(
        &Groups::new(&state, &principal),
        &paged(&params, group_start, group_count),
        &base,
    )
    .await?;
    let (group_total, group_resources) = parts(groups);
    resources.extend(group_resources);
    let body = list_response(resources, user_total + group_total, page.start_index);
    Ok(reply(StatusCode::OK, &body, &[]))
}
