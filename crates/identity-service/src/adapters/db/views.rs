//! Full user views for many users at once, in a constant number of
//! statements whatever the number of users: each table is read once for the
//! whole set (`user_id = ANY($1)` on PostgreSQL, `json_each` on SQLite) and
//! the rows are grouped by user in memory.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{
    attributes, custom_upns, identities, identity_groups, idp_tenants, membership_roles,
    memberships, organizations, role_grants, roles,
};
use super::lists::{int_in, text_in};
use super::rows::organization_to_domain;
use super::unavailable;
use crate::domain::{
    Attribute, CustomUpn, DirectoryError, Identity, IdentityGroup, Membership, RoleGrant, User,
};
use crate::ports::UserView;

/// Sorts grants as every view shows them: by name, then id.
fn sort_grants(grants: &mut [RoleGrant]) {
    grants.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.role_id.cmp(&b.role_id)));
}

/// A membership as views show it: with its organization's name and MFA
/// rule, and its roles sorted.
pub(super) fn membership_view(
    m: memberships::Model,
    org: Option<&organizations::Model>,
    mut roles: Vec<RoleGrant>,
) -> Membership {
    sort_grants(&mut roles);
    Membership {
        organization_name: org.map(|o| o.name.clone()).unwrap_or_default(),
        organization_display_name: org.and_then(|o| o.display_name.clone()),
        is_mfa_required: org.is_some_and(|o| o.is_mfa_required),
        roles,
        id: m.id,
        user_id: m.user_id,
        organization_id: m.organization_id,
        is_guest: m.is_guest,
        is_membership_mfa_required: m.is_membership_mfa_required,
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
    }
}

/// The views of `users`, in their order, read through `conn`.
///
/// # Errors
/// Storage failure or a corrupt stored organization.
pub async fn views_of<C: ConnectionTrait>(
    conn: &C,
    users: Vec<User>,
) -> Result<Vec<UserView>, DirectoryError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let ids: Vec<String> = users.iter().map(|u| u.id.to_string()).collect();

    let mut identities = identities_by_user(conn, &ids).await?;
    let mut attributes: HashMap<String, Vec<Attribute>> = HashMap::new();
    for a in attributes::Entity::find()
        .filter(text_in(backend, attributes::Column::UserId, ids.clone()))
        .order_by_asc(attributes::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
    {
        attributes
            .entry(a.user_id.clone())
            .or_default()
            .push(Attribute {
                id: a.id,
                user_id: a.user_id,
                name: a.name,
                value: a.value,
                expires: a.expires,
            });
    }
    let grants = role_grants::Entity::find()
        .filter(text_in(backend, role_grants::Column::UserId, ids.clone()))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    let membership_rows = memberships::Entity::find()
        .filter(text_in(backend, memberships::Column::UserId, ids.clone()))
        .order_by_asc(memberships::Column::Created)
        .order_by_asc(memberships::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    let links = if membership_rows.is_empty() {
        Vec::new()
    } else {
        membership_roles::Entity::find()
            .filter(text_in(
                backend,
                membership_roles::Column::MembershipId,
                membership_rows.iter().map(|m| m.id.clone()),
            ))
            .all(conn)
            .await
            .map_err(|e| unavailable(&e))?
    };
    let role_ids: HashSet<String> = grants
        .iter()
        .map(|g| g.role_id.clone())
        .chain(links.iter().map(|l| l.role_id.clone()))
        .collect();
    let role_defs: HashMap<String, roles::Model> = if role_ids.is_empty() {
        HashMap::new()
    } else {
        roles::Entity::find()
            .filter(text_in(backend, roles::Column::Id, role_ids))
            .all(conn)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
    };
    let org_ids: HashSet<i32> = membership_rows
        .iter()
        .map(|m| m.organization_id)
        .chain(users.iter().filter_map(|u| u.organization_id))
        .collect();
    let orgs: HashMap<i32, organizations::Model> = if org_ids.is_empty() {
        HashMap::new()
    } else {
        organizations::Entity::find()
            .filter(int_in(backend, organizations::Column::Id, org_ids))
            .all(conn)
            .await
            .map_err(|e| unavailable(&e))?
            .into_iter()
            .map(|o| (o.id, o))
            .collect()
    };
    let mut upns: HashMap<String, Vec<CustomUpn>> = HashMap::new();
    for u in custom_upns::Entity::find()
        .filter(text_in(backend, custom_upns::Column::UserId, ids))
        .filter(custom_upns::Column::Deleted.eq(false))
        .order_by_asc(custom_upns::Column::Created)
        .order_by_asc(custom_upns::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
    {
        upns.entry(u.user_id.clone()).or_default().push(CustomUpn {
            id: u.id,
            user_id: u.user_id,
            client_upn_key: u.client_upn_key,
            custom_upn_value: u.custom_upn_value,
            created: u.created,
            modified: u.modified,
            created_by: u.created_by,
            modified_by: u.modified_by,
            version: u64::try_from(u.version).unwrap_or_default(),
        });
    }

    let mut roles_by_user: HashMap<String, Vec<RoleGrant>> = HashMap::new();
    for g in grants {
        if let Some(def) = role_defs.get(&g.role_id) {
            roles_by_user.entry(g.user_id).or_default().push(RoleGrant {
                role_id: g.role_id,
                name: def.name.clone(),
                description: def.description.clone(),
                audience: def.audience.clone(),
                expires: g.expires,
            });
        }
    }
    let mut roles_by_membership: HashMap<String, Vec<RoleGrant>> = HashMap::new();
    for link in links {
        if let Some(def) = role_defs.get(&link.role_id) {
            roles_by_membership
                .entry(link.membership_id)
                .or_default()
                .push(RoleGrant {
                    role_id: def.id.clone(),
                    name: def.name.clone(),
                    description: def.description.clone(),
                    audience: def.audience.clone(),
                    expires: None,
                });
        }
    }
    let mut memberships_by_user: HashMap<String, Vec<Membership>> = HashMap::new();
    for m in membership_rows {
        let roles = roles_by_membership.remove(&m.id).unwrap_or_default();
        let org = orgs.get(&m.organization_id);
        memberships_by_user
            .entry(m.user_id.clone())
            .or_default()
            .push(membership_view(m, org, roles));
    }

    let mut views = Vec::with_capacity(users.len());
    for user in users {
        let id = user.id.as_str();
        let organization = user
            .organization_id
            .and_then(|o| orgs.get(&o).cloned())
            .map(organization_to_domain)
            .transpose()?;
        let mut roles = roles_by_user.remove(id).unwrap_or_default();
        sort_grants(&mut roles);
        views.push(UserView {
            identities: identities.remove(id).unwrap_or_default(),
            attributes: attributes.remove(id).unwrap_or_default(),
            roles,
            memberships: memberships_by_user.remove(id).unwrap_or_default(),
            custom_upns: upns.remove(id).unwrap_or_default(),
            organization,
            user,
        });
    }
    Ok(views)
}

/// The identities of the users, oldest first, with their groups and tenant
/// names, by user id.
async fn identities_by_user<C: ConnectionTrait>(
    conn: &C,
    ids: &[String],
) -> Result<HashMap<String, Vec<Identity>>, DirectoryError> {
    let backend = conn.get_database_backend();
    let rows = identities::Entity::find()
        .filter(text_in(backend, identities::Column::UserId, ids.to_vec()))
        .order_by_asc(identities::Column::Id)
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let tenant_ids: HashSet<i32> = rows.iter().map(|r| r.idp_tenant_id).collect();
    let tenants: HashMap<i32, idp_tenants::Model> = idp_tenants::Entity::find()
        .filter(int_in(backend, idp_tenants::Column::Id, tenant_ids))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut groups: HashMap<i32, Vec<IdentityGroup>> = HashMap::new();
    for g in identity_groups::Entity::find()
        .filter(int_in(
            backend,
            identity_groups::Column::IdentityId,
            rows.iter().map(|r| r.id),
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
    let mut by_user: HashMap<String, Vec<Identity>> = HashMap::new();
    for r in rows {
        let tenant = tenants.get(&r.idp_tenant_id);
        by_user
            .entry(r.user_id.clone())
            .or_default()
            .push(Identity {
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
            });
    }
    Ok(by_user)
}
