//! The all-in-one: every service and the gateway in one process, on SQLite
//! files under `data_dir` unless configured otherwise. With in-process events
//! (the default) each consumer reads the producing service's outbox table
//! through a durable cursor kept in its own database; the in-process bus only
//! serves observers.

use nexus_platform::config::{Component, Mode, Settings};
use nexus_platform::events::consumer::EventSource;
use nexus_platform::events::feed::{CursorReader, OutboxFeed};
use nexus_platform::{Metrics, Shutdown};

use super::gateway::{DevCredentials, GatewayStart, start_gateway};
use super::running::{Phases, Running};
use super::service::{
    ServiceContext, Started, caller_auth, consumer_of, event_bus, internal_auth, open_database,
    register_consumer, url_of,
};

const SERVICES: [Component; 3] = [Component::Identity, Component::Upn, Component::TenantAccess];

/// Starts every service and the gateway in this process.
///
/// # Errors
/// A database, listener or configuration problem, named.
pub async fn start_all_in_one(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<Running> {
    let mode = Mode::AllInOne;
    let configured = super::checked(settings, None)?.unwrap_or_default();
    let events = event_bus(settings, mode).await?;
    let source = events.source.clone();
    let auth = internal_auth(settings)?;
    let mut databases = Vec::new();
    for component in SERVICES {
        databases.push(open_database(settings, mode, component).await?);
    }
    let mut consumers = Vec::new();
    for (component, db) in SERVICES.into_iter().zip(&databases) {
        if let Some(consumer) = consumer_of(settings, component, db.clone())? {
            consumers.push(consumer);
        }
    }
    let readers = if source.is_none() {
        consumers
            .iter()
            .map(|(consumer, _, producer)| {
                let reader = CursorReader {
                    db: consumer.db().clone(),
                    consumer: consumer.name().to_owned(),
                };
                (*producer, reader)
            })
            .collect()
    } else {
        Vec::new()
    };
    let dev = DevCredentials::for_all_in_one(settings)?;
    let dev_jwt = dev.as_ref().map(|d| d.jwt_config(settings));
    let metrics = Metrics::new();
    let phases = Phases::default();
    let ctx = ServiceContext {
        settings,
        bus: events.bus.clone(),
        auth: caller_auth(settings, auth.clone(), dev_jwt)?,
        shutdown: phases.services.clone(),
        background: phases.background.clone(),
        readers,
        metrics: metrics.clone(),
    };
    let [identity_db, upn_db, tenant_access_db] =
        <[_; 3]>::try_from(databases).map_err(|_| anyhow::anyhow!("three databases"))?;
    let identity = ctx.identity(identity_db).await?;
    let upn = ctx.upn(upn_db, &url_of(settings, identity.addr)).await?;
    let tenant_access = ctx
        .tenant_access(tenant_access_db, &url_of(settings, identity.addr))
        .await?;
    let started = |component| -> &Started {
        match component {
            Component::Upn => &upn,
            Component::TenantAccess => &tenant_access,
            Component::Identity | Component::Gateway => &identity,
        }
    };
    let mut background = Vec::new();
    for (consumer, options, producer) in consumers {
        let source = source.clone().unwrap_or_else(|| {
            let producer = started(producer);
            EventSource::Outbox(OutboxFeed::new(
                producer.db.clone(),
                producer.signal.clone(),
            ))
        });
        register_consumer(&metrics, &consumer, &source);
        background.push(consumer.spawn(&source, options, phases.background.clone()));
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
        phases.gateway.clone(),
    )
    .await?;
    let drain = std::time::Duration::from_secs(settings.shutdown_drain_secs);
    let mut running = Running::new(shutdown, phases.clone(), drain);
    running.gateway_addr = Some(gateway_addr);
    running.identity_addr = Some(identity.addr);
    running.upn_addr = Some(upn.addr);
    running.tenant_access_addr = Some(tenant_access.addr);
    running.dev_application_token = dev.map(|d| d.application_token);
    running.in_process_bus = events.in_process;
    running.databases = vec![
        (Component::Identity, identity.db),
        (Component::Upn, upn.db),
        (Component::TenantAccess, tenant_access.db),
    ];
    background.extend([identity.relay, upn.relay, tenant_access.relay]);
    running.background = background;
    running.gateway = Some(gateway_task);
    running.tasks = vec![identity.task, upn.task, tenant_access.task];
    running
        .start_admin(settings, None, metrics, phases.services.clone())
        .await?;
    Ok(running)
}
