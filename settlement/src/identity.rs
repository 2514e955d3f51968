//! The AT Protocol edge: DID resolution (did:web, did:plc through a
//! configurable directory), with a cache whose entries expire, and record
//! proofs fetched from the owner's PDS (`com.atproto.sync.getRecord`).
//! The checks themselves are pure and live in `verify::repo` and
//! `verify::atkey`; this module only fetches.
//!
//! Every fetch goes through the egress rule (`IdentityConfig::egress`):
//! https to public addresses, checked after DNS and pinned, on the one TLS
//! stack (`crate::tls`); plain http to `localhost` only in development.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::egress::Egress;
use crate::records::formats::{AtUri, is_did};
use crate::records::json::{self, Value};
use crate::verify::atkey::AtKey;
use crate::verify::repo::{self, ProofError, ProvenRecord};

/// Largest DID document read.
pub const DID_DOC_BYTES_MAX: usize = 64 * 1024;
/// Most DID documents cached; when full, expired entries are dropped, then
/// everything (resolution is only a cache miss away).
pub const CACHE_ENTRIES_MAX: usize = 10_000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the engine needs from a DID document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidDocument {
    pub did: String,
    /// The `#atproto_pds` service endpoint (`http(s)://host[:port]`).
    pub pds: String,
    /// The `#atproto` verification method.
    pub key: AtKey,
}

/// Why a DID could not be resolved to a usable document: `did-unresolvable`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{did}: {reason}")]
pub struct ResolveError {
    pub did: String,
    pub reason: String,
}

/// Why a record could not be proven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthenticityError {
    #[error("DID {0}")]
    Resolve(#[from] ResolveError),
    #[error("cannot fetch {uri} from its owner's PDS: {reason}")]
    Fetch { uri: String, reason: String },
    #[error("{uri}: {error}")]
    Proof { uri: String, error: ProofError },
}

impl AuthenticityError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthenticityError::Resolve(_) => "did-unresolvable",
            AuthenticityError::Fetch { .. } => "record-unavailable",
            AuthenticityError::Proof { error, .. } => error.code(),
        }
    }
}

fn fail(did: &str, reason: impl Into<String>) -> ResolveError {
    ResolveError {
        did: did.to_owned(),
        reason: reason.into(),
    }
}

/// `did` with or without a fragment equals `did#fragment`.
fn names(id: &str, did: &str, fragment: &str) -> bool {
    id == fragment || id.strip_prefix(did) == Some(fragment)
}

/// Reads the parts of a DID document the engine uses. The document's `id`
/// must be the DID; the key is the Multikey verification method `#atproto`;
/// the PDS is the `AtprotoPersonalDataServer` service `#atproto_pds`.
pub fn parse_did_document(did: &str, bytes: &[u8]) -> Result<DidDocument, ResolveError> {
    let doc = json::parse(bytes).map_err(|e| fail(did, format!("document is not JSON: {e}")))?;
    if doc.as_object().is_none() {
        return Err(fail(did, "document must be a JSON object"));
    }
    match doc.get("id").and_then(Value::as_str) {
        Some(id) if id == did => {}
        Some(id) => return Err(fail(did, format!("document id is {id}, not the DID"))),
        None => return Err(fail(did, "document id: must be a string")),
    }
    let list = |field: &str| match doc.get(field) {
        Some(Value::Array(items)) => Ok(items.as_slice()),
        None => Ok(&[][..]),
        Some(_) => Err(fail(did, format!("{field}: must be an array"))),
    };
    let method = list("verificationMethod")?
        .iter()
        .find(|m| {
            m.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| names(id, did, "#atproto"))
        })
        .ok_or_else(|| fail(did, "verificationMethod: no #atproto key"))?;
    if method.get("type").and_then(Value::as_str) != Some("Multikey") {
        return Err(fail(
            did,
            "verificationMethod #atproto: type must be Multikey",
        ));
    }
    let key = method
        .get("publicKeyMultibase")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            fail(
                did,
                "verificationMethod #atproto: publicKeyMultibase must be a string",
            )
        })
        .and_then(|k| {
            AtKey::from_multibase(k)
                .map_err(|e| fail(did, format!("verificationMethod #atproto: {e}")))
        })?;
    let service = list("service")?
        .iter()
        .find(|s| {
            s.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| names(id, did, "#atproto_pds"))
        })
        .ok_or_else(|| fail(did, "service: no #atproto_pds"))?;
    if service.get("type").and_then(Value::as_str) != Some("AtprotoPersonalDataServer") {
        return Err(fail(
            did,
            "service #atproto_pds: type must be AtprotoPersonalDataServer",
        ));
    }
    let pds = service
        .get("serviceEndpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            fail(
                did,
                "service #atproto_pds: serviceEndpoint must be a string",
            )
        })?;
    let url = reqwest::Url::parse(pds)
        .ok()
        .filter(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.path() == "/"
                && u.query().is_none()
                && u.fragment().is_none()
                && u.username().is_empty()
        })
        .ok_or_else(|| {
            fail(
                did,
                "service #atproto_pds: serviceEndpoint must be http(s)://HOST[:PORT]",
            )
        })?;
    Ok(DidDocument {
        did: did.to_owned(),
        pds: url.as_str().trim_end_matches('/').to_owned(),
        key,
    })
}

/// Where to GET a DID's document: `did:web:HOST` (a `%3A` in HOST is a
/// port) at `/.well-known/did.json`, `did:plc:...` at `{plc}/{did}`.
pub fn document_url(did: &str, plc_directory: &str) -> Result<reqwest::Url, ResolveError> {
    if !is_did(did) {
        return Err(fail(did, "not a DID"));
    }
    let text = if let Some(host) = did.strip_prefix("did:web:") {
        if host.contains(':') {
            return Err(fail(
                did,
                "did:web with a path is not an AT Protocol DID (hostname only)",
            ));
        }
        let host = host.replacen("%3A", ":", 1);
        if host.contains('%') {
            return Err(fail(did, "did:web host may only escape the port's ':'"));
        }
        format!("http://{host}/.well-known/did.json")
    } else if did.starts_with("did:plc:") {
        format!("{}/{did}", plc_directory.trim_end_matches('/'))
    } else {
        return Err(fail(did, "only did:web and did:plc are supported"));
    };
    let mut url =
        reqwest::Url::parse(&text).map_err(|e| fail(did, format!("bad document URL: {e}")))?;
    if did.starts_with("did:web:") && !is_loopback_host(&url) {
        // did:web is always https, except for local development.
        url.set_scheme("https").map_err(|()| fail(did, "bad URL"))?;
    }
    Ok(url)
}

fn is_loopback_host(url: &reqwest::Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

/// Configuration of the resolver.
#[derive(Clone, Debug)]
pub struct IdentityConfig {
    /// Base URL of the PLC directory (`https://plc.directory`).
    pub plc_directory: String,
    /// How long a resolved document is used before it is fetched again.
    pub cache_ttl: Duration,
    /// Largest record proof (CAR) read from a PDS.
    pub proof_bytes_max: usize,
    /// Which addresses DID documents and PDSes may be fetched from.
    pub egress: Egress,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            plc_directory: "https://plc.directory".into(),
            cache_ttl: Duration::from_secs(300),
            proof_bytes_max: crate::records::car::CAR_BYTES_MAX,
            egress: Egress::default(),
        }
    }
}

/// Resolves DIDs (cached) and proves records against them.
pub struct Identity {
    config: IdentityConfig,
    clock: Arc<dyn ledger::Clock>,
    /// DID -> (document, when it was fetched, microseconds).
    cache: Mutex<HashMap<String, (DidDocument, i64)>>,
}

impl Identity {
    pub fn new(config: IdentityConfig, clock: Arc<dyn ledger::Clock>) -> Result<Identity, String> {
        Ok(Identity {
            config,
            clock,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Drops `did`'s cached document (its identity changed): the next use
    /// resolves it again.
    pub fn forget(&self, did: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(did);
        }
    }

    fn cached(&self, did: &str) -> Option<DidDocument> {
        let now = self.clock.now_us();
        let ttl = i64::try_from(self.config.cache_ttl.as_micros()).unwrap_or(i64::MAX);
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(did)
            .filter(|(_, at)| now.saturating_sub(*at) < ttl)
            .map(|(doc, _)| doc.clone())
    }

    fn remember(&self, doc: &DidDocument) {
        let now = self.clock.now_us();
        let ttl = i64::try_from(self.config.cache_ttl.as_micros()).unwrap_or(i64::MAX);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_ENTRIES_MAX {
            cache.retain(|_, (_, at)| now.saturating_sub(*at) < ttl);
            if cache.len() >= CACHE_ENTRIES_MAX {
                cache.clear();
            }
        }
        cache.insert(doc.did.clone(), (doc.clone(), now));
    }

    /// The DID's document, from the cache while it is fresh.
    pub async fn resolve(&self, did: &str) -> Result<DidDocument, ResolveError> {
        if let Some(doc) = self.cached(did) {
            return Ok(doc);
        }
        let url = document_url(did, &self.config.plc_directory)?;
        let (status, bytes) = self
            .get(url, DID_DOC_BYTES_MAX)
            .await
            .map_err(|e| fail(did, e))?;
        if status != 200 {
            return Err(fail(did, format!("document fetch answered HTTP {status}")));
        }
        let doc = parse_did_document(did, &bytes)?;
        self.remember(&doc);
        Ok(doc)
    }

    /// GET with a bounded body.
    /// `GET url` on someone else's word (a DID, a DID document's PDS):
    /// https to a public address (plain http and loopback only in
    /// development), checked after DNS and pinned, on the one TLS stack.
    async fn get(&self, url: reqwest::Url, limit: usize) -> Result<(u16, Vec<u8>), String> {
        let client = self
            .config
            .egress
            .client_for(&url, REQUEST_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        let resp = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = crate::egress::read_bounded(resp, limit)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        Ok((status, bytes))
    }

    /// The owner's document and what its PDS answers to
    /// `com.atproto.sync.getRecord` for `uri` (a CAR), unverified.
    async fn get_record_car(
        &self,
        uri: &AtUri,
    ) -> Result<(DidDocument, Vec<u8>), AuthenticityError> {
        let doc = self.resolve(uri.did()).await?;
        let fetch = |reason: String| AuthenticityError::Fetch {
            uri: uri.to_string(),
            reason,
        };
        let mut url = reqwest::Url::parse(&format!("{}/xrpc/com.atproto.sync.getRecord", doc.pds))
            .map_err(|e| fetch(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("did", uri.did())
            .append_pair("collection", uri.collection())
            .append_pair("rkey", uri.rkey());
        let (status, car) = self
            .get(url, self.config.proof_bytes_max)
            .await
            .map_err(fetch)?;
        if status != 200 {
            return Err(fetch(format!("the PDS answered HTTP {status}")));
        }
        Ok((doc, car))
    }

    /// Fetches the record's proof from its owner's PDS
    /// (`com.atproto.sync.getRecord`, a CAR) and verifies it.
    pub async fn fetch_record(&self, uri: &AtUri) -> Result<ProvenRecord, AuthenticityError> {
        let (doc, car) = self.get_record_car(uri).await?;
        self.verify(uri, &doc, &car)
    }

    /// One page of the URIs of `did`'s records in `collection`
    /// (`com.atproto.repo.listRecords` on its PDS), and the next page's
    /// cursor. Only the URIs are taken: each record is then fetched with
    /// its proof.
    pub async fn list_records(
        &self,
        did: &str,
        collection: &str,
        cursor: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), AuthenticityError> {
        let doc = self.resolve(did).await?;
        let fetch = |reason: String| AuthenticityError::Fetch {
            uri: format!("at://{did}/{collection}"),
            reason,
        };
        let mut url =
            reqwest::Url::parse(&format!("{}/xrpc/com.atproto.repo.listRecords", doc.pds))
                .map_err(|e| fetch(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("repo", did)
            .append_pair("collection", collection)
            .append_pair("limit", "100");
        if let Some(c) = cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let (status, body) = self
            .get(url, self.config.proof_bytes_max)
            .await
            .map_err(fetch)?;
        if status != 200 {
            return Err(fetch(format!("the PDS answered HTTP {status}")));
        }
        let page =
            crate::records::json::parse(&body).map_err(|e| fetch(format!("listRecords: {e}")))?;
        let prefix = format!("at://{did}/{collection}/");
        let mut uris = Vec::new();
        let records = match page.get("records") {
            Some(crate::records::json::Value::Array(items)) => items,
            _ => return Err(fetch("listRecords: records must be an array".into())),
        };
        for r in records {
            match r.get("uri").and_then(|u| u.as_str()) {
                // Only the repository asked for: a PDS cannot make this
                // exchange fetch elsewhere.
                Some(u) if u.starts_with(&prefix) => uris.push(u.to_owned()),
                _ => {
                    return Err(fetch(
                        "listRecords: a record's uri is not in this repository".into(),
                    ));
                }
            }
        }
        let next = match page.get("cursor") {
            Some(crate::records::json::Value::String(c)) if !records.is_empty() => Some(c.clone()),
            _ => None,
        };
        Ok((uris, next))
    }

    /// Whether `uri` is absent from its owner's repository now: the
    /// current proof fetched from its PDS, verified. `Some(rev)` when the
    /// tree at commit `rev` does not hold it, `None` when it does.
    pub async fn fetch_absence(&self, uri: &AtUri) -> Result<Option<String>, AuthenticityError> {
        let (doc, car) = self.get_record_car(uri).await?;
        let (held, rev) =
            repo::verify_lookup(&car, uri, &doc.key).map_err(|error| AuthenticityError::Proof {
                uri: uri.to_string(),
                error,
            })?;
        Ok(held.is_none().then_some(rev))
    }

    /// Verifies a proof (a CAR) the caller already has, against the owner's
    /// current document.
    pub async fn prove(&self, uri: &AtUri, car: &[u8]) -> Result<ProvenRecord, AuthenticityError> {
        let doc = self.resolve(uri.did()).await?;
        self.verify(uri, &doc, car)
    }

    /// Verifies a proof that `uri` is absent from its owner's repository
    /// (deleted) at a signed commit: that commit's revision.
    pub async fn prove_absence(
        &self,
        uri: &AtUri,
        car: &[u8],
    ) -> Result<String, AuthenticityError> {
        let doc = self.resolve(uri.did()).await?;
        repo::verify_absence_proof(car, uri, &doc.key).map_err(|error| AuthenticityError::Proof {
            uri: uri.to_string(),
            error,
        })
    }

    fn verify(
        &self,
        uri: &AtUri,
        doc: &DidDocument,
        car: &[u8],
    ) -> Result<ProvenRecord, AuthenticityError> {
        repo::verify_record_proof(car, uri, &doc.key).map_err(|error| AuthenticityError::Proof {
            uri: uri.to_string(),
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    const KEY: &str = "zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w";

    fn doc(id: &str, method: &str, service: &str) -> String {
        format!(
            r#"{{"@context":["https://www.w3.org/ns/did/v1"],"id":"{id}","alsoKnownAs":["at://x.example"],"verificationMethod":[{method}],"service":[{service}]}}"#
        )
    }
    fn method(id: &str, ty: &str, key: &str) -> String {
        format!(
            r#"{{"id":"{id}","type":"{ty}","controller":"{DID}","publicKeyMultibase":"{key}"}}"#
        )
    }
    fn service(id: &str, ty: &str, endpoint: &str) -> String {
        format!(r#"{{"id":"{id}","type":"{ty}","serviceEndpoint":"{endpoint}"}}"#)
    }

    fn check(text: &str, expected: Result<&str, &str>) {
        match (parse_did_document(DID, text.as_bytes()), expected) {
            (Ok(d), Ok(pds)) => {
                assert_eq!(d.pds, pds);
                assert_eq!(d.key.to_multibase(), KEY);
            }
            (Err(e), Err(reason)) => assert!(e.reason.contains(reason), "{e} vs {reason}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn did_documents() {
        let m = method("#atproto", "Multikey", KEY);
        let s = service(
            "#atproto_pds",
            "AtprotoPersonalDataServer",
            "https://pds.example",
        );
        check(&doc(DID, &m, &s), Ok("https://pds.example"));
        // Ids spelled in full.
        let full_m = method(&format!("{DID}#atproto"), "Multikey", KEY);
        let full_s = service(
            &format!("{DID}#atproto_pds"),
            "AtprotoPersonalDataServer",
            "http://localhost:2583/",
        );
        check(&doc(DID, &full_m, &full_s), Ok("http://localhost:2583"));
        check(
            &doc("did:plc:other", &m, &s),
            Err("document id is did:plc:other"),
        );
        check(
            &doc(DID, &method("#other", "Multikey", KEY), &s),
            Err("no #atproto key"),
        );
        check(
            &doc(DID, &method("#atproto", "JsonWebKey2020", KEY), &s),
            Err("type must be Multikey"),
        );
        check(
            &doc(DID, &method("#atproto", "Multikey", "zzz"), &s),
            Err("#atproto"),
        );
        check(
            &doc(
                DID,
                &m,
                &service("#atproto_pds", "Other", "https://pds.example"),
            ),
            Err("AtprotoPersonalDataServer"),
        );
        check(
            &doc(
                DID,
                &m,
                &service("#atproto_pds", "AtprotoPersonalDataServer", "ftp://x"),
            ),
            Err("serviceEndpoint"),
        );
        check(
            &doc(
                DID,
                &m,
                &service("#atproto_pds", "AtprotoPersonalDataServer", "https://x/p"),
            ),
            Err("serviceEndpoint"),
        );
        check(&doc(DID, &m, ""), Err("no #atproto_pds"));
        check("[]", Err("JSON object"));
        check(r#"{"id":1.5}"#, Err("not JSON"));
    }

    #[test]
    fn document_urls() {
        let plc = "http://127.0.0.1:9/";
        let url = |did: &str| document_url(did, plc).map(|u| u.to_string());
        assert_eq!(
            url("did:web:localhost%3A1234").unwrap(),
            "http://localhost:1234/.well-known/did.json"
        );
        assert_eq!(
            url("did:web:example.com").unwrap(),
            "https://example.com/.well-known/did.json"
        );
        assert_eq!(url(DID).unwrap(), format!("http://127.0.0.1:9/{DID}"));
        assert!(
            url("did:web:example.com:user:alice")
                .unwrap_err()
                .reason
                .contains("hostname only")
        );
        assert!(
            url("did:key:zQ3sh")
                .unwrap_err()
                .reason
                .contains("only did:web and did:plc")
        );
        assert!(url("nope").is_err());
        // What the resolver may reach is the egress rule's: https, and
        // plain http to loopback in development only.
        let https = document_url("did:web:example.com", plc).unwrap();
        let dev = Egress { loopback: true };
        assert!(dev.check_form(&https).is_ok());
        assert!(Egress::default().check_form(&https).is_ok());
        let local = document_url("did:web:localhost%3A8080", plc).unwrap();
        assert!(dev.check_form(&local).is_ok());
        assert!(Egress::default().check_form(&local).is_err());
        let http = reqwest::Url::parse("http://example.com/x").unwrap();
        assert!(dev.check_form(&http).is_err());
    }
}
