//! `nexus events …` on the all-in-one: an event a consumer cannot apply is
//! kept as a dead letter, `dead-letters` lists it, `redrive` applies it once
//! its cause is fixed, and `replay` rebuilds a lost copy by moving a cursor.

use std::time::Duration;

use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement};

use crate::cli::nexus;
use crate::helpers::{Backend, TestApp, create_upn, create_user};

fn events(app: &TestApp, args: &[&str]) -> (bool, String) {
    let events = &app.settings.events;
    let mut cmd = nexus();
    if events.backend == Some(nexus_platform::config::EventBackend::Nats) {
        cmd.env("NEXUS__EVENTS__BACKEND", "nats")
            .env("NEXUS__EVENTS__NATS_URL", &events.nats_url)
            .env("NEXUS__EVENTS__STREAM", &events.stream)
            .env("NEXUS__EVENTS__SUBJECT_PREFIX", &events.subject_prefix);
    }
    let out = cmd
        .arg("events")
        .args(args)
        .env("NEXUS__DATA_DIR", &app.settings.data_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() || args[0] == "redrive",
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn db(app: &TestApp, file: &str) -> DatabaseConnection {
    let url = format!("sqlite://{}", app.settings.data_dir.join(file).display());
    Database::connect(url.as_str()).await.unwrap()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

async fn until<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within 30 s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_event_is_listed_redriven_once_fixed_and_a_copy_is_replayed() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    poisoned_upn_cleanup_is_listed_and_redriven(&app, false).await;
    // A lost copy is rebuilt by replaying its consumer from the start.
    let identity = db(&app, "identity.db").await;
    let other = create_user(&app, "stayer@example.com").await;
    create_upn(&app, &other, "crm", "stayer@crm.example.com").await;
    until("identity's copy of the second UPN", || async {
        count(
            &identity,
            "SELECT COUNT(*) FROM custom_upns WHERE deleted = 0",
        )
        .await
            == 1
    })
    .await;
    identity
        .execute_unprepared("DELETE FROM custom_upns")
        .await
        .unwrap();
    let (_, said) = events(
        &app,
        &[
            "replay",
            "--consumer",
            "identity-custom-upns",
            "--from",
            "1",
        ],
    );
    assert!(said.contains("cursor moved to 0"), "{said}");
    until("the copy rebuilt: one live UPN, one deleted", || async {
        count(
            &identity,
            "SELECT COUNT(*) FROM custom_upns WHERE deleted = 0",
        )
        .await
            == 1
            && count(
                &identity,
                "SELECT COUNT(*) FROM custom_upns WHERE deleted = 1",
            )
            .await
                == 1
    })
    .await;
    app.stop().await;
}

/// On NATS: the dead letter is kept in the dead-letter stream, listed, and
/// put back by `redrive`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_event_on_nats_is_kept_in_the_dead_letter_stream_and_redriven() {
    let url = crate::helpers::nats_url();
    if let Err(e) = async_nats::connect(url.as_str()).await {
        crate::helpers::unavailable("NATS", &url, &e);
        return;
    }
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let Some(app) =
        TestApp::spawn_with(Backend::Sqlite, |s| crate::helpers::use_nats(s, &tag)).await
    else {
        return;
    };
    poisoned_upn_cleanup_is_listed_and_redriven(&app, true).await;
    let bus = nexus_platform::events::NatsEventBus::connect(&app.settings.events)
        .await
        .unwrap();
    for stream in [
        bus.stream_name().to_owned(),
        nexus_platform::events::consumer::jetstream::dlq::stream_name(&bus),
    ] {
        bus.jetstream().delete_stream(stream).await.unwrap();
    }
    app.stop().await;
}

/// The upn service's deletion of a deleted user's UPNs fails until its cause
/// is fixed: dead-lettered, listed, kept by a failing redrive, applied by
/// one after the fix; identity's copy follows.
async fn poisoned_upn_cleanup_is_listed_and_redriven(app: &TestApp, nats: bool) {
    let user = create_user(app, "leaver@example.com").await;
    create_upn(app, &user, "crm", "leaver@crm.example.com").await;
    let upn = db(app, "upn.db").await;
    let identity = db(app, "identity.db").await;
    until("identity's copy of the UPN", || async {
        count(
            &identity,
            "SELECT COUNT(*) FROM custom_upns WHERE deleted = 0",
        )
        .await
            == 1
    })
    .await;

    // The cause: the upn service's table refuses deletions.
    upn.execute_unprepared(
        "CREATE TRIGGER frozen BEFORE DELETE ON custom_upns BEGIN SELECT RAISE(ABORT, 'custom UPNs are frozen'); END",
    )
    .await
    .unwrap();
    let deleted = app
        .call("DELETE", &format!("/v1/users/{user}"), None, true)
        .await;
    assert_eq!(deleted.status, 204);
    until("the user.deleted dead letter", || async {
        let (_, listed) = events(app, &["dead-letters"]);
        listed.contains("upn-users") && listed.contains("user.deleted")
    })
    .await;
    let (_, listed) = events(app, &["dead-letters", "--consumer", "upn-users"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("custom UPNs are frozen"), "{listed}");
    assert!(listed.contains("failures=5"), "{listed}");
    assert_eq!(count(&upn, "SELECT COUNT(*) FROM custom_upns").await, 1);

    if !nats {
        // Applied again while the cause is still there: kept.
        let (ok, said) = events(app, &["redrive"]);
        assert!(!ok, "{said}");
        assert!(said.contains("0 put back, 1 failed again"), "{said}");
    }

    upn.execute_unprepared("DROP TRIGGER frozen").await.unwrap();
    let (ok, said) = events(app, &["redrive", "--consumer", "upn-users"]);
    assert!(ok, "{said}");
    assert!(said.contains("1 put back, 0 failed again"), "{said}");
    assert_eq!(events(app, &["dead-letters"]).1, "");
    until("the redriven deletion applied", || async {
        count(&upn, "SELECT COUNT(*) FROM custom_upns").await == 0
    })
    .await;
    until("identity's copy follows the redriven deletion", || async {
        count(
            &identity,
            "SELECT COUNT(*) FROM custom_upns WHERE deleted = 0",
        )
        .await
            == 0
    })
    .await;
}

/// A `user.updated` of `user` at `version`, as identity's outbox holds it.
fn user_updated(user: &str, email: &str, version: u64) -> nexus_platform::BusMessage {
    use nexus_proto::events::v1::{
        EventEnvelope, UserChanged, UserSnapshot, event_envelope::Payload,
    };
    use prost::Message as _;
    let id = uuid::Uuid::now_v7().to_string();
    let envelope = EventEnvelope {
        id: id.clone(),
        r#type: "user.updated".to_owned(),
        source: "identity".to_owned(),
        aggregate_type: "user".to_owned(),
        aggregate_id: user.to_owned(),
        aggregate_version: version,
        actor: "test".to_owned(),
        payload: Some(Payload::UserUpdated(UserChanged {
            user: Some(UserSnapshot {
                user_id: user.to_owned(),
                email_address: email.to_owned(),
                display_name: "Jumped".to_owned(),
                is_active: true,
                ..UserSnapshot::default()
            }),
        })),
        ..EventEnvelope::default()
    };
    nexus_platform::BusMessage {
        id,
        subject: "nexus.identity.user.updated".to_owned(),
        event_type: "user.updated".to_owned(),
        source: "identity".to_owned(),
        time: chrono::Utc::now(),
        traceparent: None,
        payload: envelope.encode_to_vec().into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_version_jumps_implausibly_is_refused_and_kept_with_the_reason() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let user = create_user(&app, "jumper@example.com").await;
    let tenant = db(&app, "tenant-access.db").await;
    until("tenant-access's copy of the user", || async {
        count(&tenant, "SELECT COUNT(*) FROM member_users").await == 1
    })
    .await;
    // A faulty producer: identity's outbox gets a version a million ahead.
    let identity = db(&app, "identity.db").await;
    nexus_platform::outbox::enqueue(
        &identity,
        &user_updated(&user, "jumper@example.com", 1_000_000),
    )
    .await
    .unwrap();
    until("the refused event kept as a dead letter", || async {
        events(&app, &["dead-letters", "--consumer", "tenant-access-users"])
            .1
            .contains("user.updated")
    })
    .await;
    let (_, listed) = events(&app, &["dead-letters"]);
    assert!(
        listed.contains("version 1000000 jumps more than 1000 above the copy's version 1"),
        "{listed}"
    );
    assert!(listed.contains("failures=1"), "{listed}");
    assert_eq!(
        count(
            &tenant,
            "SELECT COUNT(*) FROM member_users WHERE version = 1"
        )
        .await,
        1,
        "the copy is unchanged"
    );
    app.stop().await;
}
