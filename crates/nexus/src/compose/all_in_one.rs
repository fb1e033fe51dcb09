//! The all-in-one: every service and the gateway in one process, on SQLite
//! files under `data_dir` and in-process events unless configured otherwise.

use nexus_platform::config::{Component, Mode, Settings};
use nexus_platform::events::consumer::EventSource;
use nexus_platform::{Metrics, Shutdown};

use super::gateway::{DevCredentials, GatewayStart, start_gateway};
use super::running::Running;
use super::service::{
    ServiceContext, caller_auth, event_bus, internal_auth, open_database, spawn_consumers, url_of,
};

/// Starts every service and the gateway in this process.
///
/// # Errors
/// A database, listener or configuration problem, named.
pub async fn start_all_in_one(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<Running> {
    let mode = Mode::AllInOne;
    let configured = super::checked(settings, None)?.unwrap_or_default();
    let (bus, source) = event_bus(settings, mode).await?;
    let in_process_bus = match &source {
        EventSource::InProcess(bus) => Some(bus.clone()),
        EventSource::JetStream(_) => None,
    };
    let auth = internal_auth(settings)?;
    let dev = DevCredentials::for_all_in_one(settings)?;
    let dev_jwt = dev.as_ref().map(|d| d.jwt_config(settings));
    let metrics = Metrics::new();
    let ctx = ServiceContext {
        settings,
        bus,
        auth: caller_auth(settings, auth.clone(), dev_jwt)?,
        shutdown: shutdown.clone(),
        metrics: metrics.clone(),
    };
    let db = |component| open_database(settings, mode, component);
    let identity = ctx.identity(db(Component::Identity).await?).await?;
    let upn = ctx
        .upn(db(Component::Upn).await?, &url_of(settings, identity.addr))
        .await?;
    let tenant_access = ctx
        .tenant_access(
            db(Component::TenantAccess).await?,
            &url_of(settings, identity.addr),
        )
        .await?;
    for (component, started) in [
        (Component::Identity, &identity),
        (Component::Upn, &upn),
        (Component::TenantAccess, &tenant_access),
    ] {
        spawn_consumers(&source, component, started, &shutdown, &metrics)?;
    }
    let (gateway_addr, gateway_task) = start_gateway(
        settings,
        GatewayStart {
            urls: [
                url_of(settings, identity.addr),
                url_of(settings, upn.addr),
                url_of(settings, tenant_access.addr),
            ],
            auth,
            configured,
            dev: dev.as_ref(),
            metrics: metrics.clone(),
        },
        shutdown.clone(),
    )
    .await?;

    let mut running = Running::new(shutdown.clone());
    running.gateway_addr = Some(gateway_addr);
    running.identity_addr = Some(identity.addr);
    running.upn_addr = Some(upn.addr);
    running.tenant_access_addr = Some(tenant_access.addr);
    running.dev_application_token = dev.map(|d| d.application_token);
    running.in_process_bus = in_process_bus;
    running.databases = vec![
        (Component::Identity, identity.db),
        (Component::Upn, upn.db),
        (Component::TenantAccess, tenant_access.db),
    ];
    running.tasks = vec![identity.task, upn.task, tenant_access.task, gateway_task];
    running
        .start_admin(settings, None, metrics, shutdown)
        .await?;
    Ok(running)
}
