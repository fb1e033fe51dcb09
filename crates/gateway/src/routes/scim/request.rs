//! Reading SCIM requests, shared by Users and Groups: the JSON body, the query
//! parameters and the `If-Match` precondition.

use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderMap, header};
use nexus_scim::ScimError;
use nexus_scim::filter::{AttrPath, Filter};
use nexus_scim::projection::{SortOrder, parse_attribute_list};
use nexus_scim::response::{Page, if_match_allows};
use serde_json::Value;

use super::Failure;
use super::discovery::MAX_RESULTS;

/// The request body as JSON, or 400 `invalidSyntax`.
pub fn json_body(body: &Bytes) -> Result<Value, Failure> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not JSON: {e}")).into())
}

/// The query parameters, or 400 `invalidValue`.
pub fn params(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Params, Failure> {
    query
        .map(|Query(pairs)| Params(pairs))
        .map_err(|_| ScimError::invalid_value("the query string cannot be read").into())
}

/// `meta.version` of a resource document.
pub fn version(document: &Value) -> String {
    document["meta"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// 412 when `If-Match` names another version than the resource's.
pub fn check_if_match(headers: &HeaderMap, document: &Value) -> Result<(), Failure> {
    let Some(if_match) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let allowed = if_match
        .to_str()
        .is_ok_and(|tag| if_match_allows(tag, &version(document)));
    if allowed { Ok(()) } else { Err(stale()) }
}

/// The answer to a write whose resource changed since the version it names.
pub fn stale() -> Failure {
    ScimError::status(
        412,
        "the resource has changed since the version If-Match names",
    )
    .into()
}

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

/// The parameters of a list or search, Users and Groups alike, each checked:
/// the filter, the page, the sort and the projection.
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub page: Page,
    pub sort_by: Option<AttrPath>,
    pub order: SortOrder,
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl ListQuery {
    /// Reads `filter`, `startIndex`, `count` (at most [`MAX_RESULTS`]), `sortBy`,
    /// `sortOrder`, `attributes` and `excludedAttributes`; 400 for the first that is
    /// malformed.
    pub fn from_params(params: &Params) -> Result<Self, Failure> {
        Ok(Self {
            filter: params.get("filter").map(Filter::parse).transpose()?,
            page: Page::from_query(
                params.integer("startIndex")?,
                params.integer("count")?,
                MAX_RESULTS,
            ),
            sort_by: params.get("sortBy").map(AttrPath::parse).transpose()?,
            order: SortOrder::parse(params.get("sortOrder"))?,
            attributes: parse_attribute_list(params.get("attributes").unwrap_or_default())?,
            excluded: parse_attribute_list(params.get("excludedAttributes").unwrap_or_default())?,
        })
    }
}
