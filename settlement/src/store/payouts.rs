//! Payout rows and their ledger movements. Every state change is a
//! compare-and-set on the row's state, and every change that moves money
//! (plan, confirm, fail) does so in the same ledger transaction:
//!
//! - plan: provider payable -> payouts in flight, and the row `planned`;
//! - confirm: in flight -> treasury (the asset leaves), row `confirmed`,
//!   and the carried settlements get their `processorReference` (each
//!   re-signed from its version stored at that moment);
//! - fail: in flight -> provider payable again, row `failed`, and the
//!   settlements are free to be carried by the next payout.

use ledger::{Currency, Id, LedgerStore, LedgerTx, NewTransfer, Op, Reference};

use super::parts::PartRows;
use super::{PoolDb, Store, StoreError};
use crate::accounts::{self, code};
use crate::records::formats::Micros;
use crate::records::json::{self, Value};

pub use super::payout_types::{Destination, PayoutState, Rail};

/// A payout as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutRow {
    pub seq: i64,
    pub id: String,
    pub provider: String,
    pub currency: String,
    pub amount_minor: i64,
    /// Token units, decimal.
    pub token_value: String,
    pub rail: Rail,
    pub pay_to: Option<String>,
    pub url: Option<String>,
    pub chain_id: i64,
    pub token: String,
    pub treasury: String,
    /// 0x + 64 hex: the EIP-3009 nonce.
    pub nonce: String,
    /// Unix seconds.
    pub valid_after: i64,
    pub valid_before: i64,
    /// 0x + 130 hex: r || s || v.
    pub signature: Option<String>,
    pub state: PayoutState,
    pub tx_hash: Option<String>,
    pub block_number: Option<i64>,
    pub block_hash: Option<String>,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

/// What planning a payout writes.
#[derive(Clone, Debug)]
pub struct NewPayout {
    pub id: String,
    pub provider: String,
    pub currency: String,
    pub amount_minor: i64,
    pub token_value: String,
    pub rail: Rail,
    pub pay_to: Option<String>,
    pub url: Option<String>,
    pub chain_id: i64,
    pub token: String,
    pub treasury: String,
    pub nonce: String,
    pub valid_after: i64,
    pub valid_before: i64,
    pub exchange_did: String,
    pub now: Micros,
    /// Settlements made at or after this are not carried (not mature).
    pub mature_before: Micros,
}

/// A forward move of a payout that moves no money.
#[derive(Clone, Debug, Default)]
pub struct Advance {
    pub signature: Option<String>,
    pub pay_to: Option<String>,
    pub tx_hash: Option<String>,
    /// Forget the transaction (it was dropped by a reorg).
    pub clear_tx: bool,
    pub block_number: Option<i64>,
    pub block_hash: Option<String>,
    pub error: Option<String>,
    pub count_attempt: bool,
}

/// Makes a settlement record's new version once its payout is on chain:
/// from the version stored at that moment (which may say `disputed`), its
/// CID and value, with the payout's reference at the top (no parts) or in
/// each of the given parts of a split settlement.
pub type Resign<'a> = dyn Fn(&Value, &[i64]) -> Result<(String, Value), String> + Send + Sync + 'a;

pub(super) fn transfer(
    id: String,
    (debit, credit): (Id, Id),
    amount: i64,
    currency: &Currency,
    what: &str,
    reference: String,
) -> Result<Op, StoreError> {
    Ok(Op::Transfer(NewTransfer {
        id: accounts::id(&id),
        debit_account: debit,
        credit_account: credit,
        amount_minor: amount,
        currency: currency.clone(),
        code: code(what),
        reference: Some(Reference::new(reference)?),
    }))
}

macro_rules! payout_columns {
    () => {
        "seq, id, provider, currency, amount_minor, token_value, rail, pay_to, url, chain_id, token, \
         treasury, nonce, valid_after, valid_before, signature, state, tx_hash, block_number, block_hash, \
         attempts, error, created_at, updated_at"
    };
}

macro_rules! payout_backend {
    ($name:ident, $rows:ident, $ledger:ty, $pool:ty, $lock:literal) => {
        mod $name {
            use super::*;
            use sqlx::Row as _;

            type Row = <<$pool as PoolDb>::Db as sqlx::Database>::Row;

            fn payout_from_row(r: &Row) -> Result<PayoutRow, StoreError> {
                Ok(PayoutRow {
                    seq: r.try_get("seq")?,
                    id: r.try_get("id")?,
                    provider: r.try_get("provider")?,
                    currency: r.try_get("currency")?,
                    amount_minor: r.try_get("amount_minor")?,
                    token_value: r.try_get("token_value")?,
                    rail: Rail::parse(&r.try_get::<String, _>("rail")?)?,
                    pay_to: r.try_get("pay_to")?,
                    url: r.try_get("url")?,
                    chain_id: r.try_get("chain_id")?,
                    token: r.try_get("token")?,
                    treasury: r.try_get("treasury")?,
                    nonce: r.try_get("nonce")?,
                    valid_after: r.try_get("valid_after")?,
                    valid_before: r.try_get("valid_before")?,
                    signature: r.try_get("signature")?,
                    state: PayoutState::parse(&r.try_get::<String, _>("state")?)?,
                    tx_hash: r.try_get("tx_hash")?,
                    block_number: r.try_get("block_number")?,
                    block_hash: r.try_get("block_hash")?,
                    attempts: r.try_get("attempts")?,
                    error: r.try_get("error")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            pub(super) async fn set_destination(pool: &$pool, d: &Destination) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO settlement_payout_destinations (provider, rail, address, url, updated_at, \
                     effective_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider) DO UPDATE SET rail = $2, \
                     address = $3, url = $4, updated_at = $5, effective_at = $6",
                )
                .bind(&d.provider)
                .bind(d.rail.as_str())
                .bind(&d.address)
                .bind(&d.url)
                .bind(d.updated_at)
                .bind(d.effective_at)
                .execute(pool)
                .await?;
                Ok(())
            }

            fn destination_from_row(r: &Row) -> Result<Destination, StoreError> {
                Ok(Destination {
                    provider: r.try_get("provider")?,
                    rail: Rail::parse(&r.try_get::<String, _>("rail")?)?,
                    address: r.try_get("address")?,
                    url: r.try_get("url")?,
                    updated_at: r.try_get("updated_at")?,
                    effective_at: r.try_get("effective_at")?,
                })
            }

            pub(super) async fn destination(pool: &$pool, provider: &str) -> Result<Option<Destination>, StoreError> {
                let row = sqlx::query("SELECT * FROM settlement_payout_destinations WHERE provider = $1")
                    .bind(provider)
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(destination_from_row).transpose()
            }

            pub(super) async fn destinations(pool: &$pool) -> Result<Vec<Destination>, StoreError> {
                let rows = sqlx::query("SELECT * FROM settlement_payout_destinations ORDER BY provider")
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(destination_from_row).collect()
            }

            pub(super) async fn payout(pool: &$pool, id: &str) -> Result<Option<PayoutRow>, StoreError> {
                let sql = concat!("SELECT ", payout_columns!(), " FROM settlement_payouts WHERE id = $1");
                let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
                row.as_ref().map(payout_from_row).transpose()
            }

            pub(super) async fn payouts(pool: &$pool, filter: &PayoutFilter<'_>, after_seq: i64, limit: i64) -> Result<Vec<PayoutRow>, StoreError> {
                let rows = match filter {
                    PayoutFilter::Open => {
                        let sql = concat!("SELECT ", payout_columns!(), " FROM settlement_payouts \
                            WHERE state IN ('planned', 'signed', 'submitted') AND seq > $1 ORDER BY seq LIMIT $2");
                        sqlx::query(sql).bind(after_seq).bind(limit).fetch_all(pool).await?
                    }
                    PayoutFilter::State(state) => {
                        let sql = concat!("SELECT ", payout_columns!(), " FROM settlement_payouts \
                            WHERE state = $1 AND seq > $2 ORDER BY seq LIMIT $3");
                        sqlx::query(sql).bind(state.as_str()).bind(after_seq).bind(limit).fetch_all(pool).await?
                    }
                    PayoutFilter::Provider(p) => {
                        let sql = concat!("SELECT ", payout_columns!(), " FROM settlement_payouts \
                            WHERE provider = $1 AND seq > $2 ORDER BY seq LIMIT $3");
                        sqlx::query(sql).bind(*p).bind(after_seq).bind(limit).fetch_all(pool).await?
                    }
                    PayoutFilter::All => {
                        let sql = concat!("SELECT ", payout_columns!(), " FROM settlement_payouts \
                            WHERE seq > $1 ORDER BY seq LIMIT $2");
                        sqlx::query(sql).bind(after_seq).bind(limit).fetch_all(pool).await?
                    }
                };
                rows.iter().map(payout_from_row).collect()
            }

            pub(super) async fn plan(ledger: &$ledger, p: &NewPayout) -> Result<Option<PayoutRow>, StoreError> {
                let currency = Currency::new(p.currency.as_str())?;
                let mut tx = ledger.begin().await?;
                for account in accounts::payout_accounts(&currency, &p.exchange_did) {
                    tx.create_account(&account).await?;
                }
                let sql = concat!(
                    "INSERT INTO settlement_payouts (id, provider, currency, amount_minor, token_value, rail, pay_to, \
                     url, chain_id, token, treasury, nonce, valid_after, valid_before, state, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'planned', $15, $15) \
                     ON CONFLICT DO NOTHING RETURNING ",
                    payout_columns!()
                );
                let row = sqlx::query(sql)
                    .bind(&p.id)
                    .bind(&p.provider)
                    .bind(&p.currency)
                    .bind(p.amount_minor)
                    .bind(&p.token_value)
                    .bind(p.rail.as_str())
                    .bind(&p.pay_to)
                    .bind(&p.url)
                    .bind(p.chain_id)
                    .bind(&p.token)
                    .bind(&p.treasury)
                    .bind(&p.nonce)
                    .bind(p.valid_after)
                    .bind(p.valid_before)
                    .bind(p.now)
                    .fetch_optional(&mut **tx.sqlx())
                    .await?;
                let Some(row) = row else {
                    // An open payout for this provider exists (or the id
                    // was taken): nothing to plan.
                    tx.rollback().await?;
                    return Ok(None);
                };
                // Mature settlements not under an open dispute nor held
                // for their proof of inference: those whose money the
                // payout carries. Settlement rows are locked before
                // ledger accounts here as in a resolution and a failure.
                sqlx::query(
                    "UPDATE settlement_settlements SET payout_id = $1 WHERE provider = $2 AND currency = $3 \
                     AND payout_id IS NULL AND created_at < $4 AND NOT EXISTS (SELECT 1 FROM settlement_disputes d \
                     WHERE d.settlement_uri = settlement_settlements.uri AND d.status = 'open') \
                     AND NOT EXISTS (SELECT 1 FROM settlement_inference_verdicts v \
                     WHERE v.settlement_uri = settlement_settlements.uri AND v.hold IN ('held', 'refunding'))",
                )
                .bind(&p.id)
                .bind(&p.provider)
                .bind(&p.currency)
                .bind(p.mature_before)
                .execute(&mut **tx.sqlx())
                .await?;
                (**tx.sqlx()).tag_parts(&p.id, &p.provider, &p.currency, p.mature_before).await?;
                // A dispute opened while the tagging waited on its row is
                // not seen by that statement's snapshot: look again.
                let disputed_parts = (**tx.sqlx()).disputed_parts(&p.id).await?;
                let disputed: i64 = sqlx::query(
                    "SELECT COUNT(*) AS n FROM settlement_settlements s JOIN settlement_disputes d \
                     ON d.settlement_uri = s.uri AND d.status = 'open' WHERE s.payout_id = $1",
                )
                .bind(&p.id)
                .fetch_one(&mut **tx.sqlx())
                .await?
                .try_get("n")?;
                if disputed + disputed_parts > 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let op = transfer(
                    format!("payout:{}", p.id),
                    (accounts::provider(&p.provider, &p.currency), accounts::in_flight(&p.currency)),
                    p.amount_minor,
                    &currency,
                    "payout-planned",
                    format!("payout:{}", p.id),
                )?;
                tx.submit(&[op]).await?;
                // What stays (the share of every settlement not carried:
                // immature, disputed, or charged meanwhile) must still be
                // there after this payout, counted under this transaction's
                // locks: a refund or a dispute that came between the
                // engine's reads and now makes this plan wait a cycle.
                let held: i64 = sqlx::query(crate::store::unpaid_shares!())
                .bind(&p.provider)
                .bind(&p.currency)
                .fetch_one(&mut **tx.sqlx())
                .await?
                .try_get("held")?;
                let left = tx
                    .balance(&accounts::provider(&p.provider, &p.currency))
                    .await?
                    .available
                    .unwrap_or(0);
                if left < held {
                    tracing::warn!(payout = %p.id, left, held, "a payout would take money held back; planned again next cycle");
                    tx.rollback().await?;
                    return Ok(None);
                }
                let planned = payout_from_row(&row)?;
                tx.commit().await?;
                Ok(Some(planned))
            }

            pub(super) async fn advance(pool: &$pool, id: &str, from: PayoutState, to: PayoutState, a: &Advance, now: Micros) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE settlement_payouts SET state = $3, \
                     signature = COALESCE($4, signature), pay_to = COALESCE($5, pay_to), \
                     tx_hash = CASE WHEN $6 = 1 THEN NULL ELSE COALESCE($7, tx_hash) END, \
                     block_number = CASE WHEN $6 = 1 THEN NULL ELSE COALESCE($8, block_number) END, \
                     block_hash = CASE WHEN $6 = 1 THEN NULL ELSE COALESCE($9, block_hash) END, \
                     error = $10, attempts = attempts + $11, updated_at = $12 \
                     WHERE id = $1 AND state = $2",
                )
                .bind(id)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(&a.signature)
                .bind(&a.pay_to)
                .bind(i64::from(a.clear_tx))
                .bind(&a.tx_hash)
                .bind(a.block_number)
                .bind(&a.block_hash)
                .bind(&a.error)
                .bind(i64::from(a.count_attempt))
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
                Ok(done == 1)
            }

            pub(super) async fn confirm(
                ledger: &$ledger,
                p: &PayoutRow,
                block_number: i64,
                block_hash: &str,
                resign: &Resign<'_>,
                now: Micros,
            ) -> Result<bool, StoreError> {
                let currency = Currency::new(p.currency.as_str())?;
                let mut tx = ledger.begin().await?;
                let done = sqlx::query(
                    "UPDATE settlement_payouts SET state = 'confirmed', block_number = $2, block_hash = $3, \
                     error = NULL, updated_at = $4 WHERE id = $1 AND state = 'submitted'",
                )
                .bind(&p.id)
                .bind(block_number)
                .bind(block_hash)
                .bind(now)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                if done != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                let op = transfer(
                    format!("payout-paid:{}", p.id),
                    (accounts::in_flight(&p.currency), accounts::treasury(&p.currency)),
                    p.amount_minor,
                    &currency,
                    "payout-confirmed",
                    format!("payout:{}", p.id),
                )?;
                tx.submit(&[op]).await?;
                // Each carried settlement re-signed from the version stored
                // now, under the transaction's lock: a dispute opened or
                // resolved meanwhile keeps its status.
                let carried = sqlx::query(concat!(
                    "SELECT uri, value FROM settlement_settlements WHERE payout_id = $1 ORDER BY seq",
                    $lock
                ))
                .bind(&p.id)
                .fetch_all(&mut **tx.sqlx())
                .await?;
                let mut carried: Vec<(String, String, Vec<i64>)> = carried
                    .iter()
                    .map(|r| Ok((r.try_get("uri")?, r.try_get("value")?, Vec::new())))
                    .collect::<Result<_, StoreError>>()?;
                // Parts of split settlements, grouped by settlement (one
                // payee may hold several parts of one): each part gets its
                // own reference, and each settlement is signed once.
                for (uri, idx) in (**tx.sqlx()).carried_parts(&p.id).await? {
                    if let Some(last) = carried.last_mut().filter(|c| c.0 == uri && !c.2.is_empty()) {
                        last.2.push(idx);
                        continue;
                    }
                    let row = sqlx::query(concat!("SELECT value FROM settlement_settlements WHERE uri = $1", $lock))
                        .bind(&uri)
                        .fetch_one(&mut **tx.sqlx())
                        .await?;
                    carried.push((uri, row.try_get("value")?, vec![idx]));
                }
                for (uri, value, parts) in &carried {
                    let value = json::parse_str(value)
                        .map_err(|e| StoreError::Corrupt(format!("settlement {uri}: {e}")))?;
                    let (cid, value) = resign(&value, parts).map_err(StoreError::Corrupt)?;
                    sqlx::query("UPDATE settlement_settlements SET cid = $2, value = $3 WHERE uri = $1")
                        .bind(uri)
                        .bind(&cid)
                        .bind(json::to_canonical_string(&value))
                        .execute(&mut **tx.sqlx())
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            pub(super) async fn fail(ledger: &$ledger, p: &PayoutRow, error: &str, now: Micros) -> Result<bool, StoreError> {
                let currency = Currency::new(p.currency.as_str())?;
                let mut tx = ledger.begin().await?;
                let done = sqlx::query(
                    "UPDATE settlement_payouts SET state = 'failed', error = $2, updated_at = $3 \
                     WHERE id = $1 AND state IN ('planned', 'signed', 'submitted')",
                )
                .bind(&p.id)
                .bind(error)
                .bind(now)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                if done != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                let op = transfer(
                    format!("payout-return:{}", p.id),
                    (accounts::in_flight(&p.currency), accounts::provider(&p.provider, &p.currency)),
                    p.amount_minor,
                    &currency,
                    "payout-failed",
                    format!("payout:{}", p.id),
                )?;
                // The settlement rows before the accounts, as everywhere.
                sqlx::query("UPDATE settlement_settlements SET payout_id = NULL WHERE payout_id = $1")
                    .bind(&p.id)
                    .execute(&mut **tx.sqlx())
                    .await?;
                (**tx.sqlx()).untag_parts(&p.id).await?;
                tx.submit(&[op]).await?;
                tx.commit().await?;
                Ok(true)
            }

            pub(super) async fn totals(pool: &$pool, provider: &str, currency: &str) -> Result<PayoutTotals, StoreError> {
                let row = sqlx::query(
                    "SELECT \
                     CAST(COALESCE(SUM(CASE WHEN state IN ('planned', 'signed', 'submitted') THEN amount_minor ELSE 0 END), 0) AS BIGINT) AS in_flight, \
                     CAST(COALESCE(SUM(CASE WHEN state = 'confirmed' THEN amount_minor ELSE 0 END), 0) AS BIGINT) AS paid \
                     FROM settlement_payouts WHERE provider = $1 AND currency = $2",
                )
                .bind(provider)
                .bind(currency)
                .fetch_one(pool)
                .await?;
                Ok(PayoutTotals {
                    in_flight: row.try_get("in_flight")?,
                    paid: row.try_get("paid")?,
                })
            }

            pub(super) async fn settlements_of(pool: &$pool, payout_id: &str) -> Result<Vec<super::super::SettlementRow>, StoreError> {
                let sql = concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE payout_id = $1 ORDER BY seq");
                let rows = sqlx::query(sql).bind(payout_id).fetch_all(pool).await?;
                rows.iter().map(super::super::records::$rows::settlement_from_row).collect()
            }
        }
    };
}

/// A provider's payouts in one currency, summed (minor units).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PayoutTotals {
    /// Planned, signed or submitted.
    pub in_flight: i64,
    pub paid: i64,
}

/// Which payouts to list.
#[derive(Clone, Copy, Debug)]
pub enum PayoutFilter<'a> {
    /// planned, signed or submitted.
    Open,
    State(PayoutState),
    Provider(&'a str),
    All,
}

// SQLite's transactions take the write lock at BEGIN; PostgreSQL locks
// the rows it re-signs.
payout_backend!(
    sqlite_payouts,
    sqlite,
    ledger::SqliteLedger,
    sqlx::SqlitePool,
    ""
);
payout_backend!(
    postgres_payouts,
    postgres,
    ledger::PgLedger,
    sqlx::PgPool,
    " FOR UPDATE"
);

macro_rules! dispatch {
    ($self:ident, $l:ident => $f:ident ( $($arg:expr),* )) => {
        match $self {
            Store::Sqlite($l) => sqlite_payouts::$f($($arg),*).await,
            Store::Postgres($l) => postgres_payouts::$f($($arg),*).await,
        }
    };
}

impl Store {
    pub async fn set_destination(&self, d: &Destination) -> Result<(), StoreError> {
        dispatch!(self, l => set_destination(l.pool(), d))
    }

    pub async fn destination(&self, provider: &str) -> Result<Option<Destination>, StoreError> {
        dispatch!(self, l => destination(l.pool(), provider))
    }

    pub async fn destinations(&self) -> Result<Vec<Destination>, StoreError> {
        dispatch!(self, l => destinations(l.pool()))
    }

    pub async fn payout(&self, id: &str) -> Result<Option<PayoutRow>, StoreError> {
        dispatch!(self, l => payout(l.pool(), id))
    }

    pub async fn payouts(
        &self,
        filter: &PayoutFilter<'_>,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<PayoutRow>, StoreError> {
        dispatch!(self, l => payouts(l.pool(), filter, after_seq, limit))
    }

    /// Plans a payout: moves its amount from the provider's payable balance
    /// to in flight and writes the row, atomically. `None` if the provider
    /// already has an unfinished payout in this currency.
    pub async fn plan_payout(&self, p: &NewPayout) -> Result<Option<PayoutRow>, StoreError> {
        dispatch!(self, l => plan(l, p))
    }

    /// Moves a payout from `from` to `to` (no money moves). `false` if the
    /// payout was not in `from` (someone else moved it).
    pub async fn advance_payout(
        &self,
        id: &str,
        from: PayoutState,
        to: PayoutState,
        a: &Advance,
        now: Micros,
    ) -> Result<bool, StoreError> {
        dispatch!(self, l => advance(l.pool(), id, from, to, a, now))
    }

    /// A submitted payout is deep enough: the money leaves the treasury.
    pub async fn confirm_payout(
        &self,
        p: &PayoutRow,
        block_number: i64,
        block_hash: &str,
        resign: &Resign<'_>,
        now: Micros,
    ) -> Result<bool, StoreError> {
        dispatch!(self, l => confirm(l, p, block_number, block_hash, resign, now))
    }

    /// A payout that can never be paid: its money is payable again.
    pub async fn fail_payout(
        &self,
        p: &PayoutRow,
        error: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        dispatch!(self, l => fail(l, p, error, now))
    }

    pub async fn payout_totals(
        &self,
        provider: &str,
        currency: &str,
    ) -> Result<PayoutTotals, StoreError> {
        dispatch!(self, l => totals(l.pool(), provider, currency))
    }

    /// The settlements whose provider share a payout carries.
    pub async fn settlements_of_payout(
        &self,
        payout_id: &str,
    ) -> Result<Vec<super::SettlementRow>, StoreError> {
        dispatch!(self, l => settlements_of(l.pool(), payout_id))
    }
}
