//! The OpenAPI 3.1 document of the REST contract, generated from the handlers'
//! annotations and the JSON types they use, served at `/openapi.json`; and a
//! self-contained reference page at `/docs` (no external assets, so it works
//! offline).

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use serde::Serialize;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes,
    SecurityScheme,
};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

/// RFC 9457 problem details, the body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemJson {
    /// `about:blank`: the status says what happened.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub status: Option<u16>,
    /// What went wrong; for validation errors it starts with the field.
    pub detail: Option<String>,
    /// The request path.
    pub instance: Option<String>,
}

/// Text without control characters, as every free-text field of the contract.
const TEXT: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// A DNS name.
const DNS: &str = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";

fn string_schema(
    min: Option<usize>,
    max: usize,
    pattern: Option<&str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(min)
        .max_length(Some(max))
        .pattern(pattern)
        .into()
}

macro_rules! string_type {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $pattern:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                string_schema($min, $max, $pattern)
            }
        }

        impl ToSchema for $name {}
    };
}

string_type!(
    /// A group name brought by a login.
    GroupName, Some(1), 255, Some(TEXT)
);
string_type!(
    /// An organization alias.
    Alias, Some(1), 255, Some(TEXT)
);
string_type!(
    /// A DNS name.
    DomainName, None, 253, Some(DNS)
);
string_type!(
    /// A role definition's id.
    RoleId, Some(1), 64, None
);

/// Errors every authenticated operation may answer.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// Malformed JSON, a missing or out-of-bounds field, a bad path or query
    /// parameter; `detail` starts with the field.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(ProblemJson),
    /// Missing or invalid credentials (with `WWW-Authenticate`).
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(ProblemJson),
    /// The principal may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(ProblemJson),
    /// No such resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(ProblemJson),
    /// The body is larger than the configured limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(ProblemJson),
    /// The body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(ProblemJson),
    /// Over the principal's rate; `Retry-After` says when to try again.
    #[response(status = 429, content_type = "application/problem+json")]
    TooManyRequests(ProblemJson),
    /// An unexpected failure; quote the `X-Request-Id` header.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(ProblemJson),
    /// A service Nexus depends on is unavailable.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(ProblemJson),
}

/// A conflict with the current state (duplicate, still in use).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ConflictError {
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(ProblemJson),
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "applicationToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("ApplicationToken"))),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "https://identity-provider.example/oauth/token",
                    Scopes::from_iter([
                        ("tenant.access:read", "read a tenant's back-office users"),
                        ("tenant.access:write", "change a tenant's back-office users"),
                    ]),
                ))],
                "Bearer JWT from the configured issuer; its tenants claim lists the tenants it may act on.",
            )),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// The whole REST contract.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Nexus",
        description = "Identity backend: users, identity-provider tenants and links, the login-time sync, attributes, roles, organizations. Every `/v1` operation takes a bearer JWT together with an `ApplicationToken` header, or HTTP Basic. Errors are RFC 9457 problem details. Timestamps are RFC 3339 UTC. `subscriptions`, `products` and `applicationDeployments` belong to a product catalogue outside Nexus and are always empty lists."
    ),
    modifiers(&Security),
    security(("bearer" = [], "applicationToken" = []), ("basic" = [])),
    paths(
        crate::users::create_user,
        crate::users::list_users,
        crate::users::get_user,
        crate::users::update_user,
        crate::users::delete_user,
        crate::identities::link,
        crate::identities::unlink,
        crate::identities::list,
        crate::identities::sync,
        crate::idp_tenants::create,
        crate::idp_tenants::list,
        crate::idp_tenants::get,
        crate::idp_tenants::update,
        crate::idp_tenants::delete,
        crate::profile::list_attributes,
        crate::profile::put_attribute,
        crate::profile::delete_attribute,
        crate::profile::create_role,
        crate::profile::list_roles,
        crate::profile::get_role,
        crate::profile::delete_role,
        crate::profile::list_user_roles,
        crate::profile::grant_role,
        crate::profile::revoke_role,
        crate::organizations::create,
        crate::organizations::list,
        crate::organizations::get,
        crate::organizations::update,
        crate::organizations::delete,
        crate::organizations::list_memberships,
        crate::organizations::put_membership,
        crate::organizations::delete_membership,
        crate::upns::list,
        crate::upns::create,
        crate::upns::get,
        crate::upns::update,
        crate::upns::delete,
        crate::tenant_access::list,
        crate::tenant_access::create,
        crate::tenant_access::get,
        crate::tenant_access::update,
        crate::tenant_access::delete,
        crate::health::live,
        crate::health::ready,
    ),
    components(schemas(ProblemJson))
)]
pub struct ApiDoc;

/// The document with this deployment's tenant roles stated as the only
/// values `role` takes.
pub fn document_for(tenant_roles: &[String]) -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    for (body, nullable) in [("AttachBody", false), ("UpdateBody", true)] {
        if let Some(role) = doc.pointer_mut(&format!("/components/schemas/{body}/properties/role"))
        {
            let mut values: Vec<serde_json::Value> =
                tenant_roles.iter().map(|r| serde_json::json!(r)).collect();
            if nullable {
                values.push(serde_json::Value::Null);
            }
            role["enum"] = serde_json::Value::Array(values);
        }
    }
    doc
}

/// `GET /openapi.json`.
pub async fn document(State(state): State<crate::AppState>) -> Json<serde_json::Value> {
    Json(state.openapi().clone())
}

/// `GET /docs`: a reference page that renders `/openapi.json` in the browser.
pub async fn page() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}
