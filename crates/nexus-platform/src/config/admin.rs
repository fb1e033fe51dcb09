//! The admin listeners (`<component>.admin_listen`): where `/metrics` and
//! `/healthz` are served, apart from the API. Off unless set. A component
//! run alone reads its own section's key; the all-in-one has one admin
//! listener for all its parts, `gateway.admin_listen`, and refuses the
//! services' keys rather than ignore them.

use std::net::SocketAddr;

use super::{Component, ConfigError, IDENTITY_KEYS, Mode, Settings, TENANT_ACCESS_KEYS, UPN_KEYS};

impl Settings {
    /// The admin address of `component` run alone, or of the all-in-one
    /// (`None`).
    pub fn admin_listen(&self, component: Option<Component>) -> Option<SocketAddr> {
        match component {
            None | Some(Component::Gateway) => self.gateway.admin_listen,
            Some(Component::Identity) => self.identity.admin_listen,
            Some(Component::Upn) => self.upn.admin_listen,
            Some(Component::TenantAccess) => self.tenant_access.admin_listen,
        }
    }

    /// The all-in-one serves every metric on `gateway.admin_listen`: it
    /// refuses the services' own admin keys rather than ignore them. Checked
    /// when the all-in-one starts (and by `check-config` for it), not on
    /// load, so that `nexus migrate <service>` reads a service's file as is.
    ///
    /// # Errors
    /// The first service admin key that is set.
    pub fn refuse_service_admin_listeners(&self) -> Result<(), ConfigError> {
        for (keys, admin) in [
            (&IDENTITY_KEYS, self.identity.admin_listen),
            (&UPN_KEYS, self.upn.admin_listen),
            (&TENANT_ACCESS_KEYS, self.tenant_access.admin_listen),
        ] {
            if admin.is_some() {
                return Err(ConfigError::invalid(
                    keys.admin_listen,
                    "is read by `nexus serve` only: the all-in-one serves every metric on gateway.admin_listen",
                ));
            }
        }
        Ok(())
    }

    /// An admin address must not be one the component serves its API on.
    pub(super) fn validate_admin_listeners(&self, mode: Mode) -> Result<(), ConfigError> {
        let services = [
            (
                &IDENTITY_KEYS,
                self.identity.listen,
                self.identity.admin_listen,
            ),
            (&UPN_KEYS, self.upn.listen, self.upn.admin_listen),
            (
                &TENANT_ACCESS_KEYS,
                self.tenant_access.listen,
                self.tenant_access.admin_listen,
            ),
        ];
        for (keys, listen, admin) in services {
            let Some(admin) = admin else { continue };
            check_apart(keys.admin_listen, admin, &[(keys.listen, listen)])?;
        }
        if let Some(admin) = self.gateway.admin_listen {
            let mut apis = vec![("gateway.listen", self.gateway.listen)];
            if mode == Mode::AllInOne {
                apis.extend([
                    (IDENTITY_KEYS.listen, self.identity.listen),
                    (UPN_KEYS.listen, self.upn.listen),
                    (TENANT_ACCESS_KEYS.listen, self.tenant_access.listen),
                ]);
            }
            check_apart("gateway.admin_listen", admin, &apis)?;
        }
        Ok(())
    }
}

/// Refuses an admin address equal to an API address (port 0 picks a free
/// port each, so it never collides).
fn check_apart(
    key: &'static str,
    admin: SocketAddr,
    apis: &[(&'static str, SocketAddr)],
) -> Result<(), ConfigError> {
    match apis
        .iter()
        .find(|(_, api)| admin.port() != 0 && *api == admin)
    {
        Some((api_key, _)) => Err(ConfigError::invalid(
            key,
            format!("must differ from {api_key}: metrics are not served on an API listener"),
        )),
        None => Ok(()),
    }
}
