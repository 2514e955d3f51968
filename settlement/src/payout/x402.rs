//! The x402 rail: the exchange pays a provider's x402 endpoint the way any
//! x402 client pays for a resource (protocol v2, scheme `exact` on
//! `eip155:<chain id>`):
//!
//! 1. `GET <url>?payout=<id>&amount=<token units>` answers 402 with a
//!    `PAYMENT-REQUIRED` header: base64 of JSON
//!    `{x402Version: 2, resource, accepts: [{scheme, network, amount, asset,
//!    payTo, maxTimeoutSeconds, extra}]}`.
//! 2. The engine picks the requirement that is `exact` on its chain, in its
//!    token, for exactly the payout's amount, signs the EIP-3009
//!    authorization to its `payTo`, and repeats the request with
//!    `PAYMENT-SIGNATURE`: base64 of JSON `{x402Version: 2, resource,
//!    accepted, payload: {signature, authorization: {from, to, value,
//!    validAfter, validBefore, nonce}}}`.
//! 3. The provider's facilitator settles it on chain; the answer carries
//!    `PAYMENT-RESPONSE`: base64 of JSON `{success, transaction, network,
//!    payer}`.
//!
//! Outside JSON goes through the strict parser; every refusal names the
//! field and the rule.

use alloy::primitives::{Address, B256, Bytes};
use base64::Engine as _;

use super::chain::{Authorization, ChainConfig};
use crate::records::json::{self, Map, Value};
use crate::store::payouts::PayoutRow;

pub const PAYMENT_REQUIRED: &str = "payment-required";
pub const PAYMENT_SIGNATURE: &str = "payment-signature";
pub const PAYMENT_RESPONSE: &str = "payment-response";

/// Largest header we decode (base64), against hostile endpoints.
const MAX_HEADER: usize = 16 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum X402Error {
    #[error("x402 endpoint {url}: {message}")]
    Http { url: String, message: String },
    #[error("x402 {header}: {message}")]
    Wire {
        header: &'static str,
        message: String,
    },
    #[error("x402 requirements refused: {0}")]
    Mismatch(String),
    #[error("x402 endpoint refused: {0}")]
    Egress(#[from] crate::egress::EgressError),
}

impl X402Error {
    /// A short, stable description, safe to show the provider.
    pub fn code(&self) -> &'static str {
        match self {
            X402Error::Http { .. } => "x402-endpoint-failed",
            X402Error::Wire { .. } => "x402-answer-malformed",
            X402Error::Mismatch(_) => "x402-requirements-refused",
            X402Error::Egress(_) => "x402-address-not-allowed",
        }
    }
}

/// Longest an x402 request may take.
const X402_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Largest answer body read from an x402 endpoint.
const BODY_BYTES_MAX: usize = 64 * 1024;

fn wire(header: &'static str, message: impl Into<String>) -> X402Error {
    X402Error::Wire {
        header,
        message: message.into(),
    }
}

/// Decodes a base64 JSON header through the strict parser.
pub fn decode_header(header: &'static str, raw: &[u8]) -> Result<Value, X402Error> {
    if raw.len() > MAX_HEADER {
        return Err(wire(header, format!("longer than {MAX_HEADER} bytes")));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|e| wire(header, format!("not base64: {e}")))?;
    json::parse(&bytes).map_err(|e| wire(header, format!("not JSON: {e}")))
}

pub fn encode_header(v: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(json::to_canonical(v))
}

/// The requirement the engine accepted, and the whole of it as sent (the
/// payment echoes it in `accepted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub pay_to: Address,
    pub requirement: Value,
    pub resource: Option<Value>,
}

fn str_field<'a>(v: &'a Value, path: &str, key: &str) -> Result<&'a str, X402Error> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| wire(PAYMENT_REQUIRED, format!("{path}.{key}: must be a string")))
}

/// Picks the requirement that pays this payout on this chain, or says why
/// none does.
pub fn choose(
    required: &Value,
    payout: &PayoutRow,
    chain: &ChainConfig,
) -> Result<Accepted, X402Error> {
    choose_amount(required, &payout.token_value, "the payout's", chain)
}

/// Picks the requirement that is `exact` on this chain, in this token, for
/// exactly `amount` token units (`whose` names the amount in errors).
pub fn choose_amount(
    required: &Value,
    amount_wanted: &str,
    whose: &str,
    chain: &ChainConfig,
) -> Result<Accepted, X402Error> {
    if required.get("x402Version").and_then(Value::as_int) != Some(2) {
        return Err(wire(PAYMENT_REQUIRED, "x402Version: must be 2"));
    }
    let accepts = match required.get("accepts") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => {
            return Err(wire(PAYMENT_REQUIRED, "accepts: must be a non-empty array"));
        }
    };
    let network = chain.network();
    let mut reasons = Vec::new();
    for (i, req) in accepts.iter().enumerate() {
        let path = format!("accepts[{i}]");
        let scheme = str_field(req, &path, "scheme")?;
        let net = str_field(req, &path, "network")?;
        let amount = str_field(req, &path, "amount")?;
        let asset = str_field(req, &path, "asset")?;
        let pay_to = str_field(req, &path, "payTo")?;
        if scheme != "exact" {
            reasons.push(format!("{path}.scheme: {scheme:?} is not \"exact\""));
            continue;
        }
        if net != network {
            reasons.push(format!("{path}.network: {net:?} is not {network:?}"));
            continue;
        }
        let asset_ok = asset
            .parse::<Address>()
            .map(|a| a == chain.token)
            .unwrap_or(false);
        if !asset_ok {
            reasons.push(format!(
                "{path}.asset: {asset:?} is not the token {}",
                chain.token
            ));
            continue;
        }
        if amount != amount_wanted {
            reasons.push(format!(
                "{path}.amount: {amount:?} is not {whose} {amount_wanted}"
            ));
            continue;
        }
        if let Some(extra) = req.get("extra") {
            let name = extra.get("name").and_then(Value::as_str);
            let version = extra.get("version").and_then(Value::as_str);
            if name.is_some_and(|n| n != chain.eip712_name)
                || version.is_some_and(|v| v != chain.eip712_version)
            {
                reasons.push(format!(
                    "{path}.extra: EIP-712 domain {name:?}/{version:?} is not the token's"
                ));
                continue;
            }
        }
        let Ok(pay_to) = pay_to.parse::<Address>() else {
            reasons.push(format!("{path}.payTo: {pay_to:?} is not an address"));
            continue;
        };
        if pay_to == Address::ZERO {
            reasons.push(format!("{path}.payTo: the zero address"));
            continue;
        }
        return Ok(Accepted {
            pay_to,
            requirement: req.clone(),
            resource: required.get("resource").cloned(),
        });
    }
    Err(X402Error::Mismatch(reasons.join("; ")))
}

fn payout_url(url: &str, p: &PayoutRow) -> Result<reqwest::Url, X402Error> {
    let mut u = reqwest::Url::parse(url).map_err(|e| X402Error::Http {
        url: url.to_owned(),
        message: format!("not a URL: {e}"),
    })?;
    u.query_pairs_mut()
        .append_pair("payout", &p.id)
        .append_pair("amount", &p.token_value);
    Ok(u)
}

fn http(url: &reqwest::Url, e: impl std::fmt::Display) -> X402Error {
    X402Error::Http {
        url: url.to_string(),
        message: e.to_string(),
    }
}

/// Step 1: the provider's payment requirements for this payout, from an
/// address `egress` allows (checked after DNS, the connection pinned to it).
pub async fn request_requirements(
    egress: &crate::egress::Egress,
    url: &str,
    p: &PayoutRow,
    chain: &ChainConfig,
) -> Result<Accepted, X402Error> {
    let u = payout_url(url, p)?;
    requirements_at(egress, &u, &p.token_value, "the payout's", chain).await
}

/// The requirement at `u` that is `exact` on this chain, in this token, for
/// exactly `amount` token units (`whose` names the amount in errors), from
/// an address `egress` allows.
pub async fn requirements_at(
    egress: &crate::egress::Egress,
    u: &reqwest::Url,
    amount: &str,
    whose: &str,
    chain: &ChainConfig,
) -> Result<Accepted, X402Error> {
    let client = egress.client_for(u, X402_TIMEOUT).await?;
    let required = payment_required(client.get(u.clone()), u).await?;
    choose_amount(&required, amount, whose, chain)
}

/// Sends `request` (without payment) and reads the 402's `PAYMENT-REQUIRED`.
async fn payment_required(
    request: reqwest::RequestBuilder,
    u: &reqwest::Url,
) -> Result<Value, X402Error> {
    let resp = request.send().await.map_err(|e| http(u, e))?;
    if resp.status().as_u16() != 402 {
        return Err(http(
            u,
            format!("answered {} instead of 402", resp.status()),
        ));
    }
    let header = resp
        .headers()
        .get(PAYMENT_REQUIRED)
        .ok_or_else(|| wire(PAYMENT_REQUIRED, "missing from the 402 answer"))?;
    decode_header(PAYMENT_REQUIRED, header.as_bytes())
}

/// The `PAYMENT-SIGNATURE` payload for a signed authorization.
pub fn payment_payload(accepted: &Accepted, auth: &Authorization, signature: &Bytes) -> Value {
    let mut a = Map::new();
    a.insert("from".into(), auth.from.to_string().into());
    a.insert("to".into(), auth.to.to_string().into());
    a.insert("value".into(), auth.value.to_string().into());
    a.insert("validAfter".into(), auth.valid_after.to_string().into());
    a.insert("validBefore".into(), auth.valid_before.to_string().into());
    a.insert("nonce".into(), auth.nonce.to_string().into());
    let mut payload = Map::new();
    payload.insert("signature".into(), signature.to_string().into());
    payload.insert("authorization".into(), Value::Object(a));
    let mut m = Map::new();
    m.insert("x402Version".into(), Value::Int(2));
    if let Some(r) = &accepted.resource {
        m.insert("resource".into(), r.clone());
    }
    m.insert("accepted".into(), accepted.requirement.clone());
    m.insert("payload".into(), Value::Object(payload));
    Value::Object(m)
}

/// Steps 1 to 3: pays the payout through the provider's endpoint and
/// returns the settling transaction. The requirements are asked again (a
/// resumed payout may have none in memory) and must still name the
/// address the authorization was signed to.
pub async fn pay(
    egress: &crate::egress::Egress,
    url: &str,
    p: &PayoutRow,
    auth: &Authorization,
    signature: &Bytes,
    chain: &ChainConfig,
) -> Result<B256, X402Error> {
    let u = payout_url(url, p)?;
    let paid = pay_at(
        egress,
        &u,
        &p.token_value,
        "the payout's",
        auth,
        signature,
        chain,
    )
    .await?;
    Ok(paid.tx)
}

/// What an x402 endpoint answered to a paid request.
pub struct Paid {
    pub status: u16,
    pub body: Vec<u8>,
    /// The settling transaction its `PAYMENT-RESPONSE` names.
    pub tx: B256,
}

/// Pays `amount` token units at `u` with the signed `auth` (asking the
/// requirements again: they must still name the address signed to).
pub async fn pay_at(
    egress: &crate::egress::Egress,
    u: &reqwest::Url,
    amount: &str,
    whose: &str,
    auth: &Authorization,
    signature: &Bytes,
    chain: &ChainConfig,
) -> Result<Paid, X402Error> {
    let accepted = requirements_at(egress, u, amount, whose, chain).await?;
    if accepted.pay_to != auth.to {
        return Err(X402Error::Mismatch(format!(
            "payTo changed from {} to {} after signing",
            auth.to, accepted.pay_to
        )));
    }
    let client = egress.client_for(u, X402_TIMEOUT).await?;
    let (status, body, tx) = send_payment(
        client.get(u.clone()),
        u,
        payment_payload(&accepted, auth, signature),
        chain,
    )
    .await?;
    Ok(Paid { status, body, tx })
}

/// Repeats `request` with the signed payment and reads the answer: its
/// status, its body and the transaction `PAYMENT-RESPONSE` names.
async fn send_payment(
    request: reqwest::RequestBuilder,
    u: &reqwest::Url,
    payment: Value,
    chain: &ChainConfig,
) -> Result<(u16, Vec<u8>, B256), X402Error> {
    let header = encode_header(&payment);
    let resp = request
        .header(PAYMENT_SIGNATURE, header)
        .send()
        .await
        .map_err(|e| http(u, e))?;
    let status = resp.status();
    let response = resp
        .headers()
        .get(PAYMENT_RESPONSE)
        .map(|h| decode_header(PAYMENT_RESPONSE, h.as_bytes()))
        .transpose()?;
    let body = crate::egress::read_bounded(resp, BODY_BYTES_MAX)
        .await
        .map_err(|e| http(u, e))?;
    let Some(response) = response else {
        return Err(http(
            u,
            format!(
                "answered {status} without {PAYMENT_RESPONSE} ({} bytes of body)",
                body.len()
            ),
        ));
    };
    let tx = settled_transaction(&response, chain).map_err(|e| match e {
        X402Error::Wire { message, .. } if !status.is_success() => {
            http(u, format!("answered {status}: {message}"))
        }
        other => other,
    })?;
    Ok((status.as_u16(), body, tx))
}

/// A payment topping up `requester` through an exchange's x402 deposit
/// route (`url`, naming the requester and the amount), as an x402 client
/// makes it: `POST url`, expect 402, pick the requirement for exactly
/// `amount` units, sign the EIP-3009 authorization with `payer`'s key
/// (valid for 10 minutes from `now_secs`) under a nonce that binds the
/// requester ([`super::binding`]), with the salt in its extensions.
pub async fn deposit_payment(
    client: &reqwest::Client,
    url: &str,
    requester: &str,
    payer: &super::chain::Treasury,
    amount: alloy::primitives::U256,
    chain: &ChainConfig,
    now_secs: u64,
) -> Result<Value, X402Error> {
    let u = parse_url(url)?;
    let required = payment_required(client.post(u.clone()), &u).await?;
    let accepted = choose_amount(&required, &amount.to_string(), "the", chain)?;
    let mut salt = [0u8; 32];
    {
        use p256::elliptic_curve::rand_core::{OsRng, RngCore};
        OsRng.fill_bytes(&mut salt);
    }
    let salt = B256::from(salt);
    let auth = Authorization {
        from: payer.address(),
        to: accepted.pay_to,
        value: amount,
        valid_after: 0,
        valid_before: now_secs + 600,
        nonce: super::binding::deposit_nonce(requester, &salt),
    };
    let signature = auth.sign(payer, &chain.domain());
    let mut payment = payment_payload(&accepted, &auth, &signature);
    if let Value::Object(m) = &mut payment {
        let mut binding = Map::new();
        binding.insert("salt".into(), salt.to_string().into());
        let mut extensions = Map::new();
        extensions.insert(super::binding::EXTENSION_KEY.into(), Value::Object(binding));
        m.insert("extensions".into(), Value::Object(extensions));
    }
    Ok(payment)
}

fn parse_url(url: &str) -> Result<reqwest::Url, X402Error> {
    reqwest::Url::parse(url).map_err(|e| X402Error::Http {
        url: url.to_owned(),
        message: format!("not a URL: {e}"),
    })
}

/// The transaction of a successful `PAYMENT-RESPONSE`.
pub fn settled_transaction(response: &Value, chain: &ChainConfig) -> Result<B256, X402Error> {
    if response.get("success") != Some(&Value::Bool(true)) {
        let reason = response
            .get("errorReason")
            .and_then(Value::as_str)
            .unwrap_or("no errorReason");
        return Err(wire(
            PAYMENT_RESPONSE,
            format!("success is not true: {reason}"),
        ));
    }
    if let Some(net) = response.get("network").and_then(Value::as_str)
        && net != chain.network()
    {
        return Err(wire(
            PAYMENT_RESPONSE,
            format!("network: {net:?} is not {:?}", chain.network()),
        ));
    }
    response
        .get("transaction")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<B256>().ok())
        .ok_or_else(|| wire(PAYMENT_RESPONSE, "transaction: must be a 32-byte 0x hash"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::payouts::{PayoutState, Rail};

    fn chain() -> ChainConfig {
        ChainConfig {
            rpc_url: "http://127.0.0.1:8545".into(),
            chain_id: 31337,
            token: "0x5FbDB2315678afecb367f032d93F642f64180aa3"
                .parse()
                .unwrap(),
            eip712_name: "USD Coin".into(),
            eip712_version: "2".into(),
            confirmations: 1,
        }
    }

    fn payout() -> PayoutRow {
        PayoutRow {
            seq: 1,
            id: "po_1".into(),
            provider: "did:plc:bob".into(),
            currency: "USD".into(),
            amount_minor: 150,
            token_value: "1500000".into(),
            rail: Rail::X402,
            pay_to: None,
            url: Some("http://127.0.0.1:1/pay".into()),
            chain_id: 31337,
            token: String::new(),
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

    fn required(amount: &str, network: &str) -> Value {
        json::parse_str(&format!(
            r#"{{"x402Version":2,"resource":{{"url":"http://p/pay"}},"accepts":[
              {{"scheme":"exact","network":"{network}","amount":"{amount}",
                "asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3",
                "payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","maxTimeoutSeconds":60,
                "extra":{{"name":"USD Coin","version":"2"}}}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn the_matching_requirement_is_chosen() {
        let a = choose(&required("1500000", "eip155:31337"), &payout(), &chain()).unwrap();
        assert_eq!(
            a.pay_to,
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
                .parse::<Address>()
                .unwrap()
        );
    }

    #[test]
    fn another_amount_or_network_is_refused_with_the_field() {
        let e = choose(&required("1500001", "eip155:31337"), &payout(), &chain()).unwrap_err();
        assert!(e.to_string().contains("accepts[0].amount"), "{e}");
        let e = choose(&required("1500000", "eip155:8453"), &payout(), &chain()).unwrap_err();
        assert!(e.to_string().contains("accepts[0].network"), "{e}");
    }

    #[test]
    fn headers_go_through_the_strict_parser() {
        let float = base64::engine::general_purpose::STANDARD.encode(r#"{"x402Version":2.0}"#);
        let e = decode_header(PAYMENT_REQUIRED, float.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("float"), "{e}");
        let e = decode_header(PAYMENT_REQUIRED, b"%%%").unwrap_err();
        assert!(e.to_string().contains("base64"), "{e}");
    }

    #[test]
    fn only_a_successful_response_names_a_transaction() {
        let ok = json::parse_str(&format!(
            r#"{{"success":true,"transaction":"0x{}","network":"eip155:31337","payer":"0x0"}}"#,
            "ab".repeat(32)
        ))
        .unwrap();
        assert_eq!(
            settled_transaction(&ok, &chain()).unwrap(),
            B256::repeat_byte(0xab)
        );
        let failed =
            json::parse_str(r#"{"success":false,"errorReason":"insufficient_funds"}"#).unwrap();
        let e = settled_transaction(&failed, &chain()).unwrap_err();
        assert!(e.to_string().contains("insufficient_funds"), "{e}");
    }
}
