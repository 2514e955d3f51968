//! Tools the fuzz targets share: an independent dag-cbor encoder (to check
//! that the strict decoder reads only the one canonical encoding), a CAR
//! reader that does not check hashes, and a rewriter that turns such a CAR
//! back into a valid, signed record proof, so that mutated trees and
//! records get past the hash and signature checks and reach the code
//! behind them.

use std::collections::{BTreeMap, HashMap, HashSet};

use p256::ecdsa::signature::Signer as _;
use settlement::records::cbor::{self, Cbor};
use settlement::records::cid::Cid;
use settlement::verify::atkey::AtKey;
use sha2::{Digest, Sha256};

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// The canonical dag-cbor of `v`: shortest heads, map keys by length then
/// bytes, links as tag 42 over 0x00 and the binary CID.
pub fn encode(v: &Cbor, out: &mut Vec<u8>) {
    match v {
        Cbor::Null => out.push(0xf6),
        Cbor::Bool(false) => out.push(0xf4),
        Cbor::Bool(true) => out.push(0xf5),
        Cbor::Int(i) if *i >= 0 => head(0, u64::try_from(*i).expect("decoded ints fit"), out),
        Cbor::Int(i) => head(1, u64::try_from(-1 - *i).expect("decoded ints fit"), out),
        Cbor::Bytes(b) => {
            head(2, b.len() as u64, out);
            out.extend_from_slice(b);
        }
        Cbor::Text(s) => {
            head(3, s.len() as u64, out);
            out.extend_from_slice(s.as_bytes());
        }
        Cbor::Array(items) => {
            head(4, items.len() as u64, out);
            for item in items {
                encode(item, out);
            }
        }
        Cbor::Map(m) => {
            head(5, m.len() as u64, out);
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
            for k in keys {
                head(3, k.len() as u64, out);
                out.extend_from_slice(k.as_bytes());
                encode(&m[k], out);
            }
        }
        Cbor::Link(c) => {
            let bytes = c.to_bytes();
            out.extend_from_slice(&[0xd8, 42]);
            head(2, bytes.len() as u64 + 1, out);
            out.push(0);
            out.extend_from_slice(&bytes);
        }
    }
}

pub fn to_bytes(v: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    encode(v, &mut out);
    out
}

pub fn cid_of(codec: u64, bytes: &[u8]) -> Cid {
    Cid {
        codec,
        digest: Sha256::digest(bytes).into(),
    }
}

fn put_varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take_varint(bytes: &[u8], pos: &mut usize) -> Option<usize> {
    let mut n: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return usize::try_from(n).ok();
        }
    }
    None
}

/// A CAR whose blocks are filed under CIDs taken as labels: nothing is
/// hashed, so a mutated block stays reachable under its old CID.
pub struct LooseCar {
    pub root: Cid,
    pub blocks: Vec<(Cid, Vec<u8>)>,
}

pub fn read_loose(bytes: &[u8]) -> Option<LooseCar> {
    let mut pos = 0;
    let len = take_varint(bytes, &mut pos)?;
    let header = bytes.get(pos..pos.checked_add(len)?)?;
    pos += len;
    let root = match cbor::decode(header).ok()?.as_map()?.get("roots")? {
        Cbor::Array(roots) => match roots.first()? {
            Cbor::Link(c) => *c,
            _ => return None,
        },
        _ => return None,
    };
    let mut blocks = Vec::new();
    while pos < bytes.len() && blocks.len() < 1024 {
        let len = take_varint(bytes, &mut pos)?;
        let block = bytes.get(pos..pos.checked_add(len)?)?;
        pos += len;
        if block.len() < 36 {
            return None;
        }
        let (cid, data) = block.split_at(36);
        blocks.push((Cid::from_bytes(cid).ok()?, data.to_vec()));
    }
    Some(LooseCar { root, blocks })
}

impl LooseCar {
    /// As `records::car::Car`, for the functions that walk one.
    pub fn to_car(&self) -> settlement::records::car::Car {
        settlement::records::car::Car {
            root: self.root,
            blocks: self.blocks.iter().cloned().collect(),
        }
    }
}

/// The fixed repository keys of the fuzz fixtures: P-256 and secp256k1
/// private keys as SHA-256 of a name (as `seeds/car` was made).
pub fn p256_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&Sha256::digest(b"fuzz-alice")).expect("valid scalar")
}

pub fn k256_key() -> k256::ecdsa::SigningKey {
    k256::ecdsa::SigningKey::from_slice(&Sha256::digest(b"fuzz-bob")).expect("valid scalar")
}

/// Which key signs, and its public half.
#[derive(Clone, Copy)]
pub enum Signer {
    P256,
    K256,
}

impl Signer {
    pub fn public(self) -> AtKey {
        match self {
            Signer::P256 => AtKey::P256(*p256_key().verifying_key()),
            Signer::K256 => AtKey::K256(*k256_key().verifying_key()),
        }
    }

    /// A compact low-S signature over SHA-256 of `msg`.
    pub fn sign(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Signer::P256 => {
                let s: p256::ecdsa::Signature = p256_key().sign(msg);
                s.normalize_s().unwrap_or(s).to_bytes().to_vec()
            }
            Signer::K256 => {
                let s: k256::ecdsa::Signature = k256_key().sign(msg);
                s.normalize_s().unwrap_or(s).to_bytes().to_vec()
            }
        }
    }
}

struct Fixer<'a> {
    blocks: HashMap<Cid, &'a [u8]>,
    done: HashMap<Cid, (Cid, Vec<u8>)>,
    on_path: HashSet<Cid>,
}

impl Fixer<'_> {
    /// The block filed under `label` with every link to another block of
    /// the CAR replaced by that block's fixed CID, and its real CID. Links
    /// that close a cycle are left as they are.
    fn fix(&mut self, label: Cid, depth: usize) -> Option<Cid> {
        if let Some((cid, _)) = self.done.get(&label) {
            return Some(*cid);
        }
        let bytes = *self.blocks.get(&label)?;
        if depth > 80 || !self.on_path.insert(label) {
            return None;
        }
        let bytes = match cbor::decode(bytes) {
            Ok(v) => to_bytes(&self.relink(v, depth)),
            Err(_) => bytes.to_vec(),
        };
        self.on_path.remove(&label);
        let cid = cid_of(label.codec, &bytes);
        self.done.insert(label, (cid, bytes));
        Some(cid)
    }

    fn relink(&mut self, v: Cbor, depth: usize) -> Cbor {
        match v {
            Cbor::Link(c) => Cbor::Link(self.fix(c, depth + 1).unwrap_or(c)),
            Cbor::Array(items) => {
                Cbor::Array(items.into_iter().map(|i| self.relink(i, depth)).collect())
            }
            Cbor::Map(m) => Cbor::Map(
                m.into_iter()
                    .map(|(k, v)| (k, self.relink(v, depth)))
                    .collect::<BTreeMap<_, _>>(),
            ),
            other => other,
        }
    }
}

/// Rewrites a loose CAR into one whose every block hashes to its CID and
/// whose root (a commit, if it is a map) is signed again by `signer`.
/// `None` when there is no root block to start from.
pub fn reseal(car: &LooseCar, signer: Signer) -> Option<Vec<u8>> {
    let mut fixer = Fixer {
        blocks: car.blocks.iter().map(|(c, b)| (*c, b.as_slice())).collect(),
        done: HashMap::new(),
        on_path: HashSet::new(),
    };
    let root_bytes = *fixer.blocks.get(&car.root)?;
    for (label, _) in &car.blocks {
        if *label != car.root {
            fixer.fix(*label, 0);
        }
    }
    fixer.on_path.insert(car.root);
    let root_block = match cbor::decode(root_bytes) {
        Ok(v) => match fixer.relink(v, 0) {
            Cbor::Map(mut m) => {
                m.remove("sig");
                let sig = signer.sign(&to_bytes(&Cbor::Map(m.clone())));
                m.insert("sig".into(), Cbor::Bytes(sig));
                to_bytes(&Cbor::Map(m))
            }
            other => to_bytes(&other),
        },
        Err(_) => root_bytes.to_vec(),
    };
    let root = cid_of(car.root.codec, &root_block);
    let header = Cbor::Map(BTreeMap::from([
        ("roots".to_owned(), Cbor::Array(vec![Cbor::Link(root)])),
        ("version".to_owned(), Cbor::Int(1)),
    ]));
    let header = to_bytes(&header);
    let mut out = Vec::new();
    put_varint(header.len(), &mut out);
    out.extend_from_slice(&header);
    let mut seen = HashSet::from([root]);
    let push = |cid: Cid, data: &[u8], out: &mut Vec<u8>| {
        let cid_bytes = cid.to_bytes();
        put_varint(cid_bytes.len() + data.len(), out);
        out.extend_from_slice(&cid_bytes);
        out.extend_from_slice(data);
    };
    push(root, &root_block, &mut out);
    for (label, _) in &car.blocks {
        if let Some((cid, data)) = fixer.done.get(label)
            && *label != car.root
            && seen.insert(*cid)
        {
            push(*cid, data, &mut out);
        }
    }
    Some(out)
}
