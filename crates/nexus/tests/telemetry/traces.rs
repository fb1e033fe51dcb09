//! One login's `$sync` exported as one trace: the gateway's request span,
//! its gRPC client call, the identity service's server span and database
//! transaction, the outbox relay's publish and the tenant-access consumer's
//! handling, each below the one that caused it; in the all-in-one, and with
//! each component in its own process over real NATS.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::collector::{CLIENT, CONSUMER, Collector, PRODUCER, SERVER, Span};
use crate::process::{APP_TOKEN, Answer, Nexus, Rest, config_file, jwt};

#[allow(dead_code, unused_macros, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;

const SYNC_ROUTE: &str = "/v1/users/{userId}/$sync";

/// Creates a user linked to a new IdP tenant, then syncs its login.
async fn login(rest: &Rest) -> Answer {
    let bearer = format!("Bearer {}", jwt("alice"));
    let auth = [
        ("authorization", bearer.as_str()),
        ("applicationtoken", APP_TOKEN),
    ];
    let user = rest
        .call(
            "POST",
            "/v1/users",
            &auth,
            Some(&json!({"emailAddress": "ann@example.com", "username": "ann"})),
        )
        .await;
    assert_eq!(user.status, 201, "{:?}", user.body);
    let user = user.body["id"].as_str().unwrap().to_owned();
    let tenant = rest
        .call(
            "POST",
            "/v1/idp_tenants",
            &auth,
            Some(&json!({"name": "acme", "azoName": "acme-azo",
                "fqdn": "acme.eu.auth0.com", "loginDomain": "login.acme.example"})),
        )
        .await;
    assert_eq!(tenant.status, 201, "{:?}", tenant.body);
    let tenant = tenant.body["id"].as_i64().unwrap();
    let linked = rest
        .call(
            "PUT",
            &format!("/v1/users/{user}/idp_tenants/{tenant}"),
            &auth,
            Some(
                &json!({"strategy": "auth0", "azoUserId": format!("auth0|{user}"),
                "azoConnectionId": "con_1"}),
            ),
        )
        .await;
    assert_eq!(linked.status, 200, "{:?}", linked.body);
    let synced = rest
        .call(
            "PUT",
            &format!("/v1/users/{user}/$sync"),
            &auth,
            Some(
                &json!({"audience": "https://api.example.com", "attributes": [],
                "connection": {"groups": [], "connectionId": "con_1"}, "clientUpnKey": null}),
            ),
        )
        .await;
    assert_eq!(synced.status, 200, "{:?}", synced.body);
    synced
}

/// The `service.name` each part reports.
struct Services {
    gateway: &'static str,
    identity: &'static str,
    tenant_access: &'static str,
}

/// The spans of the login's trace, checked link by link; answers the
/// request span.
async fn assert_login_trace(collector: &Collector, services: &Services) -> Span {
    let request = collector
        .wait_for("the $sync request span", |spans| {
            spans
                .iter()
                .find(|s| s.kind == SERVER && s.attribute("http.route") == Some(SYNC_ROUTE))
                .cloned()
        })
        .await;
    let trace = request.trace_id.clone();
    let in_trace = |pick: fn(&Span) -> bool| {
        let trace = trace.clone();
        move |spans: &[Span]| {
            spans
                .iter()
                .find(|s| s.trace_id == trace && pick(s))
                .cloned()
        }
    };
    let consumer = collector
        .wait_for(
            "tenant-access handling user.logged_in",
            in_trace(|s| {
                s.kind == CONSUMER
                    && s.attribute("messaging.consumer.group.name") == Some("tenant-access-users")
                    && s.attribute("event.type") == Some("user.logged_in")
            }),
        )
        .await;
    let publish = collector
        .wait_for("the relay's publish", in_trace(|s| s.kind == PRODUCER))
        .await;
    let transaction = collector
        .wait_for(
            "the login's transaction",
            in_trace(|s| s.name == "db record_login"),
        )
        .await;
    let server = collector
        .wait_for(
            "identity's SyncUser",
            in_trace(|s| {
                s.kind == SERVER
                    && s.name == "nexus.identity.v1.IdentityService/SyncUser"
                    && s.attribute("rpc.method") == Some("SyncUser")
            }),
        )
        .await;

    let spans: Vec<Span> = collector
        .spans()
        .into_iter()
        .filter(|s| s.trace_id == trace)
        .collect();
    let by_id: HashMap<&str, &Span> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let ancestors = |span: &Span| {
        let mut chain = Vec::new();
        let mut parent = span.parent_id.as_str();
        while let Some(p) = by_id.get(parent) {
            chain.push(p.span_id.clone());
            parent = p.parent_id.as_str();
        }
        chain
    };

    assert_eq!(request.service, services.gateway);
    assert_eq!(request.name, format!("PUT {SYNC_ROUTE}"));
    assert_eq!(request.parent_id, "", "the request starts the trace");
    assert_eq!(request.attribute("http.request.method"), Some("PUT"));
    assert_eq!(request.attribute("http.response.status_code"), Some("200"));
    assert_eq!(request.attribute("principal.kind"), Some("bearer"));
    assert_eq!(request.attribute("client.id"), Some("console"));

    let client = by_id[server.parent_id.as_str()];
    assert_eq!(
        (client.kind, client.name.as_str(), client.service.as_str()),
        (CLIENT, server.name.as_str(), services.gateway)
    );
    assert_eq!(client.parent_id, request.span_id);
    assert_eq!(server.service, services.identity);
    assert_eq!(transaction.service, services.identity);
    assert!(transaction.attribute("db.statement_count").is_some());
    assert!(ancestors(&transaction).contains(&server.span_id));
    assert_eq!(publish.service, services.identity);
    assert!(ancestors(&publish).contains(&server.span_id));
    assert_eq!(consumer.service, services.tenant_access);
    let chain = ancestors(&consumer);
    assert!(
        chain.contains(&server.span_id) && chain.contains(&request.span_id),
        "the consumer's span descends from the request: {consumer:#?} in {spans:#?}"
    );
    for span in &spans {
        assert!(
            span.parent_id.is_empty() || by_id.contains_key(span.parent_id.as_str()),
            "a parent missing from the trace: {span:#?}"
        );
    }
    request
}

#[tokio::test]
async fn a_login_in_the_all_in_one_is_one_trace_with_its_event() {
    let collector = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let telemetry = format!(
        "format = \"json\"\nfilter = \"info,gateway=debug\"\notlp_endpoint = \"{}\"",
        collector.endpoint
    );
    let config = config_file(dir.path(), &telemetry, "");
    let mut nexus = Nexus::start(&config, &[], &[]);
    let rest = Rest::new(nexus.address("REST gateway listening").await);

    let synced = login(&rest).await;

    let request = assert_login_trace(
        &collector,
        &Services {
            gateway: "nexus",
            identity: "nexus",
            tenant_access: "nexus",
        },
    )
    .await;
    // The request's log lines carry its request id and its trace id.
    let log = nexus.stop();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["span"]["request_id"] == synced.request_id.as_str())
        .collect();
    assert!(!lines.is_empty(), "no log line of the request:\n{log}");
    for line in lines {
        assert_eq!(
            line["span"]["trace_id"],
            request.trace_id.as_str(),
            "{line}"
        );
    }
}

#[tokio::test]
async fn a_login_across_components_over_nats_is_one_trace_with_its_event() {
    let url = helpers::nats_url();
    if let Err(e) = async_nats::connect(url.as_str()).await {
        helpers::unavailable("NATS", &url, &e);
        return;
    }
    let Some(databases) = helpers::fresh_pg_databases(&["identity", "tenant_access"]).await else {
        return;
    };
    let collector = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let telemetry = format!(
        "format = \"json\"\notlp_endpoint = \"{}\"",
        collector.endpoint
    );
    let events = format!(
        "[events]\nnats_url = \"{url}\"\nstream = \"NEXUS_TEST_{tag}\"\n\
         subject_prefix = \"test{tag}\"\nstream_max_age_secs = 600\n"
    );
    let config = config_file(dir.path(), &telemetry, &events);
    let mut identity = Nexus::start(
        &config,
        &["serve", "identity"],
        &[
            ("NEXUS__IDENTITY__DATABASE_URL", &databases[0].1),
            ("NEXUS__IDENTITY__MIGRATE_ON_START", "true"),
        ],
    );
    let identity_url = format!(
        "http://{}",
        identity.address("gRPC service listening").await
    );
    let mut tenant_access = Nexus::start(
        &config,
        &["serve", "tenant-access"],
        &[
            ("NEXUS__TENANT_ACCESS__DATABASE_URL", &databases[1].1),
            ("NEXUS__TENANT_ACCESS__MIGRATE_ON_START", "true"),
            ("NEXUS__TENANT_ACCESS__IDENTITY_URL", &identity_url),
        ],
    );
    let tenant_access_url = format!(
        "http://{}",
        tenant_access.address("gRPC service listening").await
    );
    let mut gateway = Nexus::start(
        &config,
        &["serve", "gateway"],
        &[
            ("NEXUS__GATEWAY__IDENTITY_URL", &identity_url),
            // The login calls no UPN service.
            ("NEXUS__GATEWAY__UPN_URL", &identity_url),
            ("NEXUS__GATEWAY__TENANT_ACCESS_URL", &tenant_access_url),
        ],
    );
    let rest = Rest::new(gateway.address("REST gateway listening").await);

    login(&rest).await;

    assert_login_trace(
        &collector,
        &Services {
            gateway: "nexus-gateway",
            identity: "nexus-identity",
            tenant_access: "nexus-tenant-access",
        },
    )
    .await;
    drop((gateway, tenant_access, identity));
    let names: Vec<String> = databases.into_iter().map(|(name, _)| name).collect();
    helpers::drop_pg_databases(&names).await;
}
