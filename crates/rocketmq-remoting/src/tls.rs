//! TLS for the client side of connections (Java `TlsHelper.buildSslContext(forClient=true)`,
//! `TlsSystemConfig`: `tls.client.*`, `tls.test.mode.enable`), on rustls with the ring provider.
//!
//! Trust roots: the operating system's store by default (`rustls-native-certs`, as Java's
//! default trust manager uses the JDK's store: a private CA installed system-wide works), or a
//! PEM CA file. Test mode verifies nothing and says so in the log.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, ErrorKind, Result};

/// Where trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsRoots {
    /// The operating system's trust store.
    System,
    /// A PEM file of CA certificates (`tls.client.trustCertPath`).
    CaFile(PathBuf),
    /// No verification (`tls.test.mode.enable=true`): for tests only.
    InsecureTestMode,
}

/// Client TLS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Trusted roots.
    pub roots: TlsRoots,
    /// Client certificate chain and private key, PEM files (`tls.client.certPath`,
    /// `tls.client.keyPath`), for mutual TLS.
    pub client_auth: Option<(PathBuf, PathBuf)>,
    /// Name the server certificate must carry; `None`: the host of the address dialled.
    pub server_name: Option<String>,
}

/// A ready TLS client configuration.
#[derive(Clone)]
pub struct TlsConnector {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: Option<String>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").field("server_name", &self.server_name).finish_non_exhaustive()
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Encode, message)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsConnector {
    /// Build the client configuration: read the CA file, certificate and key now, so a wrong
    /// path fails when the client starts, not at the first connection.
    pub fn new(settings: &TlsSettings) -> Result<Self> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error("TLS protocol versions").with_source(e))?;
        let builder = match &settings.roots {
            TlsRoots::InsecureTestMode => {
                tracing::warn!("TLS test mode: server certificates are NOT verified (never use this in production)");
                builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
            }
            TlsRoots::System => {
                let mut roots = RootCertStore::empty();
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    let _ = roots.add(cert);
                }
                if roots.is_empty() {
                    return Err(config_error("TLS: no trusted root certificate in the system store; give a CA file"));
                }
                builder.with_root_certificates(roots)
            }
            TlsRoots::CaFile(path) => {
                let mut roots = RootCertStore::empty();
                for cert in read_certs(path)? {
                    roots
                        .add(cert)
                        .map_err(|e| config_error(format!("TLS CA file {}", path.display())).with_source(e))?;
                }
                builder.with_root_certificates(roots)
            }
        };
        let config = match &settings.client_auth {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = read_certs(cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| config_error(format!("TLS client key {}", key.display())).with_source(e))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| config_error("TLS client certificate and key do not match").with_source(e))?
            }
        };
        Ok(TlsConnector { config: Arc::new(config), server_name: settings.server_name.clone() })
    }

    pub(crate) fn server_name(&self, addr: &str) -> Result<ServerName<'static>> {
        let host = match &self.server_name {
            Some(name) => name.as_str(),
            None => addr.rsplit_once(':').map_or(addr, |(host, _)| host).trim_start_matches('[').trim_end_matches(']'),
        };
        ServerName::try_from(host.to_owned())
            .map_err(|e| Error::new(ErrorKind::Connect, format!("invalid TLS server name {host:?}")).with_source(e))
    }
}

fn read_certs(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| config_error(format!("TLS: cannot read certificates from {}", path.display())).with_source(e))?;
    if certs.is_empty() {
        return Err(config_error(format!("TLS: no certificate in {}", path.display())));
    }
    Ok(certs)
}

/// Java's test mode (`InsecureTrustManagerFactory`): any certificate is accepted, but the
/// handshake signatures are still checked so the session keys are sound.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
