//! The shared core of Nexus: identifiers, validated values, the event envelope
//! and how a change records its event, error kinds and the clock/id ports.
//! Pure: no I/O crate is a dependency here, so every service's domain and
//! application layers can build on it.

pub mod change;
pub mod error;
pub mod event;
pub mod ids;
pub mod ports;
pub mod principal;
pub mod values;

pub use change::{AggregateEvent, ChangeContext, Recorded};
pub use error::ValidationError;
pub use event::EventMetadata;
pub use ids::{EventId, UserId};
pub use ports::{Clock, IdGenerator, SystemClock, UuidV7Ids};
pub use principal::Principal;
pub use values::{BoundedText, EmailAddress};
