//! An all-in-one whose gRPC ports require mutual TLS (`[grpc_tls]`, with
//! certificates made here): the gateway reaches every service over it, and a
//! gRPC caller without a client certificate, or in clear text, is refused.

use std::time::Duration;

use nexus_platform::config::GrpcTlsSettings;
use nexus_platform::grpc::{BalancedChannel, ClientOptions, ClientTls};
use nexus_proto::identity::v1 as id;
use nexus_proto::identity::v1::identity_service_client::IdentityServiceClient;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

use crate::helpers::{Backend, TEST_SUBJECT, TestApp, create_user, every_scope};

/// A CA's certificate (PEM), and a server certificate for 127.0.0.1 and a
/// client certificate it signed, each with its key.
struct Pki {
    ca: String,
    server: (String, String),
    client: (String, String),
}

fn pki() -> Pki {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&ca_key).unwrap();
    let issue = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    Pki {
        server: issue("127.0.0.1"),
        client: issue("nexus-client"),
        ca: ca.pem(),
    }
}

async fn get_user(
    app: &TestApp,
    tls: ClientTls,
    scheme: &str,
    user: &str,
) -> Result<(), tonic::Status> {
    let addr = app.running.as_ref().unwrap().identity_addr.unwrap();
    let options = ClientOptions {
        connect_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_secs(5),
        resolve_interval: Duration::from_secs(10),
        tls,
    };
    let channel = BalancedChannel::new(&format!("{scheme}://{addr}"), options).unwrap();
    let token = nexus::dev::token(
        &app.settings.data_dir,
        &nexus::dev::TokenRequest {
            subject: TEST_SUBJECT.to_owned(),
            scopes: every_scope(),
            tenants: Vec::new(),
            ttl_secs: 600,
        },
    )
    .unwrap();
    let mut request = tonic::Request::new(id::GetUserRequest {
        user_id: user.to_owned(),
    });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    IdentityServiceClient::new(channel.channel)
        .get_user(request)
        .await
        .map(drop)
}

#[tokio::test]
async fn services_on_mutual_tls_serve_the_gateway_and_refuse_callers_without_a_certificate() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, pem: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        Some(path)
    };
    let tls = GrpcTlsSettings {
        cert_file: write("server.crt", &pki.server.0),
        key_file: write("server.key", &pki.server.1),
        client_ca_file: write("ca.crt", &pki.ca),
        ca_file: write("ca.crt", &pki.ca),
        client_cert_file: write("client.crt", &pki.client.0),
        client_key_file: write("client.key", &pki.client.1),
    };
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| s.grpc_tls = tls).await else {
        return;
    };
    // Through the gateway, which calls identity (and upn calls identity) over mTLS.
    let user = create_user(&app, "over-mtls@example.com").await;
    let answer = app
        .call("GET", &format!("/v1/users/{user}"), None, true)
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);

    let with_certificate = ClientTls {
        ca: Some(pki.ca.clone().into_bytes()),
        identity: Some((pki.client.0.into_bytes(), pki.client.1.into_bytes())),
    };
    get_user(&app, with_certificate, "https", &user)
        .await
        .unwrap();
    let without_certificate = ClientTls {
        ca: Some(pki.ca.into_bytes()),
        identity: None,
    };
    assert!(
        get_user(&app, without_certificate, "https", &user)
            .await
            .is_err()
    );
    assert!(
        get_user(&app, ClientTls::default(), "http", &user)
            .await
            .is_err()
    );
    app.stop().await;
}
