//! The admin listener of a process (`/metrics`, `/healthz`): the component's
//! `admin_listen`, or the all-in-one's `gateway.admin_listen`; none when unset.

use anyhow::Context as _;
use nexus_platform::config::{Component, Settings};
use nexus_platform::metrics::admin;
use nexus_platform::{Metrics, Shutdown};

use super::running::Running;

/// Where the admin listener of `component` (the all-in-one when `None`) is
/// configured, by key.
fn admin_key(component: Option<Component>) -> &'static str {
    match component {
        None | Some(Component::Gateway) => "gateway.admin_listen",
        Some(Component::Identity) => "identity.admin_listen",
        Some(Component::Upn) => "upn.admin_listen",
        Some(Component::TenantAccess) => "tenant_access.admin_listen",
    }
}

impl Running {
    /// Starts the admin listener of `component` (the all-in-one when `None`)
    /// over `metrics`, when one is configured, as the last part of the
    /// process: it stops with the rest.
    pub(super) async fn start_admin(
        &mut self,
        settings: &Settings,
        component: Option<Component>,
        metrics: Metrics,
        shutdown: Shutdown,
    ) -> anyhow::Result<()> {
        let Some(addr) = settings.admin_listen(component) else {
            return Ok(());
        };
        let key = admin_key(component);
        let listener = admin::bind(addr)
            .await
            .with_context(|| format!("{key}: cannot listen on {addr}"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "admin listener (/metrics, /healthz) listening");
        self.admin_addr = Some(addr);
        self.tasks.push(tokio::spawn(async move {
            admin::serve(listener, metrics, shutdown)
                .await
                .context("admin listener")
        }));
        Ok(())
    }
}
