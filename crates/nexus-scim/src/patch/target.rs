//! What a PATCH operation designates: a `path` string, or one key of a path-less operation's
//! value map (`"name.givenName"`, `"urn:…:enterprise:2.0:User:department"`), resolved
//! against the resource type's schemas.

use crate::ScimError;
use crate::filter::{AttrPath, Filter, parse_patch_path};
use crate::schema::{AttributeDef, AttributeType, Container, Mutability, ResourceType, Schema};

/// A resolved PATCH target.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// An attribute, optionally narrowed by a value filter and/or a sub-attribute.
    Attribute {
        container: Container,
        attribute: &'static AttributeDef,
        filter: Option<Filter>,
        sub: Option<&'static AttributeDef>,
    },
    /// A whole extension object, e.g. path `urn:…:enterprise:2.0:User`.
    Extension(&'static Schema),
}

impl Target {
    /// Resolves a `path` (or a key of a path-less value map, which has the same syntax).
    pub(crate) fn parse(path: &str, resource_type: &ResourceType) -> Result<Self, ScimError> {
        let trimmed = path.trim();
        if let Some(schema) = resource_type.extension(trimmed) {
            return Ok(Self::Extension(schema));
        }
        let (attr_path, filter, sub_after_filter) = parse_patch_path(trimmed).map_err(|e| {
            ScimError::invalid_path(format!(
                "{} (at position {}) in path \"{trimmed}\"",
                e.message, e.position
            ))
        })?;
        if filter.is_none()
            && let Some(schema) = resource_type.extension_named_by(&attr_path)
        {
            return Ok(Self::Extension(schema));
        }
        let resolved = resource_type
            .resolve(&attr_path)
            .ok_or_else(|| unknown(&attr_path))?;
        let sub = match (&filter, sub_after_filter) {
            (Some(_), Some(name)) => {
                Some(resolved.attribute.sub_attribute(&name).ok_or_else(|| {
                    ScimError::invalid_path(format!("\"{trimmed}\": unknown sub-attribute {name}"))
                })?)
            }
            _ => resolved.sub_attribute,
        };
        if filter.is_some()
            && !(resolved.attribute.multi_valued && resolved.attribute.ty == AttributeType::Complex)
        {
            return Err(ScimError::invalid_path(format!(
                "\"{trimmed}\": a value filter needs a multi-valued complex attribute"
            )));
        }
        Ok(Self::Attribute {
            container: resolved.container,
            attribute: resolved.attribute,
            filter,
            sub,
        })
    }

    /// Refuses changes to `readOnly` attributes (`id`, `meta`, `groups`).
    pub(crate) fn check_writable(&self) -> Result<(), ScimError> {
        if let Self::Attribute { attribute, sub, .. } = self {
            let def = sub.unwrap_or(attribute);
            if attribute.mutability == Mutability::ReadOnly
                || def.mutability == Mutability::ReadOnly
            {
                return Err(ScimError::mutability(format!(
                    "attribute {} is readOnly",
                    qualified(attribute, *sub)
                )));
            }
        }
        Ok(())
    }
}

pub(crate) fn qualified(attribute: &AttributeDef, sub: Option<&AttributeDef>) -> String {
    match sub {
        Some(sub) => format!("{}.{}", attribute.name, sub.name),
        None => attribute.name.to_owned(),
    }
}

fn unknown(path: &AttrPath) -> ScimError {
    ScimError::invalid_path(format!("unknown attribute \"{path}\""))
}
