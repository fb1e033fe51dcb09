//! Storage on sea-orm (PostgreSQL or SQLite): entities, migrations and the
//! repositories. sea-orm types stay inside this module.

pub mod entities;
pub mod migrations;
pub mod user_repository;

pub use migrations::Migrator;
pub use user_repository::SeaOrmUserRepository;
