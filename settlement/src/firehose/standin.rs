//! The AT Protocol network for tests and the demo (a PDS and a relay
//! cannot run here): `scripts/atproto-standin.mjs`, a PLC directory, PDS
//! and relay in one Node process. Its repositories are kept and signed by
//! the reference implementation (`@atproto/repo`), its commits streamed as
//! real `subscribeRepos` frames. This drives it: the repositories' owners
//! write and delete records, the network says what it holds.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::records::RawRecord;
use crate::records::json::{self, Value};

/// A repository to host: its DID, the seed of its signing key (k256), and
/// the app password of its account, if it logs in.
pub struct Account<'a> {
    pub did: &'a str,
    pub key_seed: &'a str,
    pub password: Option<&'a str>,
}

/// The running stand-in; stopped when dropped.
pub struct Standin {
    child: Child,
    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` with TLS.
    pub base: String,
    http: reqwest::Client,
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The hex private key a seed names.
pub fn key_hex(seed: &str) -> String {
    crate::testkit::sha256_hex(seed.as_bytes())
}

fn collection_rkey(uri: &str) -> Result<(&str, &str, &str), String> {
    let mut parts = uri.splitn(5, '/').skip(2);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(did), Some(c), Some(r)) => Ok((did, c, r)),
        _ => Err(format!("{uri}: not a record URI")),
    }
}

impl Standin {
    /// Starts it; `tls` is (certificate, key) PEM files to serve https and
    /// wss with (its client then trusts what `tls::add_extra_roots` added).
    pub fn start(
        accounts: &[Account<'_>],
        tls: Option<(PathBuf, PathBuf)>,
    ) -> Result<Standin, String> {
        let root = crate::payout::local::ensure_node_tools()?;
        let repos: Vec<String> = accounts
            .iter()
            .map(|a| {
                let password = a
                    .password
                    .map(|p| {
                        format!(
                            r#","password":{}"#,
                            json::to_canonical_string(&Value::from(p))
                        )
                    })
                    .unwrap_or_default();
                format!(
                    r#"{{"did":"{}","alg":"k256","key":"{}"{password}}}"#,
                    a.did,
                    key_hex(a.key_seed)
                )
            })
            .collect();
        let tls_config = tls
            .as_ref()
            .map(|(cert, key)| {
                format!(
                    r#","tls":{{"cert":{},"key":{}}}"#,
                    json::to_canonical_string(&Value::from(cert.display().to_string())),
                    json::to_canonical_string(&Value::from(key.display().to_string()))
                )
            })
            .unwrap_or_default();
        let config = format!(r#"{{"repos":[{}]{tls_config}}}"#, repos.join(","));
        let mut child = Command::new("node")
            .arg(root.join("scripts/atproto-standin.mjs"))
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run node: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        stdin
            .write_all(config.as_bytes())
            .map_err(|e| format!("stand-in config: {e}"))?;
        drop(stdin);
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?)
            .read_line(&mut line)
            .map_err(|e| format!("stand-in: {e}"))?;
        let port = json::parse(line.as_bytes())
            .ok()
            .and_then(|v| v.get("port").and_then(Value::as_int))
            .ok_or_else(|| format!("the AT Protocol stand-in did not start: {line:?}"))?;
        let base = match tls {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://127.0.0.1:{port}"),
        };
        let http = crate::tls::client()
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Standin { child, base, http })
    }

    /// The relay's URL (ws:// or wss://).
    pub fn relay(&self) -> String {
        self.base
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1)
    }

    /// POSTs `body` to one of its control routes (`/_test/...`).
    pub async fn call(&self, path: &str, body: String) -> Result<Value, String> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{path}: HTTP {status}"));
        }
        json::parse(&bytes).map_err(|e| format!("{path}: {e}"))
    }

    /// Writes `records` (all of one repository) in one commit; the
    /// commit's answer `{commit, rev, seq, cids}`.
    pub async fn write(&self, records: &[&RawRecord]) -> Result<Value, String> {
        let mut did = None;
        let mut writes = Vec::new();
        for r in records {
            let (owner, collection, rkey) = collection_rkey(&r.uri)?;
            if did.is_some_and(|d| d != owner) {
                return Err("one commit writes to one repository".into());
            }
            did = Some(owner);
            writes.push(format!(
                r#"{{"action":"create","collection":"{collection}","rkey":"{rkey}","value":{}}}"#,
                json::to_canonical_string(&r.value)
            ));
        }
        let did = did.ok_or("nothing to write")?;
        let body = format!(r#"{{"did":"{did}","writes":[{}]}}"#, writes.join(","));
        self.call("/_test/write", body).await
    }

    /// Deletes the record at `uri` in one commit.
    pub async fn delete(&self, uri: &str) -> Result<(), String> {
        let (did, collection, rkey) = collection_rkey(uri)?;
        let body = format!(
            r#"{{"did":"{did}","writes":[{{"action":"delete","collection":"{collection}","rkey":"{rkey}"}}]}}"#
        );
        self.call("/_test/write", body).await.map(|_| ())
    }

    /// The CID of `uri` in its repository, if it is there.
    pub async fn cid_of(&self, uri: &str) -> Result<Option<String>, String> {
        let (did, collection, rkey) = collection_rkey(uri)?;
        let resp = self
            .http
            .get(format!(
                "{}/_test/record?did={did}&collection={collection}&rkey={rkey}",
                self.base
            ))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if resp.status() == 404 {
            return Ok(None);
        }
        let v = json::parse(&resp.bytes().await.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok(v.get("cid").and_then(Value::as_str).map(str::to_owned))
    }
}
