//! Checking and normalising PATCH values against attribute definitions: canonical
//! sub-attribute names, type checks (`invalidValue`), and the client quirks that are
//! unambiguous to repair: `"False"`/`"True"` strings for booleans (Entra ID), a bare string for
//! a complex attribute with a `value` (Entra ID sends `manager` as the manager's id), a single
//! value where a list is expected.

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::ScimError;
use crate::schema::{AttributeDef, AttributeType, Mutability};

/// A value for `def` as a whole: a list for multi-valued attributes.
pub(crate) fn coerce(def: &AttributeDef, value: &Value) -> Result<Value, ScimError> {
    if !def.multi_valued {
        return coerce_single(def, value);
    }
    match value {
        Value::Array(items) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| coerce_single(def, v))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Null => Ok(Value::Array(Vec::new())),
        single => Ok(Value::Array(vec![coerce_single(def, single)?])),
    }
}

/// One value of `def` (an element, for multi-valued attributes).
pub(crate) fn coerce_single(def: &AttributeDef, value: &Value) -> Result<Value, ScimError> {
    let wrong = || {
        ScimError::invalid_value(format!(
            "{} expects a {} value",
            def.name,
            type_word(def.ty)
        ))
    };
    match (def.ty, value) {
        (_, Value::Null) => Ok(Value::Null),
        (AttributeType::Boolean, Value::String(s)) => {
            match s.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(wrong()),
            }
        }
        (AttributeType::DateTime, Value::String(s)) if DateTime::parse_from_rfc3339(s).is_ok() => {
            Ok(value.clone())
        }
        (AttributeType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(value.clone()),
        (AttributeType::Boolean, Value::Bool(_))
        | (AttributeType::Decimal, Value::Number(_))
        | (
            AttributeType::String | AttributeType::Reference | AttributeType::Binary,
            Value::String(_),
        ) => Ok(value.clone()),
        (AttributeType::Complex, Value::Object(map)) => complex(def, map).map(Value::Object),
        (AttributeType::Complex, Value::String(_) | Value::Number(_) | Value::Bool(_))
            if def.sub_attribute("value").is_some() =>
        {
            let mut map = Map::new();
            map.insert("value".to_owned(), value.clone());
            complex(def, &map).map(Value::Object)
        }
        _ => Err(wrong()),
    }
}

/// A complex value with canonical sub-attribute names; client-supplied `readOnly`
/// sub-attributes (e.g. `manager.displayName`) are dropped, as the server owns them.
pub(crate) fn complex(
    def: &AttributeDef,
    map: &Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in map {
        let Some(sub) = def.sub_attribute(key) else {
            return Err(ScimError::invalid_path(format!(
                "{} has no sub-attribute {key}",
                def.name
            )));
        };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        let value = coerce_single(sub, value)?;
        if !value.is_null() {
            out.insert(sub.name.to_owned(), value);
        }
    }
    Ok(out)
}

fn type_word(ty: AttributeType) -> &'static str {
    match ty {
        AttributeType::String => "string",
        AttributeType::Boolean => "boolean",
        AttributeType::Decimal => "decimal",
        AttributeType::Integer => "integer",
        AttributeType::DateTime => "dateTime (RFC 3339)",
        AttributeType::Binary => "binary (base64 string)",
        AttributeType::Reference => "reference (string)",
        AttributeType::Complex => "complex (object)",
    }
}
