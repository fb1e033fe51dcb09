//! The `nexus` binary's command line: help, one clear line for bad
//! configuration, and `check-config` refusing what start-up refuses.

use std::process::Command;

use nexus_platform::Shutdown;
use nexus_platform::config::{Mode, Settings};

pub fn nexus() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nexus"));
    cmd.env_remove("RUST_LOG").env_remove("NEXUS_CONFIG");
    cmd
}

#[test]
fn help_documents_the_commands() {
    let out = nexus().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "all-in-one",
        "check-config",
        "--config",
        "NEXUS__GATEWAY__LISTEN",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
}

#[test]
fn bad_configuration_exits_non_zero_with_one_line_naming_the_key() {
    let out = nexus()
        .arg("check-config")
        .env("NEXUS__GATEWAY__LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("gateway.listen"), "{err}");
}

#[test]
fn serve_requires_the_internal_secret_and_a_database() {
    let out = nexus().args(["serve", "identity"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("internal_auth.secret"));

    let out = nexus()
        .args(["serve", "identity"])
        .env(
            "NEXUS__INTERNAL_AUTH__SECRET",
            "0123456789abcdef0123456789abcdef",
        )
        .env("NEXUS__IDENTITY__LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("identity.database_url"), "{err}");
}

#[test]
fn a_valid_configuration_checks_clean() {
    let out = nexus().arg("check-config").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// For each component: a configuration `nexus serve` accepts, and the key
/// whose absence it refuses.
fn complete_configurations() -> [(nexus::Component, &'static str, String); 4] {
    let common = format!("[internal_auth]\nsecret = \"{SECRET}\"\n");
    [
        (
            nexus::Component::Gateway,
            "gateway.upn_url",
            format!(
                "{common}[gateway]\nidentity_url = \"http://identity:50051\"\n\
                 upn_url = \"http://upn:50052\"\ntenant_access_url = \"http://ta:50053\"\n"
            ),
        ),
        (
            nexus::Component::Identity,
            "identity.database_url",
            format!("{common}[identity]\ndatabase_url = \"postgres://nexus@db/identity\"\n"),
        ),
        (
            nexus::Component::Upn,
            "upn.identity_url",
            format!(
                "{common}[upn]\ndatabase_url = \"postgres://nexus@db/upn\"\n\
                 identity_url = \"http://identity:50051\"\n"
            ),
        ),
        (
            nexus::Component::TenantAccess,
            "tenant_access.identity_url",
            format!(
                "{common}[tenant_access]\ndatabase_url = \"postgres://nexus@db/ta\"\n\
                 identity_url = \"http://identity:50051\"\n"
            ),
        ),
    ]
}

/// `text` without the line that sets `key`.
fn without(text: &str, key: &str) -> String {
    let name = key.rsplit('.').next().unwrap();
    text.lines()
        .filter(|line| !line.starts_with(&format!("{name} =")))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The exit code and the standard error of `nexus --config <file> <args>`.
fn run(file: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = nexus()
        .arg("--config")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_serve_refuses_exactly_what_serve_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nexus.toml");
    let data_dir = format!("data_dir = {:?}\n", dir.path().join("data"));
    for (component, key, complete) in complete_configurations() {
        let name = component.name();
        for (refused, key) in [
            (without(&complete, key), key),
            (
                without(&complete, "internal_auth.secret"),
                "internal_auth.secret",
            ),
        ] {
            std::fs::write(&file, format!("{data_dir}{refused}")).unwrap();
            let (serve_code, serve_err) = run(&file, &["serve", name]);
            let (check_code, check_err) = run(&file, &["check-config", "--serve", name]);
            assert_eq!(serve_code, Some(2), "serve {name}: {serve_err}");
            assert_eq!(
                check_code,
                Some(2),
                "check-config --serve {name}: {check_err}"
            );
            assert_eq!(serve_err, check_err, "{name}");
            assert_eq!(check_err.trim().lines().count(), 1, "{check_err}");
            assert!(
                check_err.contains(&format!("`{key}`")),
                "{name}: {check_err}"
            );
        }
    }
}

#[test]
fn a_complete_component_configuration_passes_check_config_and_start_up_checks() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nexus.toml");
    for (component, _, complete) in complete_configurations() {
        std::fs::write(&file, &complete).unwrap();
        let (code, err) = run(&file, &["check-config", "--serve", component.name()]);
        assert_eq!(code, Some(0), "{component}: {err}");
        let settings = Settings::load(Some(&file), Mode::Component).unwrap();
        nexus::check_config(&settings, Some(component)).unwrap();
        // Another component's keys are not this one's concern.
        for other in nexus::Component::ALL
            .into_iter()
            .filter(|c| *c != component)
        {
            let (code, _) = run(&file, &["check-config", "--serve", other.name()]);
            assert_eq!(code, Some(2), "{other} with the {component} file");
        }
    }
}

#[tokio::test]
async fn start_up_refuses_with_the_message_of_check_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nexus.toml");
    for (component, key, complete) in complete_configurations() {
        std::fs::write(&file, without(&complete, key)).unwrap();
        let settings = Settings::load(Some(&file), Mode::Component).unwrap();
        let refused = nexus::start_component(&settings, component, Shutdown::new())
            .await
            .err()
            .unwrap()
            .to_string();
        let (_, check_err) = run(&file, &["check-config", "--serve", component.name()]);
        assert_eq!(format!("nexus: {refused}"), check_err.trim(), "{component}");
    }
}

#[test]
fn check_config_refuses_an_unreadable_jwks_file_as_start_up_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nexus.toml");
    let missing = dir.path().join("missing-jwks.json");
    std::fs::write(
        &file,
        format!(
            "data_dir = {:?}\n[internal_auth]\nsecret = \"{SECRET}\"\n[auth.jwt]\njwks_file = {missing:?}\n\
             [gateway]\nidentity_url = \"http://identity:50051\"\n\
             upn_url = \"http://upn:50052\"\ntenant_access_url = \"http://ta:50053\"\n",
            dir.path().join("data")
        ),
    )
    .unwrap();
    let (check_code, check_err) = run(&file, &["check-config"]);
    let (start_code, start_err) = run(&file, &["all-in-one"]);
    assert_eq!((check_code, start_code), (Some(2), Some(2)), "{check_err}");
    assert_eq!(check_err, start_err);
    assert!(check_err.contains("`auth.jwt.jwks_file`"), "{check_err}");
    let (serve_code, serve_err) = run(&file, &["check-config", "--serve", "gateway"]);
    assert_eq!(serve_code, Some(2));
    assert_eq!(serve_err, check_err);
    let (identity_code, _) = run(&file, &["check-config", "--serve", "identity"]);
    assert_eq!(identity_code, Some(2), "identity needs its database");
}
