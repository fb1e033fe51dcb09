//! The processes of a deployment: `nexus migrate` as its own step (safe when
//! two run at once), `nexus serve` refusing an unmigrated database, and the
//! probes: liveness is the process, readiness the component's own database,
//! and the event bus in neither.

use std::net::SocketAddr;
use std::process::Command;

use nexus::Component;
use nexus_platform::Shutdown;
use nexus_platform::config::{EventBackend, Mode, Settings};
use sea_orm::Database;
use secrecy::SecretString;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::helpers::{drop_pg_databases, fresh_pg_databases};
use crate::processes::{health, http_status, wait_for_health};

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const IDENTITY: &str = "nexus.identity.v1.IdentityService";

/// A fresh, empty PostgreSQL database.
struct FreshDatabase {
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create() -> Option<Self> {
        let (name, url) = fresh_pg_databases(&["topology"]).await?.pop()?;
        Some(Self { name, url })
    }

    /// Drops the database under its users' feet.
    async fn drop_now(&self) {
        drop_pg_databases(std::slice::from_ref(&self.name)).await;
    }
}

/// `nexus`, logging warnings only.
fn nexus() -> Command {
    let mut cmd = crate::cli::nexus();
    cmd.env("NEXUS__TELEMETRY__FILTER", "warn");
    cmd
}

/// A NATS URL where nothing listens.
fn closed_nats_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("nats://127.0.0.1:{port}")
}

#[tokio::test]
async fn two_concurrent_migrations_of_one_fresh_database_both_succeed() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let migrate = || {
        nexus()
            .args(["migrate", "identity"])
            .env("NEXUS__IDENTITY__DATABASE_URL", &db.url)
            .spawn()
            .unwrap()
    };

    let (first, second) = (migrate(), migrate());
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );

    assert!(first.status.success(), "{first:?}");
    assert!(second.status.success(), "{second:?}");
    let conn = Database::connect(db.url.as_str()).await.unwrap();
    nexus_platform::db::ensure_migrated::<identity_service::Migrator>(&conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    db.drop_now().await;
}

#[tokio::test]
async fn serve_refuses_an_unmigrated_database_in_one_line() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };

    let out = nexus()
        .args(["serve", "identity"])
        .env("NEXUS__IDENTITY__DATABASE_URL", &db.url)
        .env("NEXUS__IDENTITY__LISTEN", "127.0.0.1:0")
        .env("NEXUS__INTERNAL_AUTH__SECRET", SECRET)
        .env("NEXUS__EVENTS__NATS_URL", closed_nats_url())
        .output()
        .unwrap();

    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("not migrated"), "{err}");
    assert!(err.contains("nexus migrate identity"), "{err}");
    db.drop_now().await;
}

/// The migration Jobs of `deploy/k8s` run `nexus migrate <service>` with the
/// service's own file, admin listener included.
#[tokio::test]
async fn migrate_reads_the_deployed_service_configuration() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/k8s/base/config/identity.toml"
    );
    let out = nexus()
        .args(["--config", config, "migrate", "identity"])
        .env("NEXUS__IDENTITY__DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = Database::connect(db.url.as_str()).await.unwrap();
    nexus_platform::db::ensure_migrated::<identity_service::Migrator>(&conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    db.drop_now().await;
}

#[tokio::test]
async fn migrate_needs_only_the_database_url() {
    let out = nexus().args(["migrate", "upn"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("upn.database_url"), "{err}");
    assert!(!err.contains("internal_auth"), "{err}");
}

/// Settings of one component alone, on PostgreSQL, with NATS unreachable.
fn component_settings(database_url: &str) -> Settings {
    let mut settings = Settings::load(None, Mode::AllInOne).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    settings.identity.listen = any;
    settings.gateway.listen = any;
    settings.identity.database_url = Some(SecretString::from(database_url.to_owned()));
    settings.identity.migrate_on_start = true;
    settings.internal_auth.secret = Some(SecretString::from(SECRET));
    settings.events.backend = Some(EventBackend::Nats);
    settings.events.nats_url = closed_nats_url();
    settings
}

#[tokio::test]
async fn probes_follow_the_database_and_not_the_event_bus() {
    let Some(db) = FreshDatabase::create().await else {
        return;
    };
    let mut settings = component_settings(&db.url);
    let identity = nexus::start_component(&settings, Component::Identity, Shutdown::new())
        .await
        .unwrap();
    let identity_addr = identity.identity_addr.unwrap();
    let url = format!("http://{identity_addr}");
    settings.gateway.identity_url = Some(url.clone());
    settings.gateway.upn_url = Some(url.clone());
    settings.gateway.tenant_access_url = Some(url);
    let gateway = nexus::start_component(&settings, Component::Gateway, Shutdown::new())
        .await
        .unwrap();
    let gateway_addr = gateway.gateway_addr.unwrap();

    // NATS is unreachable: everything is ready all the same.
    wait_for_health(identity_addr, "", ServingStatus::Serving).await;
    wait_for_health(identity_addr, IDENTITY, ServingStatus::Serving).await;
    assert!(http_status(gateway_addr, "/readyz").await.contains(" 200 "));
    assert!(
        http_status(gateway_addr, "/healthz")
            .await
            .contains(" 200 ")
    );

    // The database goes: readiness follows, liveness stays.
    db.drop_now().await;
    wait_for_health(identity_addr, IDENTITY, ServingStatus::NotServing).await;
    assert_eq!(
        health(identity_addr, "").await,
        Some(ServingStatus::Serving as i32)
    );
    assert!(http_status(gateway_addr, "/readyz").await.contains(" 200 "));

    gateway.stop().await.unwrap();
    drop(identity.stop().await);
}
