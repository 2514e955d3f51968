//! dag-cbor blocks through the strict decoder. The decoder reads only the
//! canonical encoding, so whatever it accepts must be exactly what an
//! encoder writes for the decoded value; and where the value has a record
//! JSON form, that form must encode back to the same bytes (and so to the
//! same CID) and survive canonical JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use settlement::records::cbor::{self, Cbor};
use settlement::records::cid::{CODEC_DAG_CBOR, Cid, dag_cbor};
use settlement::records::json::{self, INT_MIN};
use settlement_fuzz::{cid_of, to_bytes};

/// Whether the JSON form of `v` reads back as something else: a map of the
/// one key `$link` or `$bytes` with a text value is what JSON uses to spell
/// a link or bytes.
fn spells_a_special_form(v: &Cbor) -> bool {
    match v {
        Cbor::Map(m) => {
            (m.len() == 1
                && m.iter()
                    .any(|(k, v)| (k == "$link" || k == "$bytes") && matches!(v, Cbor::Text(_))))
                || m.values().any(spells_a_special_form)
        }
        Cbor::Array(items) => items.iter().any(spells_a_special_form),
        _ => false,
    }
}

fn has_int_below_record_range(v: &Cbor) -> bool {
    match v {
        Cbor::Int(i) => *i < INT_MIN,
        Cbor::Map(m) => m.values().any(has_int_below_record_range),
        Cbor::Array(items) => items.iter().any(has_int_below_record_range),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = cbor::decode(data) else { return };
    assert_eq!(to_bytes(&v), data, "accepted a non-canonical encoding");
    let Some(j) = v.to_json() else {
        assert!(has_int_below_record_range(&v), "to_json refused a value with no such integer");
        return;
    };
    let canonical = json::to_canonical(&j);
    let back = json::parse(&canonical).expect("the JSON form of a block parses as JSON");
    assert!(back == j, "canonical JSON changed the value");
    if !spells_a_special_form(&v) {
        let bytes = dag_cbor(&j).expect("the JSON form of a block encodes");
        assert_eq!(bytes, data, "the JSON form encodes to other bytes");
        let cid = Cid::for_record(&j).expect("and has a CID");
        assert!(cid == cid_of(CODEC_DAG_CBOR, data), "the CID is not the block's hash");
    }
});
