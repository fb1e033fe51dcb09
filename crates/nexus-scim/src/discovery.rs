//! The discovery documents (RFC 7644 §4, RFC 7643 §5–7): `ServiceProviderConfig`,
//! `ResourceTypes` and `Schemas`, built from the schema data and the public base URL
//! (e.g. `https://nexus.example.com/scim/v2`, without a trailing slash).

use serde_json::{Value, json};

use crate::response::list_response;
use crate::schema::{
    AttributeDef, AttributeType, Mutability, RESOURCE_TYPES, ResourceType, Returned, SCHEMAS,
    Schema, Uniqueness,
};

pub const SERVICE_PROVIDER_CONFIG_URN: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// What this server supports: PATCH, filtering (up to `max_results` per page), sorting and
/// ETags; no bulk and no password change; bearer-token authentication.
pub fn service_provider_config(base_url: &str, max_results: usize) -> Value {
    let base = base(base_url);
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_URN],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with an OAuth 2.0 bearer token carrying the provisioning scope",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        }
    })
}

/// One `ResourceType` document.
pub fn resource_type_document(resource_type: &ResourceType, base_url: &str) -> Value {
    let base = base(base_url);
    let extensions: Vec<Value> = resource_type
        .extensions
        .iter()
        .map(|(schema, required)| json!({"schema": schema.id, "required": required}))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE_URN],
        "id": resource_type.id,
        "name": resource_type.name,
        "endpoint": resource_type.endpoint,
        "description": resource_type.description,
        "schema": resource_type.schema.id,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{}", resource_type.id),
        }
    })
}

/// `GET /ResourceTypes`: every resource type in a list response.
pub fn resource_types(base_url: &str) -> Value {
    let documents: Vec<Value> = RESOURCE_TYPES
        .iter()
        .map(|rt| resource_type_document(rt, base_url))
        .collect();
    let total = documents.len();
    list_response(documents, total, 1)
}

/// The resource type with this id (`User`, `Group`), case-insensitively.
pub fn find_resource_type(id: &str) -> Option<&'static ResourceType> {
    RESOURCE_TYPES
        .iter()
        .copied()
        .find(|rt| rt.id.eq_ignore_ascii_case(id))
}

/// One `Schema` document.
pub fn schema_document(schema: &Schema, base_url: &str) -> Value {
    let base = base(base_url);
    json!({
        "schemas": [SCHEMA_URN],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(attribute_document).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{}", schema.id),
        }
    })
}

/// `GET /Schemas`: every schema in a list response.
pub fn schemas(base_url: &str) -> Value {
    let documents: Vec<Value> = SCHEMAS
        .iter()
        .map(|s| schema_document(s, base_url))
        .collect();
    let total = documents.len();
    list_response(documents, total, 1)
}

/// The schema with this URN, case-insensitively.
pub fn find_schema(urn: &str) -> Option<&'static Schema> {
    SCHEMAS
        .iter()
        .copied()
        .find(|s| s.id.eq_ignore_ascii_case(urn))
}

fn attribute_document(def: &AttributeDef) -> Value {
    let mut doc = json!({
        "name": def.name,
        "type": type_name(def.ty),
        "multiValued": def.multi_valued,
        "description": def.description,
        "required": def.required,
        "caseExact": def.case_exact,
        "mutability": match def.mutability {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        },
        "returned": match def.returned {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        },
        "uniqueness": match def.uniqueness {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        },
    });
    if let Some(map) = doc.as_object_mut() {
        if !def.canonical_values.is_empty() {
            map.insert("canonicalValues".to_owned(), json!(def.canonical_values));
        }
        if !def.reference_types.is_empty() {
            map.insert("referenceTypes".to_owned(), json!(def.reference_types));
        }
        if def.ty == AttributeType::Complex {
            let subs: Vec<Value> = def.sub_attributes.iter().map(attribute_document).collect();
            map.insert("subAttributes".to_owned(), Value::Array(subs));
        }
    }
    doc
}

fn type_name(ty: AttributeType) -> &'static str {
    match ty {
        AttributeType::String => "string",
        AttributeType::Boolean => "boolean",
        AttributeType::Decimal => "decimal",
        AttributeType::Integer => "integer",
        AttributeType::DateTime => "dateTime",
        AttributeType::Binary => "binary",
        AttributeType::Reference => "reference",
        AttributeType::Complex => "complex",
    }
}
