//! What a service's gRPC health answers, for the probes of an orchestrator.
//!
//! Two names, two questions: `""` is liveness (the process serves, so a
//! restart would not help) and the service's full name is readiness (its own
//! database answers, so calls routed to it can succeed). The event bus is in
//! neither: the transactional outbox holds events while NATS is down, so a
//! bus outage must not take replicas out of rotation or restart them; it is
//! logged when it starts and when it ends.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::events::EventBus;
use crate::shutdown::Shutdown;

/// The health service name of liveness.
pub const LIVENESS: &str = "";

/// How often readiness is checked again while it holds, and while it does
/// not (sooner, so that a recovered database is back in rotation quickly).
const RECHECK_WHILE_READY: Duration = Duration::from_secs(5);
const RECHECK_WHILE_UNREADY: Duration = Duration::from_secs(1);

/// What a service's health reflects.
pub struct Probes {
    pub reporter: HealthReporter,
    /// The service's full gRPC name (`nexus.identity.v1.IdentityService`):
    /// the readiness name.
    pub service: &'static str,
    pub db: DatabaseConnection,
    pub bus: Arc<dyn EventBus>,
}

impl Probes {
    /// Reports liveness SERVING at once, then readiness from a database ping
    /// re-checked until `shutdown`; logs the bus going down and coming back.
    pub fn spawn(self, shutdown: Shutdown) {
        tokio::spawn(async move {
            self.reporter
                .set_service_status(LIVENESS, ServingStatus::Serving)
                .await;
            let mut was_ready = None;
            let mut bus_was_up = true;
            loop {
                let ready = crate::db::ping(&self.db).await;
                if was_ready != Some(ready) {
                    let status = if ready {
                        tracing::info!(service = self.service, "ready: the database answers");
                        ServingStatus::Serving
                    } else {
                        tracing::warn!(
                            service = self.service,
                            "not ready: the database does not answer"
                        );
                        ServingStatus::NotServing
                    };
                    self.reporter.set_service_status(self.service, status).await;
                    was_ready = Some(ready);
                }
                let bus_up = self.bus.is_ready().await;
                if bus_up != bus_was_up {
                    if bus_up {
                        tracing::info!(service = self.service, "the event bus is reachable again");
                    } else {
                        tracing::warn!(
                            service = self.service,
                            "the event bus is unreachable; events wait in the outbox"
                        );
                    }
                    bus_was_up = bus_up;
                }
                let pause = if ready {
                    RECHECK_WHILE_READY
                } else {
                    RECHECK_WHILE_UNREADY
                };
                tokio::select! {
                    () = shutdown.wait() => break,
                    () = tokio::time::sleep(pause) => {},
                }
            }
        });
    }
}
