//! A started process: where its parts listen, and how to stop it.

use std::net::SocketAddr;

use nexus_platform::Shutdown;
use nexus_platform::config::Component;
use nexus_platform::events::InProcessEventBus;
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use tokio::task::JoinHandle;

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
    pub(super) shutdown: Shutdown,
    pub(super) tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    /// Nothing started yet; the parts are added as they start.
    pub(super) fn new(shutdown: Shutdown) -> Self {
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
            tasks: Vec::new(),
        }
    }

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
