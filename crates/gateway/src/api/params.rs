//! The path parameters of the contract as the OpenAPI document states them,
//! once for every route that takes them. Handlers read the raw strings and
//! answer 400 naming the parameter when an integer id is not one (axum's own
//! rejection would not name it), so these types are never built.

#![allow(dead_code)]

use utoipa::IntoParams;

/// `{userId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct UserPath {
    /// The user's id.
    #[param(pattern = "nexus:id")]
    user_id: String,
}

/// `{idpTenantId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct IdpTenantPath {
    /// The IdP tenant's id.
    idp_tenant_id: i32,
}

/// `{organizationId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct OrganizationPath {
    /// The organization's id.
    organization_id: i32,
}

/// `{roleId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct RolePath {
    /// The role's id.
    #[param(min_length = 1, max_length = 64)]
    role_id: String,
}

/// `{upnId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct CustomUpnPath {
    /// The custom UPN's id.
    #[param(min_length = 1, max_length = 64)]
    upn_id: String,
}

/// `{name}` of an attribute.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AttributePath {
    /// The attribute's name.
    #[param(min_length = 1, max_length = 255, pattern = "nexus:text")]
    name: String,
}

/// `{tenantId}` of the back-office routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct TenantPath {
    /// The tenant.
    #[param(pattern = "nexus:tenant-id")]
    tenant_id: String,
}
