//! A bid's terms against what the exchange clears and what the requester
//! authorized: the price in ledger minor units, the fee on top, the
//! authorization's rules, and the x402 URL the bid is paid at. Pure.

use super::records::BidTerms;
use crate::records::{PaymentAuthorization, Record};

/// What the exchange clears contracts in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clearing {
    /// The currency bids must name (the token's symbol, as USDC).
    pub bid_currency: String,
    /// The ledger currency the requester's funds are in (as USD).
    pub ledger_currency: String,
    /// Decimals of the ledger currency's minor unit (USD cents: 2).
    pub ledger_decimals: u32,
}

impl Default for Clearing {
    fn default() -> Self {
        Clearing {
            bid_currency: "USDC".into(),
            ledger_currency: "USD".into(),
            ledger_decimals: 2,
        }
    }
}

/// A refusal of the terms: a stable code and which field, which rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TermsRefused {
    pub code: &'static str,
    pub message: String,
}

fn refused(code: &'static str, message: impl Into<String>) -> TermsRefused {
    TermsRefused {
        code,
        message: message.into(),
    }
}

/// The bid's price in ledger minor units: `cost` whole units.
pub fn price_minor(terms: &BidTerms, clearing: &Clearing) -> Result<i64, TermsRefused> {
    if terms.currency != clearing.bid_currency {
        return Err(refused(
            "currency-mismatch",
            format!(
                "ccb.bid.currency: {:?} is not {:?}, the only currency this exchange clears contracts in",
                terms.currency, clearing.bid_currency
            ),
        ));
    }
    if !terms.prepay {
        return Err(refused(
            "bid-terms-unsupported",
            "ccb.bid.prepay: false bids are paid after the compute, which this exchange does not clear; only prepaid bids",
        ));
    }
    if terms.cost_units == 0 {
        return Err(refused(
            "bid-terms-unsupported",
            "ccb.bid.cost: 0 asks for no payment, so there is nothing to clear",
        ));
    }
    10i64
        .checked_pow(clearing.ledger_decimals)
        .and_then(|unit| i64::try_from(terms.cost_units).ok()?.checked_mul(unit))
        .ok_or_else(|| {
            refused(
                "amount-out-of-range",
                format!(
                    "ccb.bid.cost: {} is beyond what the ledger holds",
                    terms.cost_units
                ),
            )
        })
}

/// The requester's `authorization` for a charge of `charge_minor` (the
/// price and the fee): hers, naming this exchange, unexpired, one charge
/// (`singleJob`), in the ledger currency, within its ceiling.
pub fn check_authorization(
    authorization: &Record<PaymentAuthorization>,
    requester: &str,
    exchange_did: &str,
    now_us: i64,
    charge_minor: i64,
    clearing: &Clearing,
) -> Result<(), TermsRefused> {
    let a = &authorization.data;
    if authorization.owner() != requester {
        return Err(refused(
            "authorization-owner-mismatch",
            format!(
                "authorization.uri: belongs to {}, not to the requester {requester}",
                authorization.owner()
            ),
        ));
    }
    if a.exchange != exchange_did {
        return Err(refused(
            "wrong-exchange",
            format!(
                "authorization.exchange: names {}, not this exchange ({exchange_did})",
                a.exchange
            ),
        ));
    }
    if a.expires_at.unix_micros() <= now_us {
        return Err(refused(
            "auth-expired",
            format!("authorization.expiresAt: {} has passed", a.expires_at),
        ));
    }
    if a.scope != "singleJob" {
        return Err(refused(
            "authorization-scope-unsupported",
            format!(
                "authorization.scope: a contract is one charge and needs a singleJob authorization, not {:?}",
                a.scope
            ),
        ));
    }
    if a.ceiling.currency != clearing.ledger_currency {
        return Err(refused(
            "currency-mismatch",
            format!(
                "authorization.ceiling.currency: {:?} is not {:?}",
                a.ceiling.currency, clearing.ledger_currency
            ),
        ));
    }
    let charge = u64::try_from(charge_minor).unwrap_or(u64::MAX);
    if charge > a.ceiling.amount {
        return Err(refused(
            "price-over-auth-ceiling",
            format!(
                "authorization.ceiling.amount: {} is less than the bid's price and fee, {charge}",
                a.ceiling.amount
            ),
        ));
    }
    Ok(())
}

/// Bytes kept as they are in a path segment (RFC 3986 unreserved).
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The bid's x402 URL for an accept: `{at}` and `{cid}` each appear once
/// and are replaced by the accept's AT URI and CID, each percent-encoded as
/// one path segment.
pub fn payment_url(template: &str, ccba_uri: &str, ccba_cid: &str) -> Result<String, TermsRefused> {
    for hole in ["{at}", "{cid}"] {
        if template.matches(hole).count() != 1 {
            return Err(refused(
                "bid-terms-unsupported",
                format!(
                    "ccb.bid.x402.base_url: must contain {hole} exactly once, so the payment names the accept"
                ),
            ));
        }
    }
    let url = template
        .replace("{at}", &encode_segment(ccba_uri))
        .replace("{cid}", &encode_segment(ccba_cid));
    let parsed = reqwest::Url::parse(&url).map_err(|e| {
        refused(
            "bid-terms-unsupported",
            format!("ccb.bid.x402.base_url: not a URL once filled: {e}"),
        )
    })?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(refused(
            "bid-terms-unsupported",
            "ccb.bid.x402.base_url: must be an https URL",
        ));
    }
    Ok(url)
}

/// Reads a segment written by [`payment_url`] back (for bidders' endpoints).
pub fn decode_segment(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(cost: u64) -> BidTerms {
        BidTerms {
            cost_units: cost,
            currency: "USDC".into(),
            frequency: "monthly".into(),
            prepay: true,
            base_url: "https://bob.example/ccr/{at}/{cid}".into(),
        }
    }

    #[test]
    fn whole_units_become_minor_units() {
        assert_eq!(price_minor(&terms(4), &Clearing::default()), Ok(400));
        let e = price_minor(&terms(u64::MAX), &Clearing::default()).unwrap_err();
        assert_eq!(e.code, "amount-out-of-range");
        let mut t = terms(4);
        t.currency = "DAI".into();
        assert_eq!(
            price_minor(&t, &Clearing::default()).unwrap_err().code,
            "currency-mismatch"
        );
        t = terms(4);
        t.prepay = false;
        assert!(
            price_minor(&t, &Clearing::default())
                .unwrap_err()
                .message
                .starts_with("ccb.bid.prepay")
        );
    }

    #[test]
    fn the_url_names_the_accept_in_one_segment_each() {
        let at = "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/com.publicdomainrelay.temp.ccba/3l2a";
        let url = payment_url("https://bob.example/ccr/{at}/{cid}", at, "bafyabc").unwrap();
        assert_eq!(
            url,
            "https://bob.example/ccr/at%3A%2F%2Fdid%3Aplc%3Aaaaaaaaaaaaaaaaaaaaaaaaa%2Fcom.publicdomainrelay.temp.ccba%2F3l2a/bafyabc"
        );
        let seg = url.split('/').nth(4).unwrap();
        assert_eq!(decode_segment(seg).as_deref(), Some(at));
        for bad in [
            "https://bob.example/ccr/{at}",
            "https://bob.example/{at}/{at}/{cid}",
            "ftp://bob.example/{at}/{cid}",
        ] {
            assert_eq!(
                payment_url(bad, at, "c").unwrap_err().code,
                "bid-terms-unsupported"
            );
        }
    }
}
