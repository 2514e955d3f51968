//! The API's answers as JSON: the only code that turns domain values into
//! response bodies. Requests are parsed by the strict parser in the
//! handlers; nothing here reads outside input.

use crate::audit::Discrepancy;
use crate::contract::row::ContractRow;
use crate::contract::trust::{Mode, Policy};
use crate::exchange::{Exchange, FeePolicy};
use crate::payout::CycleReport;
use crate::records::formats::{AtUri, Datetime, Micros};
use crate::records::json::{Map, Value};
use crate::service::{AuthorizationView, Balance, ProviderBalance, Statement};
use crate::store::SettlementRow;
use crate::store::inference::VerdictRow;
use crate::store::payouts::{Destination, PayoutRow};

/// `{amount, currency}`.
pub(super) fn money(amount: impl Into<Value>, currency: &str) -> Value {
    object([("amount", amount.into()), ("currency", currency.into())])
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

fn datetime(us: Micros) -> Value {
    Datetime::from_unix_micros(us).to_string().into()
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| s.as_str().into()).collect())
}

/// `{uri, cid}` of a record a request stored, or a record with its value.
pub(super) fn record(uri: &str, cid: &str, value: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), uri.into());
    m.insert("cid".into(), cid.into());
    if let Some(v) = value {
        m.insert("value".into(), v.clone());
    }
    Value::Object(m)
}

/// An uploaded blob: `{cid, size}`.
pub(super) fn blob(cid: &str, size: usize) -> Value {
    object([("cid", cid.into()), ("size", (size as u64).into())])
}

/// A gate's verdict: the proof, the verifier's answer, and the hold.
pub(super) fn verdict(v: &VerdictRow) -> Value {
    let e = &v.evidence;
    let mut m = Map::new();
    m.insert("receipt".into(), e.receipt_uri.as_str().into());
    m.insert("proof".into(), record(&e.proof_uri, &e.proof_cid, None));
    m.insert("verifier".into(), e.verifier.as_str().into());
    m.insert("hashId".into(), e.hash_id.as_str().into());
    m.insert("status".into(), e.status.as_str().into());
    m.insert("verdict".into(), e.verdict.as_str().into());
    m.insert("checkedAt".into(), datetime(e.checked_at));
    if let Some(s) = &v.settlement_uri {
        m.insert("settlement".into(), s.as_str().into());
    }
    if let Some(h) = v.hold {
        m.insert("hold".into(), h.as_str().into());
    }
    if let Some(at) = v.decided_at {
        m.insert("decidedAt".into(), datetime(at));
    }
    Value::Object(m)
}

pub(super) fn settlement(row: &SettlementRow) -> Value {
    record(&row.uri, &row.cid, Some(&row.value))
}

/// A record in a listing, with where it lives.
pub(super) fn indexed_record(
    uri: &str,
    cid: &str,
    collection: &str,
    body: &Value,
    indexed_at: Option<Micros>,
) -> Value {
    let parsed = AtUri::parse(uri);
    let mut r = Map::new();
    r.insert("uri".into(), uri.into());
    r.insert("cid".into(), cid.into());
    r.insert("collection".into(), collection.into());
    r.insert(
        "repo".into(),
        parsed.as_ref().map_or("", |u| u.did()).into(),
    );
    r.insert(
        "rkey".into(),
        parsed.as_ref().map_or("", |u| u.rkey()).into(),
    );
    r.insert("body".into(), body.clone());
    if let Some(at) = indexed_at {
        r.insert("indexedAt".into(), datetime(at));
    }
    Value::Object(r)
}

/// A page of a listing under `key`, with the cursor of the next page.
pub(super) fn page(key: &str, items: Vec<Value>, cursor: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert(key.into(), Value::Array(items));
    if let Some(c) = cursor {
        m.insert("cursor".into(), c.into());
    }
    Value::Object(m)
}

pub(super) fn finding(severity: &str, code: &str, message: &str) -> Value {
    object([
        ("severity", severity.into()),
        ("code", code.into()),
        ("message", message.into()),
    ])
}

/// The answer of `verifySettlement`.
pub(super) fn verified(found: &[Discrepancy]) -> Value {
    let findings: Vec<Value> = if found.is_empty() {
        vec![finding("info", "settlement-verified", "every check holds")]
    } else {
        found
            .iter()
            .map(|d| finding("error", d.check, &d.detail))
            .collect()
    };
    object([
        ("ok", found.is_empty().into()),
        ("findings", Value::Array(findings)),
    ])
}

/// The answer of `verifyReceipt`. Hardware attestation chains are not
/// verified yet: every provider counts as self-attested.
pub(super) fn chargeable(verdict: Result<(), (&str, &str)>) -> Value {
    let finding = match verdict {
        Ok(()) => finding(
            "info",
            "chargeable",
            "every stateless rule of a charge holds",
        ),
        Err((code, message)) => finding("error", code, message),
    };
    object([
        ("ok", verdict.is_ok().into()),
        ("trustLevel", "self-attested".into()),
        ("findings", Value::Array(vec![finding])),
    ])
}

/// The exchange and its policy; `proof_models` are the models whose
/// receipts are charged only with a proof of inference.
pub(super) fn exchange(exchange: &Exchange, policy: &FeePolicy, proof_models: &[String]) -> Value {
    let policy = object([
        ("bps", i64::from(policy.bps).into()),
        ("minMinor", policy.min_minor.into()),
        ("supportedCurrencies", strings(&policy.currencies)),
        ("selfLoopFeeWaived", policy.self_loop_fee_waived.into()),
        ("openJobs", policy.open_jobs.into()),
        ("inferenceProofModels", strings(proof_models)),
    ]);
    object([
        ("did", exchange.did.as_str().into()),
        ("jwk", exchange.jwk()),
        ("policy", policy),
    ])
}

pub(super) fn authorization(view: &AuthorizationView) -> Value {
    let state = &view.state;
    let in_currency = |amount: i64| money(amount, &state.currency);
    let mut m = Map::new();
    m.insert("uri".into(), state.authorization_uri.as_str().into());
    m.insert("cid".into(), state.authorization_cid.as_str().into());
    m.insert("requester".into(), state.requester.as_str().into());
    m.insert("scope".into(), state.scope.as_str().into());
    // The published terms, from the stored record.
    if let Some(t) = &view.terms {
        let published = |p: &crate::records::Money| money(p.amount, &p.currency);
        m.insert("ceiling".into(), published(&t.data.ceiling));
        if let Some(budget) = &t.data.session_budget {
            m.insert("budget".into(), published(budget));
        }
    }
    let remaining = if state.consumed {
        0
    } else {
        state.limit_minor - state.charged_minor
    };
    m.insert("limit".into(), in_currency(state.limit_minor));
    m.insert("charged".into(), in_currency(state.charged_minor));
    m.insert("remaining".into(), in_currency(remaining));
    m.insert("charges".into(), state.charges.into());
    m.insert("consumed".into(), state.consumed.into());
    m.insert("expiresAt".into(), datetime(state.expires_at));
    m.insert(
        "settlements".into(),
        Value::Array(view.settlements.iter().map(settlement).collect()),
    );
    Value::Object(m)
}

pub(super) fn balance(b: &Balance) -> Value {
    object([
        ("balance", b.balance.into()),
        ("held", b.held.into()),
        ("available", b.available.into()),
    ])
}

pub(super) fn provider_balance(b: &ProviderBalance) -> Value {
    object([
        ("payable", b.payable.into()),
        ("maturing", b.maturing.into()),
        ("owed", b.owed.into()),
        ("pending", b.pending.into()),
        ("paid", b.paid.into()),
    ])
}

/// A requester's statement: each entry as seen from the requester (money
/// leaving is a debit, funds set aside are a hold, a hold given back is a
/// release).
pub(super) fn statement(requester: &str, s: &Statement) -> Value {
    let entries: Vec<Value> = s
        .page
        .transfers
        .iter()
        .map(|t| {
            let side = match t.kind {
                ledger::TransferKind::Pending => "hold",
                ledger::TransferKind::Void | ledger::TransferKind::Expire => "release",
                _ if t.debit_account == s.account => "debit",
                _ => "credit",
            };
            let mut e = Map::new();
            e.insert("seq".into(), t.seq.into());
            e.insert("kind".into(), t.kind.as_str().into());
            e.insert("code".into(), t.code.as_str().into());
            e.insert("amount".into(), money(t.amount_minor, t.currency.as_str()));
            e.insert("side".into(), side.into());
            if let Some(r) = &t.reference {
                e.insert("reference".into(), r.as_str().into());
            }
            if let Some(x) = t.expires_at_us {
                e.insert("expiresAt".into(), datetime(x));
            }
            e.insert("at".into(), datetime(t.timestamp_us));
            Value::Object(e)
        })
        .collect();
    let mut m = Map::new();
    m.insert("requester".into(), requester.into());
    m.insert("currency".into(), s.currency.as_str().into());
    m.insert("entries".into(), Value::Array(entries));
    if let Some(next) = &s.page.next {
        m.insert("cursor".into(), next.to_string().into());
    }
    Value::Object(m)
}

pub(super) fn destination(d: &Destination) -> Value {
    let mut m = Map::new();
    m.insert("provider".into(), d.provider.as_str().into());
    m.insert("rail".into(), d.rail.as_str().into());
    if let Some(a) = &d.address {
        m.insert("address".into(), a.as_str().into());
    }
    if let Some(u) = &d.url {
        m.insert("url".into(), u.as_str().into());
    }
    m.insert("effectiveAt".into(), datetime(d.effective_at));
    Value::Object(m)
}

pub(super) fn payout(p: &PayoutRow) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), p.id.as_str().into());
    m.insert("provider".into(), p.provider.as_str().into());
    m.insert("amount".into(), money(p.amount_minor, &p.currency));
    m.insert("tokenValue".into(), p.token_value.as_str().into());
    m.insert("rail".into(), p.rail.as_str().into());
    m.insert("state".into(), p.state.as_str().into());
    m.insert("network".into(), format!("eip155:{}", p.chain_id).into());
    m.insert("token".into(), p.token.as_str().into());
    m.insert("nonce".into(), p.nonce.as_str().into());
    for (k, v) in [
        ("payTo", &p.pay_to),
        ("transaction", &p.tx_hash),
        ("blockHash", &p.block_hash),
        ("error", &p.error),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v.as_str().into());
        }
    }
    if let Some(n) = p.block_number {
        m.insert("blockNumber".into(), n.into());
    }
    Value::Object(m)
}

pub(super) fn cycle(report: &CycleReport) -> Value {
    let errors = report
        .errors
        .iter()
        .map(|(id, e)| object([("payout", id.as_str().into()), ("error", e.as_str().into())]))
        .collect();
    object([
        ("planned", strings(&report.planned)),
        ("confirmed", strings(&report.confirmed)),
        ("failed", strings(&report.failed)),
        ("open", strings(&report.open)),
        ("errors", Value::Array(errors)),
    ])
}

/// A deposit credited (the operator's, or one paid over x402).
pub(super) fn deposit(fields: &[(&str, &str)], amount: Value) -> Value {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert((*k).into(), (*v).into());
    }
    m.insert("amount".into(), amount);
    Value::Object(m)
}

/// The answer of a revocation.
pub(super) fn revocation(uri: &str, revoked: bool) -> Value {
    object([("uri", uri.into()), ("revoked", revoked.into())])
}

/// A backfill begun.
pub(super) fn backfill(did: &str) -> Value {
    object([("did", did.into()), ("started", true.into())])
}

/// Where a record of the exchange's stands in its repository.
pub(super) fn publication(p: &crate::publish::outbox::Publication) -> Value {
    let opt = |v: &Option<String>| v.as_deref().map_or(Value::Null, Value::from);
    object([
        ("uri", p.uri.as_str().into()),
        ("cid", p.cid.as_str().into()),
        ("publishedCid", opt(&p.published_cid)),
        ("commit", opt(&p.commit)),
        ("rev", opt(&p.rev)),
        (
            "published",
            (p.published_cid.as_deref() == Some(p.cid.as_str())).into(),
        ),
        ("attempts", p.attempts.into()),
        ("lastError", opt(&p.last_error)),
    ])
}

/// A dispute: its record and where it stands.
pub(super) fn dispute(d: &crate::dispute::DisputeRow) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), d.id.as_str().into());
    m.insert("uri".into(), d.uri.as_str().into());
    m.insert("cid".into(), d.cid.as_str().into());
    m.insert("value".into(), d.value.clone());
    m.insert("settlement".into(), d.settlement_uri.as_str().into());
    m.insert("status".into(), d.status.as_str().into());
    if let Some(v) = &d.verdict {
        m.insert("verdict".into(), v.as_str().into());
    }
    Value::Object(m)
}

/// What a verdict moved back, with the refund record if there is one.
pub(super) fn reversal(r: &crate::dispute::ReversalRow) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), r.kind.as_str().into());
    m.insert("dispute".into(), r.dispute_id.as_str().into());
    m.insert("amount".into(), money(r.amount_minor, &r.currency));
    m.insert("providerShare".into(), money(r.provider_minor, &r.currency));
    m.insert("fee".into(), money(r.fee_minor, &r.currency));
    m.insert(
        "fromPayable".into(),
        money(r.from_payable_minor, &r.currency),
    );
    m.insert(
        "advanced".into(),
        money(r.provider_minor - r.from_payable_minor, &r.currency),
    );
    if !r.parts.is_empty() {
        let parts = r
            .parts
            .iter()
            .map(|p| {
                object([
                    ("index", p.idx.into()),
                    ("did", p.payee.as_str().into()),
                    ("amount", money(p.amount_minor, &r.currency)),
                    ("fromPayable", money(p.from_payable_minor, &r.currency)),
                    (
                        "advanced",
                        money(p.amount_minor - p.from_payable_minor, &r.currency),
                    ),
                ])
            })
            .collect();
        m.insert("parts".into(), Value::Array(parts));
    }
    if let (Some(uri), Some(cid)) = (&r.uri, &r.cid) {
        m.insert("refund".into(), record(uri, cid, r.value.as_ref()));
    }
    Value::Object(m)
}

/// A requester's trust policy (`default`: she set none).
pub(super) fn trust_policy(did: &str, p: &Policy, set: bool) -> Value {
    let mut m = Map::new();
    m.insert("requester".into(), did.into());
    m.insert("mode".into(), p.mode.as_str().into());
    if let Mode::Network { hops } = p.mode {
        m.insert("hops".into(), Value::Int(i128::from(hops)));
    }
    m.insert("heedVouchees".into(), Value::Bool(p.heed_vouchees));
    m.insert("default".into(), Value::Bool(!set));
    Value::Object(m)
}

fn strong(uri: &str, cid: &str) -> Value {
    record(uri, cid, None)
}

/// A contract as clients see it.
pub(super) fn contract(c: &ContractRow) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), c.id.clone().into());
    m.insert("state".into(), c.state.as_str().into());
    m.insert("requester".into(), c.requester.clone().into());
    m.insert("provider".into(), c.provider.clone().into());
    m.insert("rfp".into(), strong(&c.rfp_uri, &c.rfp_cid));
    m.insert("bid".into(), strong(&c.bid_uri, &c.bid_cid));
    m.insert("ccba".into(), strong(&c.ccba_uri, &c.ccba_cid));
    m.insert("authorization".into(), c.authorization_uri.clone().into());
    m.insert("price".into(), money(c.amount_minor, &c.currency));
    m.insert("fee".into(), money(c.fee_minor, &c.currency));
    m.insert("frequency".into(), c.frequency.clone().into());
    m.insert("tokenValue".into(), c.token_value.clone().into());
    m.insert("payTo".into(), c.pay_to.clone().into());
    m.insert("decision".into(), c.decision.clone());
    if let Some(tx) = &c.tx_hash {
        m.insert("transaction".into(), tx.clone().into());
    }
    if let (Some(u), Some(cid)) = (&c.payment_uri, &c.payment_cid) {
        m.insert("payment".into(), record(u, cid, c.payment_value.as_ref()));
    }
    if let (Some(u), Some(cid)) = (&c.ccr_uri, &c.ccr_cid) {
        m.insert("ccr".into(), strong(u, cid));
    }
    m.insert("receiptDue".into(), datetime(c.receipt_due));
    if let Some(e) = &c.error {
        m.insert("error".into(), e.clone().into());
    }
    m.insert("attempts".into(), Value::Int(i128::from(c.attempts)));
    Value::Object(m)
}
