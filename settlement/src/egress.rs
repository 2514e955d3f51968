//! Where the engine may send a request on someone else's word (a
//! provider's x402 payout URL, a DID document's PDS, a did:web host): only
//! to public addresses, over https, with every answer bounded. Plain http
//! and loopback are for development, by an explicit setting. The address
//! is checked after DNS and the connection is pinned to the address that
//! was checked, so a name cannot be re-pointed between the two
//! (rebinding).

use std::net::{IpAddr, SocketAddr};

use crate::tls::{is_loopback, is_loopback_host};
use std::time::Duration;

/// What requests on outside word may reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Egress {
    /// Development: plain http to loopback (localhost, 127.0.0.0/8, ::1)
    /// is allowed too. Private, link-local and other non-public addresses
    /// are refused either way.
    pub loopback: bool,
}

/// Why a URL is not reached. The message is for the operator's log; the
/// `code` is all a provider is told.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct EgressError {
    pub url: String,
    pub reason: String,
}

impl EgressError {
    pub fn code(&self) -> &'static str {
        "address-not-allowed"
    }
}

fn refuse(url: &reqwest::Url, reason: impl Into<String>) -> EgressError {
    EgressError {
        url: crate::secrets::redact_url(url.as_str()),
        reason: reason.into(),
    }
}

/// Whether `ip` is an address of the public Internet: not loopback,
/// private, link-local, shared (CGNAT), unspecified, multicast,
/// broadcast, documentation, benchmarking or reserved, in IPv4 or IPv6
/// (IPv4-mapped and IPv4-compatible IPv6 addresses are judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0064 && s[1] == 0xff9b))
        }
    }
}

impl Egress {
    /// The URL's form: https (or http to a loopback name in development),
    /// a host, no credentials.
    pub fn check_form(&self, url: &reqwest::Url) -> Result<(), EgressError> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(url, "credentials in the URL"));
        }
        let Some(host) = url.host_str() else {
            return Err(refuse(url, "no host"));
        };
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.loopback && is_loopback_host(host) => Ok(()),
            "http" => Err(refuse(
                url,
                "plain http lets anyone on the path change the answer: https is required",
            )),
            other => Err(refuse(url, format!("scheme {other} is not https"))),
        }
    }

    /// Resolves the URL's host and checks every address; returns the one to
    /// connect to.
    pub async fn resolve(&self, url: &reqwest::Url) -> Result<SocketAddr, EgressError> {
        self.check_form(url)?;
        let host = url.host_str().unwrap_or_default();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refuse(url, "no port"))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::time::timeout(
                Duration::from_secs(5),
                tokio::net::lookup_host((bare, port)),
            )
            .await
            .map_err(|_| refuse(url, "DNS did not answer in time"))?
            .map_err(|e| refuse(url, format!("DNS: {e}")))?
            .collect(),
        };
        if addrs.is_empty() {
            return Err(refuse(url, "DNS: no address"));
        }
        for a in &addrs {
            let ok = is_public(a.ip()) || (self.loopback && is_loopback(a.ip()));
            if !ok {
                return Err(refuse(url, format!("{} is not a public address", a.ip())));
            }
        }
        Ok(addrs[0])
    }

    /// A client for requests to `url` only, connected to the address
    /// [`Egress::resolve`] checked; no redirects.
    pub async fn client_for(
        &self,
        url: &reqwest::Url,
        timeout: Duration,
    ) -> Result<reqwest::Client, EgressError> {
        let addr = self.resolve(url).await?;
        let host = url.host_str().unwrap_or_default();
        let mut builder = crate::tls::client()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("settlement/", env!("CARGO_PKG_VERSION")));
        if host.parse::<IpAddr>().is_err() && !host.starts_with('[') {
            builder = builder.resolve(host, addr);
        }
        builder
            .build()
            .map_err(|e| refuse(url, format!("HTTP client: {e}")))
    }
}

/// Reads at most `limit` bytes of an answer's body.
pub async fn read_bounded(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(format!("the answer is larger than {limit} bytes"));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > limit {
            return Err(format!("the answer is larger than {limit} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for (ip, public) in [
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("2606:4700::1111", true),
            ("127.0.0.1", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("0.0.0.0", false),
            ("255.255.255.255", false),
            ("224.0.0.1", false),
            ("198.18.0.1", false),
            ("192.0.2.1", false),
            ("::1", false),
            ("::", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("64:ff9b::a9fe:a9fe", false),
        ] {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_after_resolution() {
        let strict = Egress::default();
        let dev = Egress { loopback: true };
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        for (u, strict_ok, dev_ok) in [
            ("http://127.0.0.1:8080/pay", false, true),
            ("http://localhost:8080/pay", false, true),
            ("https://127.0.0.1/pay", false, true),
            ("http://169.254.169.254/latest/meta-data/", false, false),
            ("https://169.254.169.254/", false, false),
            ("https://10.0.0.8/pay", false, false),
            ("https://[::ffff:10.0.0.8]/pay", false, false),
            ("http://8.8.8.8/pay", false, false),
            ("https://user:pw@8.8.8.8/pay", false, false),
            ("ftp://8.8.8.8/pay", false, false),
            ("https://8.8.8.8/pay", true, true),
        ] {
            assert_eq!(
                strict.resolve(&url(u)).await.is_ok(),
                strict_ok,
                "strict {u}"
            );
            assert_eq!(dev.resolve(&url(u)).await.is_ok(), dev_ok, "dev {u}");
        }
    }
}
