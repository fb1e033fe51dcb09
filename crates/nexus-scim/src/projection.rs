//! Shaping query results (RFC 7644 §3.4.2.3, §3.9): the `attributes` / `excludedAttributes`
//! projection and the `sortBy` / `sortOrder` ordering.
//!
//! `id`, `schemas` and `meta` survive every projection, `returned: never` attributes
//! (`password`) never appear, `returned: request` ones only when named. Sorting follows the
//! attribute's type and case-exactness; a multi-valued attribute sorts by its primary value,
//! else its first; resources without a value come last when ascending and first when
//! descending, as RFC 7644 §3.4.2.3 says.

use std::cmp::Ordering;

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::ScimError;
use crate::filter::AttrPath;
use crate::json::{get_ci, get_in};
use crate::schema::{AttributeDef, AttributeType, Container, ResourceType, Returned};

/// Parses a comma-separated `attributes` / `excludedAttributes` value.
pub fn parse_attribute_list(list: &str) -> Result<Vec<AttrPath>, ScimError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(AttrPath::parse)
        .collect()
}

/// One selected attribute: where it lives, its name and an optional sub-attribute.
struct Selected {
    container: Option<&'static str>,
    name: &'static str,
    sub: Option<&'static str>,
}

fn selections(paths: &[AttrPath], resource_type: &ResourceType) -> Vec<Selected> {
    paths
        .iter()
        .filter_map(|path| {
            if let Some(extension) = resource_type.extension_named_by(path) {
                return Some(Selected {
                    container: Some(extension.id),
                    name: "",
                    sub: None,
                });
            }
            let resolved = resource_type.resolve(path)?;
            let container = match resolved.container {
                Container::Core => None,
                Container::Extension(schema) => Some(schema.id),
            };
            let sub = resolved.sub_attribute.map(|s| s.name);
            Some(Selected {
                container,
                name: resolved.attribute.name,
                sub,
            })
        })
        .collect()
}

/// Applies `attributes` (when non-empty) or else `excludedAttributes` to a resource.
pub fn project(
    resource: &Value,
    resource_type: &ResourceType,
    attributes: &[AttrPath],
    excluded: &[AttrPath],
) -> Value {
    let Value::Object(map) = resource else {
        return resource.clone();
    };
    let included = selections(attributes, resource_type);
    let excluded = selections(excluded, resource_type);
    let include_mode = !attributes.is_empty();
    let mut out = Map::new();
    for (key, value) in map {
        if key.eq_ignore_ascii_case("schemas") {
            out.insert(key.clone(), value.clone());
            continue;
        }
        if let Some(extension) = resource_type.extension(key) {
            let whole = |list: &[Selected]| {
                list.iter()
                    .any(|s| s.container == Some(extension.id) && s.name.is_empty())
            };
            let kept = if include_mode && whole(&included) {
                value.clone()
            } else if !include_mode && whole(&excluded) {
                Value::Null
            } else {
                let Value::Object(inner) = value else {
                    continue;
                };
                let projected = project_members(
                    inner,
                    extension.attributes,
                    Some(extension.id),
                    include_mode,
                    &included,
                    &excluded,
                );
                Value::Object(projected)
            };
            if kept.as_object().is_some_and(|m| !m.is_empty()) {
                out.insert(key.clone(), kept);
            }
            continue;
        }
        let mut single = Map::new();
        single.insert(key.clone(), value.clone());
        let def = resource_type
            .resolve(&AttrPath::new(key, None))
            .map(|r| r.attribute);
        let projected = match def {
            Some(def) => project_members(
                &single,
                std::slice::from_ref(def),
                None,
                include_mode,
                &included,
                &excluded,
            ),
            None if include_mode => Map::new(),
            None => single,
        };
        out.extend(projected);
    }
    Value::Object(out)
}

fn project_members(
    members: &Map<String, Value>,
    defs: &'static [AttributeDef],
    container: Option<&'static str>,
    include_mode: bool,
    included: &[Selected],
    excluded: &[Selected],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in members {
        let Some(def) = defs.iter().find(|d| d.name.eq_ignore_ascii_case(key)) else {
            if !include_mode {
                out.insert(key.clone(), value.clone());
            }
            continue;
        };
        let always =
            def.returned == Returned::Always || (container.is_none() && def.name == "meta");
        if def.returned == Returned::Never {
            continue;
        }
        let named = |list: &[Selected]| {
            list.iter()
                .filter(|s| s.container == container && s.name == def.name)
                .map(|s| s.sub)
                .collect::<Vec<_>>()
        };
        let kept = if always {
            Some(value.clone())
        } else if include_mode {
            let subs = named(included);
            if subs.contains(&None) {
                Some(value.clone())
            } else if subs.is_empty() {
                None
            } else {
                Some(map_elements(value, &|element| {
                    element.retain(|k, _| subs.iter().flatten().any(|s| s.eq_ignore_ascii_case(k)));
                }))
            }
        } else {
            let subs = named(excluded);
            if subs.contains(&None) || def.returned == Returned::Request {
                None
            } else {
                Some(map_elements(value, &|element| {
                    element
                        .retain(|k, _| !subs.iter().flatten().any(|s| s.eq_ignore_ascii_case(k)));
                }))
            }
        };
        if let Some(kept) = kept.filter(|v| !is_empty(v)) {
            out.insert(key.clone(), kept);
        }
    }
    out
}

/// Applies `edit` to a complex value or to each element of a multi-valued one.
fn map_elements(value: &Value, edit: &dyn Fn(&mut Map<String, Value>)) -> Value {
    match value {
        Value::Object(map) => {
            let mut map = map.clone();
            edit(&mut map);
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| map_elements(item, edit))
                .filter(|v| !is_empty(v))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// `sortOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

impl SortOrder {
    /// Reads `sortOrder` case-insensitively; absent means ascending.
    pub fn parse(value: Option<&str>) -> Result<Self, ScimError> {
        match value.map(str::to_ascii_lowercase).as_deref() {
            None | Some("ascending") => Ok(Self::Ascending),
            Some("descending") => Ok(Self::Descending),
            Some(_) => Err(ScimError::invalid_value(
                "sortOrder must be ascending or descending",
            )),
        }
    }
}

/// Sorts resources by `sort_by` (a stable sort, so equal keys keep the store's order).
pub fn sort_resources(
    resources: &mut [Value],
    sort_by: &AttrPath,
    order: SortOrder,
    resource_type: &ResourceType,
) {
    resources.sort_by(|a, b| compare_resources(a, b, sort_by, order, resource_type));
}

/// The order of two resources by `sort_by`; resources without a value sort last when
/// ascending and first when descending (RFC 7644 §3.4.2.3).
pub fn compare_resources(
    a: &Value,
    b: &Value,
    sort_by: &AttrPath,
    order: SortOrder,
    resource_type: &ResourceType,
) -> Ordering {
    let resolved = resource_type.resolve(sort_by);
    let def = resolved.map(|r| r.sub_attribute.unwrap_or(r.attribute));
    let key = |resource: &Value| {
        sort_key(resource, sort_by, resource_type)
            .filter(|v| !is_empty(v))
            .cloned()
    };
    let ascending = match (key(a), key(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_values(&x, &y, def),
    };
    match order {
        SortOrder::Ascending => ascending,
        SortOrder::Descending => ascending.reverse(),
    }
}

fn sort_key<'v>(
    resource: &'v Value,
    path: &AttrPath,
    resource_type: &ResourceType,
) -> Option<&'v Value> {
    let resolved = resource_type.resolve(path)?;
    let holder = match resolved.container {
        Container::Core => resource,
        Container::Extension(schema) => get_ci(resource, schema.id)?,
    };
    let mut value = get_ci(holder, resolved.attribute.name)?;
    if let Value::Array(items) = value {
        value = items
            .iter()
            .find(|i| get_ci(i, "primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?;
    }
    match resolved.sub_attribute {
        Some(sub) => value.as_object().and_then(|m| get_in(m, sub.name)),
        None if resolved.attribute.ty == AttributeType::Complex => get_ci(value, "value"),
        None => Some(value),
    }
}

fn compare_values(a: &Value, b: &Value, def: Option<&AttributeDef>) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if def.is_some_and(|d| d.ty == AttributeType::DateTime)
                && let (Ok(x), Ok(y)) = (
                    DateTime::parse_from_rfc3339(x),
                    DateTime::parse_from_rfc3339(y),
                )
            {
                return x.cmp(&y);
            }
            if def.is_some_and(|d| d.case_exact) {
                x.cmp(y)
            } else {
                x.to_lowercase().cmp(&y.to_lowercase())
            }
        }
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}
