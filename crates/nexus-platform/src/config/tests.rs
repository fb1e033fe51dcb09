//! Tests of configuration loading and validation.
use super::*;

#[test]
fn defaults_load_and_validate_for_all_in_one() {
    let settings = Settings::load(None, Mode::AllInOne).expect("defaults");
    assert_eq!(settings.gateway.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(settings.event_backend(Mode::AllInOne), EventBackend::Memory);
    assert_eq!(settings.event_backend(Mode::Component), EventBackend::Nats);
}

#[test]
fn a_file_overrides_defaults_and_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    std::fs::write(&path, "[gateway]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    let settings = Settings::load(Some(&path), Mode::AllInOne).unwrap();
    assert_eq!(settings.gateway.listen.port(), 0);

    std::fs::write(&path, "[gateway]\nlisten = \"not an address\"\n").unwrap();
    let err = Settings::load(Some(&path), Mode::AllInOne)
        .unwrap_err()
        .to_string();
    assert!(err.contains("gateway.listen"), "{err}");

    std::fs::write(
        &path,
        "[identity]\ndatabase_url = \"mysql://u:hunter2@h/db\"\n",
    )
    .unwrap();
    let err = Settings::load(Some(&path), Mode::AllInOne)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("identity.database_url") && !err.contains("hunter2"),
        "{err}"
    );

    std::fs::write(&path, "[gateway]\nlisten_typo = \"127.0.0.1:0\"\n").unwrap();
    let err = Settings::load(Some(&path), Mode::AllInOne)
        .unwrap_err()
        .to_string();
    assert!(err.contains("listen_typo"), "{err}");
}

#[test]
fn tenant_roles_default_and_are_checked() {
    let settings = Settings::load(None, Mode::AllInOne).unwrap();
    assert_eq!(
        settings.tenant_access.roles,
        ["owner", "admin", "member", "viewer"]
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    std::fs::write(&path, "[tenant_access]\nroles = [\"billing.read\"]\n").unwrap();
    let settings = Settings::load(Some(&path), Mode::AllInOne).unwrap();
    assert_eq!(settings.tenant_access.roles, ["billing.read"]);
    for bad in ["[]", "[\"Admin\"]", "[\"a\", \"a\"]", "[\"\"]"] {
        std::fs::write(&path, format!("[tenant_access]\nroles = {bad}\n")).unwrap();
        let err = Settings::load(Some(&path), Mode::AllInOne)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tenant_access.roles"), "{bad}: {err}");
    }
}

#[test]
fn identity_url_is_an_http_url_read_only_in_upn() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    std::fs::write(&path, "[upn]\nidentity_url = \"http://identity:50051\"\n").unwrap();
    let settings = Settings::load(Some(&path), Mode::AllInOne).unwrap();
    assert_eq!(
        settings.upn.identity_url.as_deref(),
        Some("http://identity:50051")
    );

    for (file, key) in [
        (
            "[upn]\nidentity_url = \"identity:50051\"\n",
            "upn.identity_url",
        ),
        (
            "[identity]\nidentity_url = \"http://identity:50051\"\n",
            "identity.identity_url",
        ),
    ] {
        std::fs::write(&path, file).unwrap();
        let err = Settings::load(Some(&path), Mode::AllInOne)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{err}");
    }
}

#[test]
fn the_documented_example_file_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nexus.example.toml");
    let settings = Settings::load(Some(&path), Mode::AllInOne).expect("example loads");
    assert_eq!(settings.events.stream, "NEXUS");
}

#[test]
fn auth_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    for (text, key) in [
        (
            "[auth]\napplication_tokens = [{ name = \"a\", sha256 = \"xyz\" }]\n",
            "auth.application_tokens",
        ),
        (
            "[auth]\nbasic_users = [{ username = \"u\", hash = \"plain\" }]\n",
            "auth.basic_users",
        ),
        (
            "[auth.jwt]\njwks_url = \"ftp://keys.example/jwks\"\n",
            "auth.jwt.jwks_url",
        ),
        (
            "[auth.jwt]\nhs256_secret = \"short\"\n",
            "auth.jwt.hs256_secret",
        ),
        ("[auth.jwt]\nissuer_typo = \"x\"\n", "issuer_typo"),
        (
            "[auth.jwt]\njwks_url = \"https://keys.example/jwks\"\naudience = \"a\"\n",
            "auth.jwt.issuer",
        ),
        (
            "[auth.jwt]\njwks_url = \"https://keys.example/jwks\"\nissuer = \"i\"\n",
            "auth.jwt.audience",
        ),
        (
            "[auth.jwt]\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\n",
            "auth.jwt.issuer",
        ),
        (
            "[auth.jwt]\njwks_url = \"http://keys.example/jwks\"\nissuer = \"i\"\naudience = \"a\"\n",
            "auth.jwt.jwks_url",
        ),
        (
            "[auth]\napplication_tokens = [{ name = \"a\", sha256 = \"xyz\", scopes = [\"users:read\"] }]\n",
            "auth.application_tokens",
        ),
        (
            "[gateway]\nlisten = \"0.0.0.0:8080\"\n",
            "configuration key `auth`",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let err = Settings::load(Some(&path), Mode::AllInOne)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{err}");
    }
    let settings = Settings::load(None, Mode::AllInOne).unwrap();
    assert!(!settings.auth.is_configured());
    assert_eq!(settings.auth.jwt.leeway_secs, 30);
}

#[test]
fn component_mode_requires_the_internal_secret() {
    let err = Settings::load(None, Mode::Component)
        .unwrap_err()
        .to_string();
    assert!(err.contains("internal_auth.secret"), "{err}");
}

#[test]
fn secrets_are_not_debug_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    std::fs::write(
        &path,
        "[internal_auth]\nsecret = \"0123456789abcdef0123456789abcdef-hidden\"\n",
    )
    .unwrap();
    let settings = Settings::load(Some(&path), Mode::Component).unwrap();
    assert!(!format!("{settings:?}").contains("hidden"));
}

#[test]
fn each_component_refuses_a_missing_key_it_needs_and_only_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    std::fs::write(
        &path,
        "[internal_auth]\nsecret = \"0123456789abcdef0123456789abcdef\"\n\
         [upn]\ndatabase_url = \"postgres://db/upn\"\n",
    )
    .unwrap();
    let settings = Settings::load(Some(&path), Mode::Component).unwrap();
    for (component, key) in [
        (Component::Gateway, "gateway.identity_url"),
        (Component::Identity, "identity.database_url"),
        (Component::Upn, "upn.identity_url"),
        (Component::TenantAccess, "tenant_access.database_url"),
    ] {
        let err = settings
            .validate_component(component)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!("configuration key `{key}`: is required for `nexus serve {component}`")
        );
        assert_eq!(component.name().parse::<Component>().unwrap(), component);
    }
}

#[test]
fn gateway_server_limits_default_and_are_checked() {
    let settings = Settings::load(None, Mode::AllInOne).unwrap();
    assert_eq!(settings.gateway.header_read_timeout_secs, 10);
    assert_eq!(settings.gateway.request_timeout_secs, 30);
    assert!(settings.gateway.rate_limit_per_address_per_second.abs() < f64::EPSILON);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    for (body, key) in [
        (
            "header_read_timeout_secs = 0",
            "gateway.header_read_timeout_secs",
        ),
        ("request_timeout_secs = 0", "gateway.request_timeout_secs"),
        (
            "rate_limit_per_address_per_second = -1.0",
            "gateway.rate_limit_per_address_per_second",
        ),
    ] {
        std::fs::write(&path, format!("[gateway]\n{body}\n")).unwrap();
        let err = Settings::load(Some(&path), Mode::AllInOne)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{body}: {err}");
    }
}

#[test]
fn gateway_service_urls_are_http_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    for bad in ["identity:50051", "http://"] {
        std::fs::write(&path, format!("[gateway]\nupn_url = \"{bad}\"\n")).unwrap();
        let err = Settings::load(Some(&path), Mode::AllInOne)
            .unwrap_err()
            .to_string();
        assert!(err.contains("gateway.upn_url"), "{bad}: {err}");
    }
}

#[test]
fn jwks_urls_are_https_or_http_to_a_loopback_host() {
    for ok in [
        "https://tenant.eu.auth0.com/.well-known/jwks.json",
        "http://127.0.0.1:8080/jwks",
        "http://localhost/jwks",
        "http://[::1]:9000/jwks",
    ] {
        assert!(check_jwks_url(ok).is_ok(), "{ok}");
    }
    for refused in [
        "http://keys.example/jwks",
        "http://10.0.0.1/jwks",
        "http://127.0.0.1.evil.example/jwks",
        "ftp://127.0.0.1/jwks",
        "https:///jwks",
    ] {
        assert!(check_jwks_url(refused).is_err(), "{refused}");
    }
}

#[test]
fn development_credentials_are_refused_off_loopback_but_configured_auth_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    std::fs::write(&path, "[gateway]\nlisten = \"0.0.0.0:8080\"\n").unwrap();
    let err = Settings::load(Some(&path), Mode::AllInOne)
        .unwrap_err()
        .to_string();
    assert!(err.contains("0.0.0.0:8080") && !err.contains('\n'), "{err}");
    std::fs::write(
        &path,
        "[gateway]\nlisten = \"0.0.0.0:8080\"\n[auth]\napplication_tokens = [{ name = \"a\", sha256 = \"5332eeddf55a3ec2e3a96a9252fdcfdcbdf9b5a0509e78394d6c8b76aa94a0a8\", scopes = [\"users:read\"] }]\n",
    )
    .unwrap();
    let settings = Settings::load(Some(&path), Mode::AllInOne).unwrap();
    assert_eq!(settings.auth.application_tokens[0].scopes, ["users:read"]);
}

#[test]
fn the_shutdown_drain_and_the_version_bound_default_and_are_checked() {
    let settings = Settings::load(None, Mode::AllInOne).unwrap();
    assert_eq!(settings.shutdown_drain_secs, 30);
    assert_eq!(settings.events.max_version_jump, 1000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    for bad in ["0", "3601"] {
        std::fs::write(&path, format!("shutdown_drain_secs = {bad}\n")).unwrap();
        let err = Settings::load(Some(&path), Mode::AllInOne)
            .unwrap_err()
            .to_string();
        assert!(err.contains("shutdown_drain_secs"), "{bad}: {err}");
    }
    std::fs::write(&path, "[events]\nmax_version_jump = -1\n").unwrap();
    let err = Settings::load(Some(&path), Mode::AllInOne)
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_version_jump"), "{err}");
}

#[test]
fn admin_listeners_are_off_by_default_and_kept_apart_from_the_apis() {
    let settings = Settings::load(None, Mode::AllInOne).unwrap();
    assert_eq!(settings.admin_listen(None), None);
    assert_eq!(settings.admin_listen(Some(Component::Upn)), None);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    let secret = "[internal_auth]\nsecret = \"0123456789abcdef0123456789abcdef\"\n";
    std::fs::write(
        &path,
        format!("{secret}[upn]\nlisten = \"0.0.0.0:50052\"\nadmin_listen = \"0.0.0.0:9090\"\n"),
    )
    .unwrap();
    let settings = Settings::load(Some(&path), Mode::Component).unwrap();
    assert_eq!(
        settings.admin_listen(Some(Component::Upn)),
        Some("0.0.0.0:9090".parse().unwrap())
    );
    // The all-in-one has one admin listener, the gateway's; `nexus migrate`
    // loads a service's file in the all-in-one's mode and must accept it.
    let settings = Settings::load(Some(&path), Mode::AllInOne).unwrap();
    let err = settings
        .refuse_service_admin_listeners()
        .unwrap_err()
        .to_string();
    assert!(err.contains("upn.admin_listen"), "{err}");

    std::fs::write(
        &path,
        "[gateway]\nlisten = \"127.0.0.1:8080\"\nadmin_listen = \"127.0.0.1:8080\"\n",
    )
    .unwrap();
    let err = Settings::load(Some(&path), Mode::AllInOne)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("gateway.admin_listen") && err.contains("gateway.listen"),
        "{err}"
    );
    std::fs::write(&path, "[gateway]\nadmin_listen = \"127.0.0.1:50051\"\n").unwrap();
    let err = Settings::load(Some(&path), Mode::AllInOne)
        .unwrap_err()
        .to_string();
    assert!(err.contains("identity.listen"), "{err}");
    std::fs::write(&path, "[gateway]\nadmin_listen = \"127.0.0.1:9090\"\n").unwrap();
    let settings = Settings::load(Some(&path), Mode::AllInOne).unwrap();
    assert_eq!(
        settings.admin_listen(None),
        Some("127.0.0.1:9090".parse().unwrap())
    );
}
