//! The `[telemetry]` keys: `check-config` refuses a sample ratio outside 0 to
//! 1 and an empty service name, naming the key, as start-up does.

use std::process::Command;

fn check_config(env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nexus"));
    command
        .env_remove("RUST_LOG")
        .env_remove("NEXUS_CONFIG")
        .arg("check-config")
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_refuses_bad_telemetry_keys_by_name() {
    for (key, value, name) in [
        (
            "NEXUS__TELEMETRY__SAMPLE_RATIO",
            "1.5",
            "telemetry.sample_ratio",
        ),
        (
            "NEXUS__TELEMETRY__SAMPLE_RATIO",
            "-0.1",
            "telemetry.sample_ratio",
        ),
        (
            "NEXUS__TELEMETRY__SERVICE_NAME",
            " ",
            "telemetry.service_name",
        ),
    ] {
        let (code, err) = check_config(&[(key, value)], &[]);
        assert_eq!(code, Some(2), "{key}={value}: {err}");
        assert!(err.contains(name), "{key}={value}: {err}");
    }
    for ratio in ["0", "0.25", "1"] {
        let (code, err) = check_config(&[("NEXUS__TELEMETRY__SAMPLE_RATIO", ratio)], &[]);
        assert_eq!(code, Some(0), "{ratio}: {err}");
    }
}
