//! Outside bytes through the multi-party computation parsers: a CocosAI
//! manifest, its public keys, a computation record with its key proofs
//! and shares, and a settlement's stated split. Nothing may panic; a
//! parsed manifest's hash is the SHA3-256 of its bytes, every key it
//! holds parses again to the same fingerprint, checked terms split any
//! amount into parts that add up to it, and a private key is never
//! repeated in an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use settlement::computation::keys::UserKey;
use settlement::computation::{self, Computation, manifest, settled};
use settlement::records::json;
use settlement::records::{RawRecord, parse_record};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = UserKey::parse(text);
    match manifest::parse(text, "manifest") {
        Ok(m) => {
            assert_eq!(m.hash, manifest::checksum(text));
            for a in m.algorithm.iter().chain(&m.datasets) {
                assert_eq!(a.hash.len(), 64);
            }
        }
        Err(e) => {
            if text.contains("PRIVATE KEY") {
                let shown = e.to_string();
                assert!(!shown.contains("PRIVATE KEY-----\n"), "a private key was echoed: {shown}");
            }
        }
    }
    let Ok(value) = json::parse(data) else { return };
    let _ = settled::read_split(&value);
    let raw = RawRecord {
        uri: format!(
            "at://did:plc:alicealicealicealicealic/{}/3kabc2def3ghi",
            computation::NSID_COMPUTATION
        ),
        cid: None,
        value,
    };
    let Ok(record) = parse_record::<Computation>(&raw, "computation") else { return };
    let Ok(terms) = computation::check(&record, "computation") else { return };
    let whole: u64 = terms.payees.iter().map(|p| p.share).sum();
    assert_eq!(whole, terms.whole, "checked shares make the whole");
    for rest in [0u64, 1, 2, 3, 997, u64::from(u32::MAX), i64::MAX as u64] {
        if let Ok(parts) = computation::allocate(&terms, "did:plc:bobbobbobbobbobbobbobbob", rest) {
            let sum: u128 = parts.iter().map(|p| u128::from(p.amount)).sum();
            assert_eq!(sum, u128::from(rest), "the parts add up");
        }
    }
});
