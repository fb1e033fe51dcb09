//! Lists: the query every list takes (`limit`, `cursor` and the list's own
//! filters) and the page answered by the lists that page in the body.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
use utoipa::openapi::{ObjectBuilder, Required};
use utoipa::{IntoParams, ToSchema};

use crate::api::problem::ApiError;

/// What sets one list's query apart: its bounds, how its cursor looks and
/// which filters it takes.
pub trait Listing {
    /// The largest page.
    const MAX_LIMIT: u32;
    /// How `limit` is documented (its default, what it turns on).
    const LIMIT_DOC: &'static str;
    /// How `cursor` is documented (where the caller finds it).
    const CURSOR_DOC: &'static str = "`nextCursor` of the previous page.";
    /// The pattern a cursor of this list follows, when it has one.
    const CURSOR_PATTERN: Option<&'static str>;
    /// The list's filters: every other query key.
    type Filter: DeserializeOwned + IntoParams;
}

/// A list without filters.
#[derive(Debug, serde::Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoFilter {}

/// The query of a list of `L`: `limit` 0 when absent (the service's
/// default), `cursor` empty when absent.
#[derive(Debug)]
pub struct PageQuery<L: Listing> {
    pub limit: u32,
    pub cursor: String,
    pub filter: L::Filter,
    listing: PhantomData<L>,
}

/// A `cursor` query value: absent, or the non-empty `nextCursor` of a page.
///
/// # Errors
/// 400 for an empty cursor.
pub fn cursor(raw: Option<String>) -> Result<String, ApiError> {
    match raw {
        Some(c) if c.is_empty() => Err(ApiError::bad_request("cursor: must not be empty")),
        other => Ok(other.unwrap_or_default()),
    }
}

impl<L: Listing> PageQuery<L> {
    /// The query of `pairs`, checked against the list's bounds.
    ///
    /// # Errors
    /// 400 naming the parameter.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let (mut limit, mut raw_cursor, mut filters) = (None, None, Map::new());
        for (key, value) in pairs {
            let repeated = match key.as_str() {
                "limit" => limit.replace(value).is_some(),
                "cursor" => raw_cursor.replace(value).is_some(),
                _ => filters.insert(key.clone(), Value::String(value)).is_some(),
            };
            if repeated {
                return Err(ApiError::bad_request(format!(
                    "query: duplicate field `{key}`"
                )));
            }
        }
        let limit = match limit {
            None => 0,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=L::MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!("limit: must be 1 to {}", L::MAX_LIMIT))
                })?,
        };
        let filter = serde_json::from_value(Value::Object(filters))
            .map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
        Ok(Self {
            limit,
            cursor: cursor(raw_cursor)?,
            filter,
            listing: PhantomData,
        })
    }
}

impl<S: Send + Sync, L: Listing> FromRequestParts<S> for PageQuery<L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
        Self::from_pairs(pairs)
    }
}

impl<L: Listing> IntoParams for PageQuery<L> {
    fn into_params(parameter_in_provider: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let limit = ParameterBuilder::new()
            .name("limit")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(L::LIMIT_DOC))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                    .minimum(Some(1))
                    .maximum(Some(L::MAX_LIMIT)),
            ))
            .build();
        let cursor = ParameterBuilder::new()
            .name("cursor")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(L::CURSOR_DOC))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .pattern(L::CURSOR_PATTERN),
            ))
            .build();
        let mut params = vec![limit, cursor];
        params.extend(L::Filter::into_params(parameter_in_provider));
        params
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of the service's `items`, converted to their JSON shape.
    pub fn of<P>(items: Vec<P>, next_cursor: Option<String>) -> Self
    where
        T: From<P>,
    {
        Self {
            items: items.into_iter().map(T::from).collect(),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Small;

    impl Listing for Small {
        const MAX_LIMIT: u32 = 5;
        const LIMIT_DOC: &'static str = "Page size.";
        const CURSOR_PATTERN: Option<&'static str> = None;
        type Filter = NoFilter;
    }

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn limits_cursors_and_unknown_keys_are_checked() {
        let q = PageQuery::<Small>::from_pairs(pairs(&[("limit", "5"), ("cursor", "c")])).unwrap();
        assert_eq!((q.limit, q.cursor.as_str()), (5, "c"));
        let q = PageQuery::<Small>::from_pairs(Vec::new()).unwrap();
        assert_eq!((q.limit, q.cursor.as_str()), (0, ""));
        for bad in [
            ("limit", "0"),
            ("limit", "6"),
            ("limit", "x"),
            ("cursor", ""),
        ] {
            let e = PageQuery::<Small>::from_pairs(pairs(&[bad])).unwrap_err();
            assert!(e.detail.starts_with(bad.0), "{}", e.detail);
        }
        let e = PageQuery::<Small>::from_pairs(pairs(&[("unknown", "1")])).unwrap_err();
        assert!(e.detail.contains("unknown"), "{}", e.detail);
        let e =
            PageQuery::<Small>::from_pairs(pairs(&[("limit", "1"), ("limit", "2")])).unwrap_err();
        assert!(e.detail.contains("duplicate field `limit`"), "{}", e.detail);
    }
}
