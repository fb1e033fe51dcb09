//! PATCH (RFC 7644 §3.5.2): a `PatchOp` request applied to a resource document, giving the new
//! document or a SCIM error. The whole request applies or nothing does.
//!
//! Rules beyond the RFC's letter, for what Entra ID and Okta actually send:
//! - `op` is case-insensitive (`"Replace"`);
//! - booleans may arrive as strings (`"active": "False"`);
//! - a path-less `add`/`replace` may carry dotted keys (`"name.givenName"`) and
//!   URN-qualified extension keys (`"urn:…:enterprise:2.0:User:department"`), or a whole
//!   extension object under its URN;
//! - `manager` may arrive as the manager's id string instead of `{"value": id}`;
//! - `remove` on `members` with a `value` list removes just those members;
//! - `add` with a value filter that matches nothing, such as
//!   `emails[type eq "work"].value`, creates the element the filter describes when the filter
//!   is a conjunction of `eq` tests; `replace` and `remove` answer `noTarget` as the RFC says;
//! - a readOnly attribute (`id`) sent with its current value is ignored instead of refused.

mod apply;
mod coerce;
mod target;
mod values;

use serde_json::{Map, Value};

use crate::ScimError;
use crate::json::{get_ci, get_in, remove_ci};
use crate::response::PATCH_OP_URN;
use crate::schema::{Container, Mutability, ResourceType};
use target::Target;

/// A value for an attribute checked and normalised as PATCH values are (canonical names,
/// string booleans, a bare id for `manager`); used for POST and PUT bodies too.
pub(crate) fn normalize_value(
    def: &crate::schema::AttributeDef,
    value: &Value,
) -> Result<Value, ScimError> {
    coerce::coerce(def, value)
}

/// The three PATCH operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Replace,
    Remove,
}

/// One entry of `Operations`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub op: PatchOp,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// A parsed `PatchOp` request body.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    pub operations: Vec<PatchOperation>,
}

impl PatchRequest {
    /// Reads a request body. A `schemas` member, when present, must name the PatchOp message.
    pub fn from_json(body: &Value) -> Result<Self, ScimError> {
        if !body.is_object() {
            return Err(ScimError::invalid_syntax(
                "a PATCH body must be a JSON object",
            ));
        }
        if let Some(schemas) = get_ci(body, "schemas") {
            let names_patch_op = schemas.as_array().is_some_and(|list| {
                list.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))
                })
            });
            if !names_patch_op {
                return Err(ScimError::invalid_syntax(format!(
                    "schemas must contain {PATCH_OP_URN}"
                )));
            }
        }
        let Some(Value::Array(entries)) = get_ci(body, "Operations") else {
            return Err(ScimError::invalid_syntax("Operations must be a list"));
        };
        if entries.is_empty() {
            return Err(ScimError::invalid_syntax("Operations must not be empty"));
        }
        let operations = entries.iter().map(operation).collect::<Result<_, _>>()?;
        Ok(Self { operations })
    }
}

fn operation(entry: &Value) -> Result<PatchOperation, ScimError> {
    let op = match get_ci(entry, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
    {
        Some(op) if op == "add" => PatchOp::Add,
        Some(op) if op == "replace" => PatchOp::Replace,
        Some(op) if op == "remove" => PatchOp::Remove,
        _ => {
            return Err(ScimError::invalid_syntax(
                "op must be add, replace or remove",
            ));
        }
    };
    let path = match get_ci(entry, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) if path.trim().is_empty() => None,
        Some(Value::String(path)) => Some(path.clone()),
        Some(_) => return Err(ScimError::invalid_path("path must be a string")),
    };
    let value = get_ci(entry, "value").cloned();
    if op != PatchOp::Remove && value.is_none() {
        return Err(ScimError::invalid_value("add and replace need a value"));
    }
    Ok(PatchOperation { op, path, value })
}

/// Applies every operation in order to a copy of `resource`.
pub fn apply_patch(
    resource: &Value,
    request: &PatchRequest,
    resource_type: &ResourceType,
) -> Result<Value, ScimError> {
    let Value::Object(mut document) = resource.clone() else {
        return Err(ScimError::invalid_value(
            "the resource is not a JSON object",
        ));
    };
    for operation in &request.operations {
        apply_one(&mut document, operation, resource_type)?;
    }
    tidy_extensions(&mut document, resource_type);
    Ok(Value::Object(document))
}

fn apply_one(
    document: &mut Map<String, Value>,
    operation: &PatchOperation,
    resource_type: &ResourceType,
) -> Result<(), ScimError> {
    let null = Value::Null;
    let value = operation.value.as_ref().unwrap_or(&null);
    if let Some(path) = &operation.path {
        let target = Target::parse(path, resource_type)?;
        target.check_writable()?;
        return dispatch(
            document,
            operation.op,
            &target,
            operation.value.as_ref().unwrap_or(&null),
        );
    }
    if operation.op == PatchOp::Remove {
        return Err(ScimError::no_target("remove needs a path"));
    }
    let Value::Object(entries) = value else {
        return Err(ScimError::invalid_value(
            "without a path, value must be an object",
        ));
    };
    for (key, value) in entries {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let target = Target::parse(key, resource_type)?;
        if unchanged_read_only(document, &target, value) {
            continue;
        }
        target.check_writable()?;
        dispatch(document, operation.op, &target, value)?;
    }
    Ok(())
}

fn dispatch(
    document: &mut Map<String, Value>,
    op: PatchOp,
    target: &Target,
    value: &Value,
) -> Result<(), ScimError> {
    match op {
        PatchOp::Add => apply::add(document, target, value),
        PatchOp::Replace => apply::replace(document, target, value),
        PatchOp::Remove => apply::remove(document, target, value),
    }
}

/// Whether a path-less operation sends a readOnly attribute (typically `id`) unchanged.
fn unchanged_read_only(document: &Map<String, Value>, target: &Target, value: &Value) -> bool {
    let Target::Attribute {
        container,
        attribute,
        filter: None,
        sub: None,
    } = target
    else {
        return false;
    };
    if attribute.mutability != Mutability::ReadOnly {
        return false;
    }
    let holder = match container {
        Container::Core => get_in(document, attribute.name),
        Container::Extension(schema) => {
            get_in(document, schema.id).and_then(|ext| get_ci(ext, attribute.name))
        }
    };
    holder == Some(value)
}

/// Drops empty extension objects and rewrites `schemas` to the core schema plus the
/// extensions the document carries.
fn tidy_extensions(document: &mut Map<String, Value>, resource_type: &ResourceType) {
    let mut schemas = vec![Value::String(resource_type.schema.id.to_owned())];
    for (extension, _) in resource_type.extensions {
        let empty =
            get_in(document, extension.id).is_none_or(|v| v.as_object().is_none_or(Map::is_empty));
        if empty {
            remove_ci(document, extension.id);
        } else {
            schemas.push(Value::String(extension.id.to_owned()));
        }
    }
    remove_ci(document, "schemas");
    document.insert("schemas".to_owned(), Value::Array(schemas));
}
