//! Starting one gRPC service: its database and migrations, its outbox relay,
//! its probes, its listener, and the event consumers it runs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use nexus_platform::caller_auth::CallerAuth;
use nexus_platform::config::{
    Component, EventBackend, IDENTITY_KEYS, Mode, ServiceKeys, ServiceSettings, Settings,
    TENANT_ACCESS_KEYS, UPN_KEYS,
};
use nexus_platform::events::consumer::{ConsumerOptions, EventConsumer, EventSource};
use nexus_platform::events::feed::CursorReader;
use nexus_platform::events::{InProcessEventBus, NatsEventBus};
use nexus_platform::grpc::BalancedChannel;
use nexus_platform::health::Probes;
use nexus_platform::jwt::{JwtConfig, JwtVerifier};
use nexus_platform::outbox::{OutboxRelay, OutboxSignal};
use nexus_platform::telemetry::grpc::TracedChannel as Channel;
use nexus_platform::{EventBus, InternalAuth, Metrics, Shutdown, db, grpc};
use nexus_proto::identity::v1 as pb_identity;
use nexus_proto::tenant_access::v1 as pb_tenant_access;
use nexus_proto::upn::v1 as pb_upn;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use secrecy::ExposeSecret as _;
use tokio::task::JoinHandle;
use tonic::service::Routes;

/// A service that listens.
pub(super) struct Started {
    pub addr: SocketAddr,
    pub db: DatabaseConnection,
    /// Raised after each commit that wrote to its outbox.
    pub signal: OutboxSignal,
    pub task: JoinHandle<anyhow::Result<()>>,
    /// Its outbox relay.
    pub relay: JoinHandle<()>,
}

/// Everything a service needs from its process.
pub(super) struct ServiceContext<'a> {
    pub settings: &'a Settings,
    pub bus: Arc<dyn EventBus>,
    pub auth: CallerAuth,
    /// Stops the gRPC servers.
    pub shutdown: Shutdown,
    /// Stops relays, probes and consumers, after the servers.
    pub background: Shutdown,
    /// Consumers reading a component's outbox directly (all-in-one), by
    /// producing component: its relay's pruning keeps what they still need.
    pub readers: Vec<(Component, CursorReader)>,
    pub metrics: Metrics,
}

impl ServiceContext<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn start(
        &self,
        component: Component,
        db: DatabaseConnection,
        keys: &ServiceKeys,
        svc: &ServiceSettings,
        service_name: &'static str,
        grpc_name: &'static str,
        add: impl FnOnce(
            Routes,
            DatabaseConnection,
            OutboxSignal,
            &CallerAuth,
        ) -> anyhow::Result<Routes>,
    ) -> anyhow::Result<Started> {
        let signal = OutboxSignal::new();
        let events = &self.settings.events;
        let readers = self
            .readers
            .iter()
            .filter(|(producer, _)| *producer == component)
            .map(|(_, reader)| reader.clone())
            .collect();
        let relay = OutboxRelay::new(
            db.clone(),
            self.bus.clone(),
            signal.clone(),
            events.relay_batch_size,
            Duration::from_millis(events.relay_poll_interval_ms),
            Duration::from_secs(events.outbox_retention_secs),
        )
        .keep_for(readers);
        self.metrics.sources().add_service(
            service_name,
            db.clone(),
            relay.counters(),
            relay.parked_counter(),
        );
        let relay = relay.spawn(self.background.clone());

        let (routes, reporter) = grpc::standard_routes()?;
        let routes = add(routes, db.clone(), signal.clone(), &self.auth)?;
        Probes {
            reporter,
            service: grpc_name,
            db: db.clone(),
            bus: self.bus.clone(),
        }
        .spawn(self.background.clone());

        let listener = grpc::bind(svc.listen)
            .await
            .with_context(|| format!("{}: cannot listen on {}", keys.listen, svc.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(service = service_name, %addr, "gRPC service listening");
        let shutdown = self.shutdown.clone();
        let tls = self.settings.grpc_tls.server()?;
        let calls = self.metrics.grpc().layer();
        let task = tokio::spawn(async move {
            grpc::serve_with_tls(listener, routes, shutdown, calls, tls.as_ref())
                .await
                .with_context(|| format!("{service_name} gRPC server"))
        });
        Ok(Started {
            addr,
            db,
            signal,
            task,
            relay,
        })
    }

    /// The identity service, on `db` (from [`open_database`]).
    pub async fn identity(&self, db: DatabaseConnection) -> anyhow::Result<Started> {
        self.start(
            Component::Identity,
            db,
            &IDENTITY_KEYS,
            &self.settings.identity,
            identity_service::SERVICE_NAME,
            pb_identity::identity_service_server::SERVICE_NAME,
            |routes, db, signal, auth| {
                Ok(routes.add_service(identity_service::grpc_service(db, signal, auth)))
            },
        )
        .await
    }

    /// The identity service's channel, balanced over every address
    /// `identity_url` resolves to.
    fn identity_channel(&self, identity_url: &str, key: &'static str) -> anyhow::Result<Channel> {
        let balanced =
            BalancedChannel::new(identity_url, client_options(self.settings)?).context(key)?;
        Ok(balanced.channel)
    }

    /// The upn service, asking the identity service at `identity_url`
    /// whether users exist.
    pub async fn upn(&self, db: DatabaseConnection, identity_url: &str) -> anyhow::Result<Started> {
        let identity = self.identity_channel(identity_url, UPN_KEYS.identity_url)?;
        self.start(
            Component::Upn,
            db,
            &UPN_KEYS,
            &self.settings.upn,
            upn_service::SERVICE_NAME,
            pb_upn::upn_service_server::SERVICE_NAME,
            |routes, db, signal, auth| {
                Ok(routes.add_service(upn_service::grpc_service(db, signal, identity, auth)))
            },
        )
        .await
    }

    /// `identity_url` is where tenant-access finds the identity service.
    pub async fn tenant_access(
        &self,
        db: DatabaseConnection,
        identity_url: &str,
    ) -> anyhow::Result<Started> {
        let settings = &self.settings.tenant_access;
        let config = tenant_access_service::TenantAccessConfig {
            identity: self.identity_channel(identity_url, TENANT_ACCESS_KEYS.identity_url)?,
            roles: tenant_access_service::Roles::new(&settings.roles)
                .map_err(|e| anyhow::anyhow!("configuration key `{}`: {}", e.field, e.message))?,
            auth0: settings.auth0.clone(),
        };
        self.start(
            Component::TenantAccess,
            db,
            &TENANT_ACCESS_KEYS,
            &settings.service(),
            tenant_access_service::SERVICE_NAME,
            pb_tenant_access::tenant_access_service_server::SERVICE_NAME,
            |routes, db, signal, auth| {
                Ok(routes.add_service(tenant_access_service::grpc_service(
                    db, signal, auth, &config,
                )?))
            },
        )
        .await
    }
}

/// Opens `component`'s database: migrated first in the all-in-one or with
/// `<service>.migrate_on_start`, else refused while a migration is pending.
/// Start-up does this before it connects to the event bus, so that an
/// unmigrated database is the one thing said.
pub(super) async fn open_database(
    settings: &Settings,
    mode: Mode,
    component: Component,
) -> anyhow::Result<DatabaseConnection> {
    match component {
        Component::Identity => {
            open::<identity_service::Migrator>(
                settings,
                mode,
                component,
                &IDENTITY_KEYS,
                &settings.identity,
            )
            .await
        }
        Component::Upn => {
            open::<upn_service::Migrator>(settings, mode, component, &UPN_KEYS, &settings.upn).await
        }
        Component::TenantAccess | Component::Gateway => {
            let svc = settings.tenant_access.service();
            open::<tenant_access_service::Migrator>(
                settings,
                mode,
                component,
                &TENANT_ACCESS_KEYS,
                &svc,
            )
            .await
        }
    }
}

async fn open<M: MigratorTrait>(
    settings: &Settings,
    mode: Mode,
    component: Component,
    keys: &ServiceKeys,
    svc: &ServiceSettings,
) -> anyhow::Result<DatabaseConnection> {
    let url = svc.database_url(settings, keys, mode)?;
    let db = db::connect(url.expose_secret(), &settings.database)
        .await
        .with_context(|| format!("{component} database"))?;
    if mode == Mode::AllInOne || svc.migrate_on_start {
        db::migrate::<M>(&db)
            .await
            .with_context(|| format!("{component} database"))?;
    } else {
        db::ensure_migrated::<M>(&db).await.map_err(|e| {
            anyhow::anyhow!(
                "{component} database: {e}; run `nexus migrate {component}` first, or set {} = true",
                keys.migrate_on_start
            )
        })?;
    }
    Ok(db)
}

/// The bus the relays publish to, and the source consumers read when it is
/// NATS. With in-process events there is none: the all-in-one's consumers
/// read the producers' outbox tables (see [`consumer_of`]).
pub(super) async fn event_bus(settings: &Settings, mode: Mode) -> anyhow::Result<Events> {
    Ok(match settings.event_backend(mode) {
        EventBackend::Memory => {
            let bus = InProcessEventBus::new();
            Events {
                bus: Arc::new(bus.clone()),
                source: None,
                in_process: Some(bus),
            }
        }
        EventBackend::Nats => {
            let bus = Arc::new(NatsEventBus::connect(&settings.events).await?);
            Events {
                bus: bus.clone(),
                source: Some(EventSource::JetStream(bus)),
                in_process: None,
            }
        }
    })
}

/// A process's events: where relays publish, and where consumers read.
pub(super) struct Events {
    pub bus: Arc<dyn EventBus>,
    /// JetStream; `None` when consumers read outbox tables.
    pub source: Option<EventSource>,
    /// The bus observers subscribe to, when events stay in-process.
    pub in_process: Option<InProcessEventBus>,
}

/// The event consumer of a component's service, and the component whose
/// events it reads: identity's copy of custom UPNs (upn's events), upn's
/// clean-up of deleted users' UPNs and tenant-access's user projection
/// (identity's events). `None` for the gateway.
pub(super) fn consumer_of(
    settings: &Settings,
    component: Component,
    db: DatabaseConnection,
) -> anyhow::Result<Option<(EventConsumer, ConsumerOptions, Component)>> {
    let (consumer, mut options, producer) = match component {
        Component::Identity => (
            identity_service::event_consumer(db, settings.events.max_version_jump)?,
            identity_service::event_consumer_options(),
            Component::Upn,
        ),
        Component::Upn => (
            upn_service::event_consumer(db)?,
            upn_service::event_consumer_options(),
            Component::Identity,
        ),
        Component::TenantAccess => (
            tenant_access_service::event_consumer(db, settings.events.max_version_jump)?,
            tenant_access_service::event_consumer_options(),
            Component::Identity,
        ),
        Component::Gateway => return Ok(None),
    };
    options.poll_interval = Duration::from_millis(settings.events.relay_poll_interval_ms);
    Ok(Some((consumer, options, producer)))
}

/// Adds `consumer`'s counters (and, on JetStream, its lag) to `metrics`.
pub(super) fn register_consumer(metrics: &Metrics, consumer: &EventConsumer, source: &EventSource) {
    let jetstream = match source {
        EventSource::JetStream(bus) => Some(bus.clone()),
        EventSource::Outbox(_) => None,
    };
    metrics
        .sources()
        .add_consumer(consumer.name(), consumer.stats(), jetstream);
}

/// The keys principals are signed with: the configured ones, or (all-in-one,
/// whose callers are all in-process) a random one.
pub(super) fn internal_auth(settings: &Settings) -> anyhow::Result<InternalAuth> {
    match settings.internal_auth.internal_auth() {
        Some(auth) => Ok(auth),
        None => InternalAuth::random().map_err(|e| anyhow::anyhow!("no randomness: {e}")),
    }
}

/// How the services authenticate their gRPC callers: principals signed with
/// `internal`, and bearer tokens verified as the gateway verifies them (the
/// development key while development credentials are on).
pub(super) fn caller_auth(
    settings: &Settings,
    internal: InternalAuth,
    dev_jwt: Option<JwtConfig>,
) -> anyhow::Result<CallerAuth> {
    let config = dev_jwt.or_else(|| JwtConfig::from_settings(&settings.auth.jwt));
    let jwt = match config {
        Some(config) => Some(Arc::new(JwtVerifier::new(config)?)),
        None => None,
    };
    Ok(CallerAuth::new(internal, jwt))
}

/// How this process's gRPC clients connect: `[grpc_client]` and the client
/// side of `[grpc_tls]`.
pub(super) fn client_options(settings: &Settings) -> anyhow::Result<grpc::ClientOptions> {
    let mut options = settings.grpc_client.options();
    options.tls = settings.grpc_tls.client()?;
    Ok(options)
}

/// The URL this process's clients reach one of its own services at:
/// `https://` when `[grpc_tls]` puts its ports on TLS (the certificate must
/// then name the address, e.g. an IP subject alternative name 127.0.0.1).
pub(super) fn url_of(settings: &Settings, addr: SocketAddr) -> String {
    let scheme = if settings.grpc_tls.cert_file.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{addr}")
}
