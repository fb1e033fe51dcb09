//! The user and everything its view needs, in one statement: the user row
//! with its organization joined, and identities (with tenants and groups),
//! attributes, role grants, memberships (with their roles) and custom UPNs
//! aggregated as JSON arrays. A login reads the user once instead of once per
//! table. The statement never takes the row lock itself: on PostgreSQL its
//! subqueries would still see the snapshot taken before the lock was granted,
//! so a locked reader locks the row first and reads after.

use std::sync::LazyLock;

use nexus_domain::UserId;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement};

use super::json_rows::{Row, rows};
use crate::adapters::db::entities::{organizations, users};
use crate::adapters::db::rows::{organization_to_domain, user_to_domain};
use crate::adapters::db::unavailable;
use crate::domain::{Attribute, CustomUpn, DirectoryError, Identity, Membership, RoleGrant};
use crate::ports::UserView;

const ORGANIZATION_COLUMNS: [&str; 19] = [
    "id",
    "name",
    "kind",
    "aliases",
    "contact",
    "domains",
    "is_active",
    "display_name",
    "crm_account_id",
    "is_mfa_required",
    "is_self_service",
    "technical_contact",
    "is_enabled_for_preview_features",
    "is_domain_verification_required",
    "created",
    "modified",
    "created_by",
    "modified_by",
    "version",
];

/// The JSON spelling of one backend.
struct Dialect {
    postgres: bool,
}

impl Dialect {
    fn object(&self, fields: &[(&str, &str)]) -> String {
        let args: Vec<String> = fields
            .iter()
            .map(|(key, expr)| format!("'{key}', {expr}"))
            .collect();
        let f = if self.postgres {
            "json_build_object"
        } else {
            "json_object"
        };
        format!("{f}({})", args.join(", "))
    }

    /// A JSON array of `object` over the rows of `rest` (FROM … WHERE …),
    /// `[]` when there are none.
    fn array(&self, object: &str, rest: &str) -> String {
        if self.postgres {
            format!("(SELECT COALESCE(json_agg({object}), '[]'::json) {rest})")
        } else {
            // json() keeps the nested array JSON, not a string, inside an
            // enclosing json_object.
            format!("json((SELECT json_group_array({object}) {rest}))")
        }
    }

    /// A top-level column: text, which both drivers read as a string.
    fn column(&self, array: &str, name: &str) -> String {
        if self.postgres {
            format!("{array}::text AS {name}")
        } else {
            format!("{array} AS {name}")
        }
    }
}

/// The select list of a user's view over `users u LEFT JOIN organizations o
/// ON o.id = u.organization_id`: the user's columns, its organization's as
/// `o_*`, and its rows aggregated as JSON; [`decode`] reads one such row.
pub(in crate::adapters::db) fn view_columns(postgres: bool) -> String {
    let d = Dialect { postgres };
    let role = |grant_expires: &str| {
        d.object(&[
            ("role_id", "r.id"),
            ("name", "r.name"),
            ("description", "r.description"),
            ("audience", "r.audience"),
            ("expires", grant_expires),
        ])
    };
    let groups = d.array(
        &d.object(&[
            ("id", "g.id"),
            ("identity_id", "g.identity_id"),
            ("group_name", "g.group_name"),
            ("expires", "g.expires"),
        ]),
        "FROM identity_groups g WHERE g.identity_id = i.id",
    );
    let identities = d.array(
        &d.object(&[
            ("id", "i.id"),
            ("user_id", "i.user_id"),
            ("idp_tenant_id", "i.idp_tenant_id"),
            ("strategy", "i.strategy"),
            ("azo_user_id", "i.azo_user_id"),
            ("azo_connection_id", "i.azo_connection_id"),
            ("idp_tenant_name", "COALESCE(t.name, '')"),
            ("azo_tenant_name", "COALESCE(t.azo_name, '')"),
            ("idp_tenant_fqdn", "COALESCE(t.fqdn, '')"),
            ("login_domain", "COALESCE(t.login_domain, '')"),
            ("groups", &groups),
        ]),
        "FROM identities i LEFT JOIN idp_tenants t ON t.id = i.idp_tenant_id \
         WHERE i.user_id = u.id",
    );
    let attributes = d.array(
        &d.object(&[
            ("id", "a.id"),
            ("user_id", "a.user_id"),
            ("name", "a.name"),
            ("value", "a.value"),
            ("expires", "a.expires"),
        ]),
        "FROM attributes a WHERE a.user_id = u.id",
    );
    let grants = d.array(
        &role("rg.expires"),
        "FROM role_grants rg JOIN roles r ON r.id = rg.role_id WHERE rg.user_id = u.id",
    );
    let membership_roles = d.array(
        &role("NULL"),
        "FROM membership_roles mr JOIN roles r ON r.id = mr.role_id \
         WHERE mr.membership_id = m.id",
    );
    let memberships = d.array(
        &d.object(&[
            ("id", "m.id"),
            ("user_id", "m.user_id"),
            ("organization_id", "m.organization_id"),
            ("organization_name", "COALESCE(mo.name, '')"),
            ("organization_display_name", "mo.display_name"),
            ("is_mfa_required", "COALESCE(mo.is_mfa_required, false)"),
            ("is_guest", "m.is_guest"),
            ("is_membership_mfa_required", "m.is_membership_mfa_required"),
            ("roles", &membership_roles),
            ("created", "m.created"),
            ("modified", "m.modified"),
            ("created_by", "m.created_by"),
            ("modified_by", "m.modified_by"),
        ]),
        "FROM memberships m LEFT JOIN organizations mo ON mo.id = m.organization_id \
         WHERE m.user_id = u.id",
    );
    let upns = d.array(
        &d.object(&[
            ("id", "c.id"),
            ("user_id", "c.user_id"),
            ("client_upn_key", "c.client_upn_key"),
            ("custom_upn_value", "c.custom_upn_value"),
            ("created", "c.created"),
            ("modified", "c.modified"),
            ("created_by", "c.created_by"),
            ("modified_by", "c.modified_by"),
            ("version", "c.version"),
        ]),
        "FROM custom_upns c WHERE c.user_id = u.id AND c.deleted = false",
    );
    let organization: Vec<String> = ORGANIZATION_COLUMNS
        .iter()
        .map(|c| format!("o.{c} AS o_{c}"))
        .collect();
    format!(
        "u.*, {}, {}, {}, {}, {}, {}",
        organization.join(", "),
        d.column(&identities, "identities_json"),
        d.column(&attributes, "attributes_json"),
        d.column(&grants, "roles_json"),
        d.column(&memberships, "memberships_json"),
        d.column(&upns, "custom_upns_json"),
    )
}

/// The users and organizations a view's select list reads from.
pub(in crate::adapters::db) const VIEW_FROM: &str =
    "users u LEFT JOIN organizations o ON o.id = u.organization_id";

fn view_sql(postgres: bool) -> String {
    let param = if postgres { "$1" } else { "?1" };
    format!(
        "SELECT {} FROM {VIEW_FROM} WHERE u.id = {param}",
        view_columns(postgres)
    )
}

static POSTGRES: LazyLock<String> = LazyLock::new(|| view_sql(true));
static SQLITE: LazyLock<String> = LazyLock::new(|| view_sql(false));

/// The PostgreSQL statement of [`user_view`] (`$1` is the user id), for
/// replaying a login's read outside Nexus (the benchmark's pgbench script).
pub fn postgres_statement() -> &'static str {
    POSTGRES.as_str()
}

/// The user with everything its view needs (expired rows included), or None.
pub async fn user_view<C: ConnectionTrait>(
    conn: &C,
    id: &UserId,
) -> Result<Option<UserView>, DirectoryError> {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        POSTGRES.as_str()
    } else {
        SQLITE.as_str()
    };
    let stmt = Statement::from_sql_and_values(backend, sql, [id.as_str().into()]);
    let Some(row) = conn.query_one(stmt).await.map_err(|e| unavailable(&e))? else {
        return Ok(None);
    };
    decode(&row).map(Some)
}

/// One row of [`view_columns`] as a view.
pub(in crate::adapters::db) fn decode(row: &QueryResult) -> Result<UserView, DirectoryError> {
    let user =
        user_to_domain(users::Model::from_query_result(row, "").map_err(|e| unavailable(&e))?)?;
    let organization = match row
        .try_get::<Option<i32>>("", "o_id")
        .map_err(|e| unavailable(&e))?
    {
        Some(_) => Some(organization_to_domain(
            organizations::Model::from_query_result(row, "o_").map_err(|e| unavailable(&e))?,
        )?),
        None => None,
    };
    let mut identities: Vec<Identity> =
        decoded(row, "identities_json", |r: &mut Row<'_>| r.identity())?;
    identities.sort_by_key(|i| i.id);
    for i in &mut identities {
        i.groups.sort_by_key(|g| g.id);
    }
    let mut attributes: Vec<Attribute> =
        decoded(row, "attributes_json", |r: &mut Row<'_>| r.attribute())?;
    attributes.sort_by_key(|a| a.id);
    let mut roles: Vec<RoleGrant> = decoded(row, "roles_json", |r: &mut Row<'_>| r.role())?;
    sort_roles(&mut roles);
    let mut memberships: Vec<Membership> =
        decoded(row, "memberships_json", |r: &mut Row<'_>| r.membership())?;
    memberships.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
    for m in &mut memberships {
        sort_roles(&mut m.roles);
    }
    let mut custom_upns: Vec<CustomUpn> =
        decoded(row, "custom_upns_json", |r: &mut Row<'_>| r.custom_upn())?;
    custom_upns.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
    Ok(UserView {
        user,
        identities,
        attributes,
        roles,
        memberships,
        custom_upns,
        organization,
    })
}

fn sort_roles(roles: &mut [RoleGrant]) {
    roles.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.role_id.cmp(&b.role_id)));
}

/// The rows of the JSON array in `column`, each decoded by `decode`.
fn decoded<T>(
    row: &QueryResult,
    column: &str,
    decode: impl Fn(&mut Row<'_>) -> Result<T, DirectoryError>,
) -> Result<Vec<T>, DirectoryError> {
    let text: String = row.try_get("", column).map_err(|e| unavailable(&e))?;
    let mut value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| DirectoryError::Unavailable(format!("stored {column} is unreadable: {e}")))?;
    rows(&mut value, column, decode)
}
