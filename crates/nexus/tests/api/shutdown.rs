//! SIGTERM during a burst of writes, with events on real NATS JetStream: the
//! all-in-one stops its gateway first (finishing the requests in flight),
//! then its services, runs one last relay round and exits 0; every committed
//! change, and so every answered one, has its event in JetStream.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use nexus_platform::events::NatsEventBus;
use sea_orm::{ConnectionTrait as _, Database, Statement};

use crate::convergence::start_with;
use crate::helpers::{nats_url, new_user, unavailable};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_write_has_its_event_in_jetstream_after_a_sigterm_during_a_burst() {
    let url = nats_url();
    if let Err(e) = async_nats::connect(url.as_str()).await {
        unavailable("NATS", &url, &e);
        return;
    }
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("NEXUS__EVENTS__BACKEND", "nats".to_owned()),
        ("NEXUS__EVENTS__NATS_URL", url.clone()),
        ("NEXUS__EVENTS__STREAM", format!("NEXUS_TEST_{tag}")),
        ("NEXUS__EVENTS__SUBJECT_PREFIX", format!("test{tag}")),
        ("NEXUS__EVENTS__STREAM_MAX_AGE_SECS", "600".to_owned()),
    ];
    let (mut process, rest) = start_with(dir.path(), &env).await;
    let answered = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (rest, answered, next) = (rest.clone(), answered.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let body = new_user(&format!("term{n}@example.com"));
                match rest.call("POST", "/v1/users", Some(body)).await {
                    Some((201, _)) => answered.fetch_add(1, Ordering::Relaxed),
                    Some((status, body)) => panic!("{status} {body}"),
                    None => return,
                };
            }
        }));
    }
    while answered.load(Ordering::Relaxed) < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let term = std::process::Command::new("kill")
        .args(["-TERM", &process.0.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = process.0.wait().unwrap();
        drop(process);
        status
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");
    for w in workers {
        w.await.unwrap();
    }
    let answered = answered.load(Ordering::Relaxed);

    let identity = Database::connect(
        format!(
            "sqlite://{}?mode=ro",
            dir.path().join("identity.db").display()
        )
        .as_str(),
    )
    .await
    .unwrap();
    let committed = identity
        .query_one(Statement::from_string(
            identity.get_database_backend(),
            "SELECT COUNT(*) AS n FROM users",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    let mut settings =
        nexus_platform::config::Settings::load(None, nexus_platform::config::Mode::AllInOne)
            .unwrap()
            .events;
    settings.nats_url = url;
    settings.stream = format!("NEXUS_TEST_{tag}");
    settings.subject_prefix = format!("test{tag}");
    settings.stream_max_age_secs = 600;
    let bus = NatsEventBus::connect(&settings).await.unwrap();
    let stream = bus.jetstream().get_stream(bus.stream_name()).await.unwrap();
    let subject = bus.subject("nexus.identity.user.created");
    let mut subjects = stream.info_with_subjects(&subject).await.unwrap();
    let mut published = 0u64;
    while let Some(entry) = subjects.next().await {
        published += entry.unwrap().1 as u64;
    }
    let lost = u64::try_from(committed).unwrap().saturating_sub(published);
    let doubled = published.saturating_sub(u64::try_from(committed).unwrap());
    println!(
        "SIGTERM after {answered} answered creations: committed {committed}, events in JetStream {published}, lost {lost}, doubled {doubled}"
    );
    assert!(u64::try_from(answered).unwrap() <= u64::try_from(committed).unwrap());
    assert_eq!((lost, doubled), (0, 0));
    bus.jetstream()
        .delete_stream(bus.stream_name())
        .await
        .unwrap();
}
