//! The rows aggregated as JSON by the login's read, decoded into domain
//! types. Booleans come as `true`/`false` from PostgreSQL and `1`/`0` from
//! SQLite; timestamps as RFC 3339 text from both.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::{
    Attribute, CustomUpn, DirectoryError, Identity, IdentityGroup, Membership, RoleGrant,
};

/// One aggregated row: its fields by name, each text taken out as it is
/// read, so it moves into the domain value instead of being copied.
pub struct Row<'a>(&'a mut Map<String, Value>);

fn bad(field: &str) -> DirectoryError {
    DirectoryError::Unavailable(format!("stored {field} is unreadable"))
}

/// The objects of a JSON array of rows, each decoded by `decode`.
pub fn rows<T>(
    array: &mut Value,
    what: &str,
    decode: impl Fn(&mut Row<'_>) -> Result<T, DirectoryError>,
) -> Result<Vec<T>, DirectoryError> {
    array
        .as_array_mut()
        .ok_or_else(|| bad(what))?
        .iter_mut()
        .map(|v| {
            let mut row = v.as_object_mut().map(Row).ok_or_else(|| bad(what))?;
            decode(&mut row)
        })
        .collect()
}

impl Row<'_> {
    fn take(&mut self, field: &str) -> Value {
        self.0.remove(field).unwrap_or(Value::Null)
    }

    fn get(&self, field: &str) -> &Value {
        self.0.get(field).unwrap_or(&Value::Null)
    }

    fn text(&mut self, field: &str) -> Result<String, DirectoryError> {
        self.opt_text(field)?.ok_or_else(|| bad(field))
    }

    fn opt_text(&mut self, field: &str) -> Result<Option<String>, DirectoryError> {
        match self.take(field) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
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
        match self.get(field) {
            Value::Null => Ok(None),
            Value::String(t) => DateTime::parse_from_rfc3339(t)
                .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%#z"))
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| bad(field)),
            _ => Err(bad(field)),
        }
    }

    fn list<T>(
        &mut self,
        field: &str,
        decode: impl Fn(&mut Row<'_>) -> Result<T, DirectoryError>,
    ) -> Result<Vec<T>, DirectoryError> {
        rows(&mut self.take(field), field, decode)
    }

    pub fn identity(&mut self) -> Result<Identity, DirectoryError> {
        Ok(Identity {
            id: self.int32("id")?,
            user_id: self.text("user_id")?,
            idp_tenant_id: self.int32("idp_tenant_id")?,
            strategy: self.text("strategy")?,
            azo_user_id: self.text("azo_user_id")?,
            azo_connection_id: self.text("azo_connection_id")?,
            groups: self.list("groups", |r: &mut Row<'_>| r.group())?,
            idp_tenant_name: self.text("idp_tenant_name")?,
            azo_tenant_name: self.text("azo_tenant_name")?,
            idp_tenant_fqdn: self.text("idp_tenant_fqdn")?,
            login_domain: self.text("login_domain")?,
        })
    }

    fn group(&mut self) -> Result<IdentityGroup, DirectoryError> {
        Ok(IdentityGroup {
            id: self.int32("id")?,
            identity_id: self.int32("identity_id")?,
            group_name: self.text("group_name")?,
            expires: self.opt_time("expires")?,
        })
    }

    pub fn attribute(&mut self) -> Result<Attribute, DirectoryError> {
        Ok(Attribute {
            id: self.int32("id")?,
            user_id: self.text("user_id")?,
            name: self.text("name")?,
            value: self.opt_text("value")?,
            expires: self.opt_time("expires")?,
        })
    }

    pub fn role(&mut self) -> Result<RoleGrant, DirectoryError> {
        Ok(RoleGrant {
            role_id: self.text("role_id")?,
            name: self.text("name")?,
            description: self.opt_text("description")?,
            audience: self.text("audience")?,
            expires: self.opt_time("expires")?,
        })
    }

    pub fn membership(&mut self) -> Result<Membership, DirectoryError> {
        Ok(Membership {
            id: self.text("id")?,
            user_id: self.text("user_id")?,
            organization_id: self.int32("organization_id")?,
            organization_name: self.text("organization_name")?,
            organization_display_name: self.opt_text("organization_display_name")?,
            is_mfa_required: self.flag("is_mfa_required")?,
            is_guest: self.flag("is_guest")?,
            is_membership_mfa_required: self.flag("is_membership_mfa_required")?,
            roles: self.list("roles", |r: &mut Row<'_>| r.role())?,
            created: self.time("created")?,
            modified: self.time("modified")?,
            created_by: self.text("created_by")?,
            modified_by: self.text("modified_by")?,
        })
    }

    pub fn custom_upn(&mut self) -> Result<CustomUpn, DirectoryError> {
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
        let mut value = serde_json::json!([
            {"b": true, "t": "2026-03-01T08:00:00+00:00"},
            {"b": 0, "t": "2026-03-01T09:00:00.123456+01:00"}
        ]);
        let decoded = rows(&mut value, "test", |r| {
            Ok((
                r.flag("b")?,
                r.time("t")?.to_rfc3339(),
                r.opt_time("missing")?,
                r.text("b").is_err(),
            ))
        })
        .unwrap();
        assert!(decoded[0].0);
        assert!(!decoded[1].0);
        assert_eq!(decoded[1].1, "2026-03-01T08:00:00.123456+00:00");
        assert!(decoded[0].2.is_none());
        assert!(decoded[0].3);
    }
}
