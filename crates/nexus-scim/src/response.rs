//! Response bodies (RFC 7644 §3.4.2, §3.12): the list response with its paging fields and the
//! error body, plus the paging arithmetic of `startIndex` / `count`.

use serde_json::{Value, json};

use crate::ScimError;

pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The media type SCIM responses carry.
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";

/// A list response holding one page of resources.
pub fn list_response(resources: Vec<Value>, total_results: usize, start_index: usize) -> Value {
    let items_per_page = resources.len();
    json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total_results,
        "startIndex": start_index,
        "itemsPerPage": items_per_page,
        "Resources": Value::Array(resources),
    })
}

/// The error body: `status` is a string, as RFC 7644 §3.12 defines it.
pub fn error_response(error: &ScimError) -> Value {
    let mut body = json!({
        "schemas": [ERROR_URN],
        "status": error.status.to_string(),
        "detail": error.detail,
    });
    if let (Some(scim_type), Some(map)) = (error.scim_type, body.as_object_mut()) {
        map.insert(
            "scimType".to_owned(),
            Value::String(scim_type.as_str().to_owned()),
        );
    }
    body
}

/// A page request: 1-based `startIndex` and a `count` capped at the server's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub start_index: usize,
    pub count: usize,
}

impl Page {
    /// Reads the query parameters leniently, as RFC 7644 §3.4.2.4 asks: a `startIndex` below 1
    /// is 1, a negative `count` is 0, and a `count` above `max_results` is `max_results`.
    pub fn from_query(start_index: Option<i64>, count: Option<i64>, max_results: usize) -> Self {
        let start_index = start_index.map_or(1, |s| usize::try_from(s.max(1)).unwrap_or(1));
        let count = count.map_or(max_results, |c| {
            usize::try_from(c.max(0))
                .unwrap_or(max_results)
                .min(max_results)
        });
        Self { start_index, count }
    }

    /// The items of this page out of the full, ordered result.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let from = self.offset().min(items.len());
        let to = from.saturating_add(self.count).min(items.len());
        &items[from..to]
    }

    /// The zero-based offset for a store query.
    pub fn offset(&self) -> usize {
        self.start_index.saturating_sub(1)
    }
}

/// A weak ETag for `meta.version`, derived from the resource's content without `meta`, so it
/// changes exactly when the representation does (FNV-1a over the canonical JSON text;
/// `serde_json` keeps object keys sorted, so equal documents give equal tags).
pub fn etag(resource: &Value) -> String {
    let mut content = resource.clone();
    if let Some(map) = content.as_object_mut() {
        map.retain(|k, _| !k.eq_ignore_ascii_case("meta"));
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in content.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("W/\"{hash:016x}\"")
}

/// Whether an `If-Match` header admits the resource's current version: `*`, or a list that
/// contains it. SCIM versions are weak tags (RFC 7644 §3.14) and clients echo them with the
/// `W/` prefix, so tags compare by their opaque part.
pub fn if_match_allows(if_match: &str, current_version: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let current = opaque(current_version);
    if_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || opaque(tag) == current)
}
