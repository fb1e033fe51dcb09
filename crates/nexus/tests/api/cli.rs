//! The `nexus` binary's command line: help, and one clear line for bad
//! configuration.

use std::process::Command;

fn nexus() -> Command {
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
