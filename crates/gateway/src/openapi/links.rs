//! Links between operations (OpenAPI `links`): what a created resource's id
//! can be used for next. They document the API's workflows, and contract
//! fuzzing's stateful phase follows them to run real sequences: create a user,
//! then read, change, link and `$sync` it and delete it; create a role, then
//! grant it.

use utoipa::Modify;
use utoipa::openapi::link::Link;
use utoipa::openapi::{OpenApi, RefOr};

/// A link from one response to an operation, with where its parameters come from.
struct Follow {
    from: &'static str,
    status: &'static str,
    to: &'static str,
    parameters: &'static [(&'static str, &'static str)],
}

const BODY_ID: &str = "$response.body#/id";
const PATH_USER: &str = "$request.path.userId";

const USER: &[(&str, &str)] = &[("userId", BODY_ID)];
const IDP_TENANT: &[(&str, &str)] = &[("idpTenantId", BODY_ID)];
const ROLE: &[(&str, &str)] = &[("roleId", BODY_ID)];
const ORGANIZATION: &[(&str, &str)] = &[("organizationId", BODY_ID)];
const UPN: &[(&str, &str)] = &[("userId", PATH_USER), ("upnId", BODY_ID)];
const SAME_USER: &[(&str, &str)] = &[("userId", PATH_USER)];
const SAME_LINK: &[(&str, &str)] = &[
    ("userId", PATH_USER),
    ("idpTenantId", "$request.path.idpTenantId"),
];
const SAME_GRANT: &[(&str, &str)] = &[("userId", PATH_USER), ("roleId", "$request.path.roleId")];

const fn follow(
    from: &'static str,
    status: &'static str,
    to: &'static str,
    parameters: &'static [(&'static str, &'static str)],
) -> Follow {
    Follow {
        from,
        status,
        to,
        parameters,
    }
}

const LINKS: &[Follow] = &[
    follow("CreateUser", "201", "GetUser", USER),
    follow("CreateUser", "201", "UpdateUser", USER),
    follow("CreateUser", "201", "DeleteUser", USER),
    follow("CreateUser", "201", "LinkUserToTenant", USER),
    follow("CreateUser", "201", "CreateCustomUpn", USER),
    follow("CreateUser", "201", "PutUserAttribute", USER),
    follow("CreateUser", "201", "GrantUserRole", USER),
    follow("CreateUser", "201", "PutUserMembership", USER),
    follow("LinkUserToTenant", "200", "SyncUserIdentity", SAME_USER),
    follow("LinkUserToTenant", "200", "ListUserIdpTenants", SAME_USER),
    follow("LinkUserToTenant", "200", "UnlinkUserFromTenant", SAME_LINK),
    follow("CreateIdpTenant", "201", "GetIdpTenant", IDP_TENANT),
    follow("CreateIdpTenant", "201", "UpdateIdpTenant", IDP_TENANT),
    follow("CreateIdpTenant", "201", "DeleteIdpTenant", IDP_TENANT),
    follow("CreateIdpTenant", "201", "LinkUserToTenant", IDP_TENANT),
    follow("CreateRole", "201", "GetRole", ROLE),
    follow("CreateRole", "201", "DeleteRole", ROLE),
    follow("CreateRole", "201", "GrantUserRole", ROLE),
    follow("GrantUserRole", "200", "ListUserRoles", SAME_USER),
    follow("GrantUserRole", "200", "RevokeUserRole", SAME_GRANT),
    follow("CreateOrganization", "201", "GetOrganization", ORGANIZATION),
    follow(
        "CreateOrganization",
        "201",
        "UpdateOrganization",
        ORGANIZATION,
    ),
    follow(
        "CreateOrganization",
        "201",
        "DeleteOrganization",
        ORGANIZATION,
    ),
    follow(
        "CreateOrganization",
        "201",
        "PutUserMembership",
        ORGANIZATION,
    ),
    follow("CreateCustomUpn", "201", "GetCustomUpn", UPN),
    follow("CreateCustomUpn", "201", "UpdateCustomUpn", UPN),
    follow("CreateCustomUpn", "201", "DeleteCustomUpn", UPN),
];

/// Adds [`LINKS`] to the responses they start from.
pub struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let Some(id) = operation.operation_id.clone() else {
                    continue;
                };
                for link in LINKS.iter().filter(|l| l.from == id) {
                    let Some(RefOr::T(response)) =
                        operation.responses.responses.get_mut(link.status)
                    else {
                        continue;
                    };
                    let mut built = Link::builder().operation_id(link.to);
                    for (name, source) in link.parameters {
                        built = built.parameter(*name, *source);
                    }
                    response
                        .links
                        .insert(link.to.to_owned(), built.build().into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_starts_and_ends_at_a_documented_operation() {
        let document = crate::openapi::document_for(&["admin".to_owned()]);
        let json = document;
        let mut operations = std::collections::HashMap::new();
        for item in json["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                    operations.insert(id.to_owned(), op.clone());
                }
            }
        }
        for link in LINKS {
            assert!(operations.contains_key(link.to), "{}", link.to);
            let from = &operations[link.from];
            let declared = &from["responses"][link.status]["links"][link.to];
            assert_eq!(
                declared["operationId"], link.to,
                "{} -> {}",
                link.from, link.to
            );
        }
    }
}
