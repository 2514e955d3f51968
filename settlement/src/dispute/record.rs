//! The records a dispute publishes, signed by the exchange: the
//! `dev.cocore.compute.dispute` record (open, then resolved in place with
//! its outcome) and, for a refund, a `dev.cocore.compute.settlement` with
//! status `refunded` and `refundOf` naming the original. Every record is
//! checked against its lexicon before it is stored.

use crate::exchange::Exchange;
use crate::records::cid::Cid;
use crate::records::formats::Datetime;
use crate::records::json::{Map, Value};
use crate::records::lexicon::Lexicons;
use crate::records::{NSID_DISPUTE, NSID_SETTLEMENT};

/// A strong reference `{uri, cid}`.
pub fn strong_ref(uri: &str, cid: &str) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), uri.into());
    m.insert("cid".into(), cid.into());
    Value::Object(m)
}

fn money(amount: i64, currency: &str) -> Value {
    let mut m = Map::new();
    m.insert("amount".into(), amount.into());
    m.insert("currency".into(), currency.into());
    Value::Object(m)
}

/// The intake of a dispute: who raised it, why, about which settlement.
#[derive(Clone, Debug)]
pub struct Intake {
    pub settlement_uri: String,
    pub settlement_cid: String,
    pub raised_by: String,
    pub category: String,
    pub detail: Option<String>,
    pub evidence_cid: Option<String>,
}

/// A signed record, its CID and value.
pub struct Signed {
    pub cid: String,
    pub value: Value,
}

fn seal(exchange: &Exchange, mut m: Map, nsid: &str) -> Result<Signed, String> {
    exchange.sign_record(&mut m);
    let value = Value::Object(m);
    Lexicons::builtin()
        .validate_record(nsid, &value, "record")
        .map_err(|e| e.to_string())?;
    let cid = Cid::for_record(&value).map_err(|e| e.to_string())?;
    Ok(Signed {
        cid: cid.to_string(),
        value,
    })
}

/// The dispute record as opened.
pub fn open(exchange: &Exchange, intake: &Intake, now: Datetime) -> Result<Signed, String> {
    let mut m = Map::new();
    m.insert("$type".into(), NSID_DISPUTE.into());
    m.insert(
        "settlement".into(),
        strong_ref(&intake.settlement_uri, &intake.settlement_cid),
    );
    m.insert("exchange".into(), exchange.did.as_str().into());
    m.insert("raisedBy".into(), intake.raised_by.as_str().into());
    m.insert("raisedAt".into(), now.to_string().into());
    let mut reason = Map::new();
    reason.insert("category".into(), intake.category.as_str().into());
    if let Some(d) = &intake.detail {
        reason.insert("detail".into(), d.as_str().into());
    }
    m.insert("reason".into(), Value::Object(reason));
    m.insert("status".into(), "open".into());
    if let Some(e) = &intake.evidence_cid {
        m.insert("evidenceCid".into(), e.as_str().into());
    }
    m.insert("createdAt".into(), now.to_string().into());
    seal(exchange, m, NSID_DISPUTE)
}

/// The outcome of a resolution.
pub struct Outcome<'a> {
    pub verdict: &'a str,
    /// The refund settlement `(uri, cid)`, for a refund.
    pub refund: Option<(&'a str, &'a str)>,
    pub rationale: Option<&'a str>,
}

/// The same dispute record, resolved: status `resolved` and its outcome.
pub fn resolved(
    exchange: &Exchange,
    opened: &Value,
    outcome: &Outcome<'_>,
    now: Datetime,
) -> Result<Signed, String> {
    let Value::Object(mut m) = opened.clone() else {
        return Err("the stored dispute record is not an object".into());
    };
    m.remove("sig");
    m.insert("status".into(), "resolved".into());
    let mut o = Map::new();
    o.insert("verdict".into(), outcome.verdict.into());
    if let Some((uri, cid)) = outcome.refund {
        o.insert("refundSettlement".into(), strong_ref(uri, cid));
    }
    if let Some(r) = outcome.rationale {
        o.insert("rationale".into(), r.into());
    }
    o.insert("decidedAt".into(), now.to_string().into());
    m.insert("outcome".into(), Value::Object(o));
    seal(exchange, m, NSID_DISPUTE)
}

/// The refund: a settlement record with status `refunded` for the amounts
/// moved back, naming the original in `refundOf`.
pub fn refund(
    exchange: &Exchange,
    original: &Value,
    original_ref: (&str, &str),
    amounts: (i64, i64, i64),
    currency: &str,
    split: Option<Value>,
    now: Datetime,
) -> Result<Signed, String> {
    let (amount, provider, fee) = amounts;
    let field = |k: &str| {
        original
            .get(k)
            .cloned()
            .ok_or_else(|| format!("the original settlement has no {k}"))
    };
    let mut m = Map::new();
    m.insert("$type".into(), NSID_SETTLEMENT.into());
    m.insert("receipt".into(), field("receipt")?);
    m.insert(
        "requesterAuthorization".into(),
        field("requesterAuthorization")?,
    );
    m.insert("amountCharged".into(), money(amount, currency));
    m.insert("providerPayout".into(), money(provider, currency));
    m.insert("exchangeFee".into(), money(fee, currency));
    if let Some(split) = split {
        m.insert("split".into(), split);
    }
    m.insert("processorReference".into(), "".into());
    m.insert("status".into(), "refunded".into());
    m.insert(
        "refundOf".into(),
        strong_ref(original_ref.0, original_ref.1),
    );
    m.insert("settledAt".into(), now.to_string().into());
    seal(exchange, m, NSID_SETTLEMENT)
}

/// A new version of a settlement with another `status` (`disputed` while a
/// dispute is open, `settled` again once it is resolved), signed again.
pub fn with_status(
    exchange: &Exchange,
    settlement: &Value,
    status: &str,
) -> Result<Signed, String> {
    let Value::Object(mut m) = settlement.clone() else {
        return Err("the stored settlement is not an object".into());
    };
    m.remove("sig");
    m.insert("status".into(), status.into());
    seal(exchange, m, NSID_SETTLEMENT)
}
