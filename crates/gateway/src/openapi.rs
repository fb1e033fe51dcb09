//! The OpenAPI 3.1 document of the REST contract, generated from the handlers'
//! annotations and the JSON types they use, served at `/openapi.json`; and a
//! self-contained reference page at `/docs` (no external assets, so it works
//! offline). Nothing in the gateway imports this file but the route table.

mod links;

use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes,
    SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use self::links::Links;
use crate::api::problem::ProblemJson;
use crate::api::schema::expand_patterns;
use crate::auth::scope::Scope;
use crate::routes::{
    attributes, custom_upns, health, identities, idp_tenants, memberships, organizations, roles,
    sync, tenant_users, users,
};

/// The reference page served at `/docs`: it renders `/openapi.json`.
pub const PAGE: &str = include_str!("docs.html");

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
        let v1 = Scope::ALL.map(|s| (s.as_str(), s.describe()));
        let tenant = [
            ("tenant.access:read", "read a tenant's back-office users"),
            ("tenant.access:write", "change a tenant's back-office users"),
        ];
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "https://identity-provider.example/oauth/token",
                    Scopes::from_iter(v1.into_iter().chain(tenant)),
                ))],
                "Bearer JWT from the configured issuer. On `/v1` it comes with an `ApplicationToken` header, and a request holds the token's scopes (`scope`, space separated, and `permissions`) that its ApplicationToken also lists; each operation names the one it needs (403 without it). On the tenant routes it comes alone, and its tenants claim lists the tenants it may act on.",
            )),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "A configured user; it holds the scopes configured for it, and each `/v1` operation needs the one its `oauth2` requirement names.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole REST contract.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Nexus",
        description = "Identity backend: users, identity-provider tenants and links, the login-time sync, attributes, roles, organizations. Every `/v1` operation takes a bearer JWT together with an `ApplicationToken` header, or HTTP Basic, and needs the one scope its security requirement names. Errors are RFC 9457 problem details. Timestamps are RFC 3339 UTC. `subscriptions`, `products` and `applicationDeployments` belong to a product catalogue outside Nexus and are always empty lists."
    ),
    servers((url = "/", description = "This deployment")),
    modifiers(&Security, &Links),
    security(("bearer" = [], "applicationToken" = []), ("basic" = [])),
    paths(
        users::create_user,
        users::list_users,
        users::get_user,
        users::update_user,
        users::delete_user,
        sync::sync_user,
        identities::link,
        identities::unlink,
        identities::list,
        idp_tenants::create,
        idp_tenants::list,
        idp_tenants::get,
        idp_tenants::update,
        idp_tenants::delete,
        attributes::list,
        attributes::put,
        attributes::delete,
        roles::create_role,
        roles::list_roles,
        roles::get_role,
        roles::delete_role,
        roles::list_user_roles,
        roles::grant_role,
        roles::revoke_role,
        organizations::create,
        organizations::list,
        organizations::get,
        organizations::update,
        organizations::delete,
        memberships::list,
        memberships::put,
        memberships::delete,
        custom_upns::list,
        custom_upns::create,
        custom_upns::get,
        custom_upns::update,
        custom_upns::delete,
        tenant_users::list,
        tenant_users::create,
        tenant_users::get,
        tenant_users::update,
        tenant_users::delete,
        health::live,
        health::ready,
    ),
    tags(
        (name = "users", description = "Users: the people Nexus knows, with everything they hold."),
        (
            name = "identities",
            description = "Links of users to identity-provider tenants, and the login-time sync."
        ),
        (
            name = "idp_tenants",
            description = "The identity-provider (Auth0) tenants users are linked to."
        ),
        (name = "attributes", description = "A user's attributes, by name."),
        (name = "roles", description = "Role definitions per audience, and their grants to users."),
        (
            name = "organizations",
            description = "Organizations and the memberships of users in them."
        ),
        (
            name = "custom UPNs",
            description = "A user's custom UPNs; answers carry an `ETag`, changes honour `If-Match`."
        ),
        (
            name = "tenant access",
            description = "A tenant's back-office users and their roles, for OAuth2 bearer tokens."
        ),
        (name = "health", description = "Liveness and readiness probes, without credentials."),
    ),
    components(schemas(ProblemJson))
)]
pub struct ApiDoc;

/// The document with this deployment's tenant roles stated as the only
/// values `role` takes, and the named string patterns expanded.
pub fn document_for(tenant_roles: &[String]) -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    expand_patterns(&mut doc);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What client generators need: unique operation ids, every operation
    /// summarized, described and under a declared tag, every answer described.
    #[test]
    fn every_operation_is_named_once_described_and_tagged() {
        let doc = document_for(&["admin".to_owned()]);
        let tags: Vec<&str> = doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let mut ids = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let at = format!("{method} {path}");
                ids.push(op["operationId"].as_str().unwrap().to_owned());
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{at}"
                );
                assert!(
                    op["description"].as_str().is_some_and(|s| !s.is_empty()),
                    "{at}"
                );
                for tag in op["tags"].as_array().unwrap() {
                    assert!(tags.contains(&tag.as_str().unwrap()), "{at}: {tag}");
                }
                for (status, answer) in op["responses"].as_object().unwrap() {
                    let described = answer["description"]
                        .as_str()
                        .is_some_and(|s| !s.is_empty());
                    assert!(described, "{at} {status}");
                }
            }
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "operation ids repeat");
        assert!(
            !doc.to_string().contains("nexus:"),
            "a pattern name was left"
        );
        assert_eq!(
            doc["components"]["schemas"]["AttachBody"]["properties"]["role"]["enum"],
            serde_json::json!(["admin"])
        );
    }
}
