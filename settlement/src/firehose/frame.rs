//! One frame of a relay's `com.atproto.sync.subscribeRepos` stream, read.
//!
//! A frame is a binary WebSocket message holding two dag-cbor values end
//! to end: a header `{op, t}` (`op` 1 for a message of type `t`, -1 for an
//! error) and the body. Only the fields the exchange acts on are read, each
//! of the type the lexicon gives it; others (and message types this
//! exchange does not know) are passed over, as the protocol asks of a
//! consumer. Nothing here is trusted yet: a commit's blocks are proven by
//! `identity` before any record in them is used.
//!
//! Pure: bytes in, an [`Event`] out.

use std::collections::BTreeMap;

use crate::records::cbor::{self, Cbor};
use crate::records::cid::Cid;

/// Largest frame read; the protocol bounds a commit's blocks at 2 MB.
pub const FRAME_BYTES_MAX: usize = 5 * 1024 * 1024;
/// Most operations in one commit event (the lexicon's bound).
pub const OPS_MAX: usize = 200;

/// What a record operation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One record operation of a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub action: Action,
    /// `collection/rkey`.
    pub path: String,
    /// The record's new CID (none for a delete).
    pub cid: Option<Cid>,
}

impl Op {
    /// The collection and record key of the path.
    pub fn split(&self) -> Option<(&str, &str)> {
        self.path.split_once('/')
    }
}

/// A repository's new commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub seq: i64,
    pub repo: String,
    pub rev: String,
    pub commit: Cid,
    /// A CAR whose root is the signed commit, holding the tree nodes and
    /// records the operations touched: a proof of each.
    pub blocks: Vec<u8>,
    pub ops: Vec<Op>,
    /// The relay could not carry the blocks (deprecated; then each record
    /// is fetched from its PDS).
    pub too_big: bool,
}

/// A frame, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Commit(Commit),
    /// The account's identity (DID document, handle) may have changed.
    Identity {
        seq: i64,
        did: String,
    },
    /// The account's hosting status changed.
    Account {
        seq: i64,
        did: String,
        active: bool,
        status: Option<String>,
    },
    /// A message type this exchange does not act on (`#sync`, or one added
    /// later), with its sequence number when it has one.
    Other {
        seq: Option<i64>,
        kind: String,
    },
    /// `#info` (for example `OutdatedCursor`): informational.
    Info {
        name: String,
    },
    /// An error frame: the relay closes the stream after it.
    Error {
        error: String,
        message: String,
    },
}

impl Event {
    /// The event's sequence number, for the cursor.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Event::Commit(c) => Some(c.seq),
            Event::Identity { seq, .. } | Event::Account { seq, .. } => Some(*seq),
            Event::Other { seq, .. } => *seq,
            Event::Info { .. } | Event::Error { .. } => None,
        }
    }
}

/// Why a frame cannot be read; the field is named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("firehose frame: {0}")]
pub struct FrameError(pub String);

fn bad(what: impl Into<String>) -> FrameError {
    FrameError(what.into())
}

type Fields = BTreeMap<String, Cbor>;

fn map<'a>(v: &'a Cbor, what: &str) -> Result<&'a Fields, FrameError> {
    v.as_map()
        .ok_or_else(|| bad(format!("{what}: must be a map")))
}

fn text(m: &Fields, key: &str, what: &str) -> Result<String, FrameError> {
    match m.get(key) {
        Some(Cbor::Text(s)) => Ok(s.clone()),
        _ => Err(bad(format!("{what}.{key}: must be a string"))),
    }
}

fn int(m: &Fields, key: &str, what: &str) -> Result<i64, FrameError> {
    match m.get(key) {
        Some(Cbor::Int(i)) => {
            i64::try_from(*i).map_err(|_| bad(format!("{what}.{key}: out of range")))
        }
        _ => Err(bad(format!("{what}.{key}: must be an integer"))),
    }
}

fn seq(m: &Fields, what: &str) -> Result<i64, FrameError> {
    let s = int(m, "seq", what)?;
    if s < 0 {
        return Err(bad(format!("{what}.seq: must not be negative")));
    }
    Ok(s)
}

/// Reads one frame.
pub fn decode(bytes: &[u8]) -> Result<Event, FrameError> {
    if bytes.len() > FRAME_BYTES_MAX {
        return Err(bad(format!("larger than {FRAME_BYTES_MAX} bytes")));
    }
    let (header, used) = cbor::decode_prefix(bytes).map_err(|e| bad(format!("header: {e}")))?;
    let body = cbor::decode(&bytes[used..]).map_err(|e| bad(format!("body: {e}")))?;
    let header = map(&header, "header")?;
    let body = map(&body, "body")?;
    match int(header, "op", "header")? {
        -1 => Ok(Event::Error {
            error: text(body, "error", "error")?,
            message: match body.get("message") {
                Some(Cbor::Text(m)) => m.clone(),
                _ => String::new(),
            },
        }),
        1 => {
            let t = text(header, "t", "header")?;
            match t.as_str() {
                "#commit" => commit(body).map(Event::Commit),
                "#identity" => Ok(Event::Identity {
                    seq: seq(body, "identity")?,
                    did: text(body, "did", "identity")?,
                }),
                "#account" => Ok(Event::Account {
                    seq: seq(body, "account")?,
                    did: text(body, "did", "account")?,
                    active: match body.get("active") {
                        Some(Cbor::Bool(b)) => *b,
                        _ => return Err(bad("account.active: must be a boolean")),
                    },
                    status: match body.get("status") {
                        None | Some(Cbor::Null) => None,
                        Some(Cbor::Text(s)) => Some(s.clone()),
                        Some(_) => return Err(bad("account.status: must be a string")),
                    },
                }),
                "#info" => Ok(Event::Info {
                    name: text(body, "name", "info")?,
                }),
                _ => Ok(Event::Other {
                    seq: seq(body, &t).ok(),
                    kind: t,
                }),
            }
        }
        op => Err(bad(format!("header.op: {op} is neither 1 nor -1"))),
    }
}

fn commit(m: &Fields) -> Result<Commit, FrameError> {
    let w = "commit";
    let commit = match m.get("commit") {
        Some(Cbor::Link(c)) => *c,
        _ => return Err(bad("commit.commit: must be a CID link")),
    };
    let blocks = match m.get("blocks") {
        Some(Cbor::Bytes(b)) => b.clone(),
        _ => return Err(bad("commit.blocks: must be bytes")),
    };
    let too_big = matches!(m.get("tooBig"), Some(Cbor::Bool(true)));
    let ops = match m.get("ops") {
        Some(Cbor::Array(ops)) if ops.len() <= OPS_MAX => ops,
        Some(Cbor::Array(_)) => return Err(bad(format!("commit.ops: more than {OPS_MAX}"))),
        _ => return Err(bad("commit.ops: must be an array")),
    };
    let ops = ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let what = format!("commit.ops[{i}]");
            let op = map(op, &what)?;
            let action = match text(op, "action", &what)?.as_str() {
                "create" => Action::Create,
                "update" => Action::Update,
                "delete" => Action::Delete,
                other => return Err(bad(format!("{what}.action: unknown action {other}"))),
            };
            let cid = match op.get("cid") {
                Some(Cbor::Link(c)) => Some(*c),
                None | Some(Cbor::Null) => None,
                Some(_) => return Err(bad(format!("{what}.cid: must be a CID link or null"))),
            };
            if (action == Action::Delete) != cid.is_none() {
                return Err(bad(format!(
                    "{what}.cid: a delete has none, a create or update has one"
                )));
            }
            Ok(Op {
                action,
                path: text(op, "path", &what)?,
                cid,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Commit {
        seq: seq(m, w)?,
        repo: text(m, "repo", w)?,
        rev: text(m, "rev", w)?,
        commit,
        blocks,
        ops,
        too_big,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::cid::dag_cbor;
    use crate::records::json;

    const CID: &str = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm";

    fn frame(header: &str, body: &str) -> Vec<u8> {
        let enc = |t: &str| dag_cbor(&json::parse(t.as_bytes()).unwrap()).unwrap();
        let mut out = enc(header);
        out.extend(enc(body));
        out
    }

    #[test]
    fn a_commit_is_read() {
        let body = format!(
            r#"{{"seq":7,"rebase":false,"tooBig":false,"repo":"did:plc:abc","commit":{{"$link":"{CID}"}},
            "rev":"3l3qo2vutsw2b","since":null,"blocks":{{"$bytes":"AAEC"}},"blobs":[],"time":"2026-11-21T00:00:00Z",
            "ops":[{{"action":"create","path":"dev.cocore.compute.receipt/3l3qo2vutsw2b","cid":{{"$link":"{CID}"}}}},
                   {{"action":"delete","path":"dev.cocore.compute.job/x","cid":null}}]}}"#
        );
        let e = decode(&frame(r##"{"op":1,"t":"#commit"}"##, &body)).unwrap();
        let Event::Commit(c) = e else { panic!() };
        assert_eq!(
            (c.seq, c.repo.as_str(), c.blocks.as_slice()),
            (7, "did:plc:abc", &[0u8, 1, 2][..])
        );
        assert_eq!(c.ops.len(), 2);
        assert_eq!(
            c.ops[0].split(),
            Some(("dev.cocore.compute.receipt", "3l3qo2vutsw2b"))
        );
        assert_eq!(c.ops[1].action, Action::Delete);
    }

    #[test]
    fn other_messages() {
        let id = decode(&frame(
            r##"{"op":1,"t":"#identity"}"##,
            r#"{"seq":3,"did":"did:plc:abc","time":"x"}"#,
        ));
        assert_eq!(
            id,
            Ok(Event::Identity {
                seq: 3,
                did: "did:plc:abc".into()
            })
        );
        let acct = decode(&frame(
            r##"{"op":1,"t":"#account"}"##,
            r#"{"seq":4,"did":"did:plc:abc","time":"x","active":false,"status":"takendown"}"#,
        ));
        assert_eq!(
            acct,
            Ok(Event::Account {
                seq: 4,
                did: "did:plc:abc".into(),
                active: false,
                status: Some("takendown".into())
            })
        );
        let sync = decode(&frame(
            r##"{"op":1,"t":"#sync"}"##,
            r#"{"seq":5,"did":"did:plc:abc"}"#,
        ))
        .unwrap();
        assert_eq!(sync.seq(), Some(5));
        let err = decode(&frame(
            r#"{"op":-1}"#,
            r#"{"error":"FutureCursor","message":"no"}"#,
        ));
        assert_eq!(
            err,
            Ok(Event::Error {
                error: "FutureCursor".into(),
                message: "no".into()
            })
        );
    }

    #[test]
    fn bad_frames_name_their_field() {
        let cases = [
            (r##"{"op":2,"t":"#commit"}"##, r#"{}"#, "header.op"),
            (
                r##"{"op":1,"t":"#account"}"##,
                r#"{"seq":1,"did":"d","active":"yes"}"#,
                "account.active",
            ),
            (
                r##"{"op":1,"t":"#identity"}"##,
                r#"{"seq":-1,"did":"d"}"#,
                "identity.seq",
            ),
            (
                r##"{"op":1,"t":"#commit"}"##,
                r#"{"seq":1,"repo":"d","rev":"r","ops":[],"blocks":{"$bytes":"AA"}}"#,
                "commit.commit",
            ),
        ];
        for (h, b, field) in cases {
            let e = decode(&frame(h, b)).unwrap_err();
            assert!(e.0.contains(field), "{e} should name {field}");
        }
        let body = format!(
            r#"{{"seq":1,"repo":"d","rev":"r","commit":{{"$link":"{CID}"}},"blocks":{{"$bytes":"AA"}},
            "ops":[{{"action":"create","path":"a/b","cid":null}}]}}"#
        );
        let e = decode(&frame(r##"{"op":1,"t":"#commit"}"##, &body)).unwrap_err();
        assert!(e.0.contains("commit.ops[0].cid"), "{e}");
        // Truncated and trailing bytes.
        let mut f = frame(r##"{"op":1,"t":"#info"}"##, r#"{"name":"OutdatedCursor"}"#);
        assert_eq!(
            decode(&f),
            Ok(Event::Info {
                name: "OutdatedCursor".into()
            })
        );
        f.push(0);
        assert!(decode(&f).unwrap_err().0.contains("body"));
        assert!(decode(&f[..3]).is_err());
    }
}
