//! Who a caller is: inter-service auth tokens (JWTs), AT Protocol keys
//! (Multikey, did:key) and DID documents.
//!
//! The input is read four ways: as a token, checked against the two
//! fixture keys; as a key; as a DID document (for a fixed DID and for the
//! DID it names); and, split at its first newline into a JWT header and
//! payload, as a token the target signs itself, so that the claim checks
//! behind the signature are reached. Nothing may panic; a token that
//! verifies must say what was expected, and a key or document that parses
//! must say what it was given.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use settlement::identity::{document_url, parse_did_document};
use settlement::records::json;
use settlement::verify::atkey::AtKey;
use settlement::verify::service_auth::{self, EXP_AHEAD_MAX_S, Expect, SKEW_S, Token};
use settlement_fuzz::Signer;

const NOW: i64 = 1_800_000_000;
const EXPECT: Expect<'static> = Expect {
    audience: "did:web:exchange.example",
    method: "dev.cocore.compute.getProviderBalance",
    now_s: NOW,
};
const DID: &str = "did:plc:alicealicealicealicealic";

fn check_token(token: &Token, key: &AtKey) {
    if token.verify(key, EXPECT).is_ok() {
        assert_eq!(token.alg, key.jwt_alg());
        assert_eq!(token.aud, EXPECT.audience);
        assert_eq!(token.lxm.as_deref(), Some(EXPECT.method));
        assert!(token.exp > NOW - SKEW_S && token.exp <= NOW + EXP_AHEAD_MAX_S + SKEW_S);
        assert!(token.iat.is_none_or(|iat| iat <= NOW + SKEW_S));
    }
}

fn check_key(text: &str) {
    if let Ok(key) = AtKey::from_multibase(text) {
        assert_eq!(key.to_multibase(), text, "a key has two spellings");
    }
    if let Ok(key) = AtKey::from_did_key(text) {
        assert_eq!(format!("did:key:{}", key.to_multibase()), text);
    }
}

fn check_document(did: &str, bytes: &[u8]) {
    if let Ok(doc) = parse_did_document(did, bytes) {
        assert_eq!(doc.did, did);
        assert!(doc.pds.starts_with("http://") || doc.pds.starts_with("https://"));
        assert!(!doc.pds.ends_with('/'));
    }
}

fuzz_target!(|data: &[u8]| {
    let keys = [Signer::P256.public(), Signer::K256.public()];
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(token) = service_auth::parse(text) {
            for key in &keys {
                check_token(&token, key);
            }
        }
        check_key(text);
        let _ = document_url(text, "https://plc.directory");
    }
    check_document(DID, data);
    if let Ok(doc) = json::parse(data)
        && let Some(id) = doc.get("id").and_then(|v| v.as_str())
    {
        check_document(id, data);
    }
    if let Some(nl) = data.iter().position(|&b| b == b'\n') {
        let (header, payload) = (&data[..nl], &data[nl + 1..]);
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let signer = if data.len() % 2 == 0 { Signer::P256 } else { Signer::K256 };
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes())));
        if let Ok(t) = service_auth::parse(&token) {
            check_token(&t, &signer.public());
        }
    }
});
