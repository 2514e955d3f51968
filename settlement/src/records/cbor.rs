//! A strict dag-cbor decoder, for the blocks of AT Protocol repositories
//! (signed commits, Merkle search tree nodes, records).
//!
//! Strict because a block's CID is the hash of its bytes: if two encodings
//! of one value were accepted, a record could be read one way and hashed
//! another. So only the canonical form is read: smallest integer and length
//! heads, definite lengths, map keys that are text and ordered by length
//! then bytes (which also rules out duplicates), no floats (the AT Protocol
//! data model has none), no tags but 42 (CID links), no trailing bytes.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::cid::Cid;
use super::json::{DEPTH_MAX, INT_MIN, Map, Value};

/// A dag-cbor value in the AT Protocol data model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cbor {
    Null,
    Bool(bool),
    /// In [-2^64, 2^64-1], all that CBOR's major types 0 and 1 hold.
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    /// Keys in canonical order were checked on decode; stored sorted by
    /// byte order for lookup.
    Map(BTreeMap<String, Cbor>),
    Link(Cid),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid dag-cbor at byte {offset}: {rule}")]
pub struct CborError {
    pub offset: usize,
    pub rule: &'static str,
}

impl Cbor {
    pub fn as_map(&self) -> Option<&BTreeMap<String, Cbor>> {
        match self {
            Cbor::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The JSON form of the AT Protocol data model: a link is
    /// `{"$link": CID}`, bytes are `{"$bytes": base64}`. `None` when an
    /// integer is below what a record may carry (-2^63).
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            Cbor::Null => Value::Null,
            Cbor::Bool(b) => Value::Bool(*b),
            Cbor::Int(i) if *i < INT_MIN => return None,
            Cbor::Int(i) => Value::Int(*i),
            Cbor::Text(s) => Value::String(s.clone()),
            Cbor::Bytes(b) => {
                let mut m = Map::new();
                m.insert(
                    "$bytes".into(),
                    base64::engine::general_purpose::STANDARD_NO_PAD
                        .encode(b)
                        .into(),
                );
                Value::Object(m)
            }
            Cbor::Link(c) => {
                let mut m = Map::new();
                m.insert("$link".into(), c.to_string().into());
                Value::Object(m)
            }
            Cbor::Array(items) => {
                Value::Array(items.iter().map(Cbor::to_json).collect::<Option<_>>()?)
            }
            Cbor::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Option<_>>()?,
            ),
        })
    }
}

/// Decodes exactly one canonical dag-cbor value filling all of `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Cbor, CborError> {
    let mut d = Decoder {
        bytes,
        pos: 0,
        values: 0,
    };
    let v = d.value(0)?;
    if d.pos != bytes.len() {
        return Err(d.err("trailing bytes after the value"));
    }
    Ok(v)
}

/// Decodes one canonical dag-cbor value at the start of `bytes`, and how
/// many bytes it took (a firehose frame is two values end to end).
pub fn decode_prefix(bytes: &[u8]) -> Result<(Cbor, usize), CborError> {
    let mut d = Decoder {
        bytes,
        pos: 0,
        values: 0,
    };
    let v = d.value(0)?;
    Ok((v, d.pos))
}

/// Most values one call decodes: each takes tens of bytes in memory for
/// one or more on the wire, so a long array of tiny items would otherwise
/// grow a few megabytes of input into hundreds.
pub const VALUES_MAX: usize = 200_000;

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Values read so far.
    values: usize,
}

impl<'a> Decoder<'a> {
    fn err(&self, rule: &'static str) -> CborError {
        CborError {
            offset: self.pos,
            rule,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CborError> {
        if self.bytes.len() - self.pos < n {
            return Err(self.err("truncated"));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads a head: major type and argument, in its shortest form.
    fn head(&mut self) -> Result<(u8, u64), CborError> {
        let start = self.pos;
        let b = self.take(1)?[0];
        let (major, info) = (b >> 5, b & 0x1f);
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().expect("2"))),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().expect("4"))),
            27 => u64::from_be_bytes(self.take(8)?.try_into().expect("8")),
            31 => {
                self.pos = start;
                return Err(self.err("indefinite lengths are not allowed"));
            }
            _ => {
                self.pos = start;
                return Err(self.err("reserved additional information"));
            }
        };
        // Major type 7 uses the argument as a simple value or float, whose
        // width is its type, not a length: checked by the caller.
        let minimal = match info {
            24 => arg >= 24,
            25 => arg > 0xff,
            26 => arg > 0xffff,
            27 => arg > 0xffff_ffff,
            _ => true,
        };
        if major != 7 && !minimal {
            self.pos = start;
            return Err(self.err("integer or length is not in its shortest form"));
        }
        Ok((major, arg))
    }

    fn len(&self, n: u64) -> Result<usize, CborError> {
        // Every item takes at least one byte: a length beyond what is left
        // is a lie, and refusing it early bounds allocations.
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.bytes.len() - self.pos)
            .ok_or_else(|| self.err("length exceeds the input"))
    }

    fn value(&mut self, depth: usize) -> Result<Cbor, CborError> {
        let start = self.pos;
        self.values += 1;
        if self.values > VALUES_MAX {
            return Err(self.err("more values than a block may hold"));
        }
        let (major, arg) = self.head()?;
        // The nesting limit is the JSON parser's, counted on the JSON form:
        // arrays and maps, and bytes and links (objects there), must start
        // below DEPTH_MAX, so that every value read here is also a value
        // the JSON parser reads (records are stored and served as JSON).
        if matches!(major, 2 | 4 | 5 | 6) && depth >= DEPTH_MAX {
            self.pos = start;
            return Err(self.err("nested too deeply"));
        }
        match major {
            0 => Ok(Cbor::Int(i128::from(arg))),
            1 => Ok(Cbor::Int(-1 - i128::from(arg))),
            2 => {
                let n = self.len(arg)?;
                Ok(Cbor::Bytes(self.take(n)?.to_vec()))
            }
            3 => {
                let n = self.len(arg)?;
                let raw = self.take(n)?;
                std::str::from_utf8(raw)
                    .map(|s| Cbor::Text(s.to_owned()))
                    .map_err(|_| CborError {
                        offset: start,
                        rule: "text is not valid UTF-8",
                    })
            }
            4 => {
                let n = self.len(arg)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Ok(Cbor::Array(items))
            }
            5 => {
                let n = self.len(arg)?;
                let mut map = BTreeMap::new();
                let mut prev: Option<String> = None;
                for _ in 0..n {
                    let key_at = self.pos;
                    let key = match self.value(depth + 1)? {
                        Cbor::Text(k) => k,
                        _ => {
                            return Err(CborError {
                                offset: key_at,
                                rule: "map keys must be text",
                            });
                        }
                    };
                    if let Some(p) = &prev {
                        let order = p
                            .len()
                            .cmp(&key.len())
                            .then_with(|| p.as_bytes().cmp(key.as_bytes()));
                        if order != std::cmp::Ordering::Less {
                            return Err(CborError {
                                offset: key_at,
                                rule: "map keys must be unique and ordered by length, then bytes",
                            });
                        }
                    }
                    let v = self.value(depth + 1)?;
                    prev = Some(key.clone());
                    map.insert(key, v);
                }
                Ok(Cbor::Map(map))
            }
            6 => {
                if arg != 42 {
                    self.pos = start;
                    return Err(self.err("only tag 42 (CID link) is allowed"));
                }
                // The tagged item is read here, not through `value`: it is
                // bytes, part of the link, not a level of nesting.
                let at = self.pos;
                let not_bytes = CborError {
                    offset: at,
                    rule: "a link must be bytes: 0x00 then a binary CID",
                };
                let (inner, n) = self.head()?;
                if inner != 2 {
                    return Err(not_bytes);
                }
                let n = self.len(n)?;
                match self.take(n)? {
                    [0, cid @ ..] => Cid::from_bytes(cid).map(Cbor::Link).map_err(|_| CborError {
                        offset: at,
                        rule: "link is not a CIDv1 dag-cbor or raw sha2-256 CID",
                    }),
                    _ => Err(not_bytes),
                }
            }
            _ => {
                let info = self.bytes[start] & 0x1f;
                match info {
                    20 => Ok(Cbor::Bool(false)),
                    21 => Ok(Cbor::Bool(true)),
                    22 => Ok(Cbor::Null),
                    25..=27 => Err(CborError {
                        offset: start,
                        rule: "floats are not allowed",
                    }),
                    _ => Err(CborError {
                        offset: start,
                        rule: "only false, true and null are allowed simple values",
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::cid::dag_cbor;
    use crate::records::json::parse_str;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn rejects(bytes_hex: &str, rule: &str) {
        let e = decode(&hex(bytes_hex)).unwrap_err();
        assert!(e.rule.contains(rule), "{bytes_hex}: {e}");
    }

    #[test]
    fn a_long_array_of_tiny_values_is_refused() {
        // An array of VALUES_MAX zeros (one byte each), in its head's
        // 4-byte length form.
        let mut bytes = vec![0x9a];
        bytes.extend_from_slice(&(VALUES_MAX as u32).to_be_bytes());
        bytes.resize(bytes.len() + VALUES_MAX, 0);
        let e = decode(&bytes).unwrap_err();
        assert!(e.rule.contains("more values"), "{e}");
        bytes[1..5].copy_from_slice(&(VALUES_MAX as u32 - 1).to_be_bytes());
        bytes.pop();
        assert!(decode(&bytes).is_ok());
    }

    #[test]
    fn decodes_what_the_encoder_writes() {
        for json in [
            r#"{"a":1}"#,
            "{}",
            r#"{"big":18446744073709551615,"neg":-9223372036854775808,"n":null,"t":true,"f":false,"s":"café\u0001","arr":[1,"x",[],{}],"longerkey":0,"b":24,"c":255,"d":65536,"e":-1,"g":-25}"#,
            r#"{"link":{"$link":"bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5kpqcsgz7soitae"},"bytes":{"$bytes":"AQID/w"}}"#,
        ] {
            let v = parse_str(json).unwrap();
            let bytes = dag_cbor(&v).unwrap();
            let back = decode(&bytes).unwrap().to_json().unwrap();
            assert_eq!(back, v, "{json}");
        }
    }

    #[test]
    fn rejects_non_canonical_and_foreign_encodings() {
        // 1 written in two bytes; a length of 3 written in two bytes.
        rejects("1801", "shortest form");
        rejects("780361", "shortest form");
        rejects("5f41ff", "indefinite");
        rejects("9f01ff", "indefinite");
        // Keys out of order ("b" before "a"), duplicated, longer first, not text.
        rejects("a2616201616101", "ordered");
        rejects("a2616101616101", "ordered");
        rejects("a262616101616201", "ordered");
        rejects("a10101", "keys must be text");
        rejects("f93c00", "floats");
        rejects("fb3ff0000000000000", "floats");
        rejects("f7", "simple values");
        rejects("c11a00000000", "tag 42");
        rejects("d82a4101", "0x00 then");
        rejects("d82a420001", "link is not");
        rejects("d82a6161", "must be bytes");
        rejects("62c328", "UTF-8");
        rejects("0101", "trailing");
        rejects("83", "length exceeds");
        rejects("1a0000", "truncated");
        rejects("1c", "reserved");
        let deep = "81".repeat(DEPTH_MAX + 2) + "01";
        rejects(&deep, "nested");
    }

    /// Found by the `cbor` fuzz target: 64 arrays around an empty map were
    /// read, but their JSON form is one level deeper than the JSON parser
    /// reads, so a record proven from a CAR could be stored and then not
    /// read back. Bytes and links count as a level: they are objects in
    /// JSON.
    #[test]
    fn nesting_is_bounded_as_the_json_parser_bounds_it() {
        let link =
            "d82a582500017112203a8dd5b8e02ad81c1657a24d20bd859a9d8fc4bbb4b98bd53e0291b3f9391301";
        for inner in ["a0", "80", "4101", link] {
            let at_limit = "81".repeat(DEPTH_MAX - 1) + inner;
            let json = decode(&hex(&at_limit)).unwrap().to_json().unwrap();
            let text = crate::records::json::to_canonical(&json);
            assert_eq!(crate::records::json::parse(&text).unwrap(), json, "{inner}");
            rejects(&("81".repeat(DEPTH_MAX) + inner), "nested");
        }
        // Scalars may sit one level deeper, as in JSON.
        let json = decode(&hex(&("81".repeat(DEPTH_MAX) + "6161")))
            .unwrap()
            .to_json()
            .unwrap();
        assert!(crate::records::json::parse(&crate::records::json::to_canonical(&json)).is_ok());
    }

    #[test]
    fn integers_below_a_records_range_do_not_become_json() {
        // -2^64 is CBOR, but no record integer.
        let v = decode(&hex("3bffffffffffffffff")).unwrap();
        assert_eq!(v, Cbor::Int(-(1i128 << 64)));
        assert_eq!(v.to_json(), None);
    }
}
