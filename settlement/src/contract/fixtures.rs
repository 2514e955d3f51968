//! Contract records for tests and the demo: a request, a bid, an accept,
//! a vouch and a singleJob authorization, each with its URI and CID.

use super::records::{Kind, NSID_CCB, NSID_CCBA, NSID_CCRFP, NSID_VOUCH};
use crate::records::cid::Cid;
use crate::records::json::{self, Map, Value};
use crate::records::{NSID_AUTHORIZATION, RawRecord};
use crate::testkit::{rkey_for, sha256_hex};

fn raw(uri: String, value: Value) -> RawRecord {
    let cid = Cid::for_record(&value)
        .expect("fixture records encode")
        .to_string();
    RawRecord {
        uri,
        cid: Some(cid),
        value,
    }
}

fn strong_ref(r: &RawRecord) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), r.uri.clone().into());
    m.insert("cid".into(), r.cid.clone().unwrap_or_default().into());
    Value::Object(m)
}

fn parse(text: &str) -> Value {
    json::parse_str(text).expect("fixture JSON")
}

/// `requester`'s request for proposal, named by `tag`.
pub fn rfp(requester: &str, tag: &str) -> RawRecord {
    raw(
        format!("at://{requester}/{NSID_CCRFP}/{}", rkey_for(tag)),
        parse(&format!(
            r##"{{"$type":"{NSID_CCRFP}","cpus":1,"mem":"512M","disk":"10G","network":"500G",
            "location":{{"country":"USA","region":"west"}},"role":"builder","user_data":"#cloud-config\n"}}"##
        )),
    )
}

/// `bidder`'s bid on `rfp`: `cost` whole USDC monthly, paid at `base_url`.
pub fn bid(bidder: &str, rfp: &RawRecord, cost: u64, base_url: &str, tag: &str) -> RawRecord {
    bid_every(bidder, rfp, cost, base_url, "monthly", tag)
}

/// As [`bid`], due every `frequency`.
pub fn bid_every(
    bidder: &str,
    rfp: &RawRecord,
    cost: u64,
    base_url: &str,
    frequency: &str,
    tag: &str,
) -> RawRecord {
    let mut v = parse(&format!(
        r#"{{"$type":"{NSID_CCB}","bid":{{"cost":{cost},"currency":"USDC","frequency":"{frequency}","prepay":true,
        "x402":{{"base_url":"{base_url}"}}}}}}"#
    ));
    if let Value::Object(m) = &mut v {
        m.insert("embed".into(), strong_ref(rfp));
    }
    raw(format!("at://{bidder}/{NSID_CCB}/{}", rkey_for(tag)), v)
}

/// `requester`'s accept of `bid` on `rfp`.
pub fn accept(requester: &str, rfp: &RawRecord, bid: &RawRecord, tag: &str) -> RawRecord {
    let mut m = Map::new();
    m.insert("$type".into(), NSID_CCBA.into());
    m.insert("embed".into(), strong_ref(rfp));
    m.insert("bid".into(), strong_ref(bid));
    raw(
        format!("at://{requester}/{NSID_CCBA}/{}", rkey_for(tag)),
        Value::Object(m),
    )
}

/// `owner`'s vouch or denounce of `subject`.
pub fn vouch(owner: &str, subject: &str, kind: Kind) -> RawRecord {
    raw(
        format!("at://{owner}/{NSID_VOUCH}/{subject}"),
        parse(&format!(
            r#"{{"$type":"{NSID_VOUCH}","kind":"{}","createdAt":"2026-11-20T09:00:00Z"}}"#,
            kind.as_str()
        )),
    )
}

/// `requester`'s singleJob authorization for `exchange`, up to
/// `ceiling_minor` USD cents, named by `tag`.
pub fn authorization(requester: &str, exchange: &str, ceiling_minor: u64, tag: &str) -> RawRecord {
    let nonce = &sha256_hex(format!("contract nonce {requester} {tag}").as_bytes())[..32];
    raw(
        format!("at://{requester}/{NSID_AUTHORIZATION}/{}", rkey_for(tag)),
        parse(&format!(
            r#"{{"$type":"{NSID_AUTHORIZATION}","exchange":"{exchange}","ceiling":{{"amount":{ceiling_minor},"currency":"USD"}},
            "scope":"singleJob","nonce":"{nonce}","expiresAt":"2027-11-21T00:00:00Z","createdAt":"2026-11-21T10:00:00Z"}}"#
        )),
    )
}
