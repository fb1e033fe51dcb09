//! Listing Users: a filter that names one indexed key (`userName eq`, `emails.value eq`,
//! `externalId eq`, `id eq` — what provisioning clients send before every create) is a lookup in identity;
//! any other filter is evaluated over the users, read page by page up to [`SCAN_LIMIT`]
//! (past it the answer is 400 `tooMany`, asking for a narrower filter). The matches are then
//! sorted, paged with `startIndex` / `count` and projected.

use nexus_proto::identity::v1 as pb;
use nexus_scim::filter::{Filter, LookupKey};
use nexus_scim::mapping::{EXTERNAL_ID_ATTRIBUTE, to_scim};
use nexus_scim::projection::{project, sort_resources};
use nexus_scim::response::list_response;
use nexus_scim::schema::USER_RESOURCE;
use nexus_scim::{ScimError, ScimType};
use serde_json::Value;

use super::Failure;
use super::directory::{Directory, nexus_user};
use super::discovery::present;
use super::request::{ListQuery, Params};

/// The most users a filter without an indexed key is evaluated over.
pub const SCAN_LIMIT: usize = 10_000;

/// The list response of `GET /Users`.
pub async fn list_users(
    directory: &Directory<'_>,
    params: &Params,
    base: &str,
) -> Result<Value, Failure> {
    let query = ListQuery::from_params(params)?;

    let candidates = candidates(directory, query.filter.as_ref()).await?;
    let mut matches = Vec::with_capacity(candidates.len());
    for user in &candidates {
        let document = to_scim(&nexus_user(user), base);
        let keep = match &query.filter {
            Some(filter) => filter.matches(&document, &USER_RESOURCE)?,
            None => true,
        };
        if keep {
            matches.push(document);
        }
    }
    if let Some(sort_by) = &query.sort_by {
        sort_resources(&mut matches, sort_by, query.order, &USER_RESOURCE);
    }
    let resources = query
        .page
        .slice(&matches)
        .iter()
        .map(|d| {
            project(
                &present(d.clone()),
                &USER_RESOURCE,
                &query.attributes,
                &query.excluded,
            )
        })
        .collect();
    Ok(list_response(
        resources,
        matches.len(),
        query.page.start_index,
    ))
}

/// The users a filter can match: the lookup's answer, or every user up to the bound.
async fn candidates(
    directory: &Directory<'_>,
    filter: Option<&Filter>,
) -> Result<Vec<pb::User>, Failure> {
    match filter.and_then(Filter::lookup_key) {
        Some(LookupKey::UserName(name)) => directory.by_username(name.trim()).await,
        Some(LookupKey::Email(email)) => directory.by_email(email.trim()).await,
        Some(LookupKey::Id(id)) => Ok(directory.find(&id).await?.into_iter().collect()),
        Some(LookupKey::ExternalId(id)) => directory.by_attribute(EXTERNAL_ID_ATTRIBUTE, &id).await,
        _ => scan(directory).await,
    }
}

async fn scan(directory: &Directory<'_>) -> Result<Vec<pb::User>, Failure> {
    let mut users = Vec::new();
    let mut cursor = String::new();
    loop {
        let (page, next) = directory.page(&cursor, None, None).await?;
        users.extend(page);
        if users.len() > SCAN_LIMIT {
            return Err(ScimError::bad_request(
                ScimType::TooMany,
                format!(
                    "the filter would be evaluated over more than {SCAN_LIMIT} users; filter by userName, emails or id"
                ),
            )
            .into());
        }
        match next {
            Some(next) => cursor = next,
            None => return Ok(users),
        }
    }
}
