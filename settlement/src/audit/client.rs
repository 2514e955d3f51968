//! The audited server's HTTP API, with bounded bodies and timeouts.

use super::*;

/// The server's HTTP API, with bounded bodies and timeouts.
pub(super) struct Api {
    pub(super) base: reqwest::Url,
    pub(super) client: reqwest::Client,
}

/// An answer: its status and its body parsed by the strict JSON parser.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Result<Value, String>,
}

impl Api {
    pub(super) fn new(server: &str) -> Result<Api, AuditError> {
        let base = reqwest::Url::parse(server)
            .map_err(|e| AuditError::Input(format!("--server {server:?} is not a URL: {e}")))?;
        match base.scheme() {
            "http" | "https" => {
                crate::tls::require_https("--server", &base).map_err(AuditError::Input)?;
            }
            other => {
                return Err(AuditError::Input(format!(
                    "--server: scheme {other:?} is not https"
                )));
            }
        }
        if base.host_str().is_none() || base.query().is_some() || base.fragment().is_some() {
            return Err(AuditError::Input(format!(
                "--server {server:?} must be http://HOST[:PORT][/PATH] without query or fragment"
            )));
        }
        let client = crate::tls::client()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("settlement-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AuditError::Input(format!("cannot set up an HTTP client: {e}")))?;
        Ok(Api { base, client })
    }

    #[cfg(test)]
    pub(super) fn url(&self, path: &str, uri: Option<&str>) -> reqwest::Url {
        self.url_with(path, uri.map(|u| ("uri", u)))
    }

    pub(super) fn url_with(&self, path: &str, param: Option<(&str, &str)>) -> reqwest::Url {
        let mut url = self.base.clone();
        let prefix = self.base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        if let Some((k, v)) = param {
            url.query_pairs_mut().append_pair(k, v);
        }
        url
    }

    pub(super) async fn get(
        &self,
        path: &str,
        uri: Option<&str>,
        limit: usize,
    ) -> Result<Reply, AuditError> {
        self.get_with(path, uri.map(|u| ("uri", u)), limit).await
    }

    /// `GET path?KEY=VALUE`, the answer read up to `limit` bytes.
    pub(super) async fn get_with(
        &self,
        path: &str,
        param: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Reply, AuditError> {
        self.fetch(self.url_with(path, param), limit).await
    }

    /// `GET url` (any server), the answer read up to `limit` bytes.
    pub(super) async fn fetch(&self, url: reqwest::Url, limit: usize) -> Result<Reply, AuditError> {
        let server = url.to_string();
        let unreachable = |e: reqwest::Error| AuditError::Unreachable {
            server: server.clone(),
            detail: error_chain(&e),
        };
        let mut resp = self
            .client
            .get(url.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status().as_u16();
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Ok(Reply {
                status,
                body: Err(format!("the answer is larger than {limit} bytes")),
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > limit {
                return Ok(Reply {
                    status,
                    body: Err(format!("the answer is larger than {limit} bytes")),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            body: json::parse(&bytes).map_err(|e| format!("the answer is not usable JSON: {e}")),
        })
    }
}

/// An error and its causes, on one line.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    // Bounded: error chains are short, but nothing promises it.
    for _ in 0..8 {
        let Some(c) = cause else { break };
        let _ = write!(text, ": {c}");
        cause = c.source();
    }
    text
}
