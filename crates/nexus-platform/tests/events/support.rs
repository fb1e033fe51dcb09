//! What the event fault tests share: their own nats-server (started, stopped
//! and restarted on a fixed port and store directory), a fresh PostgreSQL
//! database per test, a tiny service (a `users` table whose changes enqueue
//! `user.updated` events) and its projection (`users_view`, with an
//! aggregate-version check).
//!
//! PostgreSQL comes from `NEXUS_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); nats-server from
//! `NEXUS_TEST_NATS_SERVER` (default `/usr/sbin/nats-server`, then `PATH`).
//! When one is missing the tests print `SKIPPED: …` and pass, unless
//! `NEXUS_TEST_REQUIRE_SERVICES=1`.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nexus_platform::config::{EventSettings, Mode, Settings};
use nexus_platform::events::consumer::{EventConsumer, HandlerError, HandlerRegistry};
use nexus_platform::events::feed::migration::CreateEventCursors;
use nexus_platform::events::{BusMessage, EventBus, EventBusError, NatsEventBus};
use nexus_platform::inbox::migration::CreateProcessedEvents;
use nexus_platform::outbox::migration::CreateOutbox;
use nexus_platform::outbox::parked::migration::CreateOutboxParked;
use nexus_proto::events::v1::{EventEnvelope, UserChanged, UserSnapshot, event_envelope::Payload};
use prost::Message as _;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, TransactionTrait,
};
use sea_orm_migration::prelude::*;

pub const EVENT_TYPE: &str = "user.updated";
pub const SUBJECT: &str = "nexus.identity.user.updated";

fn services_required() -> bool {
    std::env::var("NEXUS_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Reports a missing service: a failure when services are required.
pub fn unavailable(what: &str, error: &dyn std::fmt::Display) {
    assert!(
        !services_required(),
        "{what} is required (NEXUS_TEST_REQUIRE_SERVICES=1) but unavailable: {error}"
    );
    eprintln!(
        "SKIPPED: {what} unavailable ({error}); set NEXUS_TEST_REQUIRE_SERVICES=1 to fail instead"
    );
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A nats-server of the test's own, with JetStream on, on a free port.
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

fn nats_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("NEXUS_TEST_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let debian = PathBuf::from("/usr/sbin/nats-server");
    if debian.exists() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("nats-server"))
            .find(|p| p.exists())
    })
}

impl NatsServer {
    /// `None` (after saying SKIPPED) when there is no nats-server binary.
    pub fn start() -> Option<Self> {
        let Some(binary) = nats_binary() else {
            unavailable("nats-server binary", &"not found in /usr/sbin or PATH");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            binary,
            port,
            store: tempfile::tempdir().unwrap(),
            child: None,
        };
        server.run();
        Some(server)
    }

    fn run(&mut self) {
        let child = Command::new(&self.binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nats-server did not listen on {} within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and store directory.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    /// Event settings pointing at this server, with a stream of the test's own.
    pub fn event_settings(&self) -> EventSettings {
        Self::settings_for(&self.url())
    }

    /// Event settings for the server at `url`, with the tests' stream.
    pub fn settings_for(url: &str) -> EventSettings {
        let mut settings = Settings::load(None, Mode::AllInOne)
            .expect("default settings")
            .events;
        settings.nats_url = url.to_owned();
        settings.stream = "NEXUS_TEST".to_owned();
        settings.stream_max_age_secs = 600;
        settings
    }

    pub async fn bus(&self) -> Arc<NatsEventBus> {
        let bus = NatsEventBus::connect(&self.event_settings()).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), async {
            while bus.ensure_stream().await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("stream created within 10 s");
        Arc::new(bus)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// How many messages the stream holds on `subject`.
pub async fn stream_count(bus: &NatsEventBus, subject: &str) -> u64 {
    use futures::StreamExt as _;
    let stream = bus.jetstream().get_stream(bus.stream_name()).await.unwrap();
    let mut subjects = stream
        .info_with_subjects(bus.subject(subject))
        .await
        .unwrap();
    let mut total = 0;
    while let Some(entry) = subjects.next().await {
        total += entry.unwrap().1 as u64;
    }
    total
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DisplayName,
    Version,
}

#[derive(DeriveIden)]
enum UsersView {
    Table,
    UserId,
    DisplayName,
    Version,
    /// How many times the projection changed this row.
    Applied,
}

struct CreateUsers;

impl MigrationName for CreateUsers {
    fn name(&self) -> &'static str {
        "m20261128_100000_test_users"
    }
}

#[async_trait]
impl MigrationTrait for CreateUsers {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).string_len(64).primary_key())
                    .col(ColumnDef::new(Users::DisplayName).string().not_null())
                    .col(ColumnDef::new(Users::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsersView::Table)
                    .col(
                        ColumnDef::new(UsersView::UserId)
                            .string_len(64)
                            .primary_key(),
                    )
                    .col(ColumnDef::new(UsersView::DisplayName).string().not_null())
                    .col(ColumnDef::new(UsersView::Version).big_integer().not_null())
                    .col(ColumnDef::new(UsersView::Applied).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// The test service's migrator: what a real service includes, plus its tables.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateOutbox),
            Box::new(CreateOutboxParked),
            Box::new(CreateProcessedEvents),
            Box::new(CreateUsers),
            Box::new(CreateEventCursors),
        ]
    }
}

/// A fresh, migrated PostgreSQL database, dropped by [`TestDb::drop_db`].
pub struct TestDb {
    pub db: DatabaseConnection,
    name: String,
    admin_url: String,
}

impl TestDb {
    /// `None` (after saying SKIPPED) when PostgreSQL is unreachable.
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var("NEXUS_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let admin = match Database::connect(admin_url.as_str()).await {
            Ok(db) => db,
            Err(e) => {
                unavailable(&format!("PostgreSQL at {admin_url}"), &e);
                return None;
            }
        };
        let name = format!("nexus_ev_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let db = Database::connect(format!("{base}/{name}")).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        Some(Self {
            db,
            name,
            admin_url,
        })
    }

    pub fn url(&self) -> String {
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(b, _)| b);
        format!("{base}/{}", self.name)
    }

    pub async fn drop_db(self) {
        let _ = self.db.close().await;
        let admin = Database::connect(self.admin_url.as_str()).await.unwrap();
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .expect("drop test database");
    }
}

/// A `user.updated` event of `user` at `version`.
pub fn user_event(user: &str, version: u64, display_name: &str) -> BusMessage {
    let id = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now();
    let envelope = EventEnvelope {
        id: id.clone(),
        r#type: EVENT_TYPE.to_owned(),
        source: "identity".to_owned(),
        aggregate_type: "user".to_owned(),
        aggregate_id: user.to_owned(),
        aggregate_version: version,
        occurred_at: Some(prost_types::Timestamp {
            seconds: now.timestamp(),
            nanos: 0,
        }),
        actor: "test".to_owned(),
        payload: Some(Payload::UserUpdated(UserChanged {
            user: Some(UserSnapshot {
                user_id: user.to_owned(),
                display_name: display_name.to_owned(),
                ..UserSnapshot::default()
            }),
        })),
        ..EventEnvelope::default()
    };
    BusMessage {
        id,
        subject: SUBJECT.to_owned(),
        event_type: EVENT_TYPE.to_owned(),
        source: "identity".to_owned(),
        time: now,
        traceparent: None,
        payload: envelope.encode_to_vec().into(),
    }
}

/// The service's change: writes the user and its event in one transaction.
pub async fn write_user(
    db: &DatabaseConnection,
    user: &str,
    version: u64,
    display_name: &str,
) -> Result<BusMessage, DbErr> {
    let message = user_event(user, version, display_name);
    let txn = db.begin().await?;
    let insert = Query::insert()
        .into_table(Users::Table)
        .columns([Users::Id, Users::DisplayName, Users::Version])
        .values_panic([user.into(), display_name.into(), version.into()])
        .on_conflict(
            OnConflict::column(Users::Id)
                .update_columns([Users::DisplayName, Users::Version])
                .to_owned(),
        )
        .to_owned();
    txn.execute(txn.get_database_backend().build(&insert))
        .await?;
    nexus_platform::outbox::enqueue(&txn, &message).await?;
    txn.commit().await?;
    Ok(message)
}

/// The projection's handler: keeps the newest version of each user and counts
/// how often a row changed. An event whose version is not newer than the row's
/// is skipped (its inbox row is still written, so it is not retried).
pub async fn project(txn: &DatabaseTransaction, event: &EventEnvelope) -> Result<(), HandlerError> {
    let Some(Payload::UserUpdated(UserChanged { user: Some(user) })) = &event.payload else {
        return Err(HandlerError::Failed(
            "not a user.updated payload".to_owned(),
        ));
    };
    if user.display_name == "poison" {
        return Err(HandlerError::Failed("poisoned display name".to_owned()));
    }
    let backend = txn.get_database_backend();
    let version = <i64 as std::convert::TryFrom<u64>>::try_from(event.aggregate_version)
        .map_err(|e| HandlerError::Failed(e.to_string()))?;
    let select = Query::select()
        .column(UsersView::Version)
        .from(UsersView::Table)
        .and_where(Expr::col(UsersView::UserId).eq(user.user_id.as_str()))
        .to_owned();
    let held: Option<i64> = match txn.query_one(backend.build(&select)).await? {
        Some(row) => Some(row.try_get("", "version")?),
        None => None,
    };
    let stmt = match held {
        Some(held) if held >= version => return Ok(()),
        Some(_) => backend.build(
            Query::update()
                .table(UsersView::Table)
                .value(UsersView::DisplayName, user.display_name.as_str())
                .value(UsersView::Version, version)
                .value(UsersView::Applied, Expr::col(UsersView::Applied).add(1))
                .and_where(Expr::col(UsersView::UserId).eq(user.user_id.as_str())),
        ),
        None => backend.build(
            Query::insert()
                .into_table(UsersView::Table)
                .columns([
                    UsersView::UserId,
                    UsersView::DisplayName,
                    UsersView::Version,
                    UsersView::Applied,
                ])
                .values_panic([
                    user.user_id.as_str().into(),
                    user.display_name.as_str().into(),
                    version.into(),
                    1i64.into(),
                ]),
        ),
    };
    txn.execute(stmt).await?;
    Ok(())
}

/// The projection as a consumer named `name`.
pub fn projection(name: &str, db: &DatabaseConnection) -> EventConsumer {
    let handlers =
        HandlerRegistry::new().on_fn(EVENT_TYPE, |txn, event| Box::pin(project(txn, event)));
    EventConsumer::new(name, db.clone(), handlers).unwrap()
}

/// One row of the projection: display name, version, times applied.
pub type ViewRow = (String, i64, i64);

/// The whole projection, by user.
pub async fn view(db: &DatabaseConnection) -> HashMap<String, ViewRow> {
    let select = Query::select()
        .columns([
            UsersView::UserId,
            UsersView::DisplayName,
            UsersView::Version,
            UsersView::Applied,
        ])
        .from(UsersView::Table)
        .to_owned();
    let backend = db.get_database_backend();
    db.query_all(backend.build(&select))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get("", "user_id").unwrap(),
                (
                    r.try_get("", "display_name").unwrap(),
                    r.try_get("", "version").unwrap(),
                    r.try_get("", "applied").unwrap(),
                ),
            )
        })
        .collect()
}

/// How many rows of the projection there are (cheap, for polling).
pub async fn view_len(db: &DatabaseConnection) -> i64 {
    let q = Query::select()
        .expr_as(Expr::col(UsersView::UserId).count(), Alias::new("n"))
        .from(UsersView::Table)
        .to_owned();
    let backend = db.get_database_backend();
    db.query_one(backend.build(&q))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

/// An [`EventBus`] that counts, by event id, the messages the bus acknowledged.
pub struct CountingBus {
    inner: Arc<dyn EventBus>,
    pub published: Mutex<HashMap<String, u32>>,
}

impl CountingBus {
    pub fn new(inner: Arc<dyn EventBus>) -> Self {
        Self {
            inner,
            published: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl EventBus for CountingBus {
    async fn publish(&self, message: &BusMessage) -> Result<(), EventBusError> {
        self.publish_all(std::slice::from_ref(message))
            .await
            .map(|_| ())
    }

    async fn publish_all(&self, messages: &[BusMessage]) -> Result<usize, EventBusError> {
        let acked = self.inner.publish_all(messages).await?;
        let mut published = self.published.lock().unwrap();
        for message in &messages[..acked] {
            *published.entry(message.id.clone()).or_default() += 1;
        }
        Ok(acked)
    }

    async fn is_ready(&self) -> bool {
        self.inner.is_ready().await
    }
}
