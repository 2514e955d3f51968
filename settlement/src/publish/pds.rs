//! The exchange's PDS, as the outbox uses it: a session from an app
//! password (`com.atproto.server.createSession`) and `putRecord`. The
//! password and the session's tokens are registered as secrets and never
//! printed; errors carry the PDS's short XRPC error name, not its body.

use std::time::Duration;

use crate::records::cid::Cid;
use crate::records::formats::AtUri;
use crate::records::json::{self, Map, Value};

const TIMEOUT: Duration = Duration::from_secs(20);
/// Most bytes of a PDS's answer read.
const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// Who the exchange is on its PDS.
#[derive(Clone)]
pub struct Account {
    /// The PDS's base URL (https; http only to this machine).
    pub pds: reqwest::Url,
    /// The exchange's DID (its repository) or handle.
    pub identifier: String,
    /// An app password.
    pub password: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("pds", &crate::secrets::redact_url(self.pds.as_str()))
            .field("identifier", &self.identifier)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// What the PDS answered to a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub cid: String,
    pub commit: String,
    pub rev: String,
}

/// Why a write failed: `auth` when the session must be made again,
/// `login` when no session could be made (nothing else can be written).
#[derive(Clone, Debug)]
pub struct PdsError {
    pub auth: bool,
    pub login: bool,
    pub reason: String,
}

fn err(reason: impl Into<String>) -> PdsError {
    PdsError {
        auth: false,
        login: false,
        reason: reason.into(),
    }
}

/// A client of the exchange's PDS.
pub struct Pds {
    account: Account,
    client: reqwest::Client,
    /// The session's access token.
    access: tokio::sync::Mutex<Option<String>>,
}

impl Pds {
    pub fn new(account: Account) -> Result<Pds, String> {
        crate::tls::require_https("publish PDS", &account.pds)?;
        crate::secrets::register(&account.password);
        let client = crate::tls::client()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Pds {
            account,
            client,
            access: tokio::sync::Mutex::new(None),
        })
    }

    fn xrpc(&self, method: &str) -> Result<reqwest::Url, PdsError> {
        self.account
            .pds
            .join(&format!("xrpc/{method}"))
            .map_err(|e| err(format!("PDS URL: {e}")))
    }

    /// POSTs `body` (JSON) to `method`; the answer's JSON.
    async fn post(
        &self,
        method: &str,
        body: &Value,
        bearer: Option<&str>,
    ) -> Result<Value, PdsError> {
        let mut req = self
            .client
            .post(self.xrpc(method)?)
            .header("content-type", "application/json")
            .body(json::to_canonical_string(body));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.map_err(|e| {
            err(format!(
                "{method}: {}",
                crate::secrets::scrub(&e.to_string())
            ))
        })?;
        let status = resp.status().as_u16();
        let bytes = crate::egress::read_bounded(resp, ANSWER_BYTES_MAX)
            .await
            .map_err(|e| err(format!("{method}: {e}")))?;
        let answer = json::parse(&bytes).ok();
        if status == 200 {
            return answer.ok_or_else(|| err(format!("{method}: the answer is not JSON")));
        }
        // The XRPC error's name only: its message may echo what was sent.
        let name = answer
            .as_ref()
            .and_then(|a| a.get("error"))
            .and_then(Value::as_str)
            .filter(|n| n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("")
            .to_owned();
        let auth = status == 401
            || matches!(
                name.as_str(),
                "ExpiredToken" | "InvalidToken" | "AuthenticationRequired"
            );
        Err(PdsError {
            auth,
            login: false,
            reason: format!("{method}: HTTP {status} {name}")
                .trim_end()
                .to_owned(),
        })
    }

    /// A new session: its access token.
    async fn login(&self) -> Result<String, PdsError> {
        let mut body = Map::new();
        body.insert("identifier".into(), self.account.identifier.as_str().into());
        body.insert("password".into(), self.account.password.as_str().into());
        let answer = self
            .post(
                "com.atproto.server.createSession",
                &Value::Object(body),
                None,
            )
            .await?;
        let token = answer
            .get("accessJwt")
            .and_then(Value::as_str)
            .ok_or_else(|| PdsError {
                login: true,
                ..err("createSession: no accessJwt")
            })?
            .to_owned();
        crate::secrets::register(&token);
        if let Some(refresh) = answer.get("refreshJwt").and_then(Value::as_str) {
            crate::secrets::register(refresh);
        }
        Ok(token)
    }

    /// Writes `value` at `uri` (its collection and record key) with
    /// `putRecord`: the same content again changes nothing. The PDS must
    /// answer the CID the exchange computed.
    pub async fn put(&self, uri: &AtUri, cid: &str, value: &Value) -> Result<Written, PdsError> {
        let mut body = Map::new();
        body.insert("repo".into(), uri.did().into());
        body.insert("collection".into(), uri.collection().into());
        body.insert("rkey".into(), uri.rkey().into());
        body.insert("record".into(), value.clone());
        let body = Value::Object(body);
        let mut access = self.access.lock().await;
        for attempt in 0..2 {
            let token = match access.as_ref() {
                Some(t) => t.clone(),
                None => {
                    let t = self.login().await?;
                    *access = Some(t.clone());
                    t
                }
            };
            match self
                .post("com.atproto.repo.putRecord", &body, Some(&token))
                .await
            {
                Ok(answer) => return written(&answer, uri, cid),
                Err(e) if e.auth && attempt == 0 => *access = None,
                Err(e) => return Err(e),
            }
        }
        Err(err("putRecord: the session was refused twice"))
    }
}

/// Reads putRecord's answer `{uri, cid, commit: {cid, rev}}`.
fn written(answer: &Value, uri: &AtUri, cid: &str) -> Result<Written, PdsError> {
    let text = |v: Option<&Value>, what: &str| {
        v.and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| err(format!("putRecord: the answer has no {what}")))
    };
    if text(answer.get("uri"), "uri")? != uri.as_str() {
        return Err(err("putRecord: the answer names another record"));
    }
    let got = text(answer.get("cid"), "cid")?;
    if got != cid {
        return Err(err(format!(
            "putRecord: the PDS holds CID {got}, not the record's {cid}"
        )));
    }
    let commit = answer.get("commit");
    let commit_cid = text(commit.and_then(|c| c.get("cid")), "commit.cid")?;
    Cid::parse(&commit_cid).map_err(|e| err(format!("putRecord: commit.cid: {e}")))?;
    Ok(Written {
        cid: got,
        commit: commit_cid,
        rev: text(commit.and_then(|c| c.get("rev")), "commit.rev")?,
    })
}
