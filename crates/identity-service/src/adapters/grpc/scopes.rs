//! The scope a bearer token needs for each method: the scope of the `/v1`
//! route the method serves, so a token allows the same operations over gRPC
//! as over REST.

use nexus_platform::scope::Scope::{
    IdentitiesWrite, IdpTenantsAdmin, OrganizationsAdmin, RolesAdmin, ScimProvision, UsersDelete,
    UsersRead, UsersSync, UsersWrite,
};

/// The scope `method` (`GetUser`) needs; `None` for a method no token may call.
pub fn of_method(method: &str) -> Option<&'static str> {
    let scope = match method {
        "GetUser" | "ListUsers" | "ListIdentities" | "ListAttributes" | "ListUserRoles"
        | "ListMemberships" => UsersRead,
        "CreateUser" | "UpdateUser" | "PutAttribute" | "DeleteAttribute" => UsersWrite,
        "DeleteUser" => UsersDelete,
        "LinkIdentity" | "UnlinkIdentity" => IdentitiesWrite,
        "SyncUser" => UsersSync,
        "CreateIdpTenant" | "GetIdpTenant" | "ListIdpTenants" | "UpdateIdpTenant"
        | "DeleteIdpTenant" => IdpTenantsAdmin,
        "CreateRole" | "GetRole" | "ListRoles" | "DeleteRole" | "GrantRole" | "RevokeRole" => {
            RolesAdmin
        }
        "CreateOrganization" | "GetOrganization" | "ListOrganizations" | "UpdateOrganization"
        | "DeleteOrganization" | "PutMembership" | "DeleteMembership" => OrganizationsAdmin,
        // The SCIM provisioning operations behind /scim/v2.
        "ProvisionUser"
        | "ApplyUserChanges"
        | "FindUsersByAttribute"
        | "ProvisionGroup"
        | "GetDirectoryGroup"
        | "ListDirectoryGroups"
        | "ApplyGroupChanges"
        | "DeleteDirectoryGroup" => ScimProvision,
        _ => return None,
    };
    Some(scope.as_str())
}
