//! Reads shared by the repositories, usable inside a transaction, and the
//! mapping of rows to domain types.

use std::collections::HashMap;

use nexus_domain::{EmailAddress, UserId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{
    attributes, identities, identity_groups, idp_tenants, role_grants, roles, users,
};
use super::unavailable;
use crate::domain::{Attribute, Identity, IdentityGroup, IdpTenant, RoleGrant, User, UserError};
use crate::ports::UserView;

/// The user row, locked for the rest of the transaction on PostgreSQL (SQLite
/// has one writer, so a transaction is already exclusive).
pub async fn lock_user<C: ConnectionTrait>(
    conn: &C,
    id: &UserId,
) -> Result<Option<User>, UserError> {
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
) -> Result<Option<User>, UserError> {
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
) -> Result<Vec<Identity>, UserError> {
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
        .filter(idp_tenants::Column::Id.is_in(tenant_ids))
        .all(conn)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let identity_ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut groups: HashMap<i32, Vec<IdentityGroup>> = HashMap::new();
    for g in identity_groups::Entity::find()
        .filter(identity_groups::Column::IdentityId.is_in(identity_ids))
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
) -> Result<Vec<Attribute>, UserError> {
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
) -> Result<Vec<RoleGrant>, UserError> {
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
        .filter(roles::Column::Id.is_in(ids))
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
pub async fn view_of<C: ConnectionTrait>(conn: &C, user: User) -> Result<UserView, UserError> {
    Ok(UserView {
        identities: identities_of(conn, &user.id).await?,
        attributes: attributes_of(conn, &user.id).await?,
        roles: roles_of(conn, &user.id).await?,
        user,
    })
}

pub fn tenant_to_domain(m: idp_tenants::Model) -> IdpTenant {
    IdpTenant {
        id: m.id,
        name: m.name,
        azo_name: m.azo_name,
        fqdn: m.fqdn,
        login_domain: m.login_domain,
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
        version: u64::try_from(m.version).unwrap_or_default(),
    }
}

pub fn user_to_model(user: &User) -> users::Model {
    users::Model {
        id: user.id.to_string(),
        email_address: user.email_address.to_string(),
        email_normalized: user.email_address.normalized(),
        username: user.username.clone(),
        username_normalized: user.username.to_lowercase(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        display_name: user.display_name.clone(),
        nickname: user.nickname.clone(),
        picture: user.picture.clone(),
        language: user.language.clone(),
        phone_number: user.phone_number.clone(),
        user_type: user.user_type.clone(),
        owner_id: user.owner_id.as_ref().map(ToString::to_string),
        recovery_email_address: user
            .recovery_email_address
            .as_ref()
            .map(ToString::to_string),
        is_active: user.is_active,
        email_verified: user.email_verified,
        email_verify_sent_date: user.email_verify_sent_date,
        email_verification_status_type: user.email_verification_status_type.clone(),
        is_mfa_disabled: user.is_mfa_disabled,
        mfa_enrollment_status: user.mfa_enrollment_status.clone(),
        authentication_method: user.authentication_method.clone(),
        organization_id: user.organization_id,
        created: user.created,
        modified: user.modified,
        created_by: user.created_by.clone(),
        modified_by: user.modified_by.clone(),
        last_login: user.last_login,
        version: i64::try_from(user.version).unwrap_or(i64::MAX),
    }
}

pub fn user_to_domain(m: users::Model) -> Result<User, UserError> {
    let corrupt =
        |what: &str| UserError::Unavailable(format!("stored user {} has a bad {what}", m.id));
    Ok(User {
        id: UserId::parse(&m.id).map_err(|_| corrupt("id"))?,
        email_address: EmailAddress::parse("emailAddress", &m.email_address)
            .map_err(|_| corrupt("email address"))?,
        recovery_email_address: m
            .recovery_email_address
            .as_deref()
            .map(|e| EmailAddress::parse("recoveryEmailAddress", e))
            .transpose()
            .map_err(|_| corrupt("recovery email address"))?,
        owner_id: m
            .owner_id
            .as_deref()
            .map(UserId::parse)
            .transpose()
            .map_err(|_| corrupt("owner id"))?,
        version: u64::try_from(m.version).map_err(|_| corrupt("version"))?,
        username: m.username,
        given_name: m.given_name,
        family_name: m.family_name,
        display_name: m.display_name,
        nickname: m.nickname,
        picture: m.picture,
        language: m.language,
        phone_number: m.phone_number,
        user_type: m.user_type,
        is_active: m.is_active,
        email_verified: m.email_verified,
        email_verify_sent_date: m.email_verify_sent_date,
        email_verification_status_type: m.email_verification_status_type,
        is_mfa_disabled: m.is_mfa_disabled,
        mfa_enrollment_status: m.mfa_enrollment_status,
        authentication_method: m.authentication_method,
        organization_id: m.organization_id,
        created: m.created,
        modified: m.modified,
        created_by: m.created_by,
        modified_by: m.modified_by,
        last_login: m.last_login,
    })
}
