//! The value-level steps PATCH operations share: the container of an attribute, the elements
//! of multi-valued attributes, the `primary` rule, and setting or unsetting an attribute.

use serde_json::{Map, Value};

use super::coerce::coerce_single;
use crate::ScimError;
use crate::filter::{CompareOp, Filter, element_matches};
use crate::json::{get_ci, get_in, remove_ci, set_ci, stored_key};
use crate::schema::{AttributeDef, Container};

pub(super) fn container_mut(
    doc: &mut Map<String, Value>,
    container: Container,
) -> Result<&mut Map<String, Value>, ScimError> {
    let Container::Extension(schema) = container else {
        return Ok(doc);
    };
    let key = stored_key(doc, schema.id).unwrap_or_else(|| schema.id.to_owned());
    let entry = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if entry.is_null() {
        *entry = Value::Object(Map::new());
    }
    entry
        .as_object_mut()
        .ok_or_else(|| ScimError::invalid_value(format!("{} is not an object", schema.id)))
}

pub(super) fn existing_items(holder: &Map<String, Value>, attribute: &AttributeDef) -> Vec<Value> {
    match get_in(holder, attribute.name) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(single) => vec![single.clone()],
    }
}

pub(super) fn matching(
    items: &[Value],
    attribute: &AttributeDef,
    filter: &Filter,
) -> Result<Vec<usize>, ScimError> {
    let mut matched = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if element_matches(filter, item, attribute.sub_attributes)? {
            matched.push(index);
        }
    }
    Ok(matched)
}

/// The element a filter of `eq` tests describes (`type eq "work"` → `{"type": "work"}`).
pub(super) fn template(filter: &Filter, attribute: &AttributeDef) -> Option<Value> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.urn.is_none() && path.sub_attr.is_none() => {
            let sub = attribute.sub_attribute(&path.name)?;
            let mut map = Map::new();
            map.insert(sub.name.to_owned(), coerce_single(sub, value).ok()?);
            Some(Value::Object(map))
        }
        Filter::And(a, b) => {
            let (Value::Object(mut left), Value::Object(right)) =
                (template(a, attribute)?, template(b, attribute)?)
            else {
                return None;
            };
            left.extend(right);
            Some(Value::Object(left))
        }
        _ => None,
    }
}

pub(super) fn merge_into(element: &mut Value, sub: Option<&AttributeDef>, new: Value) {
    match (sub, new) {
        (Some(sub), new) => set_sub(element, sub, &new),
        (None, Value::Object(fields)) => {
            if let Value::Object(map) = element {
                for (key, value) in fields {
                    set_ci(map, &key, value);
                }
            }
        }
        (None, other) => *element = other,
    }
}

pub(super) fn set_sub(element: &mut Value, sub: &AttributeDef, value: &Value) {
    if let Value::Object(map) = element {
        if value.is_null() {
            remove_ci(map, sub.name);
        } else {
            set_ci(map, sub.name, value.clone());
        }
    }
}

pub(super) fn is_primary(element: &Value) -> bool {
    get_ci(element, "primary") == Some(&Value::Bool(true))
}

pub(super) fn clear_primary(items: &mut [Value]) {
    for item in items.iter_mut().filter(|i| is_primary(i)) {
        if let Value::Object(map) = item {
            set_ci(map, "primary", Value::Bool(false));
        }
    }
}

/// Two elements are the same member when their `value`s are equal (as the schema compares
/// them), or when they are equal as a whole.
pub(super) fn same_element(a: &Value, b: &Value, attribute: &AttributeDef) -> bool {
    match (get_ci(a, "value"), get_ci(b, "value")) {
        (Some(Value::String(x)), Some(Value::String(y))) => {
            let exact = attribute
                .sub_attribute("value")
                .is_some_and(|d| d.case_exact);
            if exact {
                x == y
            } else {
                x.to_lowercase() == y.to_lowercase()
            }
        }
        _ => a == b,
    }
}

/// Stores a value under the canonical name; empty lists and objects unset the attribute.
pub(super) fn set(
    holder: &mut Map<String, Value>,
    attribute: &AttributeDef,
    value: Value,
) -> Result<(), ScimError> {
    let empty = match &value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    };
    if empty {
        return unset(holder, attribute);
    }
    set_ci(holder, attribute.name, value);
    Ok(())
}

pub(super) fn unset(
    holder: &mut Map<String, Value>,
    attribute: &AttributeDef,
) -> Result<(), ScimError> {
    if attribute.required {
        return Err(ScimError::invalid_value(format!(
            "{} is required",
            attribute.name
        )));
    }
    remove_ci(holder, attribute.name);
    Ok(())
}
