//! Gateway hygiene through REST: every error is problem+json, request ids are
//! echoed, and the per-principal rate limit answers 429 with `Retry-After`.

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_and_request_ids_echo() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let unknown = app.call("GET", "/v2/nothing", None, true).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(unknown.body["instance"], "/v2/nothing");
    let method = app.call("DELETE", "/healthz", None, true).await;
    assert_eq!(method.status, 405);
    assert_eq!(
        method.header("content-type"),
        Some("application/problem+json")
    );
    let echoed = app
        .send(
            app.authed("GET", "/v1/users/nobody")
                .header("x-request-id", "trace-123")
                .body(Default::default())
                .unwrap(),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-123"));
    let generated = app.call("GET", "/healthz", None, false).await;
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|id| id.len() >= 32)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_principal_over_its_rate_gets_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.gateway.rate_limit_per_second = 0.5;
        s.gateway.rate_limit_burst = 2;
    })
    .await
    .unwrap();
    let statuses = [
        app.call("GET", "/v1/users/nobody", None, true).await.status,
        app.call("GET", "/v1/users/nobody", None, true).await.status,
    ];
    assert_eq!(statuses, [404, 404]);
    let limited = app.call("GET", "/v1/users/nobody", None, true).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.header("content-type"),
        Some("application/problem+json")
    );
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(
        app.call("GET", "/healthz", None, false).await.status,
        200,
        "probes are not limited"
    );
    assert_eq!(
        app.call("GET", "/v1/users/nobody", None, false)
            .await
            .status,
        401,
        "no principal, no bucket used"
    );
    app.stop().await;
}
