//! CAR v1 files (content-addressed archives): the format in which a PDS
//! answers `com.atproto.sync.getRecord` with a signed commit, the path
//! through the repository's tree and the record.
//!
//! Layout: a varint length, a dag-cbor header `{roots: [CID], version: 1}`,
//! then blocks, each a varint length followed by a binary CID and the
//! block's bytes. Every block is checked against its CID here, so nothing
//! downstream can read bytes that do not hash to the CID they are filed
//! under.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::cbor::{self, Cbor};
use super::cid::Cid;

/// Most blocks one CAR may hold. A record proof is the commit, one node per
/// tree level and the record: a few dozen at most.
pub const BLOCKS_MAX: usize = 1024;
/// Largest CAR accepted (the caller also bounds the bytes it reads).
pub const CAR_BYTES_MAX: usize = 2 * 1024 * 1024;
/// Binary length of a CIDv1 with a one-byte codec and a sha2-256 digest.
const CID_BYTES: usize = 36;

/// A parsed CAR: its one root and its blocks by CID.
#[derive(Clone, Debug)]
pub struct Car {
    pub root: Cid,
    pub blocks: HashMap<Cid, Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarError {
    #[error("CAR is larger than {CAR_BYTES_MAX} bytes")]
    TooLarge,
    #[error("CAR holds more than {BLOCKS_MAX} blocks")]
    TooManyBlocks,
    #[error("CAR is truncated at byte {0}")]
    Truncated(usize),
    #[error("CAR header: {0}")]
    Header(String),
    #[error("CAR block at byte {0}: the CID is not a CIDv1 dag-cbor or raw sha2-256 CID")]
    BlockCid(usize),
    #[error("CAR block {0}: its bytes do not hash to its CID")]
    BlockHash(Cid),
    #[error("CAR block {0} appears twice")]
    Duplicate(Cid),
}

/// An unsigned LEB128 varint, minimally encoded, at most 9 bytes.
fn varint(bytes: &[u8], pos: &mut usize) -> Result<u64, CarError> {
    let start = *pos;
    let mut n: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(*pos).ok_or(CarError::Truncated(start))?;
        *pos += 1;
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return Err(CarError::Truncated(start));
            }
            return Ok(n);
        }
    }
    Err(CarError::Truncated(start))
}

fn section<'a>(bytes: &'a [u8], pos: &mut usize) -> Result<&'a [u8], CarError> {
    let start = *pos;
    let len = varint(bytes, pos)?;
    let len = usize::try_from(len)
        .ok()
        .filter(|l| *l <= bytes.len() - *pos)
        .ok_or(CarError::Truncated(start))?;
    let out = &bytes[*pos..*pos + len];
    *pos += len;
    Ok(out)
}

/// Parses a CAR v1 with exactly one root, checking every block's hash.
pub fn read(bytes: &[u8]) -> Result<Car, CarError> {
    if bytes.len() > CAR_BYTES_MAX {
        return Err(CarError::TooLarge);
    }
    let mut pos = 0;
    let header = section(bytes, &mut pos)?;
    let header = cbor::decode(header).map_err(|e| CarError::Header(e.to_string()))?;
    let fields = header
        .as_map()
        .ok_or_else(|| CarError::Header("must be a map".into()))?;
    if fields.get("version") != Some(&Cbor::Int(1)) {
        return Err(CarError::Header("version must be 1".into()));
    }
    let root = match fields.get("roots") {
        Some(Cbor::Array(roots)) => match roots.as_slice() {
            [Cbor::Link(root)] => *root,
            _ => return Err(CarError::Header("roots must hold exactly one CID".into())),
        },
        _ => return Err(CarError::Header("roots must be an array of CIDs".into())),
    };
    if fields.len() != 2 {
        return Err(CarError::Header(
            "only the fields roots and version are allowed".into(),
        ));
    }
    let mut blocks = HashMap::new();
    while pos < bytes.len() {
        let at = pos;
        let block = section(bytes, &mut pos)?;
        if block.len() < CID_BYTES {
            return Err(CarError::BlockCid(at));
        }
        let (cid, data) = block.split_at(CID_BYTES);
        let cid = Cid::from_bytes(cid).map_err(|_| CarError::BlockCid(at))?;
        if <[u8; 32]>::from(Sha256::digest(data)) != cid.digest {
            return Err(CarError::BlockHash(cid));
        }
        if blocks.insert(cid, data.to_vec()).is_some() {
            return Err(CarError::Duplicate(cid));
        }
        if blocks.len() > BLOCKS_MAX {
            return Err(CarError::TooManyBlocks);
        }
    }
    Ok(Car { root, blocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::cid::{CODEC_DAG_CBOR, dag_cbor};
    use crate::records::json::parse_str;

    fn put_varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    fn block(json: &str) -> (Cid, Vec<u8>) {
        let bytes = dag_cbor(&parse_str(json).unwrap()).unwrap();
        let cid = Cid {
            codec: CODEC_DAG_CBOR,
            digest: Sha256::digest(&bytes).into(),
        };
        (cid, bytes)
    }

    fn car(root: Cid, blocks: &[(Cid, Vec<u8>)]) -> Vec<u8> {
        let header = dag_cbor(
            &parse_str(&format!(
                r#"{{"version":1,"roots":[{{"$link":"{root}"}}]}}"#
            ))
            .unwrap(),
        )
        .unwrap();
        let mut out = Vec::new();
        put_varint(header.len(), &mut out);
        out.extend_from_slice(&header);
        for (cid, data) in blocks {
            let cid = cid.to_bytes();
            put_varint(cid.len() + data.len(), &mut out);
            out.extend_from_slice(&cid);
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn reads_blocks_and_checks_their_hashes() {
        let a = block(r#"{"a":1}"#);
        let b = block(r#"{"b":2}"#);
        let got = read(&car(a.0, &[a.clone(), b.clone()])).unwrap();
        assert_eq!(got.root, a.0);
        assert_eq!(got.blocks.len(), 2);
        assert_eq!(got.blocks[&b.0], b.1);

        // b's bytes filed under a's CID.
        let bytes = car(a.0, &[(a.0, b.1.clone())]);
        assert_eq!(read(&bytes).unwrap_err(), CarError::BlockHash(a.0));
        assert_eq!(
            read(&car(a.0, &[a.clone(), a.clone()])).unwrap_err(),
            CarError::Duplicate(a.0)
        );
        let whole = car(a.0, std::slice::from_ref(&a));
        assert!(matches!(
            read(&whole[..whole.len() - 1]),
            Err(CarError::Truncated(_))
        ));
    }

    #[test]
    fn header_must_name_one_root_and_version_1() {
        let a = block(r#"{"a":1}"#);
        for header in [
            r#"{"version":2,"roots":[]}"#.to_owned(),
            r#"{"version":1,"roots":[]}"#.to_owned(),
            format!(
                r#"{{"version":1,"roots":[{{"$link":"{}"}},{{"$link":"{}"}}]}}"#,
                a.0, a.0
            ),
            format!(r#"{{"version":1,"roots":[{{"$link":"{}"}}],"x":1}}"#, a.0),
        ] {
            let h = dag_cbor(&parse_str(&header).unwrap()).unwrap();
            let mut bytes = Vec::new();
            put_varint(h.len(), &mut bytes);
            bytes.extend_from_slice(&h);
            assert!(matches!(read(&bytes), Err(CarError::Header(_))), "{header}");
        }
    }
}
