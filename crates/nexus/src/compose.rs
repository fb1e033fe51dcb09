//! Builds and starts services and the gateway from [`Settings`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use nexus_platform::config::{self, EventBackend, Mode, ServiceSettings, Settings};
use nexus_platform::events::consumer::EventSource;
use nexus_platform::events::{InProcessEventBus, NatsEventBus};
use nexus_platform::outbox::{OutboxRelay, OutboxSignal};
use nexus_platform::{EventBus, InternalAuth, Shutdown, db, grpc};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use secrecy::{ExposeSecret, SecretString};
use tokio::task::JoinHandle;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// One component of Nexus, as `nexus serve` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Component {
    Gateway,
    Identity,
    Upn,
    TenantAccess,
}

/// A started process: where it listens, and how to stop it.
pub struct Running {
    pub gateway_addr: Option<SocketAddr>,
    pub identity_addr: Option<SocketAddr>,
    pub upn_addr: Option<SocketAddr>,
    pub tenant_access_addr: Option<SocketAddr>,
    /// The development ApplicationToken, when development credentials are on
    /// (no `[auth]` configured); bearer tokens then come from `nexus dev token`.
    pub dev_application_token: Option<SecretString>,
    /// The event bus of an all-in-one, for in-process subscribers.
    pub in_process_bus: Option<InProcessEventBus>,
    /// The databases of the started services, by component.
    pub databases: Vec<(Component, DatabaseConnection)>,
    shutdown: Shutdown,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    /// Stops everything and waits until it has stopped.
    ///
    /// # Errors
    /// A task failed while running or stopping.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        self.wait().await
    }

    /// Waits until the shutdown signal fires and every task has finished.
    ///
    /// # Errors
    /// A task failed.
    pub async fn wait(self) -> anyhow::Result<()> {
        let mut first_error = None;
        for task in self.tasks {
            let result = task.await.map_err(anyhow::Error::from).and_then(|r| r);
            if let Err(e) = result {
                // One failed server stops the others.
                self.shutdown.trigger();
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

struct Started {
    addr: SocketAddr,
    db: DatabaseConnection,
    task: JoinHandle<anyhow::Result<()>>,
}

/// Everything a service needs from its process.
struct ServiceContext<'a> {
    settings: &'a Settings,
    mode: Mode,
    bus: Arc<dyn EventBus>,
    auth: InternalAuth,
    shutdown: Shutdown,
}

impl ServiceContext<'_> {
    async fn start<M: MigratorTrait>(
        &self,
        (listen_key, database_key): (&'static str, &'static str),
        svc: &ServiceSettings,
        file_name: &str,
        service_name: &'static str,
        add: impl FnOnce(
            Routes,
            DatabaseConnection,
            OutboxSignal,
            &InternalAuth,
        ) -> anyhow::Result<Routes>,
    ) -> anyhow::Result<Started> {
        let url = config::database_url(self.settings, database_key, svc, file_name, self.mode)?;
        let db = db::connect_and_migrate::<M>(url.expose_secret(), &self.settings.database)
            .await
            .with_context(|| format!("{service_name} database"))?;
        let signal = OutboxSignal::new();
        let events = &self.settings.events;
        OutboxRelay::new(
            db.clone(),
            self.bus.clone(),
            signal.clone(),
            events.relay_batch_size,
            Duration::from_millis(events.relay_poll_interval_ms),
            Duration::from_secs(events.outbox_retention_secs),
        )
        .spawn(self.shutdown.clone());

        let (routes, reporter) = grpc::standard_routes()?;
        let routes = add(routes, db.clone(), signal.clone(), &self.auth)?;
        spawn_health_monitor(
            reporter,
            db.clone(),
            self.bus.clone(),
            self.shutdown.clone(),
        );

        let listener = grpc::bind(svc.listen)
            .await
            .with_context(|| format!("{listen_key}: cannot listen on {}", svc.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(service = service_name, %addr, "gRPC service listening");
        let shutdown = self.shutdown.clone();
        let task = tokio::spawn(async move {
            grpc::serve(listener, routes, shutdown)
                .await
                .with_context(|| format!("{service_name} gRPC server"))
        });
        Ok(Started { addr, db, task })
    }

    async fn identity(&self) -> anyhow::Result<Started> {
        self.start::<identity_service::Migrator>(
            ("identity.listen", "identity.database_url"),
            &self.settings.identity,
            "identity.db",
            identity_service::SERVICE_NAME,
            |routes, db, signal, auth| {
                Ok(routes.add_service(identity_service::grpc_service(db, signal, auth)))
            },
        )
        .await
    }

    /// The upn service, asking the identity service at `identity_url`
    /// whether users exist.
    async fn upn(&self, identity_url: &str) -> anyhow::Result<Started> {
        let identity = tonic::transport::Endpoint::from_shared(identity_url.to_owned())
            .context("upn.identity_url")?
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        self.start::<upn_service::Migrator>(
            ("upn.listen", "upn.database_url"),
            &self.settings.upn,
            "upn.db",
            upn_service::SERVICE_NAME,
            |routes, db, signal, auth| {
                Ok(routes.add_service(upn_service::grpc_service(db, signal, identity, auth)))
            },
        )
        .await
    }

    /// `identity_url` is where tenant-access finds the identity service.
    async fn tenant_access(&self, identity_url: String) -> anyhow::Result<Started> {
        let settings = &self.settings.tenant_access;
        let config = tenant_access_service::TenantAccessConfig {
            identity_url,
            roles: tenant_access_service::Roles::new(&settings.roles)
                .map_err(|e| anyhow::anyhow!("configuration key `{}`: {}", e.field, e.message))?,
        };
        self.start::<tenant_access_service::Migrator>(
            ("tenant_access.listen", "tenant_access.database_url"),
            &settings.service(),
            "tenant-access.db",
            tenant_access_service::SERVICE_NAME,
            |routes, db, signal, auth| {
                Ok(routes.add_service(tenant_access_service::grpc_service(
                    db, signal, auth, &config,
                )?))
            },
        )
        .await
    }
}

/// Reports SERVING while the database and the event bus answer.
fn spawn_health_monitor(
    reporter: HealthReporter,
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    shutdown: Shutdown,
) {
    tokio::spawn(async move {
        loop {
            let ok = db::ping(&db).await && bus.is_ready().await;
            let status = if ok {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            reporter.set_service_status("", status).await;
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(Duration::from_secs(if ok { 5 } else { 1 })) => {},
            }
        }
    });
}

/// The bus the relays publish to, and where the consumers read from.
async fn event_bus(
    settings: &Settings,
    mode: Mode,
) -> anyhow::Result<(Arc<dyn EventBus>, EventSource)> {
    Ok(match settings.event_backend(mode) {
        EventBackend::Memory => {
            let bus = InProcessEventBus::new();
            (Arc::new(bus.clone()), EventSource::InProcess(bus))
        }
        EventBackend::Nats => {
            let bus = Arc::new(NatsEventBus::connect(&settings.events).await?);
            (bus.clone(), EventSource::JetStream(bus))
        }
    })
}

/// The event consumers of a component's service: identity's copy of custom
/// UPNs, upn's clean-up of deleted users' UPNs, tenant-access's user
/// projection.
fn spawn_consumers(
    source: &EventSource,
    component: Component,
    started: &Started,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let db = started.db.clone();
    let (consumer, options) = match component {
        Component::Identity => (
            identity_service::adapters::upn_events::consumer(db)?,
            identity_service::adapters::upn_events::options(),
        ),
        Component::Upn => (
            upn_service::adapters::user_events::consumer(db)?,
            upn_service::adapters::user_events::options(),
        ),
        Component::TenantAccess => (
            tenant_access_service::adapters::projection::consumer(db)?,
            tenant_access_service::adapters::projection::options(),
        ),
        Component::Gateway => return Ok(()),
    };
    consumer.spawn(source, options, shutdown.clone());
    Ok(())
}

fn internal_auth(settings: &Settings) -> anyhow::Result<InternalAuth> {
    match &settings.internal_auth.secret {
        Some(secret) => Ok(InternalAuth::new(secret.expose_secret().as_bytes())),
        None => InternalAuth::random().map_err(|e| anyhow::anyhow!("no randomness: {e}")),
    }
}

fn url_of(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The development credentials of an all-in-one without `[auth]`.
struct DevCredentials {
    application_token: SecretString,
    jwt_key: SecretString,
}

fn credentials(
    settings: &Settings,
    dev: Option<&DevCredentials>,
) -> anyhow::Result<gateway::Credentials> {
    let Some(dev) = dev else {
        if !settings.auth.is_configured() {
            tracing::warn!("no [auth] credentials are configured: every /v1 call is refused");
        }
        return Ok(gateway::Credentials::from_settings(&settings.auth)?);
    };
    let verifier = gateway::jwt::JwtVerifier::new(gateway::jwt::JwtConfig {
        hs256_secret: Some(dev.jwt_key.expose_secret().as_bytes().to_vec()),
        issuer: Some(gateway::jwt::DEV_ISSUER.to_owned()),
        leeway_secs: settings.auth.jwt.leeway_secs,
        tenants_claim: "tenants".to_owned(),
        ..gateway::jwt::JwtConfig::default()
    })?;
    Ok(gateway::Credentials {
        jwt: Some(Arc::new(verifier)),
        application_tokens: vec![gateway::auth::ApplicationToken::from_token(
            "dev",
            dev.application_token.expose_secret(),
        )],
        basic_users: Vec::new(),
    })
}

async fn start_gateway(
    settings: &Settings,
    urls: [String; 3],
    auth: InternalAuth,
    dev: Option<&DevCredentials>,
    shutdown: Shutdown,
) -> anyhow::Result<(SocketAddr, JoinHandle<anyhow::Result<()>>)> {
    let [identity_url, upn_url, tenant_access_url] = urls;
    let credentials = credentials(settings, dev)?;
    let config = gateway::GatewayConfig {
        identity_url,
        upn_url,
        tenant_access_url,
        internal_auth: auth,
        credentials,
        body_limit_bytes: settings.gateway.body_limit_bytes,
        rate_limit_per_second: settings.gateway.rate_limit_per_second,
        rate_limit_burst: settings.gateway.rate_limit_burst,
        tenant_roles: settings.tenant_access.roles.clone(),
    };
    let state = gateway::AppState::new(&config)?;
    let router = gateway::router(state, &config);
    let listener = tokio::net::TcpListener::bind(settings.gateway.listen)
        .await
        .with_context(|| {
            format!(
                "gateway.listen: cannot listen on {}",
                settings.gateway.listen
            )
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "REST gateway listening");
    let task = tokio::spawn(async move {
        gateway::serve(listener, router, shutdown)
            .await
            .context("REST gateway")
    });
    Ok((addr, task))
}

/// Starts every service and the gateway in this process.
///
/// # Errors
/// A database, listener or configuration problem, named.
pub async fn start_all_in_one(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<Running> {
    let mode = Mode::AllInOne;
    let (bus, source) = event_bus(settings, mode).await?;
    let in_process_bus = match &source {
        EventSource::InProcess(bus) => Some(bus.clone()),
        EventSource::JetStream(_) => None,
    };
    let auth = internal_auth(settings)?;
    let ctx = ServiceContext {
        settings,
        mode,
        bus,
        auth: auth.clone(),
        shutdown: shutdown.clone(),
    };
    let identity = ctx.identity().await?;
    let upn = ctx.upn(&url_of(identity.addr)).await?;
    let tenant_access = ctx.tenant_access(url_of(identity.addr)).await?;
    for (component, started) in [
        (Component::Identity, &identity),
        (Component::Upn, &upn),
        (Component::TenantAccess, &tenant_access),
    ] {
        spawn_consumers(&source, component, started, &shutdown)?;
    }
    // Development credentials only while nothing is configured.
    let dev = if settings.auth.is_configured() {
        None
    } else {
        Some(DevCredentials {
            application_token: match &settings.gateway.dev_application_token {
                Some(token) => token.clone(),
                None => crate::dev::application_token(&settings.data_dir)?,
            },
            jwt_key: crate::dev::jwt_key(&settings.data_dir)?,
        })
    };
    let (gateway_addr, gateway_task) = start_gateway(
        settings,
        [
            url_of(identity.addr),
            url_of(upn.addr),
            url_of(tenant_access.addr),
        ],
        auth,
        dev.as_ref(),
        shutdown.clone(),
    )
    .await?;
    Ok(Running {
        gateway_addr: Some(gateway_addr),
        identity_addr: Some(identity.addr),
        upn_addr: Some(upn.addr),
        tenant_access_addr: Some(tenant_access.addr),
        dev_application_token: dev.map(|d| d.application_token),
        in_process_bus,
        databases: vec![
            (Component::Identity, identity.db),
            (Component::Upn, upn.db),
            (Component::TenantAccess, tenant_access.db),
        ],
        shutdown,
        tasks: vec![identity.task, upn.task, tenant_access.task, gateway_task],
    })
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
    let auth = internal_auth(settings)?;
    let mut running = Running {
        gateway_addr: None,
        identity_addr: None,
        upn_addr: None,
        tenant_access_addr: None,
        dev_application_token: None,
        in_process_bus: None,
        databases: Vec::new(),
        shutdown: shutdown.clone(),
        tasks: Vec::new(),
    };
    if component == Component::Gateway {
        let g = &settings.gateway;
        let url = |key: &'static str, v: &Option<String>| {
            v.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "configuration key `gateway.{key}`: is required for `nexus serve gateway`"
                )
            })
        };
        let urls = [
            url("identity_url", &g.identity_url)?,
            url("upn_url", &g.upn_url)?,
            url("tenant_access_url", &g.tenant_access_url)?,
        ];
        let (addr, task) = start_gateway(settings, urls, auth, None, shutdown).await?;
        running.gateway_addr = Some(addr);
        running.tasks.push(task);
        return Ok(running);
    }
    let (bus, source) = event_bus(settings, mode).await?;
    let ctx = ServiceContext {
        settings,
        mode,
        bus,
        auth,
        shutdown,
    };
    let started = match component {
        Component::Identity => ctx.identity().await?,
        Component::Upn => {
            let identity_url = settings.upn.identity_url.as_deref().ok_or_else(|| {
                anyhow::anyhow!(
                    "configuration key `upn.identity_url`: is required for `nexus serve upn`"
                )
            })?;
            ctx.upn(identity_url).await?
        }
        Component::TenantAccess | Component::Gateway => {
            let identity_url = settings.tenant_access.identity_url.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "configuration key `tenant_access.identity_url`: is required for `nexus serve tenant-access`"
                )
            })?;
            ctx.tenant_access(identity_url).await?
        }
    };
    spawn_consumers(&source, component, &started, &ctx.shutdown)?;
    match component {
        Component::Identity => running.identity_addr = Some(started.addr),
        Component::Upn => running.upn_addr = Some(started.addr),
        Component::TenantAccess | Component::Gateway => {
            running.tenant_access_addr = Some(started.addr);
        }
    }
    running.databases.push((component, started.db));
    running.tasks.push(started.task);
    Ok(running)
}
