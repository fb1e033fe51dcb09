//! The mapping between a SCIM User (RFC 7643 §4.1 + enterprise extension §4.3) and the Nexus
//! user of the REST contract, as a pure pair of functions: [`to_scim`] and [`from_scim`].
//!
//! | SCIM User | Nexus user |
//! |---|---|
//! | `id` | `id` |
//! | `userName` | `username` |
//! | `emails` — the primary one, else `type` `work`, else the first | `emailAddress` (returned as the primary `work` email) |
//! | `name.givenName` / `name.familyName` | `givenName` / `familyName` |
//! | `displayName` | `displayName` |
//! | `nickName` | `nickname` |
//! | `preferredLanguage` | `language` |
//! | `phoneNumbers` — primary, else `work`, else first | `phoneNumber` (returned as the primary `work` number) |
//! | `active` (absent means `true`) | `isActive` |
//! | `externalId` | user attribute `scim.externalId` |
//! | enterprise `employeeNumber`, `department`, `costCenter`, `organization`, `division` | user attributes `scim.employeeNumber`, `scim.department`, `scim.costCenter`, `scim.organization`, `scim.division` |
//! | enterprise `manager.value` | user attribute `scim.manager` |
//! | `meta.created` / `meta.lastModified` | `created` / `modified` |
//!
//! The user attributes under the `scim.` prefix belong to provisioning: [`from_scim`] returns
//! the complete set a SCIM document implies, and the caller replaces the user's `scim.*`
//! attributes with it (a PUT without `department` removes `scim.department`) while leaving
//! every other attribute alone. SCIM attributes without a Nexus counterpart (addresses, ims,
//! photos, …) are not stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ScimError;
use crate::json::get_ci;
use crate::response::etag;
use crate::schema::{ENTERPRISE_USER_URN, USER_URN};

/// The attribute name prefix owned by SCIM provisioning.
pub const SCIM_ATTRIBUTE_PREFIX: &str = "scim.";
pub const EXTERNAL_ID_ATTRIBUTE: &str = "scim.externalId";
pub const MANAGER_ATTRIBUTE: &str = "scim.manager";
/// Enterprise extension attribute ↔ Nexus user attribute.
pub const ENTERPRISE_ATTRIBUTES: [(&str, &str); 5] = [
    ("employeeNumber", "scim.employeeNumber"),
    ("department", "scim.department"),
    ("costCenter", "scim.costCenter"),
    ("organization", "scim.organization"),
    ("division", "scim.division"),
];

/// The Nexus user fields SCIM reads and writes, named as in the REST contract's `User`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NexusUser {
    pub id: String,
    pub username: String,
    pub email_address: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub nickname: Option<String>,
    pub language: Option<String>,
    pub phone_number: Option<String>,
    pub is_active: bool,
    #[serde(default)]
    pub attributes: Vec<UserAttribute>,
    pub created: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
}

/// A user attribute (`{name, value}` of the contract's `Attribute`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAttribute {
    pub name: String,
    pub value: String,
}

impl NexusUser {
    /// The value of the user attribute with this name.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// Whether a user attribute is owned by SCIM provisioning.
pub fn is_scim_attribute(name: &str) -> bool {
    name.starts_with(SCIM_ATTRIBUTE_PREFIX)
}

/// The SCIM User representation of a Nexus user; `base_url` is the `/scim/v2` root.
pub fn to_scim(user: &NexusUser, base_url: &str) -> Value {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([USER_URN]));
    doc.insert("id".into(), json!(user.id));
    if let Some(external_id) = user.attribute(EXTERNAL_ID_ATTRIBUTE) {
        doc.insert("externalId".into(), json!(external_id));
    }
    doc.insert("userName".into(), json!(user.username));
    let mut name = Map::new();
    put(&mut name, "givenName", user.given_name.as_deref());
    put(&mut name, "familyName", user.family_name.as_deref());
    let formatted: Vec<&str> = [&user.given_name, &user.family_name]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !formatted.is_empty() {
        name.insert("formatted".into(), json!(formatted.join(" ")));
        doc.insert("name".into(), Value::Object(name));
    }
    put(&mut doc, "displayName", user.display_name.as_deref());
    put(&mut doc, "nickName", user.nickname.as_deref());
    put(&mut doc, "preferredLanguage", user.language.as_deref());
    doc.insert("active".into(), json!(user.is_active));
    if let Some(email) = &user.email_address {
        doc.insert(
            "emails".into(),
            json!([{"value": email, "type": "work", "primary": true}]),
        );
    }
    if let Some(phone) = &user.phone_number {
        doc.insert(
            "phoneNumbers".into(),
            json!([{"value": phone, "type": "work", "primary": true}]),
        );
    }
    let mut enterprise = Map::new();
    for (scim, nexus) in ENTERPRISE_ATTRIBUTES {
        put(&mut enterprise, scim, user.attribute(nexus));
    }
    if let Some(manager) = user.attribute(MANAGER_ATTRIBUTE) {
        let base = base_url.trim_end_matches('/');
        enterprise.insert(
            "manager".into(),
            json!({"value": manager, "$ref": format!("{base}/Users/{manager}")}),
        );
    }
    if !enterprise.is_empty() {
        doc.insert("schemas".into(), json!([USER_URN, ENTERPRISE_USER_URN]));
        doc.insert(ENTERPRISE_USER_URN.into(), Value::Object(enterprise));
    }
    let mut meta = Map::new();
    meta.insert("resourceType".into(), json!("User"));
    put(
        &mut meta,
        "created",
        user.created
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .as_deref(),
    );
    put(
        &mut meta,
        "lastModified",
        user.modified
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .as_deref(),
    );
    meta.insert(
        "location".into(),
        json!(format!(
            "{}/Users/{}",
            base_url.trim_end_matches('/'),
            user.id
        )),
    );
    let version = etag(&Value::Object(doc.clone()));
    meta.insert("version".into(), json!(version));
    doc.insert("meta".into(), Value::Object(meta));
    Value::Object(doc)
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), json!(value));
    }
}

/// The Nexus user a SCIM User document describes (a POST/PUT body or a patched document).
/// `created`/`modified` are left to the store; `attributes` holds only `scim.*` attributes.
pub fn from_scim(resource: &Value) -> Result<NexusUser, ScimError> {
    if !resource.is_object() {
        return Err(ScimError::invalid_syntax("a User must be a JSON object"));
    }
    let username = text(resource, "userName")?
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let name = get_ci(resource, "name").unwrap_or(&Value::Null);
    let is_active = match get_ci(resource, "active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(active)) => *active,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(ScimError::invalid_value("active must be a boolean")),
    };
    let mut attributes = Vec::new();
    let mut keep = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            attributes.push(UserAttribute {
                name: name.to_owned(),
                value,
            });
        }
    };
    keep(EXTERNAL_ID_ATTRIBUTE, text(resource, "externalId")?);
    if let Some(enterprise) = get_ci(resource, ENTERPRISE_USER_URN) {
        for (scim, nexus) in ENTERPRISE_ATTRIBUTES {
            keep(nexus, text(enterprise, scim)?);
        }
        let manager = match get_ci(enterprise, "manager") {
            Some(Value::String(id)) => Some(id.clone()),
            Some(manager) => text(manager, "value")?,
            None => None,
        };
        keep(MANAGER_ATTRIBUTE, manager);
    }
    Ok(NexusUser {
        id: text(resource, "id")?.unwrap_or_default(),
        username,
        email_address: preferred(resource, "emails")?,
        given_name: text(name, "givenName")?,
        family_name: text(name, "familyName")?,
        display_name: text(resource, "displayName")?,
        nickname: text(resource, "nickName")?,
        language: text(resource, "preferredLanguage")?,
        phone_number: preferred(resource, "phoneNumbers")?,
        is_active,
        attributes,
        created: None,
        modified: None,
    })
}

/// A string member, or `invalidValue` when it has another type.
fn text(object: &Value, key: &str) -> Result<Option<String>, ScimError> {
    match get_ci(object, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid_value(format!("{key} must be a string"))),
    }
}

/// The `value` of the primary element, else of the `work` one, else of the first.
fn preferred(resource: &Value, key: &str) -> Result<Option<String>, ScimError> {
    let items = match get_ci(resource, key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ScimError::invalid_value(format!("{key} must be a list"))),
    };
    let is = |item: &&Value, field: &str, wanted: &Value| {
        get_ci(item, field).is_some_and(|v| v == wanted)
    };
    let chosen = items
        .iter()
        .find(|i| is(i, "primary", &Value::Bool(true)))
        .or_else(|| items.iter().find(|i| is(i, "type", &json!("work"))))
        .or_else(|| items.first());
    match chosen {
        Some(item) => text(item, "value"),
        None => Ok(None),
    }
}
