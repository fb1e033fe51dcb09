//! sea-orm entities of the identity tables.

pub mod users;
