//! TLS (#9 §3) against the real name server and broker behind a TLS-terminating proxy (a
//! rustls server in front of each, certificates from a throw-away CA made with rcgen): the
//! installed rocketmq-rust broker is built without its `tls` cargo feature and speaks no TLS
//! (see docs/rocketmq-rust-broker.md), the proxy gives the same bytes on the wire. The real
//! name server does serve TLS: it is also tested directly, with the testkit's `namesrv_tls`. Covers CA-file
//! trust, server name verification, mutual TLS, Java's test mode, and that a plain client on a
//! TLS port and a TLS client on a plain port both fail fast with a clear error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_options, cluster, unique};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rocketmq_client::{Admin, ClientOptions, ErrorKind, TlsOptions, TlsTrust};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

struct Pki {
    dir: PathBuf,
    server_config: Arc<rustls::ServerConfig>,
    mtls_config: Arc<rustls::ServerConfig>,
}

fn leaf(issuer: &Issuer<'_, KeyPair>, names: Vec<String>, purpose: ExtendedKeyUsagePurpose) -> (String, String) {
    let mut params = CertificateParams::new(names).unwrap();
    params.use_authority_key_identifier_extension = true;
    params.key_usages.push(KeyUsagePurpose::DigitalSignature);
    params.extended_key_usages.push(purpose);
    let key = KeyPair::generate().unwrap();
    (params.signed_by(&key, issuer).unwrap().pem(), key.serialize_pem())
}

fn pki() -> Pki {
    let dir = std::env::temp_dir().join(unique("rmq_tls"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca_params, ca_key);
    let (server_pem, server_key) =
        leaf(&issuer, vec!["broker.test".into(), "127.0.0.1".into()], ExtendedKeyUsagePurpose::ServerAuth);
    let (client_pem, client_key) = leaf(&issuer, vec!["client.test".into()], ExtendedKeyUsagePurpose::ClientAuth);
    for (name, text) in [
        ("ca.pem", &ca_pem),
        ("client.pem", &client_pem),
        ("client.key", &client_key),
        ("server.pem", &server_pem),
        ("server.key", &server_key),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = vec![CertificateDer::from_pem_slice(server_pem.as_bytes()).unwrap()];
    let key = || PrivateKeyDer::from_pem_slice(server_key.as_bytes()).unwrap();
    let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain.clone(), key())
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let mtls_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key())
        .unwrap();
    Pki { dir, server_config: Arc::new(server_config), mtls_config: Arc::new(mtls_config) }
}

/// A TLS-terminating proxy on a fresh loopback port in front of `upstream`.
async fn tls_proxy(config: Arc<rustls::ServerConfig>, upstream: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(Ok(mut tls)) = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(sock)).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(&upstream).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

fn tls_options(namesrv: &str, tls: TlsOptions) -> ClientOptions {
    let mut o = client_options(namesrv);
    o.connect_timeout = Duration::from_secs(3);
    o.request_timeout = Duration::from_secs(3);
    o.tls = Some(tls);
    o
}

fn ca(dir: &Path) -> TlsOptions {
    TlsOptions {
        trust: TlsTrust::CaFile(dir.join("ca.pem")),
        server_name: Some("broker.test".into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tls_to_the_real_servers_through_a_terminating_proxy() {
    let cluster = cluster(1, 1).await;
    let pki = pki();
    let ns_tls = tls_proxy(pki.server_config.clone(), cluster.namesrv_addr()).await;
    let broker_tls = tls_proxy(pki.server_config.clone(), cluster.brokers()[0].addr.clone()).await;
    let mtls = tls_proxy(pki.mtls_config.clone(), cluster.namesrv_addr()).await;

    // CA file + server name: name server and broker answer over TLS.
    let admin = Admin::new(tls_options(&ns_tls, ca(&pki.dir))).unwrap();
    let info = admin.cluster_info().await.unwrap();
    assert!(!info.broker_addr_table.is_empty(), "{info:?}");
    let runtime = admin.broker_runtime_info(&broker_tls).await.unwrap();
    assert!(!runtime.is_empty());

    // The name the certificate is checked against matters.
    let wrong_name = TlsOptions { server_name: Some("other.test".into()), ..ca(&pki.dir) };
    let err = Admin::new(tls_options(&ns_tls, wrong_name)).unwrap().cluster_info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(err.to_string().contains("TLS handshake failed"), "{err}");
    // Default name = the dialled host (127.0.0.1 is in the certificate).
    let by_ip = TlsOptions { server_name: None, ..ca(&pki.dir) };
    Admin::new(tls_options(&ns_tls, by_ip)).unwrap().cluster_info().await.unwrap();
    // The system store does not know the throw-away CA.
    let system = TlsOptions { trust: TlsTrust::System, ..ca(&pki.dir) };
    match Admin::new(tls_options(&ns_tls, system)) {
        Ok(admin) => assert_eq!(admin.cluster_info().await.unwrap_err().kind(), ErrorKind::Connect),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Config, "an empty system store: {e}"),
    }
    // Test mode: no verification.
    let test_mode =
        TlsOptions { trust: TlsTrust::InsecureTestMode, server_name: Some("anything".into()), ..Default::default() };
    Admin::new(tls_options(&ns_tls, test_mode)).unwrap().cluster_info().await.unwrap();

    // Mutual TLS: refused without a client certificate, accepted with one.
    let err = Admin::new(tls_options(&mtls, ca(&pki.dir))).unwrap().cluster_info().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Connect | ErrorKind::ConnectionClosed), "{err}");
    let with_cert = TlsOptions {
        client_cert: Some(pki.dir.join("client.pem")),
        client_key: Some(pki.dir.join("client.key")),
        ..ca(&pki.dir)
    };
    Admin::new(tls_options(&mtls, with_cert)).unwrap().cluster_info().await.unwrap();

    // Wrong transport on either side fails fast, with a clear error.
    let started = Instant::now();
    let err = Admin::new(tls_options(&cluster.namesrv_addr(), ca(&pki.dir))).unwrap().cluster_info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "TLS client, plain port: {err}");
    assert!(err.to_string().contains("TLS handshake"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let started = Instant::now();
    let mut plain = client_options(&ns_tls);
    plain.request_timeout = Duration::from_secs(3);
    let err = Admin::new(plain).unwrap().cluster_info().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ConnectionClosed | ErrorKind::Protocol), "plain client, TLS port: {err}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    // A missing CA file is a Config error when the client is built, not at first use.
    let missing = TlsOptions { trust: TlsTrust::CaFile(pki.dir.join("nope.pem")), ..Default::default() };
    assert_eq!(Admin::new(tls_options(&ns_tls, missing)).unwrap_err().kind(), ErrorKind::Config);
    let _ = std::fs::remove_dir_all(&pki.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_straight_to_the_real_name_servers_own_listener() {
    let pki = pki();
    // rocketmq-rust's name server with `tls.server.mode=enforcing` and our CA-signed cert; no
    // broker (the installed one speaks no TLS, so it could not register).
    let cluster = match rocketmq_testkit::Cluster::builder()
        .brokers(0)
        .namesrv_tls(pki.dir.join("server.pem"), pki.dir.join("server.key"))
        .start()
        .await
    {
        Ok(c) => c,
        Err(e) => panic!("cannot start a real name server (run scripts/install-broker.sh): {e}"),
    };
    let ns = cluster.namesrv_addr();

    // CA file + server name: a full request and answer over the server's TLS.
    let admin = Admin::new(tls_options(&ns, ca(&pki.dir))).unwrap();
    let info = admin.cluster_info().await.unwrap();
    assert!(info.broker_addr_table.is_empty(), "no broker: {info:?}");
    // Java's test mode (no verification) reaches it too.
    let test_mode = TlsOptions { trust: TlsTrust::InsecureTestMode, ..Default::default() };
    Admin::new(tls_options(&ns, test_mode)).unwrap().cluster_info().await.unwrap();

    // A certificate for another name is refused by our client.
    let wrong_name = TlsOptions { server_name: Some("other.test".into()), ..ca(&pki.dir) };
    let err = Admin::new(tls_options(&ns, wrong_name)).unwrap().cluster_info().await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");

    // A plain client on the enforcing TLS port fails with a connection error, not a hang.
    let mut plain = client_options(&ns);
    plain.request_timeout = Duration::from_secs(3);
    let err = timeout(Duration::from_secs(10), Admin::new(plain).unwrap().cluster_info()).await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ConnectionClosed | ErrorKind::Protocol), "plain client, TLS port: {err}");
    let _ = std::fs::remove_dir_all(&pki.dir);
}
