//! Validation of `[internal_auth]` keys, `[grpc_tls]` and `[events.nats]`:
//! what start-up and `check-config` refuse, named by key.
use super::*;

fn load(toml: &str, mode: Mode) -> Result<Settings, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nexus.toml");
    std::fs::write(&path, toml).unwrap();
    Settings::load(Some(&path), mode).map_err(|e| e.to_string())
}

const KEY_A: &str = "a-secret-of-at-least-thirty-two-bytes-1";
const KEY_B: &str = "a-secret-of-at-least-thirty-two-bytes-2";

#[test]
fn internal_keys_rotate_two_at_a_time_with_ids() {
    let two = format!(
        "[[internal_auth.keys]]\nid = \"new\"\nsecret = \"{KEY_A}\"\n[[internal_auth.keys]]\nid = \"old\"\nsecret = \"{KEY_B}\"\n"
    );
    let settings = load(&two, Mode::Component).unwrap();
    let auth = settings.internal_auth.internal_auth().unwrap();
    assert!(format!("{auth:?}").contains("\"new\", \"old\""), "{auth:?}");

    let three = format!("{two}[[internal_auth.keys]]\nid = \"older\"\nsecret = \"{KEY_A}\"\n");
    let err = load(&three, Mode::Component).unwrap_err();
    assert!(err.contains("internal_auth.keys"), "{err}");

    let twice = format!(
        "[[internal_auth.keys]]\nid = \"k\"\nsecret = \"{KEY_A}\"\n[[internal_auth.keys]]\nid = \"k\"\nsecret = \"{KEY_B}\"\n"
    );
    assert!(load(&twice, Mode::Component).unwrap_err().contains("`k`"));

    let short = "[[internal_auth.keys]]\nid = \"k\"\nsecret = \"short\"\n";
    assert!(
        load(short, Mode::Component)
            .unwrap_err()
            .contains("32 bytes")
    );

    let both = format!(
        "[internal_auth]\nsecret = \"{KEY_A}\"\n[[internal_auth.keys]]\nid = \"k\"\nsecret = \"{KEY_B}\"\n"
    );
    assert!(
        load(&both, Mode::Component)
            .unwrap_err()
            .contains("not both")
    );
}

#[test]
fn grpc_tls_files_come_in_pairs_and_must_be_readable() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let pem = write("tls.crt", &cert.pem());
    let key_pem = write("tls.key", &key.serialize_pem());
    let ok = format!(
        "[grpc_tls]\ncert_file = \"{pem}\"\nkey_file = \"{key_pem}\"\nclient_ca_file = \"{pem}\"\n"
    );
    let settings = load(&ok, Mode::AllInOne).unwrap();
    assert!(
        settings
            .grpc_tls
            .server()
            .unwrap()
            .unwrap()
            .client_ca
            .is_some()
    );

    // A key where the certificate belongs, and a certificate as the key.
    let swapped = format!("[grpc_tls]\ncert_file = \"{key_pem}\"\nkey_file = \"{pem}\"\n");
    let err = load(&swapped, Mode::AllInOne).unwrap_err();
    assert!(
        err.contains("grpc_tls.cert_file") && err.contains("no PEM certificate"),
        "{err}"
    );
    let not_a_key = format!("[grpc_tls]\ncert_file = \"{pem}\"\nkey_file = \"{pem}\"\n");
    let err = load(&not_a_key, Mode::AllInOne).unwrap_err();
    assert!(err.contains("grpc_tls.key_file"), "{err}");
    assert!(!err.contains("PRIVATE KEY"), "{err}");

    let alone = format!("[grpc_tls]\ncert_file = \"{pem}\"\n");
    assert!(
        load(&alone, Mode::AllInOne)
            .unwrap_err()
            .contains("grpc_tls.key_file")
    );
    let ca_only = format!("[grpc_tls]\nclient_ca_file = \"{pem}\"\n");
    assert!(
        load(&ca_only, Mode::AllInOne)
            .unwrap_err()
            .contains("grpc_tls.client_ca_file")
    );
    let missing = "[grpc_tls]\nca_file = \"/nonexistent/ca.pem\"\n";
    assert!(
        load(missing, Mode::AllInOne)
            .unwrap_err()
            .contains("grpc_tls.ca_file")
    );
    let client = format!("[grpc_tls]\nclient_key_file = \"{key_pem}\"\n");
    assert!(
        load(&client, Mode::AllInOne)
            .unwrap_err()
            .contains("grpc_tls.client_cert_file")
    );
}

#[test]
fn nats_credentials_are_one_kind_and_complete() {
    let user = "[events.nats]\nuser = \"identity\"\npassword = \"pw\"\n";
    let settings = load(user, Mode::AllInOne).unwrap();
    assert_eq!(settings.events.nats.user.as_deref(), Some("identity"));
    assert!(!format!("{settings:?}").contains("\"pw\""));

    let no_password = "[events.nats]\nuser = \"identity\"\n";
    assert!(
        load(no_password, Mode::AllInOne)
            .unwrap_err()
            .contains("events.nats.password")
    );
    let two_kinds =
        "[events.nats]\nuser = \"identity\"\npassword = \"pw\"\nnkey_seed_file = \"/etc/hosts\"\n";
    assert!(
        load(two_kinds, Mode::AllInOne)
            .unwrap_err()
            .contains("one of")
    );
    let missing = "[events.nats]\ncredentials_file = \"/nonexistent/x.creds\"\n";
    assert!(
        load(missing, Mode::AllInOne)
            .unwrap_err()
            .contains("events.nats.credentials_file")
    );
}
