//! Builds and starts services and the gateway from [`Settings`]: the
//! all-in-one, or one component alone. What start-up refuses about the
//! configuration is decided in one place, [`check_config`], which `nexus
//! check-config` runs too, so that both refuse the same files.

mod admin;
mod all_in_one;
mod component;
pub mod events;
mod events_nats;
mod gateway;
mod migrate;
mod running;
mod service;

use nexus_platform::config::{ConfigError, Mode, Settings};

pub use all_in_one::start_all_in_one;
pub use component::start_component;
pub use migrate::{MigrateTarget, migrate};
pub use nexus_platform::config::Component;
pub use running::Running;

/// Refuses what start-up of `component` (the all-in-one when `None`) would
/// refuse before opening a database or a port, given `settings` that
/// [`Settings::load`] has validated section by section for the matching
/// [`Mode`]: the keys the component needs, and the gateway's credentials.
///
/// # Errors
/// A [`ConfigError`] naming the first offending key.
pub fn check_config(settings: &Settings, component: Option<Component>) -> Result<(), ConfigError> {
    checked(settings, component).map(drop)
}

/// The mode settings are loaded in for `component` (the all-in-one when `None`).
pub fn mode_of(component: Option<Component>) -> Mode {
    component.map_or(Mode::AllInOne, |_| Mode::Component)
}

/// [`check_config`], keeping the gateway's credentials it built (when the
/// process runs the gateway) for start-up to use.
fn checked(
    settings: &Settings,
    component: Option<Component>,
) -> Result<Option<::gateway::Credentials>, ConfigError> {
    match component {
        Some(component) => settings.validate_component(component)?,
        None => settings.refuse_service_admin_listeners()?,
    }
    match component {
        None | Some(Component::Gateway) => gateway::configured_credentials(settings).map(Some),
        // Services verify bearer tokens with the same [auth.jwt]: a key
        // source the gateway could not use is refused for them too.
        Some(_) => gateway::configured_credentials(settings).map(|_| None),
    }
}
