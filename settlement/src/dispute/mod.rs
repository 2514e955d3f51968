//! Disputes and refunds: a requester (or the operator) disputes one
//! settlement, the operator decides, and the money moves back exactly.
//!
//! - `rules`: what each verdict moves, the fee-refund policy, and where the
//!   provider's share comes from (pure).
//! - `record`: the signed `dev.cocore.compute.dispute` and refund
//!   settlement records.
//! - `store`: the rows, and the one transaction of each step.
//!
//! A dispute opened while the settlement's money is still held back (see
//! `holdback`: the maturity window, and every open dispute) never needs a
//! clawback; one opened later is refunded from the provider's payable
//! balance first and from its receivable after that, and the receivable is
//! recovered from the provider's next payouts before anything leaves.
//!
//! A refund returns money to the requester's account; it does not undo
//! what the charge consumed of its authorization (a session's spent total
//! stays): the authorization was used, and a refund is not a new promise.

pub mod record;
pub mod rules;
pub mod store;

use crate::exchange::Exchange;
use crate::failure::{Failure, FailureKind};
use crate::records::formats::{Datetime, Micros, check_format, tid};
use crate::records::{NSID_DISPUTE, json};
use crate::store::Store;

pub use store::{DisputeRow, ReversalRow};

/// Who opens a dispute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Raiser {
    /// The settlement's requester, authenticated by service auth.
    Requester(String),
    /// The operator (admin token): raised in the exchange's name.
    Operator,
}

/// A request to open a dispute, as parsed from its body.
#[derive(Clone, Debug)]
pub struct OpenRequest {
    pub settlement_uri: String,
    pub category: String,
    pub detail: Option<String>,
    pub evidence_cid: Option<String>,
}

fn bad(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::BadRequest, "invalid-request", message)
}

impl OpenRequest {
    /// Parses `{"settlement": AT-URI, "reason": {"category", "detail"?},
    /// "evidenceCid"?}`; unknown fields are refused.
    pub fn parse(body: &json::Map) -> Result<OpenRequest, Failure> {
        if let Some(k) = body
            .keys()
            .find(|k| !matches!(k.as_str(), "settlement" | "reason" | "evidenceCid"))
        {
            return Err(bad(format!("{k}: unknown field")));
        }
        let settlement_uri = body
            .get("settlement")
            .and_then(json::Value::as_str)
            .filter(|u| crate::records::formats::is_at_uri(u))
            .ok_or_else(|| bad("settlement: required, the AT URI of a settlement"))?
            .to_owned();
        let reason = match body.get("reason") {
            Some(json::Value::Object(r)) => r,
            _ => return Err(bad("reason: required, an object with a category")),
        };
        if let Some(k) = reason
            .keys()
            .find(|k| !matches!(k.as_str(), "category" | "detail"))
        {
            return Err(bad(format!("reason.{k}: unknown field")));
        }
        let category = reason
            .get("category")
            .and_then(json::Value::as_str)
            .filter(|c| rules::CATEGORIES.contains(c))
            .ok_or_else(|| {
                bad(format!(
                    "reason.category: must be one of {}",
                    rules::CATEGORIES.join(", ")
                ))
            })?
            .to_owned();
        let detail = match reason.get("detail") {
            None => None,
            Some(json::Value::String(d)) if d.chars().count() <= 2048 => Some(d.clone()),
            Some(_) => return Err(bad("reason.detail: a string of at most 2048 characters")),
        };
        let evidence_cid = match body.get("evidenceCid") {
            None => None,
            Some(json::Value::String(c)) if check_format("cid", c).is_ok() => Some(c.clone()),
            Some(_) => return Err(bad("evidenceCid: must be a CID")),
        };
        Ok(OpenRequest {
            settlement_uri,
            category,
            detail,
            evidence_cid,
        })
    }
}

fn from_store(e: store::DisputeStoreError) -> Failure {
    use store::DisputeStoreError as E;
    match e {
        E::Store(e) => Failure::from(e),
        E::AlreadyOpen => Failure::new(
            FailureKind::Conflict,
            "dispute-open",
            "a dispute of this settlement is open already",
        ),
        E::SettlementChanged | E::IdTaken => Failure::new(
            FailureKind::Conflict,
            "settlement-changed",
            "the settlement changed while the dispute was written: retry",
        ),
        E::NotFound => Failure::new(FailureKind::NotFound, "not-found", "no such dispute"),
        E::NotOpen => Failure::new(
            FailureKind::Conflict,
            "dispute-resolved",
            "the dispute is resolved already",
        ),
        E::Refused(r) => {
            let kind = if r.code() == "invalid-request" {
                FailureKind::BadRequest
            } else {
                FailureKind::Rejected
            };
            Failure::new(kind, r.code(), r.message())
        }
        E::Record(m) => Failure::new(FailureKind::Internal, "internal", m),
    }
}

/// The settlement a dispute is about, or 404.
pub async fn settlement(store: &Store, uri: &str) -> Result<crate::store::SettlementRow, Failure> {
    store.settlement_by_uri(uri).await?.ok_or_else(|| {
        Failure::new(
            FailureKind::NotFound,
            "not-found",
            "settlement: no such settlement of this exchange",
        )
    })
}

/// Opens a dispute: the signed record (open) and the settlement's
/// `disputed` version, in one transaction. Only the settlement's requester
/// or the operator may.
pub async fn open(
    store: &Store,
    exchange: &Exchange,
    now: Micros,
    raiser: &Raiser,
    req: &OpenRequest,
) -> Result<DisputeRow, Failure> {
    // The settlement may get a new version between the read and the write
    // (its payout confirmed): read it again, a few times.
    let mut attempt = 0u32;
    loop {
        match open_once(store, exchange, now, raiser, req, attempt).await {
            Err(OpenError::Store(
                store::DisputeStoreError::SettlementChanged | store::DisputeStoreError::IdTaken,
            )) if attempt < 3 => attempt += 1,
            other => return other.map_err(from_store_or_failure),
        }
    }
}

/// A failure of [`open_once`]: the store's, or a refusal already decided.
enum OpenError {
    Store(store::DisputeStoreError),
    Failure(Failure),
}

impl From<Failure> for OpenError {
    fn from(f: Failure) -> Self {
        OpenError::Failure(f)
    }
}

fn from_store_or_failure(e: OpenError) -> Failure {
    match e {
        OpenError::Store(e) => from_store(e),
        OpenError::Failure(f) => f,
    }
}

async fn open_once(
    store: &Store,
    exchange: &Exchange,
    now: Micros,
    raiser: &Raiser,
    req: &OpenRequest,
    attempt: u32,
) -> Result<DisputeRow, OpenError> {
    let s = settlement(store, &req.settlement_uri).await?;
    // Nothing is left to decide of a charge refunded in full or forfeited.
    let earlier = store::reversals(store, &s.uri)
        .await
        .map_err(|e| OpenError::Failure(e.into()))?;
    let before = store::reversed(&earlier);
    if before.forfeited || (s.amount_minor > 0 && before.refunded >= s.amount_minor) {
        return Err(Failure::new(
            FailureKind::Conflict,
            "settlement-closed",
            "this settlement was refunded in full or its provider share forfeited: nothing is left to dispute",
        )
        .into());
    }
    let raised_by = match raiser {
        Raiser::Requester(did) if *did == s.requester => did.clone(),
        Raiser::Requester(_) => {
            return Err(Failure::new(
                FailureKind::Unauthorized,
                "not-your-settlement",
                "only the settlement's requester (or the operator) may dispute it",
            )
            .into());
        }
        Raiser::Operator => exchange.did.clone(),
    };
    let at = Datetime::from_unix_micros(now);
    let intake = record::Intake {
        settlement_uri: s.uri.clone(),
        settlement_cid: s.cid.clone(),
        raised_by: raised_by.clone(),
        category: req.category.clone(),
        detail: req.detail.clone(),
        evidence_cid: req.evidence_cid.clone(),
    };
    let signed = record::open(exchange, &intake, at)
        .map_err(|m| Failure::new(FailureKind::Internal, "internal", m))?;
    let disputed = record::with_status(exchange, &s.value, "disputed")
        .map_err(|m| Failure::new(FailureKind::Internal, "internal", m))?;
    let id = tid(now, &format!("dispute:{}:{}:{attempt}", s.uri, s.cid));
    let row = DisputeRow {
        uri: format!("at://{}/{NSID_DISPUTE}/{id}", exchange.did),
        id,
        cid: signed.cid,
        value: signed.value,
        settlement_uri: s.uri.clone(),
        requester: s.requester.clone(),
        provider: s.provider.clone(),
        currency: s.currency.clone(),
        raised_by,
        category: req.category.clone(),
        status: "open".into(),
        verdict: None,
        created_at: now,
        resolved_at: None,
    };
    let version = store::Version {
        uri: s.uri.clone(),
        cid: disputed.cid,
        value: disputed.value,
    };
    store::open(store, &row, &s.cid, &version)
        .await
        .map_err(OpenError::Store)?;
    Ok(row)
}

/// A resolution as parsed from its body: `{"verdict", "amount"?,
/// "rationale"?}`.
pub struct ResolveRequest {
    pub verdict: rules::Verdict,
    pub amount: Option<i64>,
    pub rationale: Option<String>,
}

impl ResolveRequest {
    pub fn parse(body: &json::Map) -> Result<ResolveRequest, Failure> {
        if let Some(k) = body
            .keys()
            .find(|k| !matches!(k.as_str(), "verdict" | "amount" | "rationale"))
        {
            return Err(bad(format!("{k}: unknown field")));
        }
        let verdict = body
            .get("verdict")
            .and_then(json::Value::as_str)
            .and_then(rules::Verdict::parse)
            .ok_or_else(|| {
                bad("verdict: must be one of refund-full, refund-partial, uphold-charge, forfeit-payout")
            })?;
        let amount = match body.get("amount") {
            None => None,
            Some(json::Value::Int(a)) => {
                Some(i64::try_from(*a).map_err(|_| bad("amount: out of range (minor units)"))?)
            }
            Some(_) => return Err(bad("amount: must be an integer (minor units)")),
        };
        let rationale = match body.get("rationale") {
            None => None,
            Some(json::Value::String(r)) if r.chars().count() <= 2048 => Some(r.clone()),
            Some(_) => return Err(bad("rationale: a string of at most 2048 characters")),
        };
        Ok(ResolveRequest {
            verdict,
            amount,
            rationale,
        })
    }
}

/// Resolves an open dispute (the operator): the verdict's money, the
/// refund record, the resolved dispute record and the settlement's
/// `settled` version, in one ledger transaction.
pub async fn resolve(
    store: &Store,
    exchange: &Exchange,
    now: Micros,
    id: &str,
    req: &ResolveRequest,
) -> Result<(DisputeRow, Option<ReversalRow>), Failure> {
    let mut decision = store::Decision {
        dispute_id: id,
        verdict: req.verdict,
        amount: req.amount,
        rationale: req.rationale.as_deref(),
        exchange,
        now,
        attempt: 0,
    };
    // A deadlock, a busy database, a refund key taken in the same
    // microsecond, or the provider's payable balance moved by a charge or a
    // payout between the resolution's read and its transfer: the
    // transaction rolled back whole; run it again.
    let mut attempt = 0u32;
    loop {
        match store::resolve(store, &decision).await {
            Err(store::DisputeStoreError::Store(e)) if attempt < 5 && transient(&e) => {
                attempt += 1;
                decision.attempt = attempt;
                tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
            }
            other => return other.map_err(from_store),
        }
    }
}

fn transient(e: &crate::store::StoreError) -> bool {
    e.is_retryable()
        || matches!(
            e,
            crate::store::StoreError::Ledger(ledger::Error::InsufficientFunds { .. })
        )
}

/// Recovers what a provider owes on its receivable (refunds the exchange
/// advanced after paying it) from its payable balance, before a payout
/// plans anything: the debt is never paid out. Returns what was
/// recovered. The transfer's id is derived from the receivable's state, so
/// a retry after a crash does not recover twice; the ledger's limits
/// refuse it if either balance moved in between (retried next cycle).
pub async fn recover_debt(
    store: &Store,
    provider: &str,
    currency: &str,
) -> Result<i64, crate::store::StoreError> {
    let ledger = store.ledger();
    let receivable = crate::accounts::receivable(provider, currency);
    let payable = crate::accounts::provider(provider, currency);
    let debt = match ledger.balance(&receivable).await {
        Ok(b) => b,
        Err(ledger::Error::AccountNotFound { .. }) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let owed = debt.available.unwrap_or(0);
    if owed <= 0 {
        return Ok(0);
    }
    let available = match ledger.balance(&payable).await {
        Ok(b) => b.available.unwrap_or(0),
        Err(ledger::Error::AccountNotFound { .. }) => 0,
        Err(e) => return Err(e.into()),
    };
    let amount = owed.min(available);
    if amount <= 0 {
        return Ok(0);
    }
    let currency = ledger::Currency::new(currency)?;
    let id = format!(
        "recover:{}:{}:{}",
        crate::accounts::short_hash(&[provider, currency.as_str()]),
        debt.debits_posted,
        debt.credits_posted
    );
    let op = ledger::Op::Transfer(ledger::NewTransfer {
        id: crate::accounts::id(&id),
        debit_account: payable,
        credit_account: receivable,
        amount_minor: amount,
        currency,
        code: crate::accounts::code("debt-recovered"),
        reference: None,
    });
    ledger.submit(&[op]).await?;
    Ok(amount)
}
