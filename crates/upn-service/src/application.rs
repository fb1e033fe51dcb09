//! Use cases of the UPN service: one method per operation, talking to ports
//! only.

pub mod custom_upns;

pub use custom_upns::UpnService;
