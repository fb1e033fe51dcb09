//! Normalising a resource sent with POST or PUT before it is mapped: canonical attribute
//! names, values checked against the schema (booleans may arrive as `"True"`/`"False"`),
//! `readOnly` attributes dropped because RFC 7644 §3.5.1 says the server ignores them
//! (`id`, `meta`, `groups`), required attributes checked, and `schemas` rewritten.
//!
//! Attributes no schema defines are dropped rather than refused: provisioning clients send
//! whatever their attribute mappings produce, and refusing the whole user for one unmapped
//! attribute would stop provisioning.

use serde_json::{Map, Value};

use crate::ScimError;
use crate::json::get_in;
use crate::patch::normalize_value;
use crate::schema::{AttributeDef, Mutability, ResourceType};

/// The normalised resource, or `invalidValue` / `invalidSyntax` naming the offending attribute.
pub fn normalize(resource: &Value, resource_type: &ResourceType) -> Result<Value, ScimError> {
    let Value::Object(input) = resource else {
        return Err(ScimError::invalid_syntax(
            "a resource must be a JSON object",
        ));
    };
    if let Some(schemas) = get_in(input, "schemas") {
        let names_core = schemas.as_array().is_some_and(|list| {
            list.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(resource_type.schema.id))
            })
        });
        if !names_core {
            return Err(ScimError::invalid_syntax(format!(
                "schemas must contain {}",
                resource_type.schema.id
            )));
        }
    }
    let mut out = Map::new();
    let mut schemas = vec![Value::String(resource_type.schema.id.to_owned())];
    for (key, value) in input {
        if let Some(extension) = resource_type.extension(key) {
            let Value::Object(members) = value else {
                return Err(ScimError::invalid_value(format!(
                    "{} must be an object",
                    extension.id
                )));
            };
            let normalized = members_of(members, extension.attributes)?;
            if !normalized.is_empty() {
                out.insert(extension.id.to_owned(), Value::Object(normalized));
                schemas.push(Value::String(extension.id.to_owned()));
            }
            continue;
        }
        let mut single = Map::new();
        single.insert(key.clone(), value.clone());
        out.extend(members_of(&single, resource_type.schema.attributes)?);
        if key.eq_ignore_ascii_case("externalId") {
            match value {
                Value::String(_) => {
                    out.insert("externalId".to_owned(), value.clone());
                }
                Value::Null => {}
                _ => return Err(ScimError::invalid_value("externalId must be a string")),
            }
        }
    }
    for attribute in resource_type
        .schema
        .attributes
        .iter()
        .filter(|a| a.required)
    {
        if !out.contains_key(attribute.name) {
            return Err(ScimError::invalid_value(format!(
                "{} is required",
                attribute.name
            )));
        }
    }
    out.insert("schemas".to_owned(), Value::Array(schemas));
    Ok(Value::Object(out))
}

fn members_of(
    members: &Map<String, Value>,
    defs: &'static [AttributeDef],
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in members {
        let Some(def) = defs.iter().find(|d| d.name.eq_ignore_ascii_case(key)) else {
            continue;
        };
        if def.mutability == Mutability::ReadOnly {
            continue;
        }
        let value = normalize_value(def, value)?;
        let empty = match &value {
            Value::Null => true,
            Value::String(s) => s.is_empty() && def.required,
            Value::Array(items) => items.is_empty(),
            Value::Object(map) => map.is_empty(),
            _ => false,
        };
        if !empty {
            out.insert(def.name.to_owned(), value);
        }
    }
    Ok(out)
}
