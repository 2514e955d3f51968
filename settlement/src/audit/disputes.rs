//! The disputes and refunds of one settlement, checked from what the
//! exchange publishes (`GET /v1/disputes?settlement=`): every dispute and
//! refund record valid by its lexicon, signed by the exchange, addressed
//! by its CID and naming this settlement; every refund verdict paired with
//! its refund record; refunds adding up to at most the charge, each split
//! as its record says, and the fee returned by the published policy
//! (`floor(refunded * fee / charge)` over all refunds).

use crate::exchange::verify_settlement;
use crate::records::cid::Cid;
use crate::records::json::Value;
use crate::records::lexicon::Lexicons;
use crate::records::{NSID_DISPUTE, NSID_SETTLEMENT};

use super::Discrepancy;
use crate::computation::{settled, split};

/// Every check this module can fail.
pub const CHECKS: [&str; 10] = [
    "refund-fee-policy",
    "refund-split-mismatch",
    "dispute-invalid",
    "dispute-sig-invalid",
    "dispute-names-other-settlement",
    "refund-invalid",
    "refund-sig-invalid",
    "refund-names-other-settlement",
    "refund-missing",
    "refund-exceeds-charge",
];

fn amount(v: &Value, field: &str) -> Option<i128> {
    v.get(field)?.get("amount")?.as_int()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str()
}

/// A record's own checks: lexicon, CID, signature. Returns whether the
/// record can be trusted for the rest.
fn sound(
    out: &mut Vec<Discrepancy>,
    subject: &str,
    entry: &Value,
    nsid: &str,
    (invalid, sig): (&'static str, &'static str),
    key: &p256::ecdsa::VerifyingKey,
) -> Option<Value> {
    let mut note = |check, detail: String| {
        out.push(Discrepancy {
            subject: subject.to_owned(),
            check,
            detail,
        })
    };
    let Some(value) = entry.get("value") else {
        note(invalid, "the listing carries no record value".into());
        return None;
    };
    if let Err(e) = Lexicons::builtin().validate_record(nsid, value, "record") {
        note(invalid, e.to_string());
        return None;
    }
    let stated = entry.get("cid").and_then(Value::as_str).unwrap_or("");
    match Cid::for_record(value) {
        Ok(cid) if cid.to_string() == stated => {}
        Ok(cid) => note(
            invalid,
            format!("the server states cid {stated:?}; the content has CID {cid}"),
        ),
        Err(e) => note(invalid, format!("no CID: {e}")),
    }
    match value.as_object() {
        Some(m) if verify_settlement(m, key) => {}
        _ => {
            note(sig, "sig does not verify with the exchange's key".into());
            return None;
        }
    }
    Some(value.clone())
}

/// Checks the listing of one settlement's disputes and reversals against
/// the settlement `original` (already checked by the caller).
pub fn check(
    settlement: &str,
    original: &Value,
    listing: &Value,
    exchange_did: &str,
    key: &p256::ecdsa::VerifyingKey,
) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    let empty = Vec::new();
    let list = |k: &str| match listing.get(k) {
        Some(Value::Array(items)) => items,
        _ => &empty,
    };
    // Refund records by URI, as listed with the reversals.
    let mut refunds: Vec<(String, String, Value)> = Vec::new();
    let (charged, fee) = (
        amount(original, "amountCharged").unwrap_or(0),
        amount(original, "exchangeFee").unwrap_or(0),
    );
    let (mut refunded, mut refunded_fee) = (0i128, 0i128);
    // What each part of a split settlement still holds, refund by refund.
    let original_split = settled::read_split(original).ok().flatten();
    let mut holds: Option<Vec<u64>> = original_split
        .as_ref()
        .map(|s| s.parts.iter().map(|p| p.amount).collect());
    for r in list("reversals") {
        let Some(entry) = r.get("refund") else {
            continue;
        };
        let uri = entry.get("uri").and_then(Value::as_str).unwrap_or("");
        let subject = if uri.is_empty() { settlement } else { uri };
        let Some(value) = sound(
            &mut out,
            subject,
            entry,
            NSID_SETTLEMENT,
            ("refund-invalid", "refund-sig-invalid"),
            key,
        ) else {
            continue;
        };
        let mut note = |check, detail: String| {
            out.push(Discrepancy {
                subject: subject.to_owned(),
                check,
                detail,
            })
        };
        if str_at(&value, &["status"]) != Some("refunded") {
            note("refund-invalid", "status is not refunded".into());
        }
        if str_at(&value, &["refundOf", "uri"]) != Some(settlement) {
            note(
                "refund-names-other-settlement",
                format!("refundOf names {:?}", str_at(&value, &["refundOf", "uri"])),
            );
        }
        if value.get("receipt") != original.get("receipt") {
            note(
                "refund-names-other-settlement",
                "its receipt is not the settlement's".into(),
            );
        }
        let (a, p, f) = (
            amount(&value, "amountCharged").unwrap_or(-1),
            amount(&value, "providerPayout").unwrap_or(-1),
            amount(&value, "exchangeFee").unwrap_or(-1),
        );
        if a <= 0 || p < 0 || f < 0 || a != p + f {
            note(
                "refund-invalid",
                format!("amountCharged {a} is not providerPayout {p} + exchangeFee {f}"),
            );
        }
        match (holds.as_mut(), original_split.as_ref()) {
            (Some(holds), Some(original)) => {
                if let Err(e) = check_refund_split(holds, original, &value, p) {
                    note("refund-split-mismatch", e);
                }
            }
            _ if value.get("split").is_some() => note(
                "refund-split-mismatch",
                "the refund states a split; the settlement it refunds has none".into(),
            ),
            _ => {}
        }
        refunded += a.max(0);
        refunded_fee += f.max(0);
        if amount(r, "amount") != Some(a) || amount(r, "fee") != Some(f) {
            note(
                "refund-invalid",
                "the listing's amounts are not the record's".into(),
            );
        }
        refunds.push((
            uri.to_owned(),
            entry
                .get("cid")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            value,
        ));
    }
    // The fee-refund policy, over all refunds (each refund's part depends
    // on their order; their sum does not).
    let due = if charged > 0 {
        refunded * fee / charged
    } else {
        0
    };
    if refunded_fee != due {
        out.push(Discrepancy {
            subject: settlement.to_owned(),
            check: "refund-fee-policy",
            detail: format!(
                "refunds returned {refunded_fee} of fee; the policy gives floor({refunded} * {fee} / {charged}) = {due}"
            ),
        });
    }
    if refunded > charged {
        out.push(Discrepancy {
            subject: settlement.to_owned(),
            check: "refund-exceeds-charge",
            detail: format!("refunds add up to {refunded}, the charge was {charged}"),
        });
    }

    for d in list("disputes") {
        let subject = d
            .get("uri")
            .and_then(Value::as_str)
            .unwrap_or(settlement)
            .to_owned();
        let Some(value) = sound(
            &mut out,
            &subject,
            d,
            NSID_DISPUTE,
            ("dispute-invalid", "dispute-sig-invalid"),
            key,
        ) else {
            continue;
        };
        let mut note = |check, detail: String| {
            out.push(Discrepancy {
                subject: subject.clone(),
                check,
                detail,
            })
        };
        if str_at(&value, &["settlement", "uri"]) != Some(settlement) {
            note(
                "dispute-names-other-settlement",
                format!("it names {:?}", str_at(&value, &["settlement", "uri"])),
            );
        }
        if str_at(&value, &["exchange"]) != Some(exchange_did) {
            note("dispute-invalid", format!("exchange is not {exchange_did}"));
        }
        let status = str_at(&value, &["status"]);
        let verdict = str_at(&value, &["outcome", "verdict"]);
        match (status, verdict) {
            (Some("open"), None) => {}
            (Some("resolved"), Some(v)) => {
                let named = (
                    str_at(&value, &["outcome", "refundSettlement", "uri"]),
                    str_at(&value, &["outcome", "refundSettlement", "cid"]),
                );
                let refund = v.starts_with("refund-");
                let found = refunds
                    .iter()
                    .any(|(u, c, _)| Some(u.as_str()) == named.0 && Some(c.as_str()) == named.1);
                if refund && !found {
                    note(
                        "refund-missing",
                        format!("verdict {v} names no listed refund record"),
                    );
                }
                if !refund && named.0.is_some() {
                    note(
                        "dispute-invalid",
                        format!("verdict {v} names a refund record"),
                    );
                }
            }
            _ => note(
                "dispute-invalid",
                "status and outcome do not agree (open without outcome, resolved with one)".into(),
            ),
        }
    }
    out
}

/// A refund of a split settlement states what each part gave back: the
/// same parts as the original (computation, hash, whole; each part's
/// role, dataset, DID, share, key and currency), each amount the refund's
/// provider share split in proportion to what each part still held (the
/// split rule). `holds` then loses what the rule gives, whether or not the
/// refund said so, so one wrong refund does not taint the next.
fn check_refund_split(
    holds: &mut [u64],
    original: &settled::StatedSplit,
    refund: &Value,
    share: i128,
) -> Result<(), String> {
    let total: u64 = holds.iter().sum();
    let share = u64::try_from(share).unwrap_or(0);
    if share > total {
        return Err(format!("the parts held {total}; the refund takes {share}"));
    }
    let want = if total == 0 {
        vec![0; holds.len()]
    } else {
        split::by_weights(share, holds, total)
    };
    for (h, w) in holds.iter_mut().zip(&want) {
        *h -= w;
    }
    let stated = match settled::read_split(refund) {
        Ok(Some(s)) => s,
        Ok(None) => return Err("the refund of a split settlement states no split".into()),
        Err(e) => return Err(e),
    };
    if stated.computation != original.computation
        || stated.manifest_hash != original.manifest_hash
        || stated.whole != original.whole
        || stated.parts.len() != original.parts.len()
    {
        return Err("the refund's split is not the settlement's computation and parts".into());
    }
    for (i, (s, o)) in stated.parts.iter().zip(&original.parts).enumerate() {
        if !s.same_payee(o) {
            return Err(format!(
                "split.parts[{i}] names {} {}; the settlement's part is {} {}",
                s.role, s.did, o.role, o.did
            ));
        }
    }
    let got: Vec<u64> = stated.parts.iter().map(|p| p.amount).collect();
    if got != want {
        return Err(format!(
            "the parts gave back {got:?}; in proportion to what each held, the rule gives {want:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::json::{self, parse_str};

    fn refund(amounts: [u64; 3]) -> Value {
        let part = |did: &str, a: u64| {
            format!(
                r#"{{"role":"compute","did":"{did}","share":1,"amount":{{"amount":{a},"currency":"USD"}}}}"#
            )
        };
        parse_str(&format!(
            r#"{{"split":{{"computation":{{"uri":"at://did:plc:ownerownerownerownerowne/dev.settlement.computation/3l","cid":"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"}},"manifestHash":"{h}","whole":3,"parts":[{},{},{}]}}}}"#,
            part("did:web:a", amounts[0]),
            part("did:web:b", amounts[1]),
            part("did:web:c", amounts[2]),
            h = "0".repeat(64),
        ))
        .unwrap()
    }

    #[test]
    fn a_refund_split_follows_what_each_part_held() {
        let original = settled::read_split(&refund([586, 243, 146]))
            .unwrap()
            .unwrap();
        let mut holds = vec![586, 243, 146];
        check_refund_split(&mut holds, &original, &refund([235, 97, 58]), 390).unwrap();
        assert_eq!(holds, vec![351, 146, 88]);
        // The rest, all of it; then a last unit of fee alone.
        check_refund_split(&mut holds, &original, &refund([351, 146, 88]), 585).unwrap();
        assert_eq!(holds, vec![0, 0, 0]);
        check_refund_split(&mut holds, &original, &refund([0, 0, 0]), 0).unwrap();
        // A wrong proportion is named; the next refund is judged from
        // what the rule left.
        let mut holds = vec![586, 243, 146];
        let e = check_refund_split(&mut holds, &original, &refund([236, 96, 58]), 390).unwrap_err();
        assert!(e.contains("[235, 97, 58]"), "{e}");
        assert_eq!(holds, vec![351, 146, 88]);
        let e = check_refund_split(&mut holds, &original, &Value::Null, 10).unwrap_err();
        assert!(e.contains("states no split"), "{e}");
        // The give-back credited to another DID.
        let mut holds = vec![586, 243, 146];
        let mut moved = refund([235, 97, 58]);
        let text = json::to_canonical_string(&moved).replace("did:web:b", "did:web:m");
        moved = parse_str(&text).unwrap();
        let e = check_refund_split(&mut holds, &original, &moved, 390).unwrap_err();
        assert!(e.contains("split.parts[1]"), "{e}");
    }
}
