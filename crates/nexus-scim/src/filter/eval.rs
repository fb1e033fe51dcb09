//! Evaluating a filter against a resource document (RFC 7644 §3.4.2.2).
//!
//! Strings compare case-insensitively unless the schema marks the attribute `caseExact`
//! (`id`, `externalId`, member `value`); `dateTime` attributes compare as instants; a
//! multi-valued attribute matches when any of its values does; a complex multi-valued
//! attribute named without a sub-attribute (`emails co "x"`) compares its `value`s.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{AttrPath, CompareOp, Filter};
use crate::json::get_ci;
use crate::schema::{AttributeDef, AttributeType, Container, ResourceType};
use crate::{ScimError, ScimType};

#[derive(Clone, Copy)]
enum Scope<'a> {
    Resource(&'a ResourceType),
    /// Inside `attr[ … ]`: names are sub-attributes of the bracketed attribute.
    Sub(&'static [AttributeDef]),
}

impl Filter {
    /// Whether `resource` matches. Errors (`invalidFilter`) for comparisons the RFC forbids,
    /// such as `gt` on a boolean.
    pub fn matches(
        &self,
        resource: &Value,
        resource_type: &ResourceType,
    ) -> Result<bool, ScimError> {
        eval(self, resource, Scope::Resource(resource_type))
    }
}

/// Whether one element of a multi-valued complex attribute matches a value filter whose paths
/// name the attribute's sub-attributes (`emails[type eq "work"]`).
pub(crate) fn element_matches(
    filter: &Filter,
    element: &Value,
    sub_attributes: &'static [AttributeDef],
) -> Result<bool, ScimError> {
    eval(filter, element, Scope::Sub(sub_attributes))
}

fn eval(filter: &Filter, object: &Value, scope: Scope<'_>) -> Result<bool, ScimError> {
    match filter {
        Filter::And(a, b) => Ok(eval(a, object, scope)? && eval(b, object, scope)?),
        Filter::Or(a, b) => Ok(eval(a, object, scope)? || eval(b, object, scope)?),
        Filter::Not(inner) => Ok(!eval(inner, object, scope)?),
        Filter::Present(path) => {
            let (values, _) = values(object, path, scope, true);
            Ok(values.into_iter().any(is_present))
        }
        Filter::Compare { path, op, value } => {
            let (values, def) = values(object, path, scope, true);
            compare_any(&values, *op, value, def)
        }
        Filter::ValuePath { path, filter } => {
            let (elements, def) = values(object, path, scope, false);
            let subs = def.map_or(&[][..], |d| d.sub_attributes);
            for element in elements {
                if eval(filter, element, Scope::Sub(subs))? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn flatten(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().filter(|v| !v.is_null()).collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// The values a path designates in `object`, and the definition that governs comparing them.
fn values<'v>(
    object: &'v Value,
    path: &AttrPath,
    scope: Scope<'_>,
    implicit_value: bool,
) -> (Vec<&'v Value>, Option<&'static AttributeDef>) {
    let (base, attribute, sub_attribute) = match scope {
        Scope::Resource(resource_type) => match resource_type.resolve(path) {
            Some(resolved) => {
                let base = match resolved.container {
                    Container::Core => Some(object),
                    Container::Extension(schema) => get_ci(object, schema.id),
                };
                (base, Some(resolved.attribute), resolved.sub_attribute)
            }
            None => {
                let base = match path.urn.as_deref() {
                    Some(urn) if !urn.eq_ignore_ascii_case(resource_type.schema.id) => {
                        get_ci(object, urn)
                    }
                    _ => Some(object),
                };
                (base, None, None)
            }
        },
        Scope::Sub(defs) => {
            let def = defs
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(&path.name));
            (Some(object), def, None)
        }
    };
    let mut found = base
        .and_then(|b| get_ci(b, &path.name))
        .map(flatten)
        .unwrap_or_default();
    let mut def = attribute;
    if let Some(sub) = &path.sub_attr {
        found = found
            .into_iter()
            .filter_map(|v| get_ci(v, sub))
            .flat_map(flatten)
            .collect();
        def = sub_attribute;
    } else if implicit_value && attribute.is_some_and(|a| a.ty == AttributeType::Complex) {
        found = found
            .into_iter()
            .filter_map(|v| get_ci(v, "value"))
            .flat_map(flatten)
            .collect();
        def = attribute.and_then(|a| a.sub_attribute("value"));
    }
    (found, def)
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => true,
    }
}

fn compare_any(
    values: &[&Value],
    op: CompareOp,
    expected: &Value,
    def: Option<&AttributeDef>,
) -> Result<bool, ScimError> {
    if op == CompareOp::Ne {
        return Ok(!compare_any(values, CompareOp::Eq, expected, def)?);
    }
    if expected.is_null() {
        return Ok(op == CompareOp::Eq && values.is_empty());
    }
    for value in values {
        if compare_one(value, op, expected, def)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn ordered(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn parse_instant(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

fn compare_one(
    actual: &Value,
    op: CompareOp,
    expected: &Value,
    def: Option<&AttributeDef>,
) -> Result<bool, ScimError> {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            if def.is_some_and(|d| d.ty == AttributeType::DateTime)
                && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
                && let (Some(a), Some(e)) = (parse_instant(a), parse_instant(e))
            {
                return Ok(ordered(op, a.cmp(&e)));
            }
            Ok(compare_strings(a, e, op, def.is_some_and(|d| d.case_exact)))
        }
        (Value::Number(a), Value::Number(e)) => {
            let (Some(a), Some(e)) = (a.as_f64(), e.as_f64()) else {
                return Ok(false);
            };
            Ok(a.partial_cmp(&e).is_some_and(|o| ordered(op, o)))
        }
        (Value::Bool(a), Value::Bool(e)) => bool_compare(*a, *e, op),
        // Some clients quote booleans (`active eq "true"`); read them as booleans.
        (Value::Bool(a), Value::String(e)) => match e.to_ascii_lowercase().as_str() {
            "true" => bool_compare(*a, true, op),
            "false" => bool_compare(*a, false, op),
            _ => Ok(false),
        },
        _ => Ok(false),
    }
}

fn bool_compare(actual: bool, expected: bool, op: CompareOp) -> Result<bool, ScimError> {
    match op {
        CompareOp::Eq => Ok(actual == expected),
        CompareOp::Ne => Ok(actual != expected),
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            Err(ScimError::bad_request(
                ScimType::InvalidFilter,
                format!("'{}' cannot compare booleans", op.keyword()),
            ))
        }
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => Ok(false),
    }
}

fn compare_strings(actual: &str, expected: &str, op: CompareOp, case_exact: bool) -> bool {
    let (a, e) = if case_exact {
        (actual.to_owned(), expected.to_owned())
    } else {
        (actual.to_lowercase(), expected.to_lowercase())
    };
    match op {
        CompareOp::Co => a.contains(&e),
        CompareOp::Sw => a.starts_with(&e),
        CompareOp::Ew => a.ends_with(&e),
        other => ordered(other, a.cmp(&e)),
    }
}
