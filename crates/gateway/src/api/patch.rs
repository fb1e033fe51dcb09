//! JSON merge patches (RFC 7396), one way for every `PATCH`: the body is a
//! struct whose fields are `Option<T>` (absent keeps, `null` is refused) or
//! `Option<Option<T>>` (absent keeps, `null` clears), and the same struct is
//! the body's OpenAPI schema. Keys the struct does not have are refused
//! before it is read: `<key>: is read-only` for the resource's own keys a
//! patch may not set, `<key>: unknown field` for any other.

use axum::extract::{FromRequest, Request};
use nexus_proto::common::v1::NullableString;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::api::body::ApiJson;
use crate::api::problem::ApiError;

/// A merge-patch body.
pub trait MergePatch: serde::de::DeserializeOwned + ToSchema {
    /// Keys of the resource that a patch may not set.
    const READ_ONLY: &'static [&'static str];
}

/// A value a patch may set, with the error naming what it must be.
pub trait PatchValue: Sized {
    /// `must be …` completes the error for a mistyped value.
    const EXPECTED: &'static str;
    fn from_json(value: Value) -> Option<Self>;
}

impl PatchValue for String {
    const EXPECTED: &'static str = "a string";
    fn from_json(value: Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl PatchValue for bool {
    const EXPECTED: &'static str = "true or false";
    fn from_json(value: Value) -> Option<Self> {
        value.as_bool()
    }
}

impl PatchValue for i32 {
    const EXPECTED: &'static str = "an int32";
    fn from_json(value: Value) -> Option<Self> {
        // JSON has one number type: 7.0 is the integer 7.
        let n = value.as_i64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        })?;
        i32::try_from(n).ok()
    }
}

impl PatchValue for Vec<String> {
    const EXPECTED: &'static str = "a list of strings";
    fn from_json(value: Value) -> Option<Self> {
        match value {
            Value::Array(items) => items.into_iter().map(String::from_json).collect(),
            _ => None,
        }
    }
}

/// `deserialize_with` of a key whose `null` is refused.
///
/// # Errors
/// `cannot be null`, or `must be …` for another type.
pub fn non_null<'de, D: Deserializer<'de>, T: PatchValue>(d: D) -> Result<Option<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Err(serde::de::Error::custom("cannot be null")),
        value => T::from_json(value)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("must be {}", T::EXPECTED))),
    }
}

/// `deserialize_with` of a key whose `null` clears the field.
///
/// # Errors
/// `must be … or null` for another type.
pub fn nullable<'de, D: Deserializer<'de>, T: PatchValue>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Some(None)),
        value => T::from_json(value)
            .map(|v| Some(Some(v)))
            .ok_or_else(|| serde::de::Error::custom(format!("must be {} or null", T::EXPECTED))),
    }
}

/// The keys `T` documents: the properties of its schema.
fn known_keys<T: ToSchema>() -> Vec<String> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.into_keys().collect(),
        _ => Vec::new(),
    }
}

/// Reads a merge patch.
///
/// # Errors
/// 400 naming the first read-only, unknown or mistyped key.
pub fn parse<T: MergePatch>(patch: Map<String, Value>) -> Result<T, ApiError> {
    let known = known_keys::<T>();
    for key in patch.keys() {
        if known.contains(key) {
            continue;
        }
        let problem = if T::READ_ONLY.contains(&key.as_str()) {
            "is read-only"
        } else {
            "unknown field"
        };
        return Err(ApiError::bad_request(format!("{key}: {problem}")));
    }
    serde_path_to_error::deserialize(Value::Object(patch)).map_err(|e| {
        let path = e.path().to_string();
        ApiError::bad_request(format!("{path}: {}", e.into_inner()))
    })
}

/// A merge-patch body read into `T`.
#[derive(Debug)]
pub struct ApiPatch<T>(pub T);

impl<S: Send + Sync, T: MergePatch> FromRequest<S> for ApiPatch<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiJson(patch) = ApiJson::<Map<String, Value>>::from_request(req, state).await?;
        parse(patch).map(ApiPatch)
    }
}

/// A nullable text field of a patch as the services take it: absent stays
/// absent, `null` clears, a value sets.
pub fn nullable_text(value: Option<Option<String>>) -> Option<NullableString> {
    value.map(|value| NullableString { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use utoipa::PartialSchema as _;

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        #[serde(default, deserialize_with = "non_null")]
        #[schema(nullable = false)]
        name: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        nick_name: Option<Option<String>>,
        #[serde(default, deserialize_with = "nullable")]
        home: Option<Option<i32>>,
    }

    impl MergePatch for Sample {
        const READ_ONLY: &'static [&'static str] = &["id"];
    }

    fn sample(v: Value) -> Result<Sample, ApiError> {
        match v {
            Value::Object(m) => parse(m),
            _ => Err(ApiError::bad_request("not an object")),
        }
    }

    #[test]
    fn absent_null_and_values_are_told_apart() {
        let s = sample(json!({"nickName": null, "home": 7.0})).unwrap();
        assert_eq!(
            (s.name, s.nick_name, s.home),
            (None, Some(None), Some(Some(7)))
        );
        let s = sample(json!({"name": "Ann", "nickName": "A"})).unwrap();
        assert_eq!(
            (s.name, s.nick_name),
            (Some("Ann".into()), Some(Some("A".into())))
        );
    }

    #[test]
    fn bad_keys_and_types_name_the_field() {
        for (body, detail) in [
            (json!({"id": "x"}), "id: is read-only"),
            (json!({"bogus": 1}), "bogus: unknown field"),
            (json!({"name": null}), "name: cannot be null"),
            (json!({"name": 3}), "name: must be a string"),
            (json!({"nickName": 3}), "nickName: must be a string or null"),
            (json!({"home": "x"}), "home: must be an int32 or null"),
        ] {
            assert_eq!(sample(body).unwrap_err().detail, detail);
        }
    }

    #[test]
    fn the_schema_states_which_keys_may_be_null() {
        let schema = serde_json::to_value(Sample::schema()).unwrap();
        let props = &schema["properties"];
        assert_eq!(props["name"]["type"], "string");
        assert_eq!(props["nickName"]["type"], json!(["string", "null"]));
        assert!(
            schema["required"].as_array().is_none_or(Vec::is_empty),
            "{schema}"
        );
    }
}
