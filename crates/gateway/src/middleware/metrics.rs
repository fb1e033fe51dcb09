//! Counts every REST answer by route template, method and status, and times
//! it. It wraps each route (so the matched template is known) from outside
//! the limits and authentication, so a 401, 408, 413 or 429 is counted under
//! its route like any other answer; paths no route matches share one
//! `unmatched` series.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use nexus_platform::Metrics;
use nexus_platform::metrics::http::UNMATCHED_ROUTE;

pub async fn record(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics.http().record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use crate::auth::jwt::{DEV_ISSUER, sign_hs256};
    use crate::test_support::{APP_TOKEN, SECRET, config, token};
    use crate::{AppState, router};

    async fn status(app: &axum::Router, request: Request<Body>) -> u16 {
        app.clone()
            .oneshot(request)
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    fn get(path: &str, bearer: &str, app_token: &str) -> Request<Body> {
        Request::get(path)
            .header("authorization", format!("Bearer {bearer}"))
            .header("applicationtoken", app_token)
            .body(Body::empty())
            .unwrap()
    }

    #[tokio::test]
    async fn refusals_are_counted_by_route_template_and_reason() {
        let config = config(4096);
        let app = router(AppState::new(&config).unwrap(), &config);
        let now = jsonwebtoken::get_current_timestamp();
        let expired = sign_hs256(
            SECRET,
            &serde_json::json!({"sub": "t", "iss": DEV_ISSUER, "exp": now - 3600}),
        )
        .unwrap();

        assert_eq!(
            status(&app, get("/v1/users/u-1", &expired, APP_TOKEN)).await,
            401
        );
        let valid = token(&["users:read".to_owned()]);
        assert_eq!(
            status(&app, get("/v1/users/u-2", &valid, "not-the-token")).await,
            401
        );
        assert_eq!(
            status(&app, get("/no/such/path", &valid, APP_TOKEN)).await,
            404
        );
        // Nothing listens where the identity service should be.
        assert_eq!(
            status(&app, get("/v1/users/u-3", &valid, APP_TOKEN)).await,
            503
        );

        let text = config.metrics.render().await;
        for line in [
            r#"nexus_http_requests_total{method="GET",route="/v1/users/{userId}",status="401"} 2"#,
            r#"nexus_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
            r#"nexus_auth_failures_total{reason="jwt_expired"} 1"#,
            r#"nexus_auth_failures_total{reason="application_token"} 1"#,
            r#"nexus_http_requests_total{method="GET",route="/v1/users/{userId}",status="503"} 1"#,
            r#"nexus_grpc_client_handled_total{grpc_service="nexus.identity.v1.IdentityService",grpc_method="GetUser",grpc_code="Unavailable"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(!text.contains("u-1") && !text.contains("no/such"), "{text}");
    }
}
