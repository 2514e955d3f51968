//! The one TLS stack every outbound request uses: rustls (with aws-lc-rs,
//! the crypto the engine already uses for P-256), chosen in the workspace's
//! `Cargo.toml`. Certificates are checked by the platform verifier against
//! the system's trust roots, plus the extra roots the operator configures
//! (`--extra-ca-file`, e.g. a private or a test CA). There is no way to
//! accept any certificate. Every HTTP client is built here, with one
//! exception: the x402-rs facilitator (the deposit gate, the stand-ins)
//! builds its own RPC client, pointed only at the chain node the engine is
//! configured with (and checked first by `payout::chain::Chain::connect`).

use std::sync::OnceLock;

/// Extra trust roots, set once at start-up, with the PEM they came from.
static EXTRA_ROOTS: OnceLock<(Vec<u8>, Vec<reqwest::Certificate>)> = OnceLock::new();

/// Most bytes of PEM read as extra roots.
const PEM_BYTES_MAX: usize = 1024 * 1024;

/// Adds the PEM certificates of `pem` as trust roots for every client built
/// from now on; how many. Only once per process: a second call with other
/// roots is refused.
pub fn add_extra_roots(pem: &[u8]) -> Result<usize, String> {
    if pem.len() > PEM_BYTES_MAX {
        return Err(format!("extra CA file: larger than {PEM_BYTES_MAX} bytes"));
    }
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| format!("extra CA file: not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("extra CA file: no certificate in it".into());
    }
    let n = certs.len();
    match EXTRA_ROOTS.set((pem.to_vec(), certs)) {
        Ok(()) => Ok(n),
        // The same file again changes nothing; other roots are refused.
        Err(_) if EXTRA_ROOTS.get().is_some_and(|(p, _)| p.as_slice() == pem) => Ok(n),
        Err(_) => Err("other extra CA roots are set already for this process".into()),
    }
}

/// Reads `path` (PEM) as [`add_extra_roots`] does.
pub fn add_extra_roots_file(path: &std::path::Path) -> Result<usize, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    add_extra_roots(&pem).map_err(|e| format!("{}: {e}", path.display()))
}

/// A client builder on the chosen stack, trusting the system's roots and
/// the extra ones, following no redirect (one could lead from https to
/// plain http, or to another host than the one checked).
pub fn client() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .redirect(reqwest::redirect::Policy::none());
    match EXTRA_ROOTS.get() {
        Some((_, roots)) => builder.tls_certs_merge(roots.iter().cloned()),
        None => builder,
    }
}

/// A blocking client on the same stack (the OTLP exporter's).
pub fn blocking_client() -> Result<reqwest::blocking::Client, String> {
    let builder = reqwest::blocking::Client::builder()
        .tls_backend_rustls()
        .redirect(reqwest::redirect::Policy::none());
    let builder = match EXTRA_ROOTS.get() {
        Some((_, roots)) => builder.tls_certs_merge(roots.iter().cloned()),
        None => builder,
    };
    builder.build().map_err(|e| format!("HTTP client: {e}"))
}

/// The rustls configuration for a TLS stream the engine opens itself (the
/// relay's WebSocket): the same provider, platform verifier and extra
/// roots as [`client`].
pub fn rustls_config() -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let extra: Vec<CertificateDer<'static>> = match EXTRA_ROOTS.get() {
        Some((pem, _)) => CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("extra CA file: {e}"))?,
        None => Vec::new(),
    };
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
            .map_err(|e| format!("TLS verifier: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        // "dangerous" is rustls's name for any verifier it did not build
        // itself: this one is the platform verifier reqwest uses.
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

/// Whether `ip` is this machine (an IPv4-mapped IPv6 address judged as
/// IPv4).
pub fn is_loopback(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Whether a URL's host names this machine: `localhost` or a loopback
/// address (brackets allowed).
pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(is_loopback)
}

/// Plain http is for loopback only: `url` (named by the operator: a chain
/// node, a collector) must be https unless its host is this machine.
pub fn require_https(what: &str, url: &reqwest::Url) -> Result<(), String> {
    if url.scheme() == "https" {
        return Ok(());
    }
    let host = url.host_str().unwrap_or("");
    let loopback = is_loopback_host(host);
    if url.scheme() == "http" && loopback {
        return Ok(());
    }
    Err(format!(
        "{what}: {}://{host} is not https; plain http reaches this machine only",
        url.scheme()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_leaves_the_machine() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(require_https("rpc", &url("https://node.example")).is_ok());
        assert!(require_https("rpc", &url("http://127.0.0.1:8545")).is_ok());
        assert!(require_https("rpc", &url("http://localhost:8545")).is_ok());
        assert!(require_https("rpc", &url("http://[::1]:8545")).is_ok());
        let e = require_https("rpc", &url("http://node.example:8545")).unwrap_err();
        assert!(e.starts_with("rpc: http://node.example"), "{e}");
        assert!(require_https("rpc", &url("ws://127.0.0.1")).is_err());
    }

    #[test]
    fn roots_must_be_certificates() {
        assert!(add_extra_roots(b"not a certificate").is_err());
    }
}
