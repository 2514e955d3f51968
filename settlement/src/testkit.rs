//! Builders of consistent, correctly signed record sets, for tests, the
//! example bundle and benchmarks. Keys are derived from fixed seeds so that
//! every output is reproducible (P-256 signing here is deterministic,
//! RFC 6979).

use p256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

use crate::records::cid::Cid;
use crate::records::formats::Datetime;
use crate::records::json::{self, Map, Value};
use crate::records::{NSID_ATTESTATION, NSID_AUTHORIZATION, NSID_JOB, NSID_RECEIPT, RawRecord};
use crate::verify::{RawBundle, attestation_signing_input, crypto, receipt_signing_input};

pub const EXCHANGE: &str = "did:web:exchange.example";
pub const REQUESTER: &str = "did:plc:alicealicealicealicealic";
pub const PROVIDER: &str = "did:plc:bobbobbobbobbobbobbobbob";
pub const NOW: &str = "2026-11-21T12:00:00Z";

/// A deterministic P-256 key named by `seed`.
pub fn key(seed: &str) -> SigningKey {
    let digest = Sha256::digest(seed.as_bytes());
    SigningKey::from_slice(&digest)
        .expect("a SHA-256 digest is a valid P-256 scalar with overwhelming probability")
}

/// The body of `POST /v1/records` for `r`: its URI and value, leaving the
/// CID for the server to compute.
pub fn record_post(r: &RawRecord) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), r.uri.clone().into());
    m.insert("value".into(), r.value.clone());
    Value::Object(m)
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    crate::records::formats::lower_hex(&Sha256::digest(data))
}

fn obj(text: &str) -> Map {
    match json::parse_str(text) {
        Ok(Value::Object(m)) => m,
        other => panic!("testkit template is not an object: {other:?}"),
    }
}

fn strong_ref(uri: &str, cid: Cid) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), uri.into());
    m.insert("cid".into(), cid.to_string().into());
    Value::Object(m)
}

/// The four records of a charge before they are linked and signed. Change
/// any field, then `seal()`.
#[derive(Clone)]
pub struct Scenario {
    pub requester: String,
    pub provider: String,
    pub exchange: String,
    pub now: Datetime,
    pub provider_key: SigningKey,
    pub job_uri: String,
    pub authorization_uri: String,
    pub attestation_uri: String,
    pub receipt_uri: String,
    pub job: Map,
    pub authorization: Map,
    pub attestation: Map,
    pub receipt: Map,
}

/// A sealed scenario: records linked by CID and signed.
#[derive(Clone, Debug)]
pub struct Sealed {
    pub exchange: String,
    pub now: Datetime,
    pub job: RawRecord,
    pub authorization: RawRecord,
    pub attestation: RawRecord,
    pub receipt: RawRecord,
}

impl Sealed {
    pub fn bundle(&self) -> RawBundle<'_> {
        RawBundle {
            job: &self.job,
            authorization: &self.authorization,
            attestation: &self.attestation,
            receipt: &self.receipt,
        }
    }

    /// The `verify-charge` bundle file for this scenario.
    pub fn to_bundle_json(&self) -> Value {
        let rec = |r: &RawRecord| {
            let mut m = Map::new();
            m.insert("uri".into(), r.uri.clone().into());
            if let Some(c) = &r.cid {
                m.insert("cid".into(), c.clone().into());
            }
            m.insert("value".into(), r.value.clone());
            Value::Object(m)
        };
        let mut m = Map::new();
        m.insert("exchange".into(), self.exchange.clone().into());
        m.insert("now".into(), self.now.to_string().into());
        m.insert("job".into(), rec(&self.job));
        m.insert("authorization".into(), rec(&self.authorization));
        m.insert("attestation".into(), rec(&self.attestation));
        m.insert("receipt".into(), rec(&self.receipt));
        Value::Object(m)
    }
}

/// Signs `value` (a receipt) in place with `key`.
pub fn sign_receipt(value: &mut Value, key: &SigningKey) {
    let sig = crypto::sign_b64_der(key, &receipt_signing_input(value));
    if let Value::Object(m) = value {
        m.insert("enclaveSignature".into(), sig.into());
    }
}

/// Signs `value` (an attestation) in place with `key`.
pub fn sign_attestation(value: &mut Value, key: &SigningKey) {
    let sig = crypto::sign_b64_der(key, &attestation_signing_input(value));
    if let Value::Object(m) = value {
        m.insert("selfSignature".into(), sig.into());
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::new(REQUESTER, PROVIDER, "1")
    }
}

impl Scenario {
    /// A valid session charge of 250 USD minor units from `requester` to
    /// `provider`; `tag` varies record keys, nonces and commitments so that
    /// several scenarios can coexist.
    pub fn new(requester: &str, provider: &str, tag: &str) -> Scenario {
        let provider_key = key(&format!("provider-key:{provider}"));
        let public_key = crypto::public_key_b64(provider_key.verifying_key());
        let nonce = &sha256_hex(format!("nonce:{requester}:{tag}").as_bytes())[..32];
        let job_nonce = &sha256_hex(format!("job-nonce:{requester}:{tag}").as_bytes())[..32];
        let input = sha256_hex(format!("input:{tag}").as_bytes());
        let output = sha256_hex(format!("output:{tag}").as_bytes());
        let rkey = rkey_for(tag);
        let exchange = EXCHANGE;
        Scenario {
            requester: requester.to_owned(),
            provider: provider.to_owned(),
            exchange: exchange.to_owned(),
            now: Datetime::parse(NOW).expect("valid constant"),
            provider_key,
            job_uri: format!("at://{requester}/{NSID_JOB}/{rkey}"),
            authorization_uri: format!("at://{requester}/{NSID_AUTHORIZATION}/{rkey}"),
            attestation_uri: format!("at://{provider}/{NSID_ATTESTATION}/3lattestaaaa2"),
            receipt_uri: format!("at://{provider}/{NSID_RECEIPT}/{rkey}"),
            authorization: obj(&format!(
                r#"{{"$type":"{NSID_AUTHORIZATION}","exchange":"{exchange}","ceiling":{{"amount":5000,"currency":"USD"}},
                "scope":"session","sessionBudget":{{"amount":20000,"currency":"USD"}},"nonce":"{nonce}",
                "expiresAt":"2026-12-01T00:00:00Z","createdAt":"2026-11-20T00:00:00Z"}}"#
            )),
            job: obj(&format!(
                r#"{{"$type":"{NSID_JOB}","model":"llama-3.1-8b-instruct","inputCommitment":"{input}","maxTokensOut":4096,
                "priceCeiling":{{"amount":1000,"currency":"USD"}},"acceptedTrustLevel":"self-attested",
                "acceptedExchanges":["{exchange}"],"acceptedProviders":["{provider}"],"paymentAuthorization":{{"uri":"","cid":""}},
                "nonce":"{job_nonce}","expiresAt":"2026-11-22T00:00:00Z","createdAt":"2026-11-21T10:00:00Z"}}"#
            )),
            attestation: obj(&format!(
                r#"{{"$type":"{NSID_ATTESTATION}","publicKey":"{public_key}","encryptionPubKey":"c2VhbGVkLWJveC1wdWJsaWMta2V5LTMyLWJ5dGVzISE=",
                "chipName":"Apple M3 Max","hardwareModel":"Mac15,8","serialNumberHash":"{serial}","osVersion":"15.1",
                "binaryHash":"{binary}","sipEnabled":true,"secureBootEnabled":true,"secureEnclaveAvailable":true,
                "authenticatedRootEnabled":true,"attestedAt":"2026-11-21T00:00:00Z","expiresAt":"2026-11-22T00:00:00Z"}}"#,
                serial = sha256_hex(format!("serial:{provider}").as_bytes()),
                binary = sha256_hex(b"provider-binary"),
            )),
            receipt: obj(&format!(
                r#"{{"$type":"{NSID_RECEIPT}","requester":"{requester}","model":"llama-3.1-8b-instruct",
                "inputCommitment":"{input}","outputCommitment":"{output}","tokens":{{"in":120,"out":480}},
                "startedAt":"2026-11-21T11:00:00Z","completedAt":"2026-11-21T11:00:05.250Z",
                "price":{{"amount":250,"currency":"USD"}}}}"#
            )),
        }
    }

    /// A new job and receipt (named by `tag`) under this scenario's
    /// authorization: many jobs charged against one authorization.
    pub fn sharing(&self, tag: &str) -> Scenario {
        let mut sc = Scenario::new(&self.requester, &self.provider, tag);
        sc.authorization = self.authorization.clone();
        sc.authorization_uri = self.authorization_uri.clone();
        sc
    }

    /// The job names `computation` (by URI and CID) and the receipt is
    /// priced `price` USD minor units.
    pub fn name_computation(&mut self, computation: &RawRecord, price: u64) {
        let cid = cid_of(&computation.value);
        set(
            &mut self.job,
            "computation",
            &format!(r#"{{"uri":"{}","cid":"{cid}"}}"#, computation.uri),
        );
        set(
            &mut self.receipt,
            "price",
            &format!(r#"{{"amount":{price},"currency":"USD"}}"#),
        );
    }

    /// Links the records by CID and signs the attestation and the receipt.
    pub fn seal(&self) -> Sealed {
        let authorization = Value::Object(self.authorization.clone());
        let auth_cid = cid_of(&authorization);
        let mut job = self.job.clone();
        job.insert(
            "paymentAuthorization".into(),
            strong_ref(&self.authorization_uri, auth_cid),
        );
        let job = Value::Object(job);
        let job_cid = cid_of(&job);
        let mut attestation = Value::Object(self.attestation.clone());
        sign_attestation(&mut attestation, &self.provider_key);
        let att_cid = cid_of(&attestation);
        let mut receipt = self.receipt.clone();
        receipt.insert("job".into(), strong_ref(&self.job_uri, job_cid));
        receipt.insert(
            "attestation".into(),
            strong_ref(&self.attestation_uri, att_cid),
        );
        let mut receipt = Value::Object(receipt);
        sign_receipt(&mut receipt, &self.provider_key);
        let receipt_cid = cid_of(&receipt);
        Sealed {
            exchange: self.exchange.clone(),
            now: self.now,
            job: RawRecord {
                uri: self.job_uri.clone(),
                cid: Some(job_cid.to_string()),
                value: job,
            },
            authorization: RawRecord {
                uri: self.authorization_uri.clone(),
                cid: Some(auth_cid.to_string()),
                value: authorization,
            },
            attestation: RawRecord {
                uri: self.attestation_uri.clone(),
                cid: Some(att_cid.to_string()),
                value: attestation,
            },
            receipt: RawRecord {
                uri: self.receipt_uri.clone(),
                cid: Some(receipt_cid.to_string()),
                value: receipt,
            },
        }
    }
}

/// Sets the field at `path` (dot-separated) of `map` to the JSON `json`.
/// For tests: a bad path or bad JSON panics.
pub fn set(map: &mut Map, path: &str, json: &str) {
    let v = json::parse_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    let mut keys: Vec<&str> = path.split('.').collect();
    let last = keys.pop().expect("split yields at least one part");
    let mut m = map;
    for k in keys {
        m = match m.get_mut(k) {
            Some(Value::Object(inner)) => inner,
            _ => panic!("no object at {k} in {path}"),
        };
    }
    m.insert(last.to_owned(), v);
}

/// The object inside `v`. For tests: anything else panics.
pub fn object_mut(v: &mut Value) -> &mut Map {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other:?}"),
    }
}

/// A TID-shaped record key derived from `tag`.
pub fn rkey_for(tag: &str) -> String {
    const ALPHABET: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
    let digest = Sha256::digest(tag.as_bytes());
    let mut s = String::with_capacity(13);
    s.push('3');
    for b in &digest[..12] {
        s.push(ALPHABET[usize::from(b & 31)] as char);
    }
    s
}

fn cid_of(v: &Value) -> Cid {
    Cid::for_record(v).expect("testkit records hold no $link or $bytes")
}
