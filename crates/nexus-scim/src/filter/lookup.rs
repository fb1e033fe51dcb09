//! Translating simple filters into a lookup key, so the store can answer the filters that
//! provisioning clients send before every create (`userName eq "…"`, `externalId eq "…"`) with
//! an indexed query instead of a scan. Anything more complex returns `None` and the caller
//! evaluates the filter over candidate resources.

use serde_json::Value;

use super::{AttrPath, CompareOp, Filter};
use crate::schema::{GROUP_URN, USER_URN};

/// One indexed equality lookup. String keys compare as the attribute does: `userName`,
/// email and `displayName` case-insensitively, `id` and `externalId` exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupKey {
    Id(String),
    ExternalId(String),
    UserName(String),
    Email(String),
    DisplayName(String),
    /// `members.value eq` or `members[value eq …]`: the groups holding this member.
    MemberValue(String),
}

impl Filter {
    /// The lookup key for `attr eq "string"` on `id`, `externalId`, `userName`,
    /// `emails` / `emails.value` / `emails[value eq "…"]`, `displayName` and `members.value` /
    /// `members[value eq "…"]`.
    pub fn lookup_key(&self) -> Option<LookupKey> {
        match self {
            Self::Compare {
                path,
                op: CompareOp::Eq,
                value: Value::String(text),
            } => key_for(path, text),
            Self::ValuePath { path, filter } if path.sub_attr.is_none() && is_core(path) => {
                match filter.as_ref() {
                    Self::Compare {
                        path: inner,
                        op: CompareOp::Eq,
                        value: Value::String(text),
                    } if path.name.eq_ignore_ascii_case("emails")
                        && inner.urn.is_none()
                        && inner.sub_attr.is_none()
                        && inner.name.eq_ignore_ascii_case("value") =>
                    {
                        Some(LookupKey::Email(text.clone()))
                    }
                    Self::Compare {
                        path: inner,
                        op: CompareOp::Eq,
                        value: Value::String(text),
                    } if path.name.eq_ignore_ascii_case("members")
                        && inner.urn.is_none()
                        && inner.sub_attr.is_none()
                        && inner.name.eq_ignore_ascii_case("value") =>
                    {
                        Some(LookupKey::MemberValue(text.clone()))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn is_core(path: &AttrPath) -> bool {
    path.urn
        .as_deref()
        .is_none_or(|urn| urn.eq_ignore_ascii_case(USER_URN) || urn.eq_ignore_ascii_case(GROUP_URN))
}

fn key_for(path: &AttrPath, text: &str) -> Option<LookupKey> {
    if !is_core(path) {
        return None;
    }
    let name = path.name.to_ascii_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
    let text = text.to_owned();
    match (name.as_str(), sub.as_deref()) {
        ("id", None) => Some(LookupKey::Id(text)),
        ("externalid", None) => Some(LookupKey::ExternalId(text)),
        ("username", None) => Some(LookupKey::UserName(text)),
        ("emails", None | Some("value")) => Some(LookupKey::Email(text)),
        ("displayname", None) => Some(LookupKey::DisplayName(text)),
        ("members", Some("value")) => Some(LookupKey::MemberValue(text)),
        _ => None,
    }
}
