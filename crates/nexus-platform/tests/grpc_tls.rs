//! gRPC over TLS with certificates made here: a TLS server answers clients
//! that trust its CA and not clear-text ones; a mutual-TLS server refuses a
//! client without a certificate and serves one whose certificate its client
//! CA signed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use nexus_platform::Shutdown;
use nexus_platform::grpc::{self, BalancedChannel, ClientOptions, ClientTls, ServerTls};
use rcgen::{BasicConstraints, Certificate, CertificateParams, IsCa, KeyPair};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// A CA, and certificates it signs.
struct Ca {
    cert: Certificate,
    key: KeyPair,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    fn pem(&self) -> Vec<u8> {
        self.cert.pem().into_bytes()
    }

    /// A certificate for `names` (host names or IP addresses) and its key, PEM.
    fn issue(&self, names: &[&str]) -> (Vec<u8>, Vec<u8>) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.cert, &self.key)
            .unwrap();
        (cert.pem().into_bytes(), key.serialize_pem().into_bytes())
    }
}

fn options(tls: ClientTls) -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_secs(5),
        resolve_interval: Duration::from_secs(10),
        tls,
    }
}

async fn tls_server(shutdown: &Shutdown, tls: ServerTls) -> u16 {
    let listener = grpc::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (routes, _reporter) = grpc::standard_routes().unwrap();
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        grpc::serve_with_tls(
            listener,
            routes,
            shutdown,
            nexus_platform::Metrics::new().grpc().layer(),
            Some(&tls),
        )
        .await
    });
    port
}

async fn check(url: &str, tls: ClientTls) -> Result<(), tonic::Status> {
    let channel = BalancedChannel::new(url, options(tls)).unwrap();
    HealthClient::new(channel.channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(drop)
}

#[tokio::test]
async fn a_tls_server_answers_clients_trusting_its_ca_only() {
    let shutdown = Shutdown::new();
    let ca = Ca::new();
    let (cert, key) = ca.issue(&["127.0.0.1"]);
    let port = tls_server(
        &shutdown,
        ServerTls {
            cert,
            key,
            client_ca: None,
        },
    )
    .await;
    let https = format!("https://127.0.0.1:{port}");
    let trusting = ClientTls {
        ca: Some(ca.pem()),
        identity: None,
    };
    check(&https, trusting).await.unwrap();
    // Another CA's client does not trust the server's certificate.
    let stranger = ClientTls {
        ca: Some(Ca::new().pem()),
        identity: None,
    };
    assert!(check(&https, stranger).await.is_err());
    // Clear text to a TLS port fails.
    assert!(
        check(&format!("http://127.0.0.1:{port}"), ClientTls::default())
            .await
            .is_err()
    );
    shutdown.trigger();
}

#[tokio::test]
async fn a_mutual_tls_server_refuses_a_client_without_a_certificate_and_serves_one_with_it() {
    let shutdown = Shutdown::new();
    let server_ca = Ca::new();
    let client_ca = Ca::new();
    let (cert, key) = server_ca.issue(&["127.0.0.1"]);
    let port = tls_server(
        &shutdown,
        ServerTls {
            cert,
            key,
            client_ca: Some(client_ca.pem()),
        },
    )
    .await;
    let https = format!("https://127.0.0.1:{port}");

    let anonymous = ClientTls {
        ca: Some(server_ca.pem()),
        identity: None,
    };
    assert!(check(&https, anonymous).await.is_err());

    // A certificate from a CA the server does not name is refused too.
    let forged = ClientTls {
        ca: Some(server_ca.pem()),
        identity: Some(Ca::new().issue(&["identity-client"])),
    };
    assert!(check(&https, forged).await.is_err());

    let known = ClientTls {
        ca: Some(server_ca.pem()),
        identity: Some(client_ca.issue(&["identity-client"])),
    };
    check(&https, known).await.unwrap();
    shutdown.trigger();
}
