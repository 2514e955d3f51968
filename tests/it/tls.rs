//! https on the one TLS stack (`settlement::tls`): a server with a
//! certificate from a CA given as an extra root (`tests/tls/`) is reached
//! by every client the engine builds; a certificate from a CA nobody
//! trusts, or for another name, is refused; plain http leaves only for
//! this machine.

use std::sync::{Arc, OnceLock};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use settlement::egress::Egress;
use tokio_rustls::rustls;

use crate::support::root;

/// Trusts the test CA in this process (once; it only adds a root).
pub fn trust_test_ca() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let pem = std::fs::read(root().join("tests/tls/test-ca.pem")).expect("test CA");
        settlement::tls::add_extra_roots(&pem).expect("extra roots");
    });
}

struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A client that refuses the certificate ends the handshake.
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An https server on loopback with certificate `name` (from `tests/tls/`)
/// answering `body` at `/did.json`: its port.
pub async fn https_server(name: &str, body: String) -> u16 {
    let dir = root().join("tests/tls");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join(format!("{name}.pem")))
            .expect("certificate file")
            .collect::<Result<_, _>>()
            .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(dir.join(format!("{name}-key.pem"))).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server certificate");
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let app = axum::Router::new().route(
        "/did.json",
        axum::routing::get(move || {
            let b = body.clone();
            async move { b }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

async fn get(url: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(url).unwrap();
    // The client x402 endpoints and PDS fetches use: pinned to the
    // address checked, on the one TLS stack (loopback: development).
    let client = Egress { loopback: true }
        .client_for(&url, std::time::Duration::from_secs(10))
        .await
        .map_err(|e| e.to_string())?;
    let resp = client.get(url).send().await.map_err(|e| {
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            text.push_str(&format!(": {c}"));
            cause = c.source();
        }
        text
    })?;
    resp.text().await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_extra_ca_and_wrong_certificates_refused() {
    trust_test_ca();
    let good = https_server("localhost", "hello over tls".into()).await;
    assert_eq!(
        get(&format!("https://localhost:{good}/did.json")).await,
        Ok("hello over tls".into())
    );
    assert_eq!(
        get(&format!("https://127.0.0.1:{good}/did.json")).await,
        Ok("hello over tls".into())
    );
    // A certificate from a CA nobody trusts.
    let rogue = https_server("rogue-localhost", "rogue".into()).await;
    let e = get(&format!("https://localhost:{rogue}/did.json"))
        .await
        .unwrap_err();
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    // The trusted CA, but for another name.
    let other = https_server("other-host", "other".into()).await;
    let e = get(&format!("https://localhost:{other}/did.json"))
        .await
        .unwrap_err();
    assert!(e.to_lowercase().contains("certificate"), "{e}");
}

/// An auditor reads the exchange's DID document over https, from a server
/// whose certificate the extra CA vouches for, and audits with its key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_with_the_did_document_over_https() {
    use settlement::testkit::{PROVIDER, REQUESTER, Scenario};
    trust_test_ca();
    let app = crate::app::spawn_app(crate::app::Backend::Sqlite).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "tls").await.status, 201);
    let sealed = Scenario::new(REQUESTER, PROVIDER, "tls-audit").seal();
    app.post_all(&sealed).await;
    assert_eq!(app.settle(&sealed.receipt.uri).await.status, 201);
    // The exchange's document, kept on another server, over https.
    let doc = app.get("/.well-known/did.json").await;
    let port = https_server(
        "localhost",
        settlement::records::json::to_canonical_string(&doc.body),
    )
    .await;
    let key = settlement::audit::KeySource {
        exchange: Some(settlement::testkit::EXCHANGE.into()),
        ..settlement::audit::KeySource::document(format!("https://localhost:{port}/did.json"))
    };
    let report = settlement::audit::audit(&app.base, &sealed.authorization.uri, &key)
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.render());
    assert_eq!(report.rows.len(), 1);
    // The same document behind a certificate nobody vouches for: no audit.
    let rogue = https_server(
        "rogue-localhost",
        settlement::records::json::to_canonical_string(&doc.body),
    )
    .await;
    let e = settlement::audit::audit(
        &app.base,
        &sealed.authorization.uri,
        &settlement::audit::KeySource::document(format!("https://localhost:{rogue}/did.json")),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
}

/// The chain node and the trace collector are reached over https, or
/// over plain http on this machine only.
#[tokio::test]
async fn plain_http_reaches_this_machine_only() {
    let local = settlement::payout::chain::ChainConfig {
        rpc_url: "http://node.example:8545".into(),
        chain_id: 1,
        token: alloy::primitives::Address::ZERO,
        eip712_name: "USD Coin".into(),
        eip712_version: "2".into(),
        confirmations: 1,
    };
    let treasury = settlement::payout::chain::Treasury::from_hex(&"11".repeat(32), "test").unwrap();
    let e = settlement::payout::chain::Chain::connect(local, treasury)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not https"), "{e}");
}
