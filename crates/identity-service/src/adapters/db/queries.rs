//! Reads shared by the repositories, usable inside a transaction.

use std::collections::HashMap;

use nexus_domain::UserId;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{
    attributes, custom_upns, identities, identity_groups, idp_tenants, membership_roles,
    memberships, organizations, role_grants, roles, users,
};
use super::lists::{int_in, text_in};
use super::rows::{organization_to_domain, user_to_domain};
use super::unavailable;
use super::views::membership_view;
use crate::domain::{
    Attribute, CustomUpn, DirectoryError, Identity, IdentityGroup, Membership, Organization,
    RoleGrant, User,
};
use crate::ports::UserView;

/// The user row, locked for the rest of the transaction on PostgreSQL (SQLite
/// has one writer, so a transaction is already exclusive).
pub async fn lock_user<C: ConnectionTrait>(
    conn: &C,
    id: &UserId,
) -> Result<Option<User>, DirectoryError> {
    let mut query = users::Entity::find_by_id(id.as_str());
    if conn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query
        .one(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .map(user_to_domain)
        .transpose()
}

pub async fn find_user<C: ConnectionTrait>(
    conn: &C,
    id: &UserId,
) -> Result<Option<User>, DirectoryError> {
    users::Entity::find_by_id(id.as_str())
        .one(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .map(user_to_domain)
        .transpose()
}

/// The user's identities, oldest first, with their groups and tenant names.
pub async fn identities_of<C: ConnectionTrait>(
    conn: &C,
    user: &UserId,
) -> Result<Vec<Identity>, DirectoryError> {
    let rows = identities::Entity::find()
        .filter(identities::Column::UserId.eq(user.as_str()))
        .order_by_asc(identities::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let tenant_ids: Vec<i32> = rows.iter().map(|r| r.idp_tenant_id).collect();
    let tenants: HashMap<i32, idp_tenants::Model> = idp_tenants::Entity::find()
        .filter(int_in(
            conn.get_database_backend(),
            idp_tenants::Column::Id,
            tenant_ids,
        ))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let identity_ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut groups: HashMap<i32, Vec<IdentityGroup>> = HashMap::new();
    for g in identity_groups::Entity::find()
        .filter(int_in(
            conn.get_database_backend(),
            identity_groups::Column::IdentityId,
            identity_ids,
        ))
        .order_by_asc(identity_groups::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
    {
        groups
            .entry(g.identity_id)
            .or_default()
            .push(IdentityGroup {
                id: g.id,
                identity_id: g.identity_id,
                group_name: g.group_name,
                expires: g.expires,
            });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let tenant = tenants.get(&r.idp_tenant_id);
            Identity {
                groups: groups.remove(&r.id).unwrap_or_default(),
                id: r.id,
                user_id: r.user_id,
                idp_tenant_id: r.idp_tenant_id,
                strategy: r.strategy,
                azo_user_id: r.azo_user_id,
                azo_connection_id: r.azo_connection_id,
                idp_tenant_name: tenant.map(|t| t.name.clone()).unwrap_or_default(),
                azo_tenant_name: tenant.map(|t| t.azo_name.clone()).unwrap_or_default(),
                idp_tenant_fqdn: tenant.map(|t| t.fqdn.clone()).unwrap_or_default(),
                login_domain: tenant.map(|t| t.login_domain.clone()).unwrap_or_default(),
            }
        })
        .collect())
}

pub async fn attributes_of<C: ConnectionTrait>(
    conn: &C,
    user: &UserId,
) -> Result<Vec<Attribute>, DirectoryError> {
    Ok(attributes::Entity::find()
        .filter(attributes::Column::UserId.eq(user.as_str()))
        .order_by_asc(attributes::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|a| Attribute {
            id: a.id,
            user_id: a.user_id,
            name: a.name,
            value: a.value,
            expires: a.expires,
        })
        .collect())
}

pub async fn roles_of<C: ConnectionTrait>(
    conn: &C,
    user: &UserId,
) -> Result<Vec<RoleGrant>, DirectoryError> {
    let grants = role_grants::Entity::find()
        .filter(role_grants::Column::UserId.eq(user.as_str()))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    if grants.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = grants.iter().map(|g| g.role_id.clone()).collect();
    let defs: HashMap<String, roles::Model> = roles::Entity::find()
        .filter(text_in(conn.get_database_backend(), roles::Column::Id, ids))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut out: Vec<RoleGrant> = grants
        .into_iter()
        .filter_map(|g| {
            let def = defs.get(&g.role_id)?;
            Some(RoleGrant {
                role_id: g.role_id,
                name: def.name.clone(),
                description: def.description.clone(),
                audience: def.audience.clone(),
                expires: g.expires,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.role_id.cmp(&b.role_id)));
    Ok(out)
}

/// The user and everything that hangs off it, read through `conn`.
pub async fn view_of<C: ConnectionTrait>(conn: &C, user: User) -> Result<UserView, DirectoryError> {
    let id = user.id.clone();
    super::views::views_of(conn, vec![user])
        .await?
        .pop()
        .ok_or_else(|| DirectoryError::user_not_found(&id))
}

/// The user's custom UPNs, oldest first (tombstones left out).
pub async fn custom_upns_of<C: ConnectionTrait>(
    conn: &C,
    user: &UserId,
) -> Result<Vec<CustomUpn>, DirectoryError> {
    Ok(custom_upns::Entity::find()
        .filter(custom_upns::Column::UserId.eq(user.as_str()))
        .filter(custom_upns::Column::Deleted.eq(false))
        .order_by_asc(custom_upns::Column::Created)
        .order_by_asc(custom_upns::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|u| CustomUpn {
            id: u.id,
            user_id: u.user_id,
            client_upn_key: u.client_upn_key,
            custom_upn_value: u.custom_upn_value,
            created: u.created,
            modified: u.modified,
            created_by: u.created_by,
            modified_by: u.modified_by,
            version: u64::try_from(u.version).unwrap_or_default(),
        })
        .collect())
}

pub async fn organization<C: ConnectionTrait>(
    conn: &C,
    id: i32,
) -> Result<Option<Organization>, DirectoryError> {
    organizations::Entity::find_by_id(id)
        .one(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .map(organization_to_domain)
        .transpose()
}

/// Role definitions by id, as grants without expiry.
async fn role_definitions<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<String>,
) -> Result<HashMap<String, RoleGrant>, DirectoryError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(roles::Entity::find()
        .filter(text_in(conn.get_database_backend(), roles::Column::Id, ids))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|r| {
            (
                r.id.clone(),
                RoleGrant {
                    role_id: r.id,
                    name: r.name,
                    description: r.description,
                    audience: r.audience,
                    expires: None,
                },
            )
        })
        .collect())
}

/// The user's memberships, oldest first, with organization names and roles.
pub async fn memberships_of<C: ConnectionTrait>(
    conn: &C,
    user: &UserId,
) -> Result<Vec<Membership>, DirectoryError> {
    let rows = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user.as_str()))
        .order_by_asc(memberships::Column::Created)
        .order_by_asc(memberships::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let org_ids: Vec<i32> = rows.iter().map(|m| m.organization_id).collect();
    let orgs: HashMap<i32, organizations::Model> = organizations::Entity::find()
        .filter(int_in(
            conn.get_database_backend(),
            organizations::Column::Id,
            org_ids,
        ))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let links = membership_roles::Entity::find()
        .filter(text_in(
            conn.get_database_backend(),
            membership_roles::Column::MembershipId,
            rows.iter().map(|m| m.id.clone()),
        ))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    let defs = role_definitions(conn, links.iter().map(|l| l.role_id.clone()).collect()).await?;
    let mut roles_by_membership: HashMap<String, Vec<RoleGrant>> = HashMap::new();
    for link in links {
        if let Some(def) = defs.get(&link.role_id) {
            roles_by_membership
                .entry(link.membership_id)
                .or_default()
                .push(def.clone());
        }
    }
    Ok(rows
        .into_iter()
        .map(|m| {
            let roles = roles_by_membership.remove(&m.id).unwrap_or_default();
            let org = orgs.get(&m.organization_id);
            membership_view(m, org, roles)
        })
        .collect())
}
