//! Record CIDs: CIDv1, dag-cbor codec, sha2-256 multihash, multibase
//! base32 (`bafyrei...`), computed from a record's JSON.
//!
//! The JSON-to-CBOR mapping follows the AT Protocol data model: an object
//! `{"$link": CID}` is a CID link (CBOR tag 42) and `{"$bytes": base64}` is a
//! byte string; everything else maps one to one. DAG-CBOR is deterministic:
//! smallest integer encodings, definite lengths, map keys ordered by length
//! then bytes.

use std::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::json::{Map, Value};

/// Multicodec of dag-cbor.
pub const CODEC_DAG_CBOR: u64 = 0x71;
/// Multicodec of raw bytes (blobs).
pub const CODEC_RAW: u64 = 0x55;
/// Multihash code of sha2-256.
const HASH_SHA2_256: u64 = 0x12;
/// Longest CID string accepted, a bound on the work of parsing one.
const CID_TEXT_MAX: usize = 256;

/// A CIDv1 with a sha2-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cid {
    pub codec: u64,
    pub digest: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidError {
    #[error("CID must be multibase base32 (start with 'b')")]
    Multibase,
    #[error("CID is not valid lowercase base32")]
    Base32,
    #[error("CID is longer than {CID_TEXT_MAX} characters")]
    TooLong,
    #[error("only CIDv1 is supported")]
    Version,
    #[error("unsupported CID codec 0x{0:x} (expected dag-cbor or raw)")]
    Codec(u64),
    #[error("unsupported multihash (expected sha2-256 with a 32-byte digest)")]
    Hash,
    #[error("CID bytes are truncated or have trailing data")]
    Length,
    #[error("{0}: $link must be a CID string: {1}")]
    Link(String, Box<CidError>),
    #[error("{0}: $bytes must be standard base64 without padding")]
    Bytes(String),
}

impl Cid {
    /// The CID of a record: sha2-256 over its dag-cbor encoding.
    pub fn for_record(record: &Value) -> Result<Cid, CidError> {
        let bytes = dag_cbor(record)?;
        Ok(Cid {
            codec: CODEC_DAG_CBOR,
            digest: Sha256::digest(&bytes).into(),
        })
    }

    /// The CID of a blob: raw bytes, sha2-256.
    pub fn for_blob(bytes: &[u8]) -> Cid {
        Cid {
            codec: CODEC_RAW,
            digest: Sha256::digest(bytes).into(),
        }
    }

    /// The binary form: version, codec, multihash.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(36);
        put_varint(1, &mut out);
        put_varint(self.codec, &mut out);
        put_varint(HASH_SHA2_256, &mut out);
        put_varint(32, &mut out);
        out.extend_from_slice(&self.digest);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Cid, CidError> {
        let mut rest = bytes;
        if take_varint(&mut rest)? != 1 {
            return Err(CidError::Version);
        }
        let codec = take_varint(&mut rest)?;
        if codec != CODEC_DAG_CBOR && codec != CODEC_RAW {
            return Err(CidError::Codec(codec));
        }
        if take_varint(&mut rest)? != HASH_SHA2_256 || take_varint(&mut rest)? != 32 {
            return Err(CidError::Hash);
        }
        let digest: [u8; 32] = rest.try_into().map_err(|_| CidError::Length)?;
        Ok(Cid { codec, digest })
    }

    /// Parses the string form (`b` + lowercase base32 without padding).
    pub fn parse(text: &str) -> Result<Cid, CidError> {
        if text.len() > CID_TEXT_MAX {
            return Err(CidError::TooLong);
        }
        let body = text.strip_prefix('b').ok_or(CidError::Multibase)?;
        Cid::from_bytes(&base32_decode(body).ok_or(CidError::Base32)?)
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b")?;
        f.write_str(&base32_encode(&self.to_bytes()))
    }
}

impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn put_varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take_varint(rest: &mut &[u8]) -> Result<u64, CidError> {
    let mut n: u64 = 0;
    // Multiformats varints are at most 9 bytes and minimally encoded.
    for i in 0..9 {
        let (&b, tail) = rest.split_first().ok_or(CidError::Length)?;
        *rest = tail;
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return Err(CidError::Length);
            }
            return Ok(n);
        }
    }
    Err(CidError::Length)
}

const B32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B32.iter().position(|&x| x == c)? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be padding zeros and fewer than a whole symbol's worth.
    if bits >= 5 || acc != 0 {
        return None;
    }
    Some(out)
}

/// The dag-cbor encoding of a record (AT Protocol data model).
pub fn dag_cbor(v: &Value) -> Result<Vec<u8>, CidError> {
    let mut out = Vec::with_capacity(256);
    encode(v, &mut out, &mut String::new())?;
    Ok(out)
}

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn text(s: &str, out: &mut Vec<u8>) {
    head(3, s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

/// `path` names where we are, for errors only.
fn encode(v: &Value, out: &mut Vec<u8>, path: &mut String) -> Result<(), CidError> {
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        // The JSON parser bounds integers to [-2^63, 2^64-1], which CBOR's
        // major types 0 and 1 cover exactly.
        Value::Int(i) if *i >= 0 => head(0, *i as u64, out),
        Value::Int(i) => head(1, (-1 - *i) as u64, out),
        Value::String(s) => text(s, out),
        Value::Array(items) => {
            head(4, items.len() as u64, out);
            for (n, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{n}]"));
                encode(item, out, path)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            if let Some(special) = special_object(map, path)? {
                out.extend_from_slice(&special);
                return Ok(());
            }
            head(5, map.len() as u64, out);
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| {
                a.len()
                    .cmp(&b.len())
                    .then_with(|| a.as_bytes().cmp(b.as_bytes()))
            });
            for k in keys {
                text(k, out);
                let len = path.len();
                path.push('.');
                path.push_str(k);
                encode(&map[k], out, path)?;
                path.truncate(len);
            }
        }
    }
    Ok(())
}

fn special_object(map: &Map, path: &str) -> Result<Option<Vec<u8>>, CidError> {
    if map.len() != 1 {
        return Ok(None);
    }
    let mut out = Vec::new();
    match map.iter().next() {
        Some((k, Value::String(s))) if k == "$link" => {
            let cid = Cid::parse(s).map_err(|e| CidError::Link(path.to_owned(), Box::new(e)))?;
            let bytes = cid.to_bytes();
            // Tag 42, then a byte string of the identity multibase prefix 0x00
            // followed by the binary CID.
            out.extend_from_slice(&[0xd8, 42]);
            head(2, bytes.len() as u64 + 1, &mut out);
            out.push(0);
            out.extend_from_slice(&bytes);
        }
        Some((k, Value::String(s))) if k == "$bytes" => {
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(s)
                .map_err(|_| CidError::Bytes(path.to_owned()))?;
            head(2, bytes.len() as u64, &mut out);
            out.extend_from_slice(&bytes);
        }
        _ => return Ok(None),
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::json::parse_str;

    /// Vectors computed with the reference JavaScript implementation
    /// (@ipld/dag-cbor + multiformats).
    fn check(json: &str, cbor_hex: &str, cid: &str) {
        let v = parse_str(json).unwrap();
        let bytes = dag_cbor(&v).unwrap();
        let hex = crate::records::formats::lower_hex(&bytes);
        assert_eq!(hex, cbor_hex, "cbor of {json}");
        let got = Cid::for_record(&v).unwrap();
        assert_eq!(got.to_string(), cid, "cid of {json}");
        assert_eq!(Cid::parse(cid).unwrap(), got);
    }

    #[test]
    fn reference_vectors() {
        check(
            r#"{"a":1}"#,
            "a1616101",
            "bafyreihltcnuuyqp2jm24aqydpnlj7b6w3ogwrplomrjtg5rifv44mmjey",
        );
        check(
            "{}",
            "a0",
            "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua",
        );
        check(
            r#"{"$type":"dev.cocore.compute.paymentAuthorization","exchange":"did:web:exchange.example","ceiling":{"amount":5000,"currency":"USD"},"scope":"session","sessionBudget":{"amount":20000,"currency":"USD"},"nonce":"00112233445566778899aabbccddeeff","expiresAt":"2026-12-01T00:00:00Z","createdAt":"2026-11-20T00:00:00Z"}"#,
            "a865247479706578276465762e636f636f72652e636f6d707574652e7061796d656e74417574686f72697a6174696f6e656e6f6e6365782030303131323233333434353536363737383839396161626263636464656566666573636f70656773657373696f6e676365696c696e67a266616d6f756e741913886863757272656e6379635553446865786368616e676578186469643a7765623a65786368616e67652e6578616d706c656963726561746564417474323032362d31312d32305430303a30303a30305a6965787069726573417474323032362d31322d30315430303a30303a30305a6d73657373696f6e427564676574a266616d6f756e74194e206863757272656e637963555344",
            "bafyreiec6mcq32uxktkrwgdppprhc4dut7otp5g33vjdwllotdy7djstfi",
        );
        check(
            r#"{"big":18446744073709551615,"neg":-9223372036854775808,"n":null,"t":true,"f":false,"s":"café\u0001","arr":[1,"x",[],{}],"longerkey":0,"b":24,"c":255,"d":65536,"e":-1,"g":-25}"#,
            "ad61621818616318ff61641a000100006165206166f461673818616ef6617366636166c3a9016174f5636172728401617880a0636269671bffffffffffffffff636e65673b7fffffffffffffff696c6f6e6765726b657900",
            "bafyreiesi5nqqkfjrojcl4h4khj3voov2crwffnvilwzna7likd747n3tq",
        );
        check(
            r#"{"link":{"$link":"bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5kpqcsgz7soitae"},"bytes":{"$bytes":"AQID/w"}}"#,
            "a2646c696e6bd82a582500017112203a8dd5b8e02ad81c1657a24d20bd859a9d8fc4bbb4b98bd53e0291b3f939130165627974657344010203ff",
            "bafyreie462rfykqv6wxr2waypgseqbxcf3ykcq7krbl7gajrztr2y3zb7a",
        );
    }

    #[test]
    fn cid_text_rejections() {
        let ok = "bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5kpqcsgz7soitae";
        assert!(Cid::parse(ok).is_ok());
        assert_eq!(Cid::parse(&ok[1..]), Err(CidError::Multibase));
        assert_eq!(Cid::parse(&ok.to_uppercase()), Err(CidError::Multibase));
        assert_eq!(
            Cid::parse(&format!("b{}", ok[1..].to_uppercase())),
            Err(CidError::Base32)
        );
        assert_eq!(Cid::parse(&ok[..ok.len() - 2]), Err(CidError::Length));
        assert_eq!(Cid::parse(&format!("{ok}aa")), Err(CidError::Length));
        assert_eq!(Cid::parse(&format!("{ok}1")), Err(CidError::Base32));
        assert_eq!(Cid::parse("b"), Err(CidError::Length));
        assert!(matches!(
            Cid::parse("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"),
            Err(CidError::Multibase)
        ));
        // A well-formed CIDv1 with another hash function (identity, 0x00).
        let mut other = Cid::parse(ok).unwrap().to_bytes();
        other[2] = 0x00;
        assert_eq!(
            Cid::parse(&format!("b{}", base32_encode(&other))),
            Err(CidError::Hash)
        );
    }

    #[test]
    fn bad_links_and_bytes() {
        let v = parse_str(r#"{"a":{"$link":"nope"}}"#).unwrap();
        assert!(matches!(Cid::for_record(&v), Err(CidError::Link(p, _)) if p == ".a"));
        let v = parse_str(r#"{"a":[{"$bytes":"!!"}]}"#).unwrap();
        assert_eq!(Cid::for_record(&v), Err(CidError::Bytes(".a[0]".into())));
        // With another key beside it, $link is an ordinary field.
        let v = parse_str(r#"{"$link":"nope","x":1}"#).unwrap();
        assert!(Cid::for_record(&v).is_ok());
    }

    #[test]
    fn base32_roundtrip() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
        }
    }
}
