//! x402 deposits as rows: recorded pending before the payment is
//! settled, then credited once (the ledger's transfer is keyed by the
//! transaction) or void.

use super::{Store, StoreError};
use crate::records::formats::Micros;

/// A deposit's EIP-3009 authorization and whom it credits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deposit {
    /// 0x address of the payer (the authorization's `from`).
    pub payer: String,
    /// 0x hex of the EIP-3009 nonce.
    pub nonce: String,
    pub requester: String,
    pub currency: String,
    /// Token units, decimal.
    pub token_value: String,
    pub amount_minor: i64,
    /// Unix seconds (the token's clock).
    pub valid_before: i64,
    pub state: String,
    pub tx_hash: Option<String>,
    pub created_at: Micros,
}

/// Pending deposits one payer address may have at once: each is a payment
/// the treasury settles at its gas and the payout cycle watches.
pub const PENDING_PER_PAYER_MAX: i64 = 8;

const COLUMNS: &str = "payer, nonce, requester, currency, token_value, amount_minor, valid_before, state, tx_hash, created_at";

macro_rules! deposit_rows {
    ($name:ident, $pool:ty, $lock:literal) => {
        mod $name {
            use super::*;
            use sqlx::Row as _;

            fn from_row(r: &<<$pool as crate::store::PoolDb>::Db as sqlx::Database>::Row) -> Result<Deposit, StoreError> {
                Ok(Deposit {
                    payer: r.try_get("payer")?,
                    nonce: r.try_get("nonce")?,
                    requester: r.try_get("requester")?,
                    currency: r.try_get("currency")?,
                    token_value: r.try_get("token_value")?,
                    amount_minor: r.try_get("amount_minor")?,
                    valid_before: r.try_get("valid_before")?,
                    state: r.try_get("state")?,
                    tx_hash: r.try_get("tx_hash")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            pub(super) async fn record(pool: &$pool, d: &Deposit) -> Result<Option<Deposit>, StoreError> {
                let mut tx = pool.begin().await?;
                if !$lock.is_empty() {
                    // One payer's presentations one at a time, so that the
                    // count below holds under READ COMMITTED.
                    sqlx::query($lock).bind(&d.payer).execute(&mut *tx).await?;
                }
                sqlx::query(
                    "INSERT INTO settlement_deposits (payer, nonce, requester, currency, token_value, amount_minor, \
                     valid_before, state, tx_hash, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, 'pending', NULL, $8, $8 \
                     WHERE (SELECT COUNT(*) FROM settlement_deposits WHERE payer = $1 AND state = 'pending') < $9 \
                     ON CONFLICT (payer, nonce) DO NOTHING",
                )
                .bind(&d.payer)
                .bind(&d.nonce)
                .bind(&d.requester)
                .bind(&d.currency)
                .bind(&d.token_value)
                .bind(d.amount_minor)
                .bind(d.valid_before)
                .bind(d.created_at)
                .bind(PENDING_PER_PAYER_MAX)
                .execute(&mut *tx)
                .await?;
                let sql = format!("SELECT {COLUMNS} FROM settlement_deposits WHERE payer = $1 AND nonce = $2");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&d.payer)
                    .bind(&d.nonce)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                row.as_ref().map(from_row).transpose()
            }

            pub(super) async fn pending(pool: &$pool, limit: i64) -> Result<Vec<Deposit>, StoreError> {
                let sql = format!(
                    "SELECT {COLUMNS} FROM settlement_deposits WHERE state = 'pending' ORDER BY created_at LIMIT $1"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?;
                rows.iter().map(from_row).collect()
            }

            pub(super) async fn finish(
                pool: &$pool,
                payer: &str,
                nonce: &str,
                state: &str,
                tx: Option<&str>,
                now: Micros,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE settlement_deposits SET state = $3, tx_hash = COALESCE($4, tx_hash), updated_at = $5 \
                     WHERE payer = $1 AND nonce = $2 AND state = 'pending'",
                )
                .bind(payer)
                .bind(nonce)
                .bind(state)
                .bind(tx)
                .bind(now)
                .execute(pool)
                .await?;
                Ok(())
            }
        }
    };
}

deposit_rows!(sqlite_deposits, sqlx::SqlitePool, "");
deposit_rows!(
    postgres_deposits,
    sqlx::PgPool,
    "SELECT pg_advisory_xact_lock(hashtextextended($1, 3))"
);

impl Store {
    /// Records `d` pending, unless its (payer, nonce) is recorded already:
    /// the row as it stands (whose requester may be another). `None` when
    /// the payer has [`PENDING_PER_PAYER_MAX`] deposits pending already.
    pub async fn record_deposit(&self, d: &Deposit) -> Result<Option<Deposit>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_deposits::record(ledger::LedgerStore::pool(l), d).await,
            postgres: postgres_deposits::record(ledger::LedgerStore::pool(l), d).await)
    }

    /// Pending deposits, oldest first.
    pub async fn pending_deposits(&self, limit: i64) -> Result<Vec<Deposit>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_deposits::pending(ledger::LedgerStore::pool(l), limit).await,
            postgres: postgres_deposits::pending(ledger::LedgerStore::pool(l), limit).await)
    }

    /// A pending deposit becomes `credited` (by transaction `tx`) or
    /// `void`.
    pub async fn finish_deposit(
        &self,
        payer: &str,
        nonce: &str,
        state: &str,
        tx: Option<&str>,
        now: Micros,
    ) -> Result<(), StoreError> {
        dispatch!(self, l => sqlite: sqlite_deposits::finish(ledger::LedgerStore::pool(l), payer, nonce, state, tx, now).await,
            postgres: postgres_deposits::finish(ledger::LedgerStore::pool(l), payer, nonce, state, tx, now).await)
    }
}
