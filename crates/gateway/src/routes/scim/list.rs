//! Listing Users: a filter that names one indexed key (`userName eq`, `emails.value eq`,
//! `externalId eq`, `id eq` — what provisioning clients send before every create) is a lookup in identity;
//! any other filter is evaluated over the users, read page by page up to [`SCAN_LIMIT`]
//! (past it the answer is 400 `tooMany`, asking for a narrower filter). The matches are then
//! sorted, paged with `startIndex` / `count` and projected.

use nexus_proto::identity::v1 as pb;
use nexus_scim::filter::{AttrPath, Filter, LookupKey};
use nexus_scim::mapping::{EXTERNAL_ID_ATTRIBUTE, to_scim};
use nexus_scim::projection::{SortOrder, parse_attribute_list, project, sort_resources};
use nexus_scim::response::{Page, list_response};
use nexus_scim::schema::USER_RESOURCE;
use nexus_scim::{ScimError, ScimType};
use serde_json::Value;

use super::Failure;
use super::directory::{Directory, nexus_user};
use super::discovery::{MAX_RESULTS, present};

/// The most users a filter without an indexed key is evaluated over.
pub const SCAN_LIMIT: usize = 10_000;

/// Query parameters; names compare case-insensitively, as SCIM clients vary their case.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The parameters of a `SearchRequest` body: the same names, `attributes` and
    /// `excludedAttributes` as lists, `startIndex` and `count` as numbers.
    pub fn from_search(body: &Value) -> Result<Self, Failure> {
        let Value::Object(members) = body else {
            return Err(ScimError::invalid_syntax("a SearchRequest must be a JSON object").into());
        };
        let mut pairs = Vec::new();
        for (key, value) in members {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| ScimError::invalid_value(format!("{key} must list strings")))?
                    .join(","),
                Value::Null => continue,
                _ if key.eq_ignore_ascii_case("schemas") => continue,
                _ => {
                    return Err(
                        ScimError::invalid_value(format!("{key} has the wrong type")).into(),
                    );
                }
            };
            if !key.eq_ignore_ascii_case("schemas") {
                pairs.push((key.clone(), text));
            }
        }
        Ok(Self(pairs))
    }

    pub(super) fn integer(&self, name: &str) -> Result<Option<i64>, Failure> {
        self.get(name)
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    Failure(ScimError::invalid_value(format!(
                        "{name} must be an integer"
                    )))
                })
            })
            .transpose()
    }
}

/// The list response of `GET /Users`.
pub async fn list_users(
    directory: &Directory<'_>,
    params: &Params,
    base: &str,
) -> Result<Value, Failure> {
    let filter = params.get("filter").map(Filter::parse).transpose()?;
    let page = Page::from_query(
        params.integer("startIndex")?,
        params.integer("count")?,
        MAX_RESULTS,
    );
    let sort_by = params.get("sortBy").map(AttrPath::parse).transpose()?;
    let order = SortOrder::parse(params.get("sortOrder"))?;
    let attributes = parse_attribute_list(params.get("attributes").unwrap_or_default())?;
    let excluded = parse_attribute_list(params.get("excludedAttributes").unwrap_or_default())?;

    let candidates = candidates(directory, filter.as_ref()).await?;
    let mut matches = Vec::with_capacity(candidates.len());
    for user in &candidates {
        let document = to_scim(&nexus_user(user), base);
        let keep = match &filter {
            Some(filter) => filter.matches(&document, &USER_RESOURCE)?,
            None => true,
        };
        if keep {
            matches.push(document);
        }
    }
    if let Some(sort_by) = &sort_by {
        sort_resources(&mut matches, sort_by, order, &USER_RESOURCE);
    }
    let resources = page
        .slice(&matches)
        .iter()
        .map(|d| project(&present(d.clone()), &USER_RESOURCE, &attributes, &excluded))
        .collect();
    Ok(list_response(resources, matches.len(), page.start_index))
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
