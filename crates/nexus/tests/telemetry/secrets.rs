//! A run logged at trace level (every crate, every level) holds none of the
//! credentials its callers presented, accepted or refused: no JWT, no
//! ApplicationToken, no password, no Basic credentials, and not the
//! internal-auth secret; while its request lines do carry request and trace
//! ids.

use base64::Engine as _;
use serde_json::json;

use crate::process::{
    APP_TOKEN, BASIC_USER, INTERNAL_SECRET, Nexus, PASSWORD, Rest, basic, config_file, jwt,
};

#[tokio::test]
async fn a_trace_level_log_holds_no_credential() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "format = \"text\"", "");
    let mut nexus = Nexus::start(&config, &[], &[("RUST_LOG", "trace")]);
    // Text lines: the address is read from a line like any other.
    let mut tries = 0;
    let addr = loop {
        tries += 1;
        assert!(tries < 600, "no gateway address:\n{}", nexus.log());
        let log = nexus.log();
        if let Some(addr) = log
            .lines()
            .filter(|l| l.contains("REST gateway listening"))
            .find_map(|l| {
                l.split("addr=")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
        {
            break addr;
        }
        nexus.assert_running();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let rest = Rest::new(addr);
    let token = jwt("alice");
    let bearer = format!("Bearer {token}");
    let wrong_app_token = "wrong-application-token-8f14e45fceea167a";
    let wrong_password = "wrong-password-c9f0f895fb98ab9159f5";
    let wrong_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{BASIC_USER}:{wrong_password}"))
    );
    let basic = basic();
    let bad_bearer = format!("{bearer}x");

    let created = rest
        .call(
            "POST",
            "/v1/users",
            &[("authorization", &bearer), ("applicationtoken", APP_TOKEN)],
            Some(&json!({"emailAddress": "ann@example.com", "username": "ann"})),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let path = format!("/v1/users/{}", created.body["id"].as_str().unwrap());
    let read = rest
        .call("GET", &path, &[("authorization", &basic)], None)
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    let refused = [
        vec![("authorization", wrong_basic.as_str())],
        vec![
            ("authorization", bearer.as_str()),
            ("applicationtoken", wrong_app_token),
        ],
        vec![
            ("authorization", bad_bearer.as_str()),
            ("applicationtoken", APP_TOKEN),
        ],
        vec![("authorization", bearer.as_str())],
    ];
    for headers in &refused {
        let answer = rest.call("GET", &path, headers, None).await;
        assert_eq!(answer.status, 401, "{headers:?}: {:?}", answer.body);
    }

    let log = nexus.stop();
    assert!(
        log.lines().any(|l| l.contains(&read.request_id)
            && l.contains("trace_id=")
            && l.contains("principal.kind=\"basic\"")),
        "no line of the Basic request with its ids:\n{log}"
    );
    let signature = token.rsplit('.').next().unwrap();
    let secrets = [
        token.as_str(),
        signature,
        APP_TOKEN,
        wrong_app_token,
        PASSWORD,
        wrong_password,
        basic.trim_start_matches("Basic "),
        wrong_basic.trim_start_matches("Basic "),
        INTERNAL_SECRET,
    ];
    for secret in secrets {
        if let Some(line) = log.lines().find(|l| l.contains(secret)) {
            panic!("the log holds a credential ({secret}):\n{line}");
        }
    }
}
