//! Disputes and reversals as rows. Opening writes the dispute and the
//! settlement's `disputed` version in one transaction; resolving writes
//! the verdict, its ledger transfers, the refund record, the resolved
//! dispute and the settlement's `settled` version in one ledger
//! transaction, after a compare-and-set on the dispute's state (of two
//! resolutions racing, exactly one wins).

use ledger::{Currency, LedgerStore, LedgerTx};
use sqlx::Row as _;

use super::record::{self, Outcome};
use super::rules::{self, Charged, Parties, Reversal, Reversed, Verdict};
use crate::accounts;
use crate::exchange::Exchange;
use crate::records::formats::{Datetime, Micros};
use crate::records::json::{self, Value};
use crate::store::parts::{PartRows, ReversedPart};
use crate::store::{Store, StoreError};

/// A dispute as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct DisputeRow {
    pub id: String,
    pub uri: String,
    pub cid: String,
    pub value: Value,
    pub settlement_uri: String,
    pub requester: String,
    pub provider: String,
    pub currency: String,
    pub raised_by: String,
    pub category: String,
    pub status: String,
    pub verdict: Option<String>,
    pub created_at: Micros,
    pub resolved_at: Option<Micros>,
}

/// Money a verdict moved back from one settlement.
#[derive(Clone, Debug, PartialEq)]
pub struct ReversalRow {
    pub dispute_id: String,
    pub kind: String,
    pub settlement_uri: String,
    /// The refund settlement record (refunds only).
    pub uri: Option<String>,
    pub cid: Option<String>,
    pub value: Option<Value>,
    pub provider: String,
    pub currency: String,
    pub amount_minor: i64,
    pub provider_minor: i64,
    pub fee_minor: i64,
    pub from_payable_minor: i64,
    pub created_at: Micros,
    /// What each part of a split settlement gave back (empty otherwise).
    pub parts: Vec<ReversedPart>,
}

/// A new version of a settlement record.
pub struct Version {
    pub uri: String,
    pub cid: String,
    pub value: Value,
}

/// What the operator decided.
pub struct Decision<'a> {
    pub dispute_id: &'a str,
    pub verdict: Verdict,
    pub amount: Option<i64>,
    pub rationale: Option<&'a str>,
    pub exchange: &'a Exchange,
    pub now: Micros,
    /// Which try this is: salts the refund record's key, so that a key
    /// taken in the same microsecond is not taken again.
    pub attempt: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum DisputeStoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a dispute of this settlement is open already")]
    AlreadyOpen,
    #[error("the settlement changed while the dispute was written: retry")]
    SettlementChanged,
    #[error("the dispute's id is taken: retry with another")]
    IdTaken,
    #[error("no such dispute")]
    NotFound,
    #[error("the dispute is resolved already")]
    NotOpen,
    #[error("{}", .0.message())]
    Refused(rules::Refusal),
    #[error("record: {0}")]
    Record(String),
}

impl From<ledger::Error> for DisputeStoreError {
    fn from(e: ledger::Error) -> Self {
        DisputeStoreError::Store(StoreError::from(e))
    }
}

impl From<sqlx::Error> for DisputeStoreError {
    fn from(e: sqlx::Error) -> Self {
        DisputeStoreError::Store(StoreError::from(e))
    }
}

const DISPUTE_COLUMNS: &str = "id, uri, cid, value, settlement_uri, requester, provider, currency, raised_by, \
     category, status, verdict, created_at, resolved_at";
const REVERSAL_COLUMNS: &str = "dispute_id, kind, settlement_uri, uri, cid, value, provider, currency, \
     amount_minor, provider_minor, fee_minor, from_payable_minor, created_at";

fn parse_value(text: &str) -> Result<Value, StoreError> {
    json::parse_str(text).map_err(|e| StoreError::Corrupt(format!("stored record: {e}")))
}

/// The sums of earlier reversals, as the rules count them.
pub fn reversed(rows: &[ReversalRow]) -> Reversed {
    rows.iter().fold(Reversed::default(), |acc, r| {
        let refund = r.kind == "refund";
        Reversed {
            refunded: acc.refunded + if refund { r.amount_minor } else { 0 },
            refunded_fee: acc.refunded_fee + r.fee_minor,
            provider: acc.provider + r.provider_minor,
            forfeited: acc.forfeited || !refund,
        }
    })
}

macro_rules! dispute_rows {
    ($name:ident, $ledger:ty, $pool:ty, $lock:literal) => {
        mod $name {
            use super::*;

            type Db = <$pool as crate::store::PoolDb>::Db;
            type DbRow = <Db as sqlx::Database>::Row;

            fn dispute(r: &DbRow) -> Result<DisputeRow, StoreError> {
                Ok(DisputeRow {
                    id: r.try_get("id")?,
                    uri: r.try_get("uri")?,
                    cid: r.try_get("cid")?,
                    value: parse_value(&r.try_get::<String, _>("value")?)?,
                    settlement_uri: r.try_get("settlement_uri")?,
                    requester: r.try_get("requester")?,
                    provider: r.try_get("provider")?,
                    currency: r.try_get("currency")?,
                    raised_by: r.try_get("raised_by")?,
                    category: r.try_get("category")?,
                    status: r.try_get("status")?,
                    verdict: r.try_get("verdict")?,
                    created_at: r.try_get("created_at")?,
                    resolved_at: r.try_get("resolved_at")?,
                })
            }

            fn reversal(r: &DbRow) -> Result<ReversalRow, StoreError> {
                Ok(ReversalRow {
                    dispute_id: r.try_get("dispute_id")?,
                    kind: r.try_get("kind")?,
                    settlement_uri: r.try_get("settlement_uri")?,
                    uri: r.try_get("uri")?,
                    cid: r.try_get("cid")?,
                    value: r
                        .try_get::<Option<String>, _>("value")?
                        .map(|v| parse_value(&v))
                        .transpose()?,
                    provider: r.try_get("provider")?,
                    currency: r.try_get("currency")?,
                    amount_minor: r.try_get("amount_minor")?,
                    provider_minor: r.try_get("provider_minor")?,
                    fee_minor: r.try_get("fee_minor")?,
                    from_payable_minor: r.try_get("from_payable_minor")?,
                    created_at: r.try_get("created_at")?,
                    parts: Vec::new(),
                })
            }

            pub(super) async fn open(
                ledger: &$ledger,
                d: &DisputeRow,
                old_cid: &str,
                settlement: &Version,
            ) -> Result<(), DisputeStoreError> {
                let mut tx = ledger.begin().await?;
                let inserted = sqlx::query(
                    "INSERT INTO settlement_disputes (id, uri, cid, value, settlement_uri, requester, provider, \
                     currency, raised_by, category, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) ON CONFLICT DO NOTHING",
                )
                .bind(&d.id)
                .bind(&d.uri)
                .bind(&d.cid)
                .bind(json::to_canonical_string(&d.value))
                .bind(&d.settlement_uri)
                .bind(&d.requester)
                .bind(&d.provider)
                .bind(&d.currency)
                .bind(&d.raised_by)
                .bind(&d.category)
                .bind(d.created_at)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                if inserted != 1 {
                    // The one open dispute of the settlement, or (rarely) an
                    // id another dispute took in the same microsecond.
                    let open = sqlx::query(
                        "SELECT 1 FROM settlement_disputes WHERE settlement_uri = $1 AND status = 'open'",
                    )
                    .bind(&d.settlement_uri)
                    .fetch_optional(&mut **tx.sqlx())
                    .await?;
                    tx.rollback().await?;
                    return Err(if open.is_some() {
                        DisputeStoreError::AlreadyOpen
                    } else {
                        DisputeStoreError::IdTaken
                    });
                }
                let updated = sqlx::query(
                    "UPDATE settlement_settlements SET cid = $2, value = $3 WHERE uri = $1 AND cid = $4",
                )
                .bind(&settlement.uri)
                .bind(&settlement.cid)
                .bind(json::to_canonical_string(&settlement.value))
                .bind(old_cid)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                if updated != 1 {
                    tx.rollback().await?;
                    return Err(DisputeStoreError::SettlementChanged);
                }
                tx.commit().await?;
                Ok(())
            }

            pub(super) async fn resolve(
                ledger: &$ledger,
                decision: &Decision<'_>,
            ) -> Result<(DisputeRow, Option<ReversalRow>), DisputeStoreError> {
                let mut tx = ledger.begin().await?;
                // The compare-and-set: of two resolutions, one finds it open.
                let won = sqlx::query(
                    "UPDATE settlement_disputes SET status = 'resolved', verdict = $2, resolved_at = $3 \
                     WHERE id = $1 AND status = 'open'",
                )
                .bind(decision.dispute_id)
                .bind(decision.verdict.as_str())
                .bind(decision.now)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                let sql = format!("SELECT {DISPUTE_COLUMNS} FROM settlement_disputes WHERE id = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(decision.dispute_id)
                    .fetch_optional(&mut **tx.sqlx())
                    .await?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    return Err(DisputeStoreError::NotFound);
                };
                if won != 1 {
                    tx.rollback().await?;
                    return Err(DisputeStoreError::NotOpen);
                }
                let d = dispute(&row)?;
                let s = sqlx::query(concat!(
                    "SELECT cid, value, amount_minor, fee_minor FROM settlement_settlements WHERE uri = $1",
                    $lock
                ))
                    .bind(&d.settlement_uri)
                    .fetch_one(&mut **tx.sqlx())
                    .await?;
                let (s_cid, s_value): (String, String) = (s.try_get("cid")?, s.try_get("value")?);
                let s_value = parse_value(&s_value)?;
                let charged = Charged {
                    amount: s.try_get("amount_minor")?,
                    fee: s.try_get("fee_minor")?,
                };
                let sql = format!("SELECT {REVERSAL_COLUMNS} FROM settlement_reversals WHERE settlement_uri = $1");
                let earlier = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&d.settlement_uri)
                    .fetch_all(&mut **tx.sqlx())
                    .await?
                    .iter()
                    .map(reversal)
                    .collect::<Result<Vec<_>, _>>()?;
                let planned = match rules::reversal(decision.verdict, decision.amount, charged, reversed(&earlier)) {
                    Ok(p) => p,
                    Err(refusal) => {
                        tx.rollback().await?;
                        return Err(DisputeStoreError::Refused(refusal));
                    }
                };
                let now = Datetime::from_unix_micros(decision.now);
                let mut reversal_row = None;
                if let Some(r) = planned {
                    reversal_row = Some(
                        reverse(&mut tx, decision, &d, &r, (&s_cid, &s_value), now).await?,
                    );
                }
                let refund = reversal_row
                    .as_ref()
                    .and_then(|r| Some((r.uri.as_deref()?, r.cid.as_deref()?)));
                let resolved = record::resolved(
                    decision.exchange,
                    &d.value,
                    &Outcome {
                        verdict: decision.verdict.as_str(),
                        refund,
                        rationale: decision.rationale,
                    },
                    now,
                )
                .map_err(DisputeStoreError::Record)?;
                sqlx::query("UPDATE settlement_disputes SET cid = $2, value = $3 WHERE id = $1")
                    .bind(&d.id)
                    .bind(&resolved.cid)
                    .bind(json::to_canonical_string(&resolved.value))
                    .execute(&mut **tx.sqlx())
                    .await?;
                // The settlement is no longer disputed: a `settled` version.
                let settled = record::with_status(decision.exchange, &s_value, "settled")
                    .map_err(DisputeStoreError::Record)?;
                sqlx::query("UPDATE settlement_settlements SET cid = $2, value = $3 WHERE uri = $1")
                    .bind(&d.settlement_uri)
                    .bind(&settled.cid)
                    .bind(json::to_canonical_string(&settled.value))
                    .execute(&mut **tx.sqlx())
                    .await?;
                tx.commit().await?;
                let d = DisputeRow {
                    cid: resolved.cid,
                    value: resolved.value,
                    status: "resolved".into(),
                    verdict: Some(decision.verdict.as_str().into()),
                    resolved_at: Some(decision.now),
                    ..d
                };
                Ok((d, reversal_row))
            }

            /// Moves a reversal's money and records it.
            async fn reverse(
                tx: &mut <$ledger as LedgerStore>::Tx,
                decision: &Decision<'_>,
                d: &DisputeRow,
                r: &Reversal,
                (s_cid, s_value): (&str, &Value),
                now: Datetime,
            ) -> Result<ReversalRow, DisputeStoreError> {
                // A split settlement gives back from each part (its rows
                // locked after the settlement's, before any account).
                let parts = (**tx.sqlx()).parts_of(&d.settlement_uri).await?;
                let currency = Currency::new(d.currency.as_str())?;
                for a in accounts::reversal_accounts(&d.provider, &currency, &decision.exchange.did) {
                    tx.create_account(&a).await?;
                }
                // Not locked here: the ledger locks every account of the
                // submit below in its own order. Should the balance move in
                // between, the payable leg fails its limit and the whole
                // resolution is tried again (see `dispute::resolve`).
                let payable = tx
                    .balance(&accounts::provider(&d.provider, &d.currency))
                    .await?
                    .available
                    .unwrap_or(0);
                let parties = Parties {
                    requester: &d.requester,
                    provider: &d.provider,
                    currency: &currency,
                    dispute_id: &d.id,
                    settlement_uri: &d.settlement_uri,
                };
                let (ops, from_payable, reversed_parts) = if parts.is_empty() {
                    let (ops, from_payable) = rules::reversal_ops(r, &parties, payable)?;
                    (ops, from_payable, Vec::new())
                } else {
                    let mut payable = std::collections::HashMap::new();
                    for part in &parts {
                        for a in accounts::reversal_accounts(&part.payee, &currency, &decision.exchange.did) {
                            tx.create_account(&a).await?;
                        }
                        let b = tx.balance(&accounts::provider(&part.payee, &d.currency)).await?;
                        payable.insert(part.payee.clone(), b.available.unwrap_or(0));
                    }
                    let holds: Vec<(i64, &str, i64)> = parts
                        .iter()
                        .map(|x| (x.idx, x.payee.as_str(), x.amount_minor - x.reversed_minor))
                        .collect();
                    let (ops, back) = rules::split_reversal_ops(r, &parties, &holds, &mut payable)?;
                    let from_payable = back.iter().map(|b| b.from_payable_minor).sum();
                    (ops, from_payable, back)
                };
                tx.submit(&ops).await?;
                (**tx.sqlx()).insert_reversed_parts(&d.id, &d.settlement_uri, &reversed_parts).await?;
                let refund = match r.kind {
                    rules::Kind::Refund => Some(
                        record::refund(
                            decision.exchange,
                            s_value,
                            (&d.settlement_uri, s_cid),
                            (r.amount, r.provider, r.fee),
                            &d.currency,
                            crate::computation::settled::refund_split(s_value, &back_by_part(&reversed_parts)),
                            now,
                        )
                        .map_err(DisputeStoreError::Record)?,
                    ),
                    rules::Kind::Forfeit => None,
                };
                let uri = refund.as_ref().map(|_| {
                    format!(
                        "at://{}/{}/{}",
                        decision.exchange.did,
                        crate::records::NSID_SETTLEMENT,
                        crate::records::formats::tid(
                            decision.now,
                            &format!("refund:{}:{}", d.id, decision.attempt)
                        )
                    )
                });
                let row = ReversalRow {
                    dispute_id: d.id.clone(),
                    kind: r.kind.as_str().into(),
                    settlement_uri: d.settlement_uri.clone(),
                    uri,
                    cid: refund.as_ref().map(|s| s.cid.clone()),
                    value: refund.map(|s| s.value),
                    provider: d.provider.clone(),
                    currency: d.currency.clone(),
                    amount_minor: r.amount,
                    provider_minor: r.provider,
                    fee_minor: r.fee,
                    from_payable_minor: from_payable,
                    created_at: decision.now,
                    parts: reversed_parts.clone(),
                };
                sqlx::query(
                    "INSERT INTO settlement_reversals (dispute_id, kind, settlement_uri, uri, cid, value, provider, \
                     currency, amount_minor, provider_minor, fee_minor, from_payable_minor, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(&row.dispute_id)
                .bind(&row.kind)
                .bind(&row.settlement_uri)
                .bind(&row.uri)
                .bind(&row.cid)
                .bind(row.value.as_ref().map(json::to_canonical_string))
                .bind(&row.provider)
                .bind(&row.currency)
                .bind(row.amount_minor)
                .bind(row.provider_minor)
                .bind(row.fee_minor)
                .bind(row.from_payable_minor)
                .bind(row.created_at)
                .execute(&mut **tx.sqlx())
                .await?;
                Ok(row)
            }

            pub(super) async fn get(pool: &$pool, id: &str) -> Result<Option<DisputeRow>, StoreError> {
                let sql = format!("SELECT {DISPUTE_COLUMNS} FROM settlement_disputes WHERE id = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
                row.as_ref().map(dispute).transpose()
            }

            pub(super) async fn of_settlement(pool: &$pool, uri: &str) -> Result<Vec<DisputeRow>, StoreError> {
                let sql = format!(
                    "SELECT {DISPUTE_COLUMNS} FROM settlement_disputes WHERE settlement_uri = $1 ORDER BY created_at, id"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(uri).fetch_all(pool).await?;
                rows.iter().map(dispute).collect()
            }

            pub(super) async fn reversals(pool: &$pool, settlement_uri: &str) -> Result<Vec<ReversalRow>, StoreError> {
                let sql = format!(
                    "SELECT {REVERSAL_COLUMNS} FROM settlement_reversals WHERE settlement_uri = $1 ORDER BY created_at, dispute_id"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(settlement_uri).fetch_all(pool).await?;
                let mut out = rows.iter().map(reversal).collect::<Result<Vec<_>, _>>()?;
                let parts = sqlx::query(
                    "SELECT dispute_id, idx, payee, amount_minor, from_payable_minor FROM settlement_reversal_parts \
                     WHERE settlement_uri = $1 ORDER BY dispute_id, idx",
                )
                .bind(settlement_uri)
                .fetch_all(pool)
                .await?;
                for p in &parts {
                    let id: String = p.try_get("dispute_id")?;
                    if let Some(r) = out.iter_mut().find(|r| r.dispute_id == id) {
                        r.parts.push(ReversedPart {
                            idx: p.try_get("idx")?,
                            payee: p.try_get("payee")?,
                            amount_minor: p.try_get("amount_minor")?,
                            from_payable_minor: p.try_get("from_payable_minor")?,
                        });
                    }
                }
                Ok(out)
            }

            pub(super) async fn holdback(
                pool: &$pool,
                provider: &str,
                currency: &str,
                mature_before: Micros,
            ) -> Result<i64, StoreError> {
                let row = sqlx::query(crate::store::unpaid_shares!(
                    " AND (s.created_at >= $3 OR EXISTS (SELECT 1 FROM settlement_disputes d \
                     WHERE d.settlement_uri = s.uri AND d.status = 'open') \
                     OR EXISTS (SELECT 1 FROM settlement_inference_verdicts v \
                     WHERE v.settlement_uri = s.uri AND v.hold IN ('held', 'refunding')))",
                    " AND (p.created_at >= $3 OR EXISTS (SELECT 1 FROM settlement_disputes d \
                     WHERE d.settlement_uri = p.settlement_uri AND d.status = 'open') \
                     OR EXISTS (SELECT 1 FROM settlement_inference_verdicts v \
                     WHERE v.settlement_uri = p.settlement_uri AND v.hold IN ('held', 'refunding')))"
                ))
                .bind(provider)
                .bind(currency)
                .bind(mature_before)
                .fetch_one(pool)
                .await?;
                Ok(row.try_get::<i64, _>("held")?.max(0))
            }
        }
    };
}

// SQLite's transactions take the write lock at BEGIN; PostgreSQL locks the
// settlement row a resolution reads and then rewrites.
dispute_rows!(sqlite_disputes, ledger::SqliteLedger, sqlx::SqlitePool, "");
dispute_rows!(
    postgres_disputes,
    ledger::PgLedger,
    sqlx::PgPool,
    " FOR UPDATE"
);

macro_rules! on_backend {
    ($store:expr, $l:ident => $m:ident :: $f:ident ( $($arg:expr),* )) => {
        match $store {
            Store::Sqlite($l) => sqlite_disputes::$f($($arg),*).await,
            Store::Postgres($l) => postgres_disputes::$f($($arg),*).await,
        }
    };
}

/// (part index, minor units given back) of a split reversal.
fn back_by_part(parts: &[crate::store::parts::ReversedPart]) -> Vec<(usize, u64)> {
    parts
        .iter()
        .map(|p| {
            (
                usize::try_from(p.idx).unwrap_or(usize::MAX),
                u64::try_from(p.amount_minor).unwrap_or(0),
            )
        })
        .collect()
}

/// Writes an opened dispute and the settlement's `disputed` version
/// (replacing the version whose CID is `old_cid`).
pub async fn open(
    store: &Store,
    d: &DisputeRow,
    old_cid: &str,
    settlement: &Version,
) -> Result<(), DisputeStoreError> {
    on_backend!(store, l => m::open(l, d, old_cid, settlement))
}

/// Carries out a decision (see the module's doc).
pub async fn resolve(
    store: &Store,
    decision: &Decision<'_>,
) -> Result<(DisputeRow, Option<ReversalRow>), DisputeStoreError> {
    on_backend!(store, l => m::resolve(l, decision))
}

pub async fn get(store: &Store, id: &str) -> Result<Option<DisputeRow>, StoreError> {
    on_backend!(store, l => m::get(ledger::LedgerStore::pool(l), id))
}

/// A settlement's disputes, oldest first.
pub async fn of_settlement(store: &Store, uri: &str) -> Result<Vec<DisputeRow>, StoreError> {
    on_backend!(store, l => m::of_settlement(ledger::LedgerStore::pool(l), uri))
}

/// What verdicts moved back from a settlement, oldest first.
pub async fn reversals(
    store: &Store,
    settlement_uri: &str,
) -> Result<Vec<ReversalRow>, StoreError> {
    on_backend!(store, l => m::reversals(ledger::LedgerStore::pool(l), settlement_uri))
}

/// The provider's share of its unpaid settlements that may not be paid
/// out yet: settled at or after `mature_before`, or under an open dispute
/// (less what verdicts already took back).
pub async fn holdback(
    store: &Store,
    provider: &str,
    currency: &str,
    mature_before: Micros,
) -> Result<i64, StoreError> {
    on_backend!(store, l => m::holdback(ledger::LedgerStore::pool(l), provider, currency, mature_before))
}
