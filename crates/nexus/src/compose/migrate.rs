//! `nexus migrate`: brings one service's database (or, for the all-in-one,
//! every SQLite file) to this release's schema and returns, as a step of its
//! own before the services start. It needs nothing but the database URL: no
//! internal-auth secret, no event bus.

use anyhow::Context as _;
use nexus_platform::config::{
    ConfigError, IDENTITY_KEYS, Mode, ServiceKeys, ServiceSettings, Settings, TENANT_ACCESS_KEYS,
    UPN_KEYS,
};
use nexus_platform::db;
use sea_orm_migration::MigratorTrait;
use secrecy::ExposeSecret as _;

/// What `nexus migrate` migrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateTarget {
    Identity,
    Upn,
    TenantAccess,
    /// The all-in-one's three databases (SQLite files under `data_dir`
    /// unless configured otherwise).
    All,
}

impl MigrateTarget {
    pub const ALL: [Self; 4] = [Self::Identity, Self::Upn, Self::TenantAccess, Self::All];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Upn => "upn",
            Self::TenantAccess => "tenant-access",
            Self::All => "all",
        }
    }

    /// The target named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Migrates `target`'s database(s) with `settings` (loaded in
/// [`Mode::AllInOne`], which asks for no secret).
///
/// # Errors
/// A database URL missing (for one service), unreachable, or a failed
/// migration, named.
pub async fn migrate(settings: &Settings, target: MigrateTarget) -> anyhow::Result<()> {
    let tenant_access = settings.tenant_access.service();
    match target {
        MigrateTarget::Identity => {
            one::<identity_service::Migrator>(settings, &settings.identity, &IDENTITY_KEYS, false)
                .await
        }
        MigrateTarget::Upn => {
            one::<upn_service::Migrator>(settings, &settings.upn, &UPN_KEYS, false).await
        }
        MigrateTarget::TenantAccess => {
            one::<tenant_access_service::Migrator>(
                settings,
                &tenant_access,
                &TENANT_ACCESS_KEYS,
                false,
            )
            .await
        }
        MigrateTarget::All => {
            one::<identity_service::Migrator>(settings, &settings.identity, &IDENTITY_KEYS, true)
                .await?;
            one::<upn_service::Migrator>(settings, &settings.upn, &UPN_KEYS, true).await?;
            one::<tenant_access_service::Migrator>(
                settings,
                &tenant_access,
                &TENANT_ACCESS_KEYS,
                true,
            )
            .await
        }
    }
}

/// One service's database; `all_in_one` lets an unset URL mean the SQLite
/// file the all-in-one would use.
async fn one<M: MigratorTrait>(
    settings: &Settings,
    svc: &ServiceSettings,
    keys: &ServiceKeys,
    all_in_one: bool,
) -> anyhow::Result<()> {
    let url = if all_in_one {
        svc.database_url(settings, keys, Mode::AllInOne)?
    } else {
        svc.database_url.clone().ok_or_else(|| {
            ConfigError::invalid(keys.database_url, "is required for `nexus migrate`")
        })?
    };
    let db = db::connect(url.expose_secret(), &settings.database)
        .await
        .with_context(|| keys.database_url)?;
    db::migrate::<M>(&db)
        .await
        .with_context(|| keys.database_url)?;
    db.close().await.with_context(|| keys.database_url)?;
    tracing::info!(database = keys.database_url, "migrated");
    Ok(())
}
