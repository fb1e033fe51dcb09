//! What every Nexus process needs: configuration, telemetry, database connection
//! and migrations, the event bus (NATS JetStream or in-process), the transactional
//! outbox and its relay, event consumers and their inbox, gRPC health and reflection, graceful shutdown, the
//! signed principal that trusted components pass to the services, bearer JWT
//! verification and the scopes of operations, services' caller authentication,
//! and Prometheus metrics with the admin listener that serves them.

pub mod caller_auth;
pub mod config;
pub mod db;
pub mod events;
pub mod grpc;
pub mod health;
pub mod inbox;
pub mod internal_auth;
pub mod jwt;
pub mod metrics;
pub mod outbox;
pub mod scope;
pub mod shutdown;
pub mod telemetry;
pub mod time;

pub use config::{ConfigError, Settings};
pub use events::{BusMessage, EventBus, EventBusError};
pub use internal_auth::InternalAuth;
pub use metrics::Metrics;
pub use shutdown::Shutdown;
