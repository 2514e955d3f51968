//! x402 headers from a provider's endpoint: `PAYMENT-REQUIRED` (which
//! requirement to pay) and `PAYMENT-RESPONSE` (which transaction settled
//! it), base64 of JSON.
//!
//! Nothing may panic. A chosen requirement must be `exact`, on our chain,
//! in our token, for exactly the amount, to a non-zero address; a settled
//! transaction must come from a response that says success on our chain;
//! a decoded header and the payment built on a chosen requirement must
//! survive `encode_header` and `decode_header` unchanged.
#![no_main]

use alloy::primitives::{Address, B256, Bytes, U256};
use libfuzzer_sys::fuzz_target;
use settlement::payout::chain::{Authorization, ChainConfig};
use settlement::payout::x402::{
    Accepted, PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE, choose, choose_amount,
    decode_header, encode_header, payment_payload, settled_transaction,
};
use settlement::records::json::Value;
use settlement::store::payouts::{PayoutRow, PayoutState, Rail};

const TOKEN: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const AMOUNT: &str = "1500000";

fn chain() -> ChainConfig {
    ChainConfig {
        rpc_url: "http://127.0.0.1:8545".into(),
        chain_id: 31337,
        token: TOKEN.parse().expect("address"),
        eip712_name: "USD Coin".into(),
        eip712_version: "2".into(),
        confirmations: 1,
    }
}

fn payout() -> PayoutRow {
    PayoutRow {
        seq: 1,
        id: "po_1".into(),
        provider: "did:plc:bobbobbobbobbobbobbobbob".into(),
        currency: "USD".into(),
        amount_minor: 150,
        token_value: AMOUNT.into(),
        rail: Rail::X402,
        pay_to: None,
        url: Some("http://127.0.0.1:1/pay".into()),
        chain_id: 31337,
        token: TOKEN.into(),
        treasury: String::new(),
        nonce: String::new(),
        valid_after: 0,
        valid_before: 0,
        signature: None,
        state: PayoutState::Planned,
        tx_hash: None,
        block_number: None,
        block_hash: None,
        attempts: 0,
        error: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn round_trips(header: &'static str, v: &Value) {
    let encoded = encode_header(v);
    // Beyond what the decoder reads from a peer; not a round trip to check.
    if encoded.len() > 16 * 1024 {
        return;
    }
    let back = decode_header(header, encoded.as_bytes()).expect("an encoded header decodes");
    assert!(back == *v, "a header changed through encode and decode");
}

fn check_accepted(a: &Accepted, required: &Value, chain: &ChainConfig) {
    let r = &a.requirement;
    let s = |k: &str| r.get(k).and_then(Value::as_str).expect("a checked field");
    assert_eq!(s("scheme"), "exact");
    assert_eq!(s("network"), chain.network());
    assert_eq!(s("amount"), AMOUNT);
    assert!(s("asset").parse::<Address>().expect("an address") == chain.token);
    assert!(a.pay_to != Address::ZERO);
    assert!(s("payTo").parse::<Address>().expect("an address") == a.pay_to);
    assert!(a.resource.as_ref() == required.get("resource"));
    let auth = Authorization {
        from: Address::repeat_byte(0x11),
        to: a.pay_to,
        value: U256::from(1_500_000u64),
        valid_after: 0,
        valid_before: 1_800_000_600,
        nonce: B256::repeat_byte(0x22),
    };
    let payment = payment_payload(a, &auth, &Bytes::from(vec![0x33; 65]));
    round_trips(PAYMENT_SIGNATURE, &payment);
    assert!(payment.get("accepted") == Some(r));
}

fuzz_target!(|data: &[u8]| {
    let chain = chain();
    if let Ok(required) = decode_header(PAYMENT_REQUIRED, data) {
        round_trips(PAYMENT_REQUIRED, &required);
        let by_payout = choose(&required, &payout(), &chain);
        let by_amount = choose_amount(&required, AMOUNT, "the", &chain);
        assert!(by_payout.is_ok() == by_amount.is_ok());
        if let Ok(a) = by_amount {
            check_accepted(&a, &required, &chain);
            assert!(by_payout.ok() == Some(a));
        }
    }
    if let Ok(response) = decode_header(PAYMENT_RESPONSE, data) {
        round_trips(PAYMENT_RESPONSE, &response);
        if let Ok(tx) = settled_transaction(&response, &chain) {
            assert!(response.get("success") == Some(&Value::Bool(true)));
            assert!(response
                .get("network")
                .and_then(Value::as_str)
                .is_none_or(|n| n == chain.network()));
            let text = response.get("transaction").and_then(Value::as_str).expect("a string");
            assert!(text.parse::<B256>().ok() == Some(tx));
        }
    }
});
