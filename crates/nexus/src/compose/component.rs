//! One component alone (`nexus serve <component>`), as Kubernetes runs it:
//! PostgreSQL and NATS JetStream, the other components found by URL.

use anyhow::Context as _;
use nexus_platform::config::{Component, Mode, Settings};
use nexus_platform::{Metrics, Shutdown};

use super::gateway::{GatewayStart, start_gateway};
use super::running::{Phases, Running};
use super::service::{
    ServiceContext, caller_auth, consumer_of, event_bus, internal_auth, open_database,
    register_consumer,
};

/// A key [`super::check_config`] has made sure is set.
fn required(value: Option<&str>, key: &'static str) -> anyhow::Result<String> {
    value
        .map(str::to_owned)
        .with_context(|| format!("configuration key `{key}`: is required"))
}

/// Starts one component alone, as Kubernetes runs it.
///
/// # Errors
/// A database, listener or configuration problem, named.
pub async fn start_component(
    settings: &Settings,
    component: Component,
    shutdown: Shutdown,
) -> anyhow::Result<Running> {
    let mode = Mode::Component;
    let configured = super::checked(settings, Some(component))?;
    let auth = internal_auth(settings)?;
    let phases = Phases::default();
    let drain = std::time::Duration::from_secs(settings.shutdown_drain_secs);
    let mut running = Running::new(shutdown, phases.clone(), drain);
    let metrics = Metrics::new();
    if component == Component::Gateway {
        let [identity, upn, tenant_access] = settings
            .gateway
            .service_urls()
            .map(|(key, url)| required(url, key));
        let start = GatewayStart {
            urls: [identity?, upn?, tenant_access?],
            auth,
            configured: configured.unwrap_or_default(),
            dev: None,
            metrics: metrics.clone(),
        };
        let (addr, task) = start_gateway(settings, start, phases.gateway.clone()).await?;
        running.gateway_addr = Some(addr);
        running.gateway = Some(task);
        running
            .start_admin(settings, Some(component), metrics, phases.services.clone())
            .await?;
        return Ok(running);
    }
    let db = open_database(settings, mode, component).await?;
    let events = event_bus(settings, mode).await?;
    let ctx = ServiceContext {
        settings,
        bus: events.bus,
        auth: caller_auth(settings, auth, None)?,
        shutdown: phases.services.clone(),
        background: phases.background.clone(),
        readers: Vec::new(),
        metrics: metrics.clone(),
    };
    let started = match component {
        Component::Identity => ctx.identity(db).await?,
        Component::Upn => {
            let url = required(settings.upn.identity_url.as_deref(), "upn.identity_url")?;
            ctx.upn(db, &url).await?
        }
        Component::TenantAccess | Component::Gateway => {
            let key = "tenant_access.identity_url";
            ctx.tenant_access(
                db,
                &required(settings.tenant_access.identity_url.as_deref(), key)?,
            )
            .await?
        }
    };
    if let Some((consumer, options, _)) = consumer_of(settings, component, started.db.clone())? {
        match &events.source {
            Some(source) => {
                register_consumer(&metrics, &consumer, source);
                running
                    .background
                    .push(consumer.spawn(source, options, ctx.background.clone()));
            }
            None => tracing::warn!(
                consumer = consumer.name(),
                "in-process events reach no other process: this component's consumer is not started"
            ),
        }
    }
    match component {
        Component::Identity => running.identity_addr = Some(started.addr),
        Component::Upn => running.upn_addr = Some(started.addr),
        Component::TenantAccess | Component::Gateway => {
            running.tenant_access_addr = Some(started.addr);
        }
    }
    running.databases.push((component, started.db));
    running.tasks.push(started.task);
    running.background.push(started.relay);
    running
        .start_admin(settings, Some(component), metrics, phases.services.clone())
        .await?;
    Ok(running)
}
