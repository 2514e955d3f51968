//! Outside bytes through every parser of the records core: strict JSON,
//! canonical JSON (which must round-trip), CIDs, lexicon validation and typed
//! records, DER signatures, public keys, datetimes and AT URIs. Nothing may
//! panic; canonical output must parse back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use settlement::records::cid::Cid;
use settlement::records::formats::{AtUri, Datetime};
use settlement::records::json;
use settlement::records::lexicon::Lexicons;
use settlement::records::{Attestation, Job, PaymentAuthorization, RawRecord, Receipt, parse_record};
use settlement::verify::crypto;

fuzz_target!(|data: &[u8]| {
    let _ = crypto::parse_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Cid::parse(text);
        let _ = Datetime::parse(text);
        let _ = AtUri::parse(text);
        let _ = crypto::parse_public_key(text);
    }
    let Ok(value) = json::parse(data) else { return };
    let canonical = json::to_canonical(&value);
    let back = json::parse(&canonical).expect("canonical JSON parses");
    assert!(back == value, "canonical JSON changed the value");
    assert_eq!(json::to_canonical(&back), canonical, "canonical JSON is not a fixed point");
    let _ = Cid::for_record(&value);
    let lex = Lexicons::builtin();
    for id in lex.ids() {
        let _ = lex.validate_record(id, &value, "record");
    }
    let raw = |collection: &str| RawRecord {
        uri: format!("at://did:plc:alicealicealicealicealic/{collection}/3kabc2def3ghi"),
        cid: None,
        value: value.clone(),
    };
    let _ = parse_record::<Job>(&raw("dev.cocore.compute.job"), "job");
    let _ = parse_record::<Receipt>(&raw("dev.cocore.compute.receipt"), "receipt");
    let _ = parse_record::<Attestation>(&raw("dev.cocore.compute.attestation"), "attestation");
    let _ = parse_record::<PaymentAuthorization>(&raw("dev.cocore.compute.paymentAuthorization"), "authorization");
});
