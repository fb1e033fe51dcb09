//! A started process: where its parts listen, and how to stop it in order.
//!
//! Stopping: the gateway stops accepting and finishes its in-flight requests
//! (within the drain deadline), then the services do the same, then the
//! relays run one last round and the consumers stop after the event they are
//! applying; every task is joined.

use std::net::SocketAddr;
use std::time::Duration;

use nexus_platform::Shutdown;
use nexus_platform::config::Component;
use nexus_platform::events::InProcessEventBus;
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use tokio::task::JoinHandle;

/// The stop signals of a process's parts, raised one after the other.
#[derive(Debug, Clone, Default)]
pub(super) struct Phases {
    pub gateway: Shutdown,
    pub services: Shutdown,
    /// Relays, consumers and probes.
    pub background: Shutdown,
}

/// A started process: where it listens, and how to stop it.
pub struct Running {
    pub gateway_addr: Option<SocketAddr>,
    pub identity_addr: Option<SocketAddr>,
    pub upn_addr: Option<SocketAddr>,
    pub tenant_access_addr: Option<SocketAddr>,
    /// Where `/metrics` and `/healthz` are served, when an admin listener is
    /// configured.
    pub admin_addr: Option<SocketAddr>,
    /// The development ApplicationToken, when development credentials are on
    /// (no `[auth]` configured); bearer tokens then come from `nexus dev token`.
    pub dev_application_token: Option<SecretString>,
    /// The event bus of an all-in-one, for in-process subscribers.
    pub in_process_bus: Option<InProcessEventBus>,
    /// The databases of the started services, by component.
    pub databases: Vec<(Component, DatabaseConnection)>,
    /// Asks the process to stop (SIGTERM, or a test).
    pub(super) shutdown: Shutdown,
    pub(super) phases: Phases,
    /// How long each server may take to finish its in-flight requests.
    pub(super) drain: Duration,
    pub(super) gateway: Option<JoinHandle<anyhow::Result<()>>>,
    /// The gRPC servers of the services.
    pub(super) tasks: Vec<JoinHandle<anyhow::Result<()>>>,
    /// Relays and consumers: joined after the servers have stopped.
    pub(super) background: Vec<JoinHandle<()>>,
}

/// How often [`Running::wait`] looks whether a server ended on its own.
const WATCH_EVERY: Duration = Duration::from_millis(200);

impl Running {
    /// Nothing started yet; the parts are added as they start.
    pub(super) fn new(shutdown: Shutdown, phases: Phases, drain: Duration) -> Self {
        Self {
            gateway_addr: None,
            identity_addr: None,
            upn_addr: None,
            tenant_access_addr: None,
            admin_addr: None,
            dev_application_token: None,
            in_process_bus: None,
            databases: Vec::new(),
            shutdown,
            phases,
            drain,
            gateway: None,
            tasks: Vec::new(),
            background: Vec::new(),
        }
    }

    /// Stops everything in order and waits until it has stopped.
    ///
    /// # Errors
    /// A task failed while running or stopping.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        self.wait().await
    }

    /// Waits until the shutdown signal fires (or a server ends on its own),
    /// then stops the parts in order and joins every task.
    ///
    /// # Errors
    /// A task failed, or a server did not finish within the drain deadline.
    pub async fn wait(self) -> anyhow::Result<()> {
        loop {
            let ended = self
                .gateway
                .iter()
                .chain(&self.tasks)
                .any(JoinHandle::is_finished);
            if ended {
                break;
            }
            tokio::select! {
                () = self.shutdown.wait() => break,
                () = tokio::time::sleep(WATCH_EVERY) => {},
            }
        }
        self.shutdown.trigger();
        let mut first_error = None;
        self.phases.gateway.trigger();
        if let Some(gateway) = self.gateway
            && let Err(e) = drained("REST gateway", gateway, self.drain).await
        {
            first_error.get_or_insert(e);
        }
        self.phases.services.trigger();
        for task in self.tasks {
            if let Err(e) = drained("gRPC service", task, self.drain).await {
                first_error.get_or_insert(e);
            }
        }
        self.phases.background.trigger();
        for task in self.background {
            if let Err(e) = task.await {
                first_error.get_or_insert(e.into());
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Waits for a stopping server until `drain` has passed, then stops it.
async fn drained(
    what: &str,
    mut task: JoinHandle<anyhow::Result<()>>,
    drain: Duration,
) -> anyhow::Result<()> {
    match tokio::time::timeout(drain, &mut task).await {
        Ok(result) => result.map_err(anyhow::Error::from).and_then(|r| r),
        Err(_) => {
            task.abort();
            tracing::warn!(
                server = what,
                drain_secs = drain.as_secs(),
                "in-flight requests not finished within the drain deadline; stopped"
            );
            Ok(())
        }
    }
}
