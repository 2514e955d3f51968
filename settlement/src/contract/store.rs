//! Contracts, trust policies and vouches as rows. Every move of money is
//! in one ledger transaction with the contract's compare-and-set:
//!
//! - accept: the authorization consumed, requester -> contracts in flight
//!   (the price) and -> fees (the fee), the row `accepted`;
//! - paid: contracts in flight -> treasury (the asset left), the row
//!   `paid` with its payment record;
//! - failed: the price and the fee back to the requester, the row
//!   `failed`.

use ledger::{Currency, LedgerStore, LedgerTx, NewTransfer, Op, Reference};
use sqlx::Row as _;

use super::row::{Advance, ContractRow, State};
use crate::accounts::{self, code};
use crate::records::formats::Micros;
use crate::records::json::{self, Value};
use crate::store::{Store, StoreError};

/// Why a contract could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ContractStoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the requester's available funds do not cover the price and the fee")]
    InsufficientFunds,
    #[error("the authorization is used already (charged, or its nonce bound to another)")]
    AuthorizationConsumed,
    #[error("a contract for this accept exists already")]
    Exists,
}

impl From<ledger::Error> for ContractStoreError {
    fn from(e: ledger::Error) -> Self {
        match e {
            ledger::Error::InsufficientFunds { .. } => ContractStoreError::InsufficientFunds,
            e => ContractStoreError::Store(StoreError::from(e)),
        }
    }
}

impl From<sqlx::Error> for ContractStoreError {
    fn from(e: sqlx::Error) -> Self {
        ContractStoreError::Store(StoreError::from(e))
    }
}

/// The authorization a contract consumes: one charge of a singleJob.
pub struct Consumed<'a> {
    pub nonce: &'a str,
    pub cid: &'a str,
    pub limit_minor: i64,
    pub expires_at: Micros,
}

/// Which contracts to list.
#[derive(Clone, Copy, Debug)]
pub enum Filter<'a> {
    Requester(&'a str),
    Provider(&'a str),
}

fn op(
    id: String,
    (debit, credit): (ledger::Id, ledger::Id),
    amount: i64,
    currency: &Currency,
    what: &str,
    contract: &str,
) -> Result<Op, StoreError> {
    Ok(Op::Transfer(NewTransfer {
        id: accounts::id(&id),
        debit_account: debit,
        credit_account: credit,
        amount_minor: amount,
        currency: currency.clone(),
        code: code(what),
        reference: Some(Reference::new(format!("contract:{contract}"))?),
    }))
}

/// The money of an accept: the price into the contracts in flight, the
/// fee to the exchange.
fn accept_ops(c: &ContractRow, currency: &Currency) -> Result<Vec<Op>, StoreError> {
    let requester = accounts::requester(&c.requester, &c.currency);
    let mut ops = vec![op(
        format!("contract:{}", c.id),
        (requester.clone(), accounts::contracts(&c.currency)),
        c.amount_minor,
        currency,
        "contract-accepted",
        &c.id,
    )?];
    if c.fee_minor > 0 {
        ops.push(op(
            format!("contract-fee:{}", c.id),
            (requester, accounts::fees(&c.currency)),
            c.fee_minor,
            currency,
            "contract-fee",
            &c.id,
        )?);
    }
    Ok(ops)
}

fn parse_value(text: &str) -> Result<Value, StoreError> {
    json::parse_str(text).map_err(|e| StoreError::Corrupt(format!("stored contract: {e}")))
}

macro_rules! contract_rows {
    ($name:ident, $ledger:ty, $pool:ty) => {
        mod $name {
            use super::*;

            type Db = <$pool as crate::store::PoolDb>::Db;
            type DbRow = <Db as sqlx::Database>::Row;

            fn row(r: &DbRow) -> Result<ContractRow, StoreError> {
                let state: String = r.try_get("state")?;
                Ok(ContractRow {
                    seq: r.try_get("seq")?,
                    id: r.try_get("id")?,
                    ccba_uri: r.try_get("ccba_uri")?,
                    ccba_cid: r.try_get("ccba_cid")?,
                    rfp_uri: r.try_get("rfp_uri")?,
                    rfp_cid: r.try_get("rfp_cid")?,
                    bid_uri: r.try_get("bid_uri")?,
                    bid_cid: r.try_get("bid_cid")?,
                    requester: r.try_get("requester")?,
                    provider: r.try_get("provider")?,
                    authorization_uri: r.try_get("authorization_uri")?,
                    currency: r.try_get("currency")?,
                    amount_minor: r.try_get("amount_minor")?,
                    fee_minor: r.try_get("fee_minor")?,
                    frequency: r.try_get("frequency")?,
                    token_value: r.try_get("token_value")?,
                    url: r.try_get("url")?,
                    pay_to: r.try_get("pay_to")?,
                    nonce: r.try_get("nonce")?,
                    valid_before: r.try_get("valid_before")?,
                    signature: r.try_get("signature")?,
                    decision: parse_value(&r.try_get::<String, _>("decision")?)?,
                    state: State::parse(&state)
                        .ok_or_else(|| StoreError::Corrupt(format!("contract state {state:?}")))?,
                    tx_hash: r.try_get("tx_hash")?,
                    payment_uri: r.try_get("payment_uri")?,
                    payment_cid: r.try_get("payment_cid")?,
                    payment_value: r
                        .try_get::<Option<String>, _>("payment_value")?
                        .map(|v| parse_value(&v))
                        .transpose()?,
                    ccr_uri: r.try_get("ccr_uri")?,
                    ccr_cid: r.try_get("ccr_cid")?,
                    receipt_due: r.try_get("receipt_due")?,
                    attempts: r.try_get("attempts")?,
                    error: r.try_get("error")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            pub(super) async fn get(pool: &$pool, key: &str, by_ccba: bool) -> Result<Option<ContractRow>, StoreError> {
                let sql = if by_ccba {
                    concat!("SELECT ", contract_columns!(), " FROM settlement_contracts WHERE ccba_uri = $1")
                } else {
                    concat!("SELECT ", contract_columns!(), " FROM settlement_contracts WHERE id = $1")
                };
                sqlx::query(sql).bind(key).fetch_optional(pool).await?.as_ref().map(row).transpose()
            }

            pub(super) async fn list(pool: &$pool, f: Filter<'_>, after: i64, limit: i64) -> Result<Vec<ContractRow>, StoreError> {
                let (sql, key) = match f {
                    Filter::Requester(d) => (
                        concat!("SELECT ", contract_columns!(), " FROM settlement_contracts WHERE requester = $1 AND seq > $2 ORDER BY seq LIMIT $3"),
                        d,
                    ),
                    Filter::Provider(d) => (
                        concat!("SELECT ", contract_columns!(), " FROM settlement_contracts WHERE provider = $1 AND seq > $2 ORDER BY seq LIMIT $3"),
                        d,
                    ),
                };
                let rows = sqlx::query(sql).bind(key).bind(after).bind(limit).fetch_all(pool).await?;
                rows.iter().map(row).collect()
            }

            pub(super) async fn accept(ledger: &$ledger, c: &ContractRow, a: &Consumed<'_>, exchange_did: &str) -> Result<(), ContractStoreError> {
                let currency = Currency::new(c.currency.as_str()).map_err(StoreError::from)?;
                let mut tx = ledger.begin().await?;
                let inserted = sqlx::query(
                    "INSERT INTO settlement_contracts (id, ccba_uri, ccba_cid, rfp_uri, rfp_cid, bid_uri, bid_cid, requester, \
                     provider, authorization_uri, currency, amount_minor, fee_minor, frequency, token_value, url, pay_to, \
                     nonce, valid_before, signature, decision, state, receipt_due, attempts, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                     $21, 'accepted', $22, 0, $23, $23) ON CONFLICT DO NOTHING",
                )
                .bind(&c.id).bind(&c.ccba_uri).bind(&c.ccba_cid).bind(&c.rfp_uri).bind(&c.rfp_cid)
                .bind(&c.bid_uri).bind(&c.bid_cid).bind(&c.requester).bind(&c.provider).bind(&c.authorization_uri)
                .bind(&c.currency).bind(c.amount_minor).bind(c.fee_minor).bind(&c.frequency).bind(&c.token_value)
                .bind(&c.url).bind(&c.pay_to).bind(&c.nonce).bind(c.valid_before).bind(&c.signature)
                .bind(json::to_canonical_string(&c.decision)).bind(c.receipt_due).bind(c.created_at)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                if inserted != 1 {
                    tx.rollback().await?;
                    return Err(ContractStoreError::Exists);
                }
                // Rule 9 as for receipts: one charge consumes a singleJob,
                // and a nonce binds one authorization of the requester.
                let consumed = sqlx::query(
                    "INSERT INTO settlement_authorizations (requester, nonce, authorization_uri, authorization_cid, scope, \
                     currency, limit_minor, charged_minor, charges, consumed, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, 'singleJob', $5, $6, $7, 1, 1, $8, $9) ON CONFLICT DO NOTHING",
                )
                .bind(&c.requester).bind(a.nonce).bind(&c.authorization_uri).bind(a.cid).bind(&c.currency)
                .bind(a.limit_minor).bind(c.amount_minor + c.fee_minor).bind(a.expires_at).bind(c.created_at)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                if consumed != 1 {
                    tx.rollback().await?;
                    return Err(ContractStoreError::AuthorizationConsumed);
                }
                for account in accounts::contract_accounts(&c.requester, &currency, exchange_did) {
                    tx.create_account(&account).await?;
                }
                if let Err(e) = tx.submit(&accept_ops(c, &currency)?).await {
                    tx.rollback().await?;
                    return Err(e.into());
                }
                tx.commit().await?;
                Ok(())
            }

            pub(super) async fn advance(pool: &$pool, id: &str, from: State, to: State, a: &Advance, now: Micros) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE settlement_contracts SET state = $3, tx_hash = COALESCE($4, tx_hash), \
                     error = COALESCE($5, error), attempts = attempts + $6, updated_at = $7 \
                     WHERE id = $1 AND state = $2",
                )
                .bind(id).bind(from.as_str()).bind(to.as_str()).bind(&a.tx_hash)
                .bind(&a.error).bind(i64::from(a.count_attempt)).bind(now)
                .execute(pool)
                .await?
                .rows_affected();
                Ok(done == 1)
            }

            pub(super) async fn paid(ledger: &$ledger, c: &ContractRow, tx_hash: &str, payment: (&str, &str, &Value), exchange_did: &str, receipt_due: Micros, now: Micros) -> Result<Option<State>, StoreError> {
                let currency = Currency::new(c.currency.as_str())?;
                let mut tx = ledger.begin().await?;
                // A receipt that came before the payment was deep enough
                // closes the contract now.
                let row = sqlx::query(
                    "UPDATE settlement_contracts SET state = CASE WHEN ccr_uri IS NULL THEN 'paid' ELSE 'receipted' END, \
                     tx_hash = $2, payment_uri = $3, payment_cid = $4, payment_value = $5, receipt_due = $6, error = NULL, \
                     updated_at = $7 WHERE id = $1 AND state IN ('accepted', 'submitted') RETURNING state",
                )
                .bind(&c.id).bind(tx_hash).bind(payment.0).bind(payment.1)
                .bind(json::to_canonical_string(payment.2)).bind(receipt_due).bind(now)
                .fetch_optional(&mut **tx.sqlx())
                .await?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let state: String = row.try_get("state")?;
                for account in accounts::payout_accounts(&currency, exchange_did) {
                    tx.create_account(&account).await?;
                }
                tx.submit(&[op(
                    format!("contract-paid:{}", c.id),
                    (accounts::contracts(&c.currency), accounts::treasury(&c.currency)),
                    c.amount_minor,
                    &currency,
                    "contract-paid",
                    &c.id,
                )?])
                .await?;
                tx.commit().await?;
                Ok(State::parse(&state))
            }

            pub(super) async fn attach_receipt(pool: &$pool, id: &str, ccr_uri: &str, ccr_cid: &str, now: Micros) -> Result<Option<State>, StoreError> {
                let row = sqlx::query(
                    "UPDATE settlement_contracts SET ccr_uri = $2, ccr_cid = $3, \
                     state = CASE WHEN state IN ('paid', 'expired') THEN 'receipted' ELSE state END, \
                     error = CASE WHEN state IN ('paid', 'expired') THEN NULL ELSE error END, updated_at = $4 \
                     WHERE id = $1 AND state IN ('accepted', 'submitted', 'paid', 'expired') AND ccr_uri IS NULL \
                     RETURNING state",
                )
                .bind(id).bind(ccr_uri).bind(ccr_cid).bind(now)
                .fetch_optional(pool)
                .await?;
                row.map(|r| {
                    let state: String = r.try_get("state")?;
                    State::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("contract state {state:?}")))
                })
                .transpose()
            }

            pub(super) async fn forget_tx(pool: &$pool, id: &str, tx_hash: &str, error: &str, now: Micros) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE settlement_contracts SET state = 'accepted', tx_hash = NULL, error = $3, updated_at = $4 \
                     WHERE id = $1 AND state = 'submitted' AND tx_hash = $2",
                )
                .bind(id).bind(tx_hash).bind(error).bind(now)
                .execute(pool)
                .await?
                .rows_affected();
                Ok(done == 1)
            }

            pub(super) async fn due(pool: &$pool, now: Micros, after: i64, limit: i64) -> Result<Vec<ContractRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", contract_columns!(), " FROM settlement_contracts WHERE \
                     (state IN ('accepted', 'submitted') OR (state = 'paid' AND receipt_due <= $1)) \
                     AND seq > $2 ORDER BY seq LIMIT $3"
                ))
                .bind(now).bind(after).bind(limit)
                .fetch_all(pool)
                .await?;
                rows.iter().map(row).collect()
            }

            pub(super) async fn all(pool: &$pool, after: i64, limit: i64) -> Result<Vec<ContractRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT ", contract_columns!(), " FROM settlement_contracts WHERE seq > $1 ORDER BY seq LIMIT $2"
                ))
                .bind(after).bind(limit)
                .fetch_all(pool)
                .await?;
                rows.iter().map(row).collect()
            }

            pub(super) async fn fail(ledger: &$ledger, c: &ContractRow, error: &str, now: Micros) -> Result<bool, StoreError> {
                let currency = Currency::new(c.currency.as_str())?;
                let mut tx = ledger.begin().await?;
                let done = sqlx::query(
                    "UPDATE settlement_contracts SET state = 'failed', error = $2, updated_at = $3 \
                     WHERE id = $1 AND state IN ('accepted', 'submitted')",
                )
                .bind(&c.id).bind(error).bind(now)
                .execute(&mut **tx.sqlx())
                .await?
                .rows_affected();
                if done != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                // Never charged: the authorization is free again.
                sqlx::query(
                    "DELETE FROM settlement_authorizations WHERE requester = $1 AND authorization_uri = $2 \
                     AND scope = 'singleJob' AND charges = 1 AND revoked_at IS NULL",
                )
                .bind(&c.requester).bind(&c.authorization_uri)
                .execute(&mut **tx.sqlx())
                .await?;
                let requester = accounts::requester(&c.requester, &c.currency);
                let mut ops = vec![op(
                    format!("contract-return:{}", c.id),
                    (accounts::contracts(&c.currency), requester.clone()),
                    c.amount_minor,
                    &currency,
                    "contract-failed",
                    &c.id,
                )?];
                if c.fee_minor > 0 {
                    ops.push(op(
                        format!("contract-fee-return:{}", c.id),
                        (accounts::fees(&c.currency), requester),
                        c.fee_minor,
                        &currency,
                        "contract-fee-refund",
                        &c.id,
                    )?);
                }
                tx.submit(&ops).await?;
                tx.commit().await?;
                Ok(true)
            }

            pub(super) async fn expire(pool: &$pool, id: &str, now: Micros) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE settlement_contracts SET state = 'expired', \
                     error = 'no receipt by the deadline: flagged for a dispute', updated_at = $2 \
                     WHERE id = $1 AND state = 'paid' AND receipt_due <= $2",
                )
                .bind(id).bind(now)
                .execute(pool)
                .await?
                .rows_affected();
                Ok(done == 1)
            }

        }
    };
}

macro_rules! contract_columns {
    () => {
        "seq, id, ccba_uri, ccba_cid, rfp_uri, rfp_cid, bid_uri, bid_cid, requester, provider, \
         authorization_uri, currency, amount_minor, fee_minor, frequency, token_value, url, pay_to, nonce, \
         valid_before, signature, decision, state, tx_hash, payment_uri, payment_cid, payment_value, ccr_uri, \
         ccr_cid, receipt_due, attempts, error, created_at, updated_at"
    };
}

contract_rows!(sqlite_contracts, ledger::SqliteLedger, sqlx::SqlitePool);
contract_rows!(postgres_contracts, ledger::PgLedger, sqlx::PgPool);

macro_rules! on_backend {
    ($store:expr, $l:ident => $f:ident ( $($arg:expr),* )) => {
        match $store {
            Store::Sqlite($l) => sqlite_contracts::$f($($arg),*).await,
            Store::Postgres($l) => postgres_contracts::$f($($arg),*).await,
        }
    };
}

pub async fn get(store: &Store, id: &str) -> Result<Option<ContractRow>, StoreError> {
    on_backend!(store, l => get(l.pool(), id, false))
}

pub async fn by_ccba(store: &Store, uri: &str) -> Result<Option<ContractRow>, StoreError> {
    on_backend!(store, l => get(l.pool(), uri, true))
}

pub async fn list(
    store: &Store,
    f: Filter<'_>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ContractRow>, StoreError> {
    on_backend!(store, l => list(l.pool(), f, after_seq, limit))
}

/// Writes an accepted contract, consumes its authorization and moves the
/// requester's money, all or nothing.
pub async fn accept(
    store: &Store,
    c: &ContractRow,
    a: &Consumed<'_>,
    exchange_did: &str,
) -> Result<(), ContractStoreError> {
    on_backend!(store, l => accept(l, c, a, exchange_did))
}

/// A move from `from` to `to` that moves no money; `false` if the
/// contract was not in `from`.
pub async fn advance(
    store: &Store,
    id: &str,
    from: State,
    to: State,
    a: &Advance,
    now: Micros,
) -> Result<bool, StoreError> {
    on_backend!(store, l => advance(l.pool(), id, from, to, a, now))
}

/// Paid on chain by `tx_hash`: the money left the treasury; a receipt
/// is due by `receipt_due`. The state it moved to (`receipted` when the
/// receipt came first), or `None` if it was not unpaid.
pub async fn paid(
    store: &Store,
    c: &ContractRow,
    tx_hash: &str,
    payment: (&str, &str, &Value),
    exchange_did: &str,
    receipt_due: Micros,
    now: Micros,
) -> Result<Option<State>, StoreError> {
    on_backend!(store, l => paid(l, c, tx_hash, payment, exchange_did, receipt_due, now))
}

/// The bidder's receipt, kept on the row in one statement: a paid (or
/// expired) contract is receipted now, an unpaid one when its payment is
/// (see [`paid`]). The state it is in after, or `None` if it had a receipt
/// already or failed.
pub async fn attach_receipt(
    store: &Store,
    id: &str,
    ccr_uri: &str,
    ccr_cid: &str,
    now: Micros,
) -> Result<Option<State>, StoreError> {
    on_backend!(store, l => attach_receipt(l.pool(), id, ccr_uri, ccr_cid, now))
}

/// Back from `submitted` to `accepted`, only while the row names `tx_hash`.
pub async fn forget_tx(
    store: &Store,
    id: &str,
    tx_hash: &str,
    error: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    on_backend!(store, l => forget_tx(l.pool(), id, tx_hash, error, now))
}

/// Every contract, by `seq`, a page at a time.
pub async fn all(
    store: &Store,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ContractRow>, StoreError> {
    on_backend!(store, l => all(l.pool(), after_seq, limit))
}

/// Contracts something can be done for now: unpaid, or paid and past
/// their receipt's deadline.
pub async fn due(
    store: &Store,
    now: Micros,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<ContractRow>, StoreError> {
    on_backend!(store, l => due(l.pool(), now, after_seq, limit))
}

/// Never paid: the requester's money comes back.
pub async fn fail(
    store: &Store,
    c: &ContractRow,
    error: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    on_backend!(store, l => fail(l, c, error, now))
}

pub async fn expire(store: &Store, id: &str, now: Micros) -> Result<bool, StoreError> {
    on_backend!(store, l => expire(l.pool(), id, now))
}
