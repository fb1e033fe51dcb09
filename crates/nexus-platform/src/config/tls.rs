//! The `[grpc_tls]` section: TLS on the gRPC ports and on the clients that
//! call them. Files are PEM. Unset, gRPC is clear text (an all-in-one, or a
//! network that encrypts by itself, such as a service mesh).

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

use super::ConfigError;
use crate::grpc::{ClientTls, ServerTls};

/// TLS of this process's gRPC servers and clients.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcTlsSettings {
    /// The servers' certificate chain; with `key_file`, every gRPC port of
    /// the process serves TLS only.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// CA certificates of the clients: set, a client without a certificate
    /// they signed is refused at the handshake (mutual TLS).
    pub client_ca_file: Option<PathBuf>,
    /// CA certificates that `https://` service URLs are verified against;
    /// unset, Mozilla's root certificates (built in).
    pub ca_file: Option<PathBuf>,
    /// The certificate and key clients present, for servers that require
    /// mutual TLS.
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
}

/// A certificate chain and its key, PEM.
type Pem = (Vec<u8>, Vec<u8>);

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::invalid(key, format!("{}: {e}", path.display())))
}

/// PEM certificates (at least one) or a PEM private key, checked now so that
/// a wrong file is refused at start-up (and by `check-config`), not at the
/// first handshake.
fn certificates(key: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    let pem = read(key, path)?;
    let parsed: Result<Vec<CertificateDer<'_>>, _> = CertificateDer::pem_slice_iter(&pem).collect();
    match parsed {
        Ok(certs) if !certs.is_empty() => Ok(pem),
        _ => Err(ConfigError::invalid(
            key,
            format!("{}: no PEM certificate", path.display()),
        )),
    }
}

fn private_key(key: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    let pem = read(key, path)?;
    // The key itself is never part of the message.
    PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        ConfigError::invalid(key, format!("{}: no PEM private key", path.display()))
    })?;
    Ok(pem)
}

fn pair(
    (cert_key, cert): (&'static str, Option<&PathBuf>),
    (key_key, key): (&'static str, Option<&PathBuf>),
) -> Result<Option<Pem>, ConfigError> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some((
            certificates(cert_key, cert)?,
            private_key(key_key, key)?,
        ))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::invalid(
            key_key,
            format!("is required with {cert_key}"),
        )),
        (None, Some(_)) => Err(ConfigError::invalid(
            cert_key,
            format!("is required with {key_key}"),
        )),
    }
}

impl GrpcTlsSettings {
    /// The checks serde cannot make: pairs set together, files readable.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server()?;
        self.client()?;
        Ok(())
    }

    /// The servers' TLS, when configured.
    ///
    /// # Errors
    /// A key set without its pair, or a file that cannot be read.
    pub fn server(&self) -> Result<Option<ServerTls>, ConfigError> {
        let identity = pair(
            ("grpc_tls.cert_file", self.cert_file.as_ref()),
            ("grpc_tls.key_file", self.key_file.as_ref()),
        )?;
        let client_ca = match &self.client_ca_file {
            Some(path) => Some(certificates("grpc_tls.client_ca_file", path)?),
            None => None,
        };
        match (identity, client_ca) {
            (Some((cert, key)), client_ca) => Ok(Some(ServerTls {
                cert,
                key,
                client_ca,
            })),
            (None, Some(_)) => Err(ConfigError::invalid(
                "grpc_tls.client_ca_file",
                "needs grpc_tls.cert_file and grpc_tls.key_file",
            )),
            (None, None) => Ok(None),
        }
    }

    /// What clients use for `https://` service URLs.
    ///
    /// # Errors
    /// A key set without its pair, or a file that cannot be read.
    pub fn client(&self) -> Result<ClientTls, ConfigError> {
        let ca = match &self.ca_file {
            Some(path) => Some(certificates("grpc_tls.ca_file", path)?),
            None => None,
        };
        let identity = pair(
            ("grpc_tls.client_cert_file", self.client_cert_file.as_ref()),
            ("grpc_tls.client_key_file", self.client_key_file.as_ref()),
        )?;
        Ok(ClientTls { ca, identity })
    }
}
