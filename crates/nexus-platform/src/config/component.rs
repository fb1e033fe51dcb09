//! The components `nexus serve` runs alone, and the keys each one needs set:
//! the all-in-one fills in service URLs and SQLite files itself, a component
//! cannot, so these are checked before anything starts.

use super::{ConfigError, Settings};

/// One component of Nexus, as `nexus serve` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    Gateway,
    Identity,
    Upn,
    TenantAccess,
}

impl Component {
    pub const ALL: [Self; 4] = [Self::Gateway, Self::Identity, Self::Upn, Self::TenantAccess];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gateway => "gateway",
            Self::Identity => "identity",
            Self::Upn => "upn",
            Self::TenantAccess => "tenant-access",
        }
    }
}

impl std::fmt::Display for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no component.
#[derive(Debug, thiserror::Error)]
#[error("unknown component `{0}`: use gateway, identity, upn or tenant-access")]
pub struct UnknownComponent(String);

impl std::str::FromStr for Component {
    type Err = UnknownComponent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownComponent(s.to_owned()))
    }
}

impl Settings {
    /// The keys `component` needs set, each with whether it is, beyond
    /// `internal_auth.secret` (which [`Mode::Component`](super::Mode::Component) requires of all).
    pub fn required_keys(&self, component: Component) -> Vec<(&'static str, bool)> {
        match component {
            Component::Gateway => self
                .gateway
                .service_urls()
                .into_iter()
                .map(|(key, url)| (key, url.is_some()))
                .collect(),
            Component::Identity => {
                vec![(
                    "identity.database_url",
                    self.identity.database_url.is_some(),
                )]
            }
            Component::Upn => vec![
                ("upn.database_url", self.upn.database_url.is_some()),
                ("upn.identity_url", self.upn.identity_url.is_some()),
            ],
            Component::TenantAccess => vec![
                (
                    "tenant_access.database_url",
                    self.tenant_access.database_url.is_some(),
                ),
                (
                    "tenant_access.identity_url",
                    self.tenant_access.identity_url.is_some(),
                ),
            ],
        }
    }

    /// What `nexus serve <component>` checks beyond the sections, which
    /// [`Settings::load`] with [`Mode::Component`](super::Mode::Component) has validated: the keys
    /// the component needs set.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the first missing key.
    pub fn validate_component(&self, component: Component) -> Result<(), ConfigError> {
        match self
            .required_keys(component)
            .into_iter()
            .find(|(_, set)| !set)
        {
            Some((key, _)) => Err(ConfigError::invalid(
                key,
                format!("is required for `nexus serve {component}`"),
            )),
            None => Ok(()),
        }
    }
}
