//! The discovery documents of `/scim/v2`: `ServiceProviderConfig`, `ResourceTypes` and
//! `Schemas`: `User` (with the enterprise extension) and `Group`, each with only the
//! attributes Nexus stores.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use nexus_scim::ScimError;
use nexus_scim::discovery::{self, resource_type_document, schema_document};
use nexus_scim::response::list_response;
use nexus_scim::schema::{
    ENTERPRISE_USER_URN, GROUP_RESOURCE, ResourceType, Schema, USER_RESOURCE,
};
use serde_json::Value;

use super::{Answer, base_url, reply};

/// The largest page a list answers, and the `filter.maxResults` advertised.
pub const MAX_RESULTS: usize = 200;

/// The resource types served.
const SERVED_TYPES: [&ResourceType; 2] = [&USER_RESOURCE, &GROUP_RESOURCE];

/// The schemas served: the core User, its extensions and the core Group.
fn served_schemas() -> impl Iterator<Item = &'static Schema> {
    std::iter::once(USER_RESOURCE.schema)
        .chain(USER_RESOURCE.extensions.iter().map(|(s, _)| *s))
        .chain(std::iter::once(GROUP_RESOURCE.schema))
}

pub async fn service_provider_config(headers: HeaderMap) -> Response {
    let body = discovery::service_provider_config(&base_url(&headers), MAX_RESULTS);
    reply(StatusCode::OK, &body, &[])
}

pub async fn resource_types(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let documents: Vec<Value> = SERVED_TYPES
        .iter()
        .map(|rt| resource_type_document(rt, &base))
        .collect();
    let total = documents.len();
    reply(StatusCode::OK, &list_response(documents, total, 1), &[])
}

pub async fn resource_type(Path(id): Path<String>, headers: HeaderMap) -> Answer {
    let resource_type = SERVED_TYPES
        .iter()
        .find(|rt| rt.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| ScimError::status(404, format!("no resource type {id}")))?;
    let body = resource_type_document(resource_type, &base_url(&headers));
    Ok(reply(StatusCode::OK, &body, &[]))
}

/// The attributes (and sub-attributes) Nexus stores, by schema: the served schemas list only
/// these, so a client sees what survives a round trip. `nexus-scim` knows the whole RFC 7643
/// User; the attributes it drops on the way in (addresses, photos, `name.middleName`, an
/// email's `display`, …) are left out of the served documents, and so are the values Nexus
/// derives instead of storing (`name.formatted`, an email's `primary`, `manager.$ref`):
/// [`present`] drops them from answers. Nexus keeps one email and one phone number, of type
/// `work`, so `work` is the one canonical type. A Nexus user needs an email
/// address and always has `active`, so both are served as required. A Group is its
/// `displayName` and its `members` (users).
const SERVED: &[(&str, &[&str])] = &[
    ("userName", &[]),
    ("name", &["givenName", "familyName"]),
    ("displayName", &[]),
    ("nickName", &[]),
    ("preferredLanguage", &[]),
    ("active", &[]),
    ("emails", &["value", "type"]),
    ("phoneNumbers", &["value", "type"]),
    ("employeeNumber", &[]),
    ("costCenter", &[]),
    ("organization", &[]),
    ("division", &[]),
    ("department", &[]),
    ("manager", &["value"]),
    ("members", &["value", "$ref", "display", "type"]),
];

const REQUIRED: &[&str] = &["userName", "active", "emails", "emails.value"];

/// A schema document as served: only [`SERVED`] attributes, [`REQUIRED`] ones required.
fn served_document(schema: &Schema, base: &str) -> Value {
    let mut document = schema_document(schema, base);
    keep_served(&mut document["attributes"], None);
    document
}

fn keep_served(attributes: &mut Value, parent: Option<&str>) {
    let Some(list) = attributes.as_array_mut() else {
        return;
    };
    list.retain(|a| {
        let name = a["name"].as_str().unwrap_or_default();
        match parent {
            None => SERVED.iter().any(|(n, _)| *n == name),
            Some(parent) => SERVED
                .iter()
                .any(|(n, subs)| *n == parent && subs.contains(&name)),
        }
    });
    for attribute in list {
        let name = attribute["name"].as_str().unwrap_or_default().to_owned();
        let full = parent.map_or_else(|| name.clone(), |p| format!("{p}.{name}"));
        if REQUIRED.contains(&full.as_str()) {
            attribute["required"] = Value::Bool(true);
        }
        match (parent, name.as_str()) {
            (Some("emails" | "phoneNumbers"), "type") => {
                attribute["canonicalValues"] = serde_json::json!(["work"]);
            }
            (Some("members"), "type") => {
                attribute["canonicalValues"] = serde_json::json!(["User"]);
            }
            (Some("members"), "$ref") => {
                attribute["referenceTypes"] = serde_json::json!(["User"]);
            }
            // A member is shown by its user's name, on request: a client's `display` is
            // not kept (see `group_list::present_group`).
            (Some("members"), "display") => {
                attribute["mutability"] = Value::from("readOnly");
                attribute["returned"] = Value::from("request");
            }
            _ => {}
        }
        if parent.is_none() && attribute.get("subAttributes").is_some() {
            keep_served(&mut attribute["subAttributes"], Some(&name));
        }
    }
}

/// A User as answered: the stored representation without the derived values the served
/// schema leaves out (PATCH paths and filters still see them, e.g. `emails[type eq "work"]`
/// with `primary`).
pub fn present(mut document: Value) -> Value {
    if let Some(name) = document.get_mut("name").and_then(Value::as_object_mut) {
        name.remove("formatted");
    }
    for key in ["emails", "phoneNumbers"] {
        for item in document
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(item) = item.as_object_mut() {
                item.remove("primary");
            }
        }
    }
    if let Some(manager) = document
        .get_mut(ENTERPRISE_USER_URN)
        .and_then(|e| e.get_mut("manager"))
        .and_then(Value::as_object_mut)
    {
        manager.remove("$ref");
    }
    document
}

pub async fn schemas(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let documents: Vec<Value> = served_schemas()
        .map(|s| served_document(s, &base))
        .collect();
    let total = documents.len();
    reply(StatusCode::OK, &list_response(documents, total, 1), &[])
}

pub async fn schema(Path(id): Path<String>, headers: HeaderMap) -> Answer {
    let schema = served_schemas()
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| ScimError::status(404, format!("no schema {id}")))?;
    Ok(reply(
        StatusCode::OK,
        &served_document(schema, &base_url(&headers)),
        &[],
    ))
}
