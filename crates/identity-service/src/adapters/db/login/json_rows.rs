//! The rows aggregated as JSON by the login's read, decoded into domain
//! types. Booleans come as `true`/`false` from PostgreSQL and `1`/`0` from
//! SQLite; timestamps as RFC 3339 text from both.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::{
    Attribute, CustomUpn, DirectoryError, Identity, IdentityGroup, Membership, RoleGrant,
};

/// One aggregated row: its fields by name.
pub struct Row<'a>(&'a Map<String, Value>);

fn bad(field: &str) -> DirectoryError {
    DirectoryError::Unavailable(format!("stored {field} is unreadable"))
}

/// The objects of a JSON array of rows.
pub fn rows<'a>(array: &'a Value, what: &str) -> Result<Vec<Row<'a>>, DirectoryError> {
    array
        .as_array()
        .ok_or_else(|| bad(what))?
        .iter()
        .map(|v| v.as_object().map(Row).ok_or_else(|| bad(what)))
        .collect()
}

impl Row<'_> {
    fn get(&self, field: &str) -> &Value {
        self.0.get(field).unwrap_or(&Value::Null)
    }

    fn text(&self, field: &str) -> Result<String, DirectoryError> {
        self.opt_text(field)?.ok_or_else(|| bad(field))
    }

    fn opt_text(&self, field: &str) -> Result<Option<String>, DirectoryError> {
        match self.get(field) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(bad(field)),
        }
    }

    fn int(&self, field: &str) -> Result<i64, DirectoryError> {
        self.get(field).as_i64().ok_or_else(|| bad(field))
    }

    fn int32(&self, field: &str) -> Result<i32, DirectoryError> {
        i32::try_from(self.int(field)?).map_err(|_| bad(field))
    }

    fn flag(&self, field: &str) -> Result<bool, DirectoryError> {
        match self.get(field) {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) => Ok(n.as_i64().is_some_and(|n| n != 0)),
            _ => Err(bad(field)),
        }
    }

    fn time(&self, field: &str) -> Result<DateTime<Utc>, DirectoryError> {
        self.opt_time(field)?.ok_or_else(|| bad(field))
    }

    fn opt_time(&self, field: &str) -> Result<Option<DateTime<Utc>>, DirectoryError> {
        self.opt_text(field)?
            .map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .or_else(|_| DateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S%.f%#z"))
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| bad(field))
            })
            .transpose()
    }

    fn list(&self, field: &str) -> Result<Vec<Row<'_>>, DirectoryError> {
        rows(self.get(field), field)
    }

    pub fn identity(&self) -> Result<Identity, DirectoryError> {
        Ok(Identity {
            id: self.int32("id")?,
            user_id: self.text("user_id")?,
            idp_tenant_id: self.int32("idp_tenant_id")?,
            strategy: self.text("strategy")?,
            azo_user_id: self.text("azo_user_id")?,
            azo_connection_id: self.text("azo_connection_id")?,
            groups: self
                .list("groups")?
                .iter()
                .map(Row::group)
                .collect::<Result<_, _>>()?,
            idp_tenant_name: self.text("idp_tenant_name")?,
            azo_tenant_name: self.text("azo_tenant_name")?,
            idp_tenant_fqdn: self.text("idp_tenant_fqdn")?,
            login_domain: self.text("login_domain")?,
        })
    }

    fn group(&self) -> Result<IdentityGroup, DirectoryError> {
        Ok(IdentityGroup {
            id: self.int32("id")?,
            identity_id: self.int32("identity_id")?,
            group_name: self.text("group_name")?,
            expires: self.opt_time("expires")?,
        })
    }

    pub fn attribute(&self) -> Result<Attribute, DirectoryError> {
        Ok(Attribute {
            id: self.int32("id")?,
            user_id: self.text("user_id")?,
            name: self.text("name")?,
            value: self.opt_text("value")?,
            expires: self.opt_time("expires")?,
        })
    }

    pub fn role(&self) -> Result<RoleGrant, DirectoryError> {
        Ok(RoleGrant {
            role_id: self.text("role_id")?,
            name: self.text("name")?,
            description: self.opt_text("description")?,
            audience: self.text("audience")?,
            expires: self.opt_time("expires")?,
        })
    }

    pub fn membership(&self) -> Result<Membership, DirectoryError> {
        Ok(Membership {
            id: self.text("id")?,
            user_id: self.text("user_id")?,
            organization_id: self.int32("organization_id")?,
            organization_name: self.text("organization_name")?,
            organization_display_name: self.opt_text("organization_display_name")?,
            is_mfa_required: self.flag("is_mfa_required")?,
            is_guest: self.flag("is_guest")?,
            is_membership_mfa_required: self.flag("is_membership_mfa_required")?,
            roles: self
                .list("roles")?
                .iter()
                .map(Row::role)
                .collect::<Result<_, _>>()?,
            created: self.time("created")?,
            modified: self.time("modified")?,
            created_by: self.text("created_by")?,
            modified_by: self.text("modified_by")?,
        })
    }

    pub fn custom_upn(&self) -> Result<CustomUpn, DirectoryError> {
        Ok(CustomUpn {
            id: self.text("id")?,
            user_id: self.text("user_id")?,
            client_upn_key: self.opt_text("client_upn_key")?,
            custom_upn_value: self.opt_text("custom_upn_value")?,
            created: self.time("created")?,
            modified: self.time("modified")?,
            created_by: self.text("created_by")?,
            modified_by: self.text("modified_by")?,
            version: u64::try_from(self.int("version")?).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_timestamps_of_either_backend_decode() {
        let value = serde_json::json!([
            {"b": true, "t": "2026-03-01T08:00:00+00:00"},
            {"b": 0, "t": "2026-03-01T09:00:00.123456+01:00"}
        ]);
        let rows = rows(&value, "test").unwrap();
        assert!(rows[0].flag("b").unwrap());
        assert!(!rows[1].flag("b").unwrap());
        assert_eq!(
            rows[1].time("t").unwrap().to_rfc3339(),
            "2026-03-01T08:00:00.123456+00:00"
        );
        assert!(rows[0].opt_time("missing").unwrap().is_none());
        assert!(rows[0].text("b").is_err());
    }
}
