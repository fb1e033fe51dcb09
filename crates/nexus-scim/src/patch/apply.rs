//! The three PATCH operations on a resource document (RFC 7644 §3.5.2.1–3).

use serde_json::{Map, Value};

use super::coerce::{coerce, coerce_single};
use super::target::{Target, qualified};
use super::values::{
    clear_primary, container_mut, existing_items, is_primary, matching, merge_into, same_element,
    set, set_sub, template, unset,
};
use crate::ScimError;
use crate::filter::Filter;
use crate::json::{get_in, remove_ci, set_ci};
use crate::schema::{AttributeDef, AttributeType, Container, Mutability, Schema};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Replace,
}

pub(super) fn add(
    doc: &mut Map<String, Value>,
    target: &Target,
    value: &Value,
) -> Result<(), ScimError> {
    if value.is_null() {
        return Err(ScimError::invalid_value("add needs a value"));
    }
    write(doc, target, value, Mode::Add)
}

pub(super) fn replace(
    doc: &mut Map<String, Value>,
    target: &Target,
    value: &Value,
) -> Result<(), ScimError> {
    write(doc, target, value, Mode::Replace)
}

fn write(
    doc: &mut Map<String, Value>,
    target: &Target,
    value: &Value,
    mode: Mode,
) -> Result<(), ScimError> {
    let (container, attribute, filter, sub) = match target {
        Target::Extension(schema) => return write_extension(doc, schema, value, mode),
        Target::Attribute {
            container,
            attribute,
            filter,
            sub,
        } => (container, *attribute, filter, *sub),
    };
    let holder = container_mut(doc, *container)?;
    let def = sub.unwrap_or(attribute);
    if mode == Mode::Replace
        && def.mutability == Mutability::Immutable
        && get_in(holder, attribute.name).is_some()
    {
        return Err(ScimError::mutability(format!(
            "{} is immutable",
            qualified(attribute, sub)
        )));
    }
    match (filter, sub) {
        (None, None) => write_whole(holder, attribute, value, mode),
        (None, Some(sub)) => write_sub_everywhere(holder, attribute, sub, value),
        (Some(filter), sub) => write_matching(holder, attribute, filter, sub, value, mode),
    }
}

/// `add`/`replace` with an extension URN as path (or key): each member is an attribute.
fn write_extension(
    doc: &mut Map<String, Value>,
    schema: &'static Schema,
    value: &Value,
    mode: Mode,
) -> Result<(), ScimError> {
    let Value::Object(entries) = value else {
        return Err(ScimError::invalid_value(format!(
            "{} expects an object",
            schema.id
        )));
    };
    // Clients that serialise the extension as a resource part send its `schemas` along.
    for (key, value) in entries
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
    {
        let attribute = schema.attribute(key).ok_or_else(|| {
            ScimError::invalid_path(format!("{} has no attribute {key}", schema.id))
        })?;
        let target = Target::Attribute {
            container: Container::Extension(schema),
            attribute,
            filter: None,
            sub: None,
        };
        target.check_writable()?;
        write(doc, &target, value, mode)?;
    }
    Ok(())
}

fn write_whole(
    holder: &mut Map<String, Value>,
    attribute: &AttributeDef,
    value: &Value,
    mode: Mode,
) -> Result<(), ScimError> {
    if value.is_null() {
        return unset(holder, attribute);
    }
    let new = coerce(attribute, value)?;
    if attribute.multi_valued {
        let Value::Array(new_items) = new else {
            return Ok(());
        };
        let mut items = if mode == Mode::Add {
            existing_items(holder, attribute)
        } else {
            Vec::new()
        };
        if new_items.iter().any(is_primary) {
            clear_primary(&mut items);
        }
        for item in new_items {
            if !items.contains(&item) {
                items.push(item);
            }
        }
        return set(holder, attribute, Value::Array(items));
    }
    if let (AttributeType::Complex, Value::Object(new_subs)) = (attribute.ty, &new) {
        // RFC 7644 §3.5.2.3: sub-attributes not named in the value are left unchanged.
        let mut object = match get_in(holder, attribute.name) {
            Some(Value::Object(current)) => current.clone(),
            _ => Map::new(),
        };
        for (key, sub_value) in new_subs {
            set_ci(&mut object, key, sub_value.clone());
        }
        return set(holder, attribute, Value::Object(object));
    }
    set(holder, attribute, new)
}

/// `name.givenName` (single complex) or `emails.type` (every element of a multi-valued one).
fn write_sub_everywhere(
    holder: &mut Map<String, Value>,
    attribute: &AttributeDef,
    sub: &AttributeDef,
    value: &Value,
) -> Result<(), ScimError> {
    let new = coerce_single(sub, value)?;
    if attribute.multi_valued {
        let mut items = existing_items(holder, attribute);
        if items.is_empty() {
            return Err(ScimError::no_target(format!(
                "{} has no values",
                attribute.name
            )));
        }
        for item in &mut items {
            set_sub(item, sub, &new);
        }
        return set(holder, attribute, Value::Array(items));
    }
    let mut object = match get_in(holder, attribute.name) {
        Some(Value::Object(current)) => Value::Object(current.clone()),
        _ => Value::Object(Map::new()),
    };
    set_sub(&mut object, sub, &new);
    set(holder, attribute, object)
}

/// `emails[type eq "work"]` and `emails[type eq "work"].value`.
fn write_matching(
    holder: &mut Map<String, Value>,
    attribute: &AttributeDef,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    value: &Value,
    mode: Mode,
) -> Result<(), ScimError> {
    let mut items = existing_items(holder, attribute);
    let matched = matching(&items, attribute, filter)?;
    let new = match sub {
        Some(sub) => coerce_single(sub, value)?,
        None => coerce_single(attribute, value)?,
    };
    let makes_primary = match sub {
        Some(sub) => sub.name == "primary" && new == Value::Bool(true),
        None => is_primary(&new),
    };
    if matched.is_empty() {
        let template = (mode == Mode::Add)
            .then(|| template(filter, attribute))
            .flatten();
        let Some(mut element) = template else {
            return Err(ScimError::no_target(format!(
                "no {} value matches the filter",
                attribute.name
            )));
        };
        merge_into(&mut element, sub, new);
        if makes_primary {
            clear_primary(&mut items);
        }
        items.push(element);
        return set(holder, attribute, Value::Array(items));
    }
    if makes_primary {
        clear_primary(&mut items);
    }
    for index in matched {
        let item = &mut items[index];
        match (sub, mode) {
            (None, Mode::Replace) => *item = new.clone(),
            _ => merge_into(item, sub, new.clone()),
        }
    }
    set(holder, attribute, Value::Array(items))
}

pub(super) fn remove(
    doc: &mut Map<String, Value>,
    target: &Target,
    value: &Value,
) -> Result<(), ScimError> {
    let (container, attribute, filter, sub) = match target {
        Target::Extension(schema) => {
            remove_ci(doc, schema.id);
            return Ok(());
        }
        Target::Attribute {
            container,
            attribute,
            filter,
            sub,
        } => (container, *attribute, filter, *sub),
    };
    let holder = container_mut(doc, *container)?;
    if attribute.mutability == Mutability::Immutable && get_in(holder, attribute.name).is_some() {
        return Err(ScimError::mutability(format!(
            "{} is immutable",
            attribute.name
        )));
    }
    match (filter, sub) {
        (None, None) if attribute.multi_valued && !value.is_null() => {
            // `{"op":"remove","path":"members","value":[{"value":"id"}]}` (Entra ID, Okta).
            let Value::Array(listed) = coerce(attribute, value)? else {
                return Ok(());
            };
            let mut items = existing_items(holder, attribute);
            items.retain(|item| !listed.iter().any(|l| same_element(item, l, attribute)));
            set(holder, attribute, Value::Array(items))
        }
        (None, None) => unset(holder, attribute),
        (None, Some(sub)) => {
            if sub.required {
                return Err(ScimError::invalid_value(format!(
                    "{} is required",
                    qualified(attribute, Some(sub))
                )));
            }
            match get_in(holder, attribute.name).cloned() {
                Some(Value::Array(mut items)) => {
                    items
                        .iter_mut()
                        .for_each(|item| set_sub(item, sub, &Value::Null));
                    set(holder, attribute, Value::Array(items))
                }
                Some(mut object) => {
                    set_sub(&mut object, sub, &Value::Null);
                    set(holder, attribute, object)
                }
                None => Ok(()),
            }
        }
        (Some(filter), sub) => {
            let mut items = existing_items(holder, attribute);
            let matched = matching(&items, attribute, filter)?;
            if matched.is_empty() {
                return Err(ScimError::no_target(format!(
                    "no {} value matches the filter",
                    attribute.name
                )));
            }
            match sub {
                Some(sub) => matched
                    .iter()
                    .for_each(|&i| set_sub(&mut items[i], sub, &Value::Null)),
                None => {
                    let mut index = 0;
                    items.retain(|_| {
                        index += 1;
                        !matched.contains(&(index - 1))
                    });
                }
            }
            set(holder, attribute, Value::Array(items))
        }
    }
}
