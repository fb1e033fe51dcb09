//! Case-insensitive access to JSON objects: SCIM attribute names are case-insensitive
//! (RFC 7643 §2.1), so `UserName` in a request designates the stored `userName`.

use serde_json::{Map, Value};

/// The value of a key, matched case-insensitively.
pub(crate) fn get_ci<'v>(object: &'v Value, key: &str) -> Option<&'v Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The key as stored in `map` that matches `key` case-insensitively.
pub(crate) fn stored_key(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

/// Removes a key, matched case-insensitively, returning its value.
pub(crate) fn remove_ci(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let stored = stored_key(map, key)?;
    map.remove(&stored)
}

/// Sets `key` to `value`, replacing any entry whose name differs only in case, so the
/// canonical spelling wins.
pub(crate) fn set_ci(map: &mut Map<String, Value>, key: &str, value: Value) {
    remove_ci(map, key);
    map.insert(key.to_owned(), value);
}

/// The value of a key of a map, matched case-insensitively.
pub(crate) fn get_in<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}
