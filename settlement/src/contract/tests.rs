//! The contract records and the chain rules against the lexicons.

use super::fixtures;
use super::links::{check_accept, check_receipt};
use super::records::{Ccb, Ccba, Ccr, Ccrfp, Kind, NSID_CCBAP, Vouch};
use super::standin::{Bid, receipt};
use crate::records::formats::Datetime;
use crate::records::json::{self, Map, Value};
use crate::records::lexicon::Lexicons;
use crate::records::{RawRecord, Record, RecordType, parse_record};
use crate::testkit::{PROVIDER, REQUESTER};

const CAROL: &str = "did:plc:carolcarolcarolcarolcaro";

fn parsed<T: RecordType>(r: &RawRecord) -> Record<T> {
    parse_record::<T>(r, "r").unwrap_or_else(|e| panic!("{}: {e}", r.uri))
}

fn set(r: &mut RawRecord, path: &str, json_text: &str) {
    crate::testkit::set(crate::testkit::object_mut(&mut r.value), path, json_text);
    r.cid = None;
}

fn chain() -> (RawRecord, RawRecord, RawRecord) {
    let rfp = fixtures::rfp(REQUESTER, "t-rfp");
    let bid = fixtures::bid(
        PROVIDER,
        &rfp,
        4,
        "https://bob.example/ccr/{at}/{cid}",
        "t-bid",
    );
    let ccba = fixtures::accept(REQUESTER, &rfp, &bid, "t-ccba");
    (rfp, bid, ccba)
}

#[test]
fn the_records_pass_their_lexicons_and_link_up() {
    let (rfp, bid, ccba) = chain();
    let (rfp, bid, ccba) = (
        parsed::<Ccrfp>(&rfp),
        parsed::<Ccb>(&bid),
        parsed::<Ccba>(&ccba),
    );
    assert_eq!(bid.data.terms.cost_units, 4);
    assert!(bid.data.terms.prepay);
    check_accept(&rfp, &bid, &ccba).unwrap();
    let r = receipt(
        PROVIDER,
        &Bid {
            bid: (bid.uri.to_string(), bid.cid.to_string()),
            rfp: (rfp.uri.to_string(), rfp.cid.to_string()),
        },
        (&ccba.uri.to_string(), &ccba.cid.to_string()),
        Datetime::parse("2026-11-21T12:00:00Z").unwrap(),
    );
    let ccr = parsed::<Ccr>(&r);
    check_receipt(
        &ccr,
        &rfp.strong_ref(),
        &bid.strong_ref(),
        &ccba.strong_ref(),
        PROVIDER,
    )
    .unwrap();
    let e = check_receipt(
        &ccr,
        &rfp.strong_ref(),
        &bid.strong_ref(),
        &ccba.strong_ref(),
        CAROL,
    )
    .unwrap_err();
    assert_eq!(e.link, "ccr.uri");
    let e = check_receipt(
        &ccr,
        &rfp.strong_ref(),
        &rfp.strong_ref(),
        &ccba.strong_ref(),
        PROVIDER,
    )
    .unwrap_err();
    assert_eq!(e.link, "ccr.bid.uri");
}

#[test]
fn a_bid_of_the_requester_herself_is_no_contract() {
    let rfp = fixtures::rfp(REQUESTER, "s-rfp");
    let bid = fixtures::bid(REQUESTER, &rfp, 4, "https://a.example/{at}/{cid}", "s-bid");
    let ccba = fixtures::accept(REQUESTER, &rfp, &bid, "s-ccba");
    let e = check_accept(&parsed(&rfp), &parsed(&bid), &parsed(&ccba)).unwrap_err();
    assert_eq!(e.link, "ccba.bid");
}

#[test]
fn bid_terms_are_read_strictly() {
    let (_, bid, _) = chain();
    for (path, value, field) in [
        ("bid.cost", "-4", "ccb.bid.cost"),
        ("bid.cost", "\"4\"", "ccb.bid.cost"),
        ("bid.frequency", "\"fortnightly\"", "ccb.bid.frequency"),
        ("bid.prepay", "\"yes\"", "r.bid.prepay"),
    ] {
        let mut b = bid.clone();
        set(&mut b, path, value);
        let e = parse_record::<Ccb>(&b, "r").unwrap_err().to_string();
        assert!(e.starts_with(field), "{path}={value}: {e}");
    }
    // A float never parses at all: the strict parser has no floats.
    let text = json::to_canonical_string(&bid.value).replace("\"cost\":4", "\"cost\":4.5");
    let e = json::parse_str(&text).unwrap_err();
    assert_eq!(e.path, "bid.cost", "{e}");
}

#[test]
fn vouches_name_their_subject_by_key() {
    let v = fixtures::vouch(REQUESTER, PROVIDER, Kind::Denounce);
    assert_eq!(parsed::<Vouch>(&v).data.kind, Kind::Denounce);
    let (owner, edge, _) = super::gather::vouch_edge(&v).unwrap();
    assert_eq!(
        (owner.as_str(), edge.subject.as_str()),
        (REQUESTER, PROVIDER)
    );
    let mut kindless = v.clone();
    crate::testkit::object_mut(&mut kindless.value).remove("kind");
    kindless.cid = None;
    assert_eq!(parsed::<Vouch>(&kindless).data.kind, Kind::Vouch);
    let mut odd = v.clone();
    set(&mut odd, "kind", "\"follow\"");
    assert!(parse_record::<Vouch>(&odd, "r").is_err());
    let mut itself = fixtures::vouch(REQUESTER, REQUESTER, Kind::Vouch);
    assert!(super::gather::vouch_edge(&itself).is_err());
    itself.uri = format!("at://{REQUESTER}/sh.tangled.graph.vouch/self");
    let e = super::gather::vouch_edge(&itself).unwrap_err();
    assert!(e.message.contains("subject's DID"), "{}", e.message);
}

#[test]
fn the_payment_record_is_a_ccbap() {
    let mut embed = Map::new();
    embed.insert("uri".into(), chain().1.uri.into());
    embed.insert("cid".into(), chain().1.cid.unwrap().into());
    let mut m = Map::new();
    m.insert("$type".into(), NSID_CCBAP.into());
    m.insert("embed".into(), Value::Object(embed));
    m.insert(
        "txid".into(),
        format!("eip155:31337:0x{}", "ab".repeat(32)).into(),
    );
    Lexicons::builtin()
        .validate_record(NSID_CCBAP, &Value::Object(m), "ccbap")
        .unwrap();
}

#[test]
fn a_payment_is_found_from_public_data() {
    use sha2::{Digest, Sha256};
    let uri = "at://did:plc:alicealicealicealicealic/com.publicdomainrelay.temp.ccba/3l2a";
    let mut h = Sha256::new();
    for part in ["contract", uri] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let id = format!(
        "cc_{}",
        crate::records::formats::lower_hex(&h.finalize()[..20])
    );
    assert_eq!(super::contract_id(uri), id);
    let nonce = alloy::primitives::keccak256(format!("dev.settlement/contract/{id}"));
    assert_eq!(super::contract_nonce(&id), nonce);
}
