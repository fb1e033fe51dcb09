//! Request body extraction with contract-grade errors: 415 for a body that is
//! not JSON, 413 above the configured size, 400 naming the field for anything
//! that does not fit the schema.

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::api::problem::ApiError;

/// The largest body accepted, stored in the request's extensions by the router.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body deserialized into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    mime.eq_ignore_ascii_case("application/json")
        || mime.eq_ignore_ascii_case("application/merge-patch+json")
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json(content_type) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be application/json",
            ));
        }
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map_or(1024 * 1024, |l| l.0);
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the request body is larger than {limit} bytes"),
                )
            })?;
        object(&bytes)?;
        parse(&bytes).map(ApiJson)
    }
}

/// Every request body of the contract is a JSON object: serde would also
/// accept a struct written as an array, so anything else is refused first.
///
/// # Errors
/// 400 when the body is not a JSON object.
pub fn object(bytes: &[u8]) -> Result<(), ApiError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(ApiError::bad_request("body: must be a JSON object")),
    }
}

/// Deserializes `bytes`, naming the offending field on failure.
///
/// # Errors
/// 400 with the field's JSON path and what was wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // serde's messages end with " at line L column C": not useful to callers.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_owned();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(format!("body: malformed JSON: {message}"))
        } else if path == "." {
            ApiError::bad_request(format!("body: {}", missing_field_name(&message)))
        } else {
            ApiError::bad_request(format!("{path}: {message}"))
        }
    })
}

/// `missing field `x`` becomes `x: is required`.
fn missing_field_name(message: &str) -> String {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
        .map_or_else(
            || message.to_owned(),
            |field| format!("{field}: is required"),
        )
        .replacen("body: ", "", 1)
}

/// An RFC 3339 time from a request, as a protobuf timestamp.
///
/// # Errors
/// 400 naming the field.
pub fn timestamp(
    field: &str,
    raw: Option<&str>,
) -> Result<Option<prost_types::Timestamp>, ApiError> {
    raw.map(|r| {
        chrono::DateTime::parse_from_rfc3339(r)
            .map(|t| prost_types::Timestamp {
                seconds: t.timestamp(),
                nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
            })
            .map_err(|_| ApiError::bad_request(format!("{field}: must be an RFC 3339 date-time")))
    })
    .transpose()
}

/// A path parameter that must be an int32.
///
/// # Errors
/// 400 naming the parameter.
pub fn int32_param(name: &str, raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .map_err(|_| ApiError::bad_request(format!("{name}: must be an int32")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        email_address: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: i32,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Body>(br#"{}"#).unwrap_err();
        assert_eq!(e.detail, "body: emailAddress: is required");
        let e = parse::<Body>(br#"{"emailAddress": 3}"#).unwrap_err();
        assert!(
            e.detail.starts_with("emailAddress: invalid type"),
            "{}",
            e.detail
        );
        let e = parse::<Body>(br#"{"emailAddress": "a", "inner": {"n": "x"}}"#).unwrap_err();
        assert!(e.detail.starts_with("inner.n: "), "{}", e.detail);
        let e = parse::<Body>(br#"{"emailAddress": "a", "extra": 1}"#).unwrap_err();
        assert!(e.detail.contains("extra"), "{}", e.detail);
        let e = parse::<Body>(br#"{"emailAddress": "#).unwrap_err();
        assert!(e.detail.starts_with("body: malformed JSON"), "{}", e.detail);
    }
}
