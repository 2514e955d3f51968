//! Record proofs: is this record in its owner's repository?
//!
//! A proof is a CAR (what a PDS answers to `com.atproto.sync.getRecord`):
//! its root is the repository's signed commit `{did, version: 3, data, rev,
//! prev, sig}`; `data` is the root of the Merkle search tree (MST) whose
//! nodes `{l, e: [{p, k, v, t}]}` map `collection/rkey` to record CIDs. The
//! record is genuine when the commit's signature verifies against the key
//! in the owner's DID document, the commit names the owner, and the tree,
//! walked from `data` through blocks of the proof, leads to the record's
//! block. Every block is checked against its CID when the CAR is read.
//!
//! Pure: the key comes from the caller (the DID resolver is at the edge).

use super::atkey::AtKey;
use crate::records::car::{self, CarError};
use crate::records::cbor::{self, Cbor};
use crate::records::cid::{Cid, dag_cbor};
use crate::records::formats::AtUri;
use crate::records::json::Value;

/// Deepest MST walked. A tree of 2^32 keys at fanout 4 is 16 levels deep.
pub const MST_DEPTH_MAX: usize = 64;
/// Longest MST key: a collection NSID, '/', a record key.
const KEY_BYTES_MAX: usize = 1024;

/// A record proven to be in its owner's repository at one commit.
#[derive(Clone, Debug)]
pub struct ProvenRecord {
    pub uri: AtUri,
    pub cid: Cid,
    pub value: Value,
    /// The signed commit the proof starts from, and its revision (a TID).
    pub commit: Cid,
    pub rev: String,
}

/// Why a proof fails; `code()` is the stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("proof is not a valid CAR: {0}")]
    Car(String),
    #[error("{0}")]
    Malformed(String),
    #[error("block {0} does not hash to its CID")]
    BlockHash(Cid),
    #[error("commit is for repository {commit}, not {uri}")]
    CommitDid { commit: String, uri: String },
    #[error("commit signature does not verify against the DID document's #atproto key: {0}")]
    Signature(String),
    #[error("{0}")]
    NotInCommit(String),
}

/// Every code of a proof that did not hold ([`ProofError::code`]).
pub const PROOF_CODES: [&str; 5] = [
    "invalid-proof",
    "cid-mismatch",
    "commit-did-mismatch",
    "commit-signature-invalid",
    "record-not-in-commit",
];

impl ProofError {
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::Car(_) | ProofError::Malformed(_) => "invalid-proof",
            ProofError::BlockHash(_) => "cid-mismatch",
            ProofError::CommitDid { .. } => "commit-did-mismatch",
            ProofError::Signature(_) => "commit-signature-invalid",
            ProofError::NotInCommit(_) => "record-not-in-commit",
        }
    }
}

/// The signed commit at the root of a proof.
#[derive(Clone, Debug)]
pub struct Commit {
    pub did: String,
    pub data: Cid,
    pub rev: String,
    pub sig: Vec<u8>,
    /// The dag-cbor of the commit without `sig`: what `sig` covers.
    pub unsigned: Vec<u8>,
}

fn malformed(what: impl Into<String>) -> ProofError {
    ProofError::Malformed(what.into())
}

/// Decodes a v3 commit block.
pub fn decode_commit(bytes: &[u8]) -> Result<Commit, ProofError> {
    let v = cbor::decode(bytes).map_err(|e| malformed(format!("commit: {e}")))?;
    let m = v
        .as_map()
        .ok_or_else(|| malformed("commit: must be a map"))?;
    for k in m.keys() {
        if !["did", "version", "data", "rev", "prev", "sig"].contains(&k.as_str()) {
            return Err(malformed(format!("commit: unexpected field {k}")));
        }
    }
    if m.get("version") != Some(&Cbor::Int(3)) {
        return Err(malformed("commit.version: must be 3"));
    }
    let did = match m.get("did") {
        Some(Cbor::Text(d)) => d.clone(),
        _ => return Err(malformed("commit.did: must be a string")),
    };
    let data = match m.get("data") {
        Some(Cbor::Link(c)) => *c,
        _ => return Err(malformed("commit.data: must be a CID link")),
    };
    let rev = match m.get("rev") {
        Some(Cbor::Text(r)) => r.clone(),
        _ => return Err(malformed("commit.rev: must be a string")),
    };
    match m.get("prev") {
        Some(Cbor::Link(_) | Cbor::Null) => {}
        _ => return Err(malformed("commit.prev: must be a CID link or null")),
    }
    let sig = match m.get("sig") {
        Some(Cbor::Bytes(s)) => s.clone(),
        _ => return Err(malformed("commit.sig: must be bytes")),
    };
    let mut unsigned = m.clone();
    unsigned.remove("sig");
    let unsigned = Cbor::Map(unsigned)
        .to_json()
        .and_then(|v| dag_cbor(&v).ok())
        .ok_or_else(|| malformed("commit: cannot be re-encoded"))?;
    Ok(Commit {
        did,
        data,
        rev,
        sig,
        unsigned,
    })
}

/// One MST node: the left subtree and the entries with their full keys.
struct Node {
    left: Option<Cid>,
    /// (key, value CID, right subtree)
    entries: Vec<(Vec<u8>, Cid, Option<Cid>)>,
}

fn opt_link(v: Option<&Cbor>, what: &str) -> Result<Option<Cid>, ProofError> {
    match v {
        Some(Cbor::Link(c)) => Ok(Some(*c)),
        Some(Cbor::Null) => Ok(None),
        _ => Err(malformed(format!("{what}: must be a CID link or null"))),
    }
}

fn decode_node(cid: &Cid, bytes: &[u8]) -> Result<Node, ProofError> {
    let at = |what: &str| format!("tree node {cid}: {what}");
    let v = cbor::decode(bytes).map_err(|e| malformed(at(&e.to_string())))?;
    let m = v.as_map().ok_or_else(|| malformed(at("must be a map")))?;
    if m.len() != 2 {
        return Err(malformed(at("must have exactly the fields l and e")));
    }
    let left = opt_link(m.get("l"), &at("l"))?;
    let Some(Cbor::Array(raw)) = m.get("e") else {
        return Err(malformed(at("e: must be an array")));
    };
    let mut entries: Vec<(Vec<u8>, Cid, Option<Cid>)> = Vec::with_capacity(raw.len());
    for (i, e) in raw.iter().enumerate() {
        let e = e
            .as_map()
            .filter(|e| e.len() == 4)
            .ok_or_else(|| malformed(at(&format!("e[{i}]: must be a map of p, k, v, t"))))?;
        let prefix = match e.get("p") {
            Some(Cbor::Int(p)) => usize::try_from(*p).ok(),
            _ => None,
        }
        .ok_or_else(|| malformed(at(&format!("e[{i}].p: must be an integer >= 0"))))?;
        let Some(Cbor::Bytes(suffix)) = e.get("k") else {
            return Err(malformed(at(&format!("e[{i}].k: must be bytes"))));
        };
        let Some(Cbor::Link(value)) = e.get("v") else {
            return Err(malformed(at(&format!("e[{i}].v: must be a CID link"))));
        };
        let right = opt_link(e.get("t"), &at(&format!("e[{i}].t")))?;
        let key = match entries.last() {
            Some((prev, _, _)) if prefix <= prev.len() => {
                let mut k = prev[..prefix].to_vec();
                k.extend_from_slice(suffix);
                k
            }
            None if prefix == 0 => suffix.clone(),
            _ => {
                return Err(malformed(at(&format!(
                    "e[{i}].p: prefix is longer than the previous key"
                ))));
            }
        };
        if key.len() > KEY_BYTES_MAX {
            return Err(malformed(at(&format!("e[{i}]: key is too long"))));
        }
        if entries.last().is_some_and(|(prev, _, _)| *prev >= key) {
            return Err(malformed(at(&format!(
                "e[{i}]: keys must be strictly increasing"
            ))));
        }
        entries.push((key, *value, right));
    }
    Ok(Node { left, entries })
}

/// Walks the MST from `root` to `key`, through the proof's blocks only.
/// Returns the record's CID.
pub fn find_in_tree(car: &car::Car, root: Cid, key: &[u8]) -> Result<Cid, ProofError> {
    lookup(car, root, key)?.ok_or_else(|| {
        ProofError::NotInCommit(format!(
            "the repository's tree does not hold {}",
            String::from_utf8_lossy(key)
        ))
    })
}

/// Walks the MST from `root` to `key`: the record's CID, or `None` when
/// the proof's blocks show the tree does not hold it (every node on the
/// path present). A missing node is an error, never absence.
pub fn lookup(car: &car::Car, root: Cid, key: &[u8]) -> Result<Option<Cid>, ProofError> {
    let printable = String::from_utf8_lossy(key);
    let mut node_cid = root;
    for _ in 0..MST_DEPTH_MAX {
        let bytes = car.blocks.get(&node_cid).ok_or_else(|| {
            ProofError::NotInCommit(format!(
                "the proof lacks tree node {node_cid} on the path to {printable}"
            ))
        })?;
        let node = decode_node(&node_cid, bytes)?;
        // Entries are sorted: find the last one <= key.
        let below = node
            .entries
            .partition_point(|(k, _, _)| k.as_slice() <= key);
        let next = match below.checked_sub(1).map(|i| &node.entries[i]) {
            Some((k, value, _)) if k.as_slice() == key => return Ok(Some(*value)),
            Some((_, _, right)) => *right,
            None => node.left,
        };
        let Some(next) = next else {
            return Ok(None);
        };
        node_cid = next;
    }
    Err(malformed(format!(
        "the tree is deeper than {MST_DEPTH_MAX} levels"
    )))
}

/// The proof's CAR and its signed commit, checked: the commit names the
/// URI's repository and verifies against the owner's `key`.
fn signed_commit(
    car_bytes: &[u8],
    uri: &AtUri,
    key: &AtKey,
) -> Result<(car::Car, Commit), ProofError> {
    let car = car::read(car_bytes).map_err(|e| match e {
        CarError::BlockHash(cid) => ProofError::BlockHash(cid),
        other => ProofError::Car(other.to_string()),
    })?;
    let commit_bytes = car
        .blocks
        .get(&car.root)
        .ok_or_else(|| malformed(format!("the proof lacks its root block {}", car.root)))?;
    let commit = decode_commit(commit_bytes)?;
    if commit.did != uri.did() {
        return Err(ProofError::CommitDid {
            commit: commit.did,
            uri: uri.did().to_owned(),
        });
    }
    key.verify(&commit.unsigned, &commit.sig)
        .map_err(|e| ProofError::Signature(e.to_string()))?;
    Ok((car, commit))
}

/// Verifies a proof that `uri` is not in its owner's repository at a
/// signed commit (what `com.atproto.sync.getRecord` returns for a deleted
/// record): the commit's revision.
pub fn verify_absence_proof(
    car_bytes: &[u8],
    uri: &AtUri,
    key: &AtKey,
) -> Result<String, ProofError> {
    let (car, commit) = signed_commit(car_bytes, uri, key)?;
    let path = format!("{}/{}", uri.collection(), uri.rkey());
    match lookup(&car, commit.data, path.as_bytes())? {
        None => Ok(commit.rev),
        Some(cid) => Err(malformed(format!(
            "the commit holds {path} (CID {cid}): not a proof of absence"
        ))),
    }
}

/// What a proof for `uri` shows at its signed commit: the record's CID if
/// the tree holds it, none if it does not; and the commit's revision.
pub fn verify_lookup(
    car_bytes: &[u8],
    uri: &AtUri,
    key: &AtKey,
) -> Result<(Option<Cid>, String), ProofError> {
    let (car, commit) = signed_commit(car_bytes, uri, key)?;
    let path = format!("{}/{}", uri.collection(), uri.rkey());
    Ok((lookup(&car, commit.data, path.as_bytes())?, commit.rev))
}

/// Verifies a record proof for `uri` against the owner's `key`.
pub fn verify_record_proof(
    car_bytes: &[u8],
    uri: &AtUri,
    key: &AtKey,
) -> Result<ProvenRecord, ProofError> {
    let (car, commit) = signed_commit(car_bytes, uri, key)?;
    let path = format!("{}/{}", uri.collection(), uri.rkey());
    let cid = find_in_tree(&car, commit.data, path.as_bytes())?;
    let bytes = car.blocks.get(&cid).ok_or_else(|| {
        ProofError::NotInCommit(format!("the proof lacks the record block {cid} of {path}"))
    })?;
    let value = cbor::decode(bytes)
        .ok()
        .and_then(|v| v.to_json())
        .ok_or_else(|| malformed(format!("record {cid}: not a valid dag-cbor record")))?;
    if !matches!(value, Value::Object(_)) {
        return Err(malformed(format!("record {cid}: must be a map")));
    }
    // The decoder reads canonical dag-cbor only; the JSON form must also
    // re-encode to the very bytes that hash to the CID (a map spelled
    // `{"$link": ...}` in CBOR would not), so that the CID every other part
    // of the engine computes from the value is this one.
    if dag_cbor(&value).ok().as_deref() != Some(bytes.as_slice()) {
        return Err(malformed(format!(
            "record {cid}: uses a form the record JSON cannot carry"
        )));
    }
    Ok(ProvenRecord {
        uri: uri.clone(),
        cid,
        value,
        commit: car.root,
        rev: commit.rev,
    })
}
