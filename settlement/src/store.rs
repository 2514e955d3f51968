//! The settlement store: accepted records, authorization consumption (rule
//! 9), settlements (rule 10), all in the ledger's database and, for a
//! charge, in the ledger's own transaction, so a charge is all or nothing.
//!
//! Only this module (and the ledger crate) touch SQL. Both backends run the
//! same statements (`$N` placeholders) but for lists (`json_each` on SQLite,
//! `= ANY` on PostgreSQL) and the rows of a group commit (`ChargeRows`);
//! what differs is locking: SQLite serializes writers with `BEGIN
//! IMMEDIATE`, PostgreSQL locks authorization rows `FOR UPDATE`, in key
//! order, before the ledger locks its accounts. The one exception is a
//! group commit's first charge of an authorization, whose row is inserted
//! at the end: two first charges of one authorization in two processes
//! at once can deadlock there, which PostgreSQL breaks by failing one
//! group, and that group runs again.

use ledger::{
    AccountFlags, Code, Currency, Id, LedgerStore, LedgerTx, NewAccount, NewHold, NewTransfer, Op,
    Owner, Reference, VoidHold,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use crate::records::json::{self, Value};
use crate::verify::{Charge, Scope};

/// Unix microseconds.
pub type Micros = i64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    pub uri: String,
    pub cid: String,
    pub value: Value,
}

/// A stored receipt with what settling it reads first, from one
/// statement: the job it names (when stored) and whether a settlement
/// exists for its URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReceipt {
    pub receipt: StoredRecord,
    pub job: Option<StoredRecord>,
    pub settled: bool,
}

/// A settlement as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementRow {
    pub seq: i64,
    pub receipt_uri: String,
    pub receipt_cid: String,
    pub uri: String,
    pub cid: String,
    pub value: Value,
    pub requester: String,
    pub provider: String,
    pub authorization_uri: String,
    pub job_uri: String,
    pub currency: String,
    pub amount_minor: i64,
    pub fee_minor: i64,
    pub created_at: Micros,
}

/// Where an authorization stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationState {
    pub requester: String,
    pub nonce: String,
    pub authorization_uri: String,
    pub authorization_cid: String,
    pub scope: String,
    pub currency: String,
    pub limit_minor: i64,
    pub charged_minor: i64,
    pub charges: i64,
    pub consumed: bool,
    pub hold_id: Option<String>,
    pub expires_at: Micros,
}

/// A record was stored now, or was already there with the same content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
    Created,
    Existing,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{uri} is already stored with CID {existing}")]
    RecordConflict { uri: String, existing: String },
    #[error("receipt {uri} is already settled with CID {existing}")]
    AlreadySettled { uri: String, existing: String },
    #[error("job {job} is already settled by receipt {receipt}")]
    JobAlreadySettled { job: String, receipt: String },
    #[error("{0}")]
    AuthorizationConsumed(String),
    #[error("{0}")]
    SessionBudgetExceeded(String),
    #[error("ledger: {0}")]
    Ledger(#[from] ledger::Error),
    #[error("amount {0} is beyond what the ledger holds (2^63 - 1)")]
    AmountOutOfRange(u64),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The transaction of a group commit failed; every charge in it shares
    /// this error.
    #[error("the group's transaction failed: {0}")]
    Batch(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Ledger(ledger::Error::from(e))
    }
}

impl StoreError {
    fn is_retryable(&self) -> bool {
        match self {
            StoreError::Ledger(e) => e.is_retryable() || is_unique_violation(e),
            _ => false,
        }
    }
}

/// A concurrent insert of the same key lost the race: run the transaction
/// again, and it will see the winner's row.
fn is_unique_violation(e: &ledger::Error) -> bool {
    match e {
        ledger::Error::Database(sqlx::Error::Database(d)) => d.is_unique_violation(),
        _ => false,
    }
}

/// Everything a charge writes, decided before the transaction starts.
#[derive(Clone, Debug)]
pub struct SettlePlan {
    pub charge: Charge,
    pub fee_minor: u64,
    /// Where the settlement record lives on the first attempt; a retry
    /// after a clash of record keys takes [`SettlePlan::uri_for_attempt`].
    pub settlement_uri: String,
    pub settlement_cid: String,
    pub settlement_value: Value,
    pub exchange_did: String,
    pub now: Micros,
}

impl SettlePlan {
    /// The settlement's URI for attempt `n` (1-based). The record key is a
    /// TID of the settlement time; its 10-bit clock id comes from the
    /// receipt and, after the first attempt, the attempt number, which also
    /// moves the time forward by up to about a second, so settlements made
    /// in the same microsecond whose keys clash get different keys when the
    /// loser runs again. The URI is not covered by the record's signature
    /// or CID, so changing it changes nothing else.
    pub fn uri_for_attempt(&self, n: usize) -> String {
        if n <= 1 {
            return self.settlement_uri.clone();
        }
        // Another clock id alone leaves 1024 keys per microsecond, too few
        // when many settlements share one (a batch, a fixed clock): also
        // move the time forward by up to about a second.
        let salt = format!("{}#{n}", self.charge.receipt.uri);
        let h = Sha256::digest(salt.as_bytes());
        let offset = i64::from(u32::from_be_bytes([0, h[2], h[3], h[4]]) & 0xf_ffff) + 1;
        format!(
            "at://{}/{}/{}",
            self.exchange_did,
            crate::records::NSID_SETTLEMENT,
            crate::service::tid(self.now.saturating_add(offset), &salt)
        )
    }
}

/// The outcome of a charge: a new settlement, or the one already recorded
/// for the same receipt (rule 10, idempotent).
#[derive(Clone, Debug)]
pub enum Settled {
    Created(SettlementRow),
    Existing(SettlementRow),
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    h.finalize()[..20]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Ledger account ids and owners. DIDs can be long (up to 2048 bytes), so
/// ids use a hash of the DID; the owner keeps the DID when it fits.
pub mod accounts {
    use super::*;

    pub fn owner(did: &str) -> Owner {
        Owner::new(did)
            .or_else(|_| Owner::new(format!("sha256:{}", short_hash(&[did]))))
            .expect("a hex owner is always valid")
    }
    pub fn requester(did: &str, currency: &str) -> Id {
        id(&format!("req:{}:{currency}", short_hash(&[did])))
    }
    pub fn provider(did: &str, currency: &str) -> Id {
        id(&format!("prov:{}:{currency}", short_hash(&[did])))
    }
    pub fn escrow(currency: &str) -> Id {
        id(&format!("escrow:{currency}"))
    }
    pub fn fees(currency: &str) -> Id {
        id(&format!("fees:{currency}"))
    }
    pub fn deposits(currency: &str) -> Id {
        id(&format!("deposits:{currency}"))
    }
    pub(super) fn id(s: &str) -> Id {
        Id::new(s).expect("account ids are short printable ASCII")
    }
}

fn code(s: &str) -> Code {
    Code::new(s).expect("constant codes are valid")
}

fn new_account(
    id: Id,
    currency: &Currency,
    kind: &str,
    owner: Owner,
    flags: AccountFlags,
) -> NewAccount {
    NewAccount {
        id,
        currency: currency.clone(),
        kind: code(kind),
        owner,
        flags,
    }
}

/// The accounts a charge touches, opened if absent (opening is idempotent).
fn charge_accounts(plan: &SettlePlan, currency: &Currency) -> Vec<NewAccount> {
    let c = currency.as_str();
    let ch = &plan.charge;
    vec![
        new_account(
            accounts::requester(&ch.requester, c),
            currency,
            "requester",
            accounts::owner(&ch.requester),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
        new_account(
            accounts::provider(&ch.provider, c),
            currency,
            "provider-payable",
            accounts::owner(&ch.provider),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
        new_account(
            accounts::escrow(c),
            currency,
            "escrow",
            accounts::owner(&plan.exchange_did),
            AccountFlags::NONE,
        ),
        new_account(
            accounts::fees(c),
            currency,
            "exchange-fees",
            accounts::owner(&plan.exchange_did),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
    ]
}

/// The ledger operations of one charge: release the authorization's
/// current hold, pay the provider and the fee from the requester, and hold
/// what is left of a session's budget until the authorization expires.
/// The first charge of an authorization thereby needs funds for the whole
/// promise (price + rest of the budget): one deposit never backs two.
fn charge_ops(
    plan: &SettlePlan,
    state: &AuthorizationState,
) -> Result<(Vec<Op>, Option<String>), StoreError> {
    let ch = &plan.charge;
    let c = ch.amount.currency.as_str();
    let currency = Currency::new(c)?;
    let amount = to_i64(ch.amount.amount)?;
    let fee = to_i64(plan.fee_minor)?;
    let receipt_key = short_hash(&[ch.receipt.uri.as_str()]);
    let reference = Some(Reference::new(ch.receipt.uri.as_str())?);
    let requester = accounts::requester(&ch.requester, c);
    let mut ops = Vec::with_capacity(4);
    if let Some(hold) = &state.hold_id {
        ops.push(Op::Void(VoidHold {
            id: accounts::id(&format!("void:{hold}")),
            hold_id: accounts::id(hold),
            code: code("authorization-rehold"),
            reference: reference.clone(),
        }));
    }
    if amount - fee > 0 {
        ops.push(Op::Transfer(NewTransfer {
            id: accounts::id(&format!("charge:{receipt_key}")),
            debit_account: requester.clone(),
            credit_account: accounts::provider(&ch.provider, c),
            amount_minor: amount - fee,
            currency: currency.clone(),
            code: code("charge"),
            reference: reference.clone(),
        }));
    }
    if fee > 0 {
        ops.push(Op::Transfer(NewTransfer {
            id: accounts::id(&format!("fee:{receipt_key}")),
            debit_account: requester.clone(),
            credit_account: accounts::fees(c),
            amount_minor: fee,
            currency: currency.clone(),
            code: code("exchange-fee"),
            reference: reference.clone(),
        }));
    }
    let mut new_hold = None;
    if let Scope::Session { .. } = ch.scope {
        let rest = state.limit_minor - state.charged_minor - amount;
        if rest > 0 {
            let hold_id = format!(
                "hold:{}:{}",
                short_hash(&[&state.requester, &state.nonce]),
                state.charges + 1
            );
            ops.push(Op::Hold(NewHold {
                id: accounts::id(&hold_id),
                debit_account: requester,
                credit_account: accounts::escrow(c),
                amount_minor: rest,
                currency,
                code: code("authorization-hold"),
                reference: Some(Reference::new(state.authorization_uri.as_str())?),
                expires_at_us: state.expires_at,
            }));
            new_hold = Some(hold_id);
        }
    }
    Ok((ops, new_hold))
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::AmountOutOfRange(v))
}

/// A store on one of the two backends.
#[derive(Clone)]
pub enum Store {
    Sqlite(ledger::SqliteLedger),
    Postgres(ledger::PgLedger),
}

macro_rules! settlement_columns {
    () => {
        "seq, receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
         authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at"
    };
}

macro_rules! backend {
    ($name:ident, $ledger:ty, $pool:ty, $for_update:literal, $in_list:literal, $in_list2:literal, $list:path) => {
        mod $name {
            use super::*;
            use sqlx::Row as _;

            pub(super) async fn get_record(pool: &$pool, uri: &str) -> Result<Option<StoredRecord>, StoreError> {
                let row = sqlx::query("SELECT uri, cid, value FROM settlement_records WHERE uri = $1")
                    .bind(uri)
                    .fetch_optional(pool)
                    .await?;
                row.map(|r| {
                    let text: String = r.try_get("value")?;
                    Ok(StoredRecord {
                        uri: r.try_get("uri")?,
                        cid: r.try_get("cid")?,
                        value: json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .transpose()
            }

            pub(super) async fn get_receipt(pool: &$pool, uri: &str) -> Result<Option<StoredReceipt>, StoreError> {
                // The job's URI is the receipt's job.uri, copied out at
                // ingestion.
                let row = sqlx::query(
                    "SELECT r.uri, r.cid, r.value, j.uri AS job_uri, j.cid AS job_cid, j.value AS job_value, \
                     s.receipt_cid AS settled_cid FROM settlement_records r \
                     LEFT JOIN settlement_records j ON j.uri = r.job_uri \
                     LEFT JOIN settlement_settlements s ON s.receipt_uri = r.uri \
                     WHERE r.uri = $1",
                )
                .bind(uri)
                .fetch_optional(pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let parse = |text: String| json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()));
                let job = match r.try_get::<Option<String>, _>("job_uri")? {
                    Some(job_uri) => Some(StoredRecord {
                        uri: job_uri,
                        cid: r.try_get("job_cid")?,
                        value: parse(r.try_get("job_value")?)?,
                    }),
                    None => None,
                };
                Ok(Some(StoredReceipt {
                    receipt: StoredRecord {
                        uri: r.try_get("uri")?,
                        cid: r.try_get("cid")?,
                        value: parse(r.try_get("value")?)?,
                    },
                    job,
                    settled: r.try_get::<Option<String>, _>("settled_cid")?.is_some(),
                }))
            }

            pub(super) async fn put_record(
                ledger: &$ledger,
                uri: &crate::records::formats::AtUri,
                cid: &str,
                value: &Value,
                now: Micros,
            ) -> Result<Put, StoreError> {
                // Receipts are listed by requester and job: copy both out.
                let is_receipt = uri.collection() == crate::records::NSID_RECEIPT;
                let requester = value.get("requester").and_then(Value::as_str).filter(|_| is_receipt);
                let job_uri = value.get("job").and_then(|j| j.get("uri")).and_then(Value::as_str).filter(|_| is_receipt);
                let inserted = sqlx::query(
                    "INSERT INTO settlement_records (uri, did, collection, cid, value, created_at, requester, job_uri) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (uri) DO NOTHING",
                )
                .bind(uri.as_str())
                .bind(uri.did())
                .bind(uri.collection())
                .bind(cid)
                .bind(json::to_canonical_string(value))
                .bind(now)
                .bind(requester)
                .bind(job_uri)
                .execute(ledger.pool())
                .await?
                .rows_affected();
                if inserted == 1 {
                    return Ok(Put::Created);
                }
                let existing: String = sqlx::query("SELECT cid FROM settlement_records WHERE uri = $1")
                    .bind(uri.as_str())
                    .fetch_one(ledger.pool())
                    .await?
                    .try_get("cid")?;
                if existing == cid {
                    Ok(Put::Existing)
                } else {
                    Err(StoreError::RecordConflict {
                        uri: uri.to_string(),
                        existing,
                    })
                }
            }

            pub(super) async fn list_records(
                pool: &$pool,
                filter: &RecordFilter<'_>,
                after_uri: &str,
                limit: i64,
            ) -> Result<Vec<StoredRecord>, StoreError> {
                let (sql, a, b) = match filter {
                    RecordFilter::Owner { collection, did } => (
                        "SELECT uri, cid, value FROM settlement_records WHERE collection = $1 AND did = $2 \
                         AND uri > $3 ORDER BY uri LIMIT $4",
                        *collection,
                        *did,
                    ),
                    RecordFilter::ReceiptsOfRequester(did) => (
                        "SELECT uri, cid, value FROM settlement_records WHERE collection = $1 AND requester = $2 \
                         AND uri > $3 ORDER BY uri LIMIT $4",
                        crate::records::NSID_RECEIPT,
                        *did,
                    ),
                    RecordFilter::ReceiptsOfJob(job) => (
                        "SELECT uri, cid, value FROM settlement_records WHERE collection = $1 AND job_uri = $2 \
                         AND uri > $3 ORDER BY uri LIMIT $4",
                        crate::records::NSID_RECEIPT,
                        *job,
                    ),
                };
                let rows = sqlx::query(sql).bind(a).bind(b).bind(after_uri).bind(limit).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| {
                        let text: String = r.try_get("value")?;
                        Ok(StoredRecord {
                            uri: r.try_get("uri")?,
                            cid: r.try_get("cid")?,
                            value: json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        })
                    })
                    .collect()
            }

            pub(super) async fn settlement_by_uri(pool: &$pool, uri: &str) -> Result<Option<SettlementRow>, StoreError> {
                let sql = concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE uri = $1");
                let row = sqlx::query(sql).bind(uri).fetch_optional(pool).await?;
                row.as_ref().map(settlement_from_row).transpose()
            }

            pub(super) fn settlement_from_row(r: &<<$pool as PoolDb>::Db as sqlx::Database>::Row) -> Result<SettlementRow, StoreError> {
                let text: String = r.try_get("value")?;
                Ok(SettlementRow {
                    seq: r.try_get("seq")?,
                    receipt_uri: r.try_get("receipt_uri")?,
                    receipt_cid: r.try_get("receipt_cid")?,
                    uri: r.try_get("uri")?,
                    cid: r.try_get("cid")?,
                    value: json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    requester: r.try_get("requester")?,
                    provider: r.try_get("provider")?,
                    authorization_uri: r.try_get("authorization_uri")?,
                    job_uri: r.try_get("job_uri")?,
                    currency: r.try_get("currency")?,
                    amount_minor: r.try_get("amount_minor")?,
                    fee_minor: r.try_get("fee_minor")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            pub(super) fn authorization_from_row(r: &<<$pool as PoolDb>::Db as sqlx::Database>::Row) -> Result<AuthorizationState, StoreError> {
                Ok(AuthorizationState {
                    requester: r.try_get("requester")?,
                    nonce: r.try_get("nonce")?,
                    authorization_uri: r.try_get("authorization_uri")?,
                    authorization_cid: r.try_get("authorization_cid")?,
                    scope: r.try_get("scope")?,
                    currency: r.try_get("currency")?,
                    limit_minor: r.try_get("limit_minor")?,
                    charged_minor: r.try_get("charged_minor")?,
                    charges: r.try_get("charges")?,
                    consumed: r.try_get::<i64, _>("consumed")? != 0,
                    hold_id: r.try_get("hold_id")?,
                    expires_at: r.try_get("expires_at")?,
                })
            }

            pub(super) async fn settlement_by_receipt<'e, E>(exec: E, receipt_uri: &str) -> Result<Option<SettlementRow>, StoreError>
            where
                E: sqlx::Executor<'e, Database = <$pool as PoolDb>::Db>,
            {
                let sql = concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE receipt_uri = $1");
                let row = sqlx::query(sql).bind(receipt_uri).fetch_optional(exec).await?;
                row.as_ref().map(settlement_from_row).transpose()
            }

            /// Settlements where `column` = `value`, after `after_seq`, oldest first.
            pub(super) async fn settlements_where(
                pool: &$pool,
                column: SettlementColumn,
                value: &str,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<SettlementRow>, StoreError> {
                macro_rules! by {
                    ($col:literal) => {
                        concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE ", $col,
                            " = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                    };
                }
                let sql = match column {
                    SettlementColumn::Authorization => by!("authorization_uri"),
                    SettlementColumn::Requester => by!("requester"),
                    SettlementColumn::Provider => by!("provider"),
                    SettlementColumn::Job => by!("job_uri"),
                    SettlementColumn::Receipt => by!("receipt_uri"),
                };
                let rows = sqlx::query(sql).bind(value).bind(after_seq).bind(limit).fetch_all(pool).await?;
                rows.iter().map(settlement_from_row).collect()
            }

            pub(super) async fn authorization_by_uri(pool: &$pool, uri: &str) -> Result<Option<AuthorizationState>, StoreError> {
                let row = sqlx::query("SELECT * FROM settlement_authorizations WHERE authorization_uri = $1")
                    .bind(uri)
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(authorization_from_row).transpose()
            }

            /// A job is charged once: refuses a receipt for a job that
            /// another receipt already settled.
            async fn job_settled_by_another<'e, E>(exec: E, ch: &Charge) -> Result<(), StoreError>
            where
                E: sqlx::Executor<'e, Database = <$pool as PoolDb>::Db>,
            {
                let row = sqlx::query("SELECT receipt_uri FROM settlement_settlements WHERE job_uri = $1")
                    .bind(ch.job.uri.as_str())
                    .fetch_optional(exec)
                    .await?;
                match row {
                    Some(r) => Err(StoreError::JobAlreadySettled {
                        job: ch.job.uri.to_string(),
                        receipt: r.try_get("receipt_uri")?,
                    }),
                    None => Ok(()),
                }
            }

            /// The authorization's row, if it has none yet (its first
            /// charge).
            async fn insert_authorization<'e, E>(exec: E, plan: &SettlePlan, may_exist: bool) -> Result<(), StoreError>
            where
                E: sqlx::Executor<'e, Database = <$pool as PoolDb>::Db>,
            {
                let state = unused_authorization(plan)?;
                let sql = if may_exist {
                    "INSERT INTO settlement_authorizations (requester, nonce, authorization_uri, authorization_cid, \
                     scope, currency, limit_minor, charged_minor, charges, consumed, hold_id, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, NULL, $8, $9) ON CONFLICT (requester, nonce) DO NOTHING"
                } else {
                    "INSERT INTO settlement_authorizations (requester, nonce, authorization_uri, authorization_cid, \
                     scope, currency, limit_minor, charged_minor, charges, consumed, hold_id, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, NULL, $8, $9)"
                };
                sqlx::query(sql)
                    .bind(state.requester)
                    .bind(state.nonce)
                    .bind(state.authorization_uri)
                    .bind(state.authorization_cid)
                    .bind(state.scope)
                    .bind(state.currency)
                    .bind(state.limit_minor)
                    .bind(state.expires_at)
                    .bind(plan.now)
                    .execute(exec)
                    .await?;
                Ok(())
            }

            /// Adds a charge to its authorization's row (rule 9's state).
            pub(super) async fn record_charge<'e, E>(exec: E, ch: &Charge, new_hold: Option<String>) -> Result<(), StoreError>
            where
                E: sqlx::Executor<'e, Database = <$pool as PoolDb>::Db>,
            {
                sqlx::query(
                    "UPDATE settlement_authorizations SET charged_minor = charged_minor + $3, charges = charges + 1, \
                     consumed = $4, hold_id = $5 WHERE requester = $1 AND nonce = $2",
                )
                .bind(&ch.requester)
                .bind(ch.nonce.as_str())
                .bind(to_i64(ch.amount.amount)?)
                .bind(i64::from(matches!(ch.scope, Scope::SingleJob)))
                .bind(new_hold)
                .execute(exec)
                .await?;
                Ok(())
            }

            /// Writes the settlement row of `plan` (its URI for `attempt`).
            pub(super) async fn insert_settlement<'e, E>(exec: E, plan: &SettlePlan, attempt: usize) -> Result<SettlementRow, StoreError>
            where
                E: sqlx::Executor<'e, Database = <$pool as PoolDb>::Db>,
            {
                let ch = &plan.charge;
                let sql = concat!(
                    "INSERT INTO settlement_settlements (receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
                     authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ",
                    settlement_columns!()
                );
                let row = sqlx::query(sql)
                    .bind(ch.receipt.uri.as_str())
                    .bind(ch.receipt.cid.to_string())
                    .bind(plan.uri_for_attempt(attempt))
                    .bind(&plan.settlement_cid)
                    .bind(json::to_canonical_string(&plan.settlement_value))
                    .bind(&ch.requester)
                    .bind(&ch.provider)
                    .bind(ch.authorization.uri.as_str())
                    .bind(ch.job.uri.as_str())
                    .bind(&ch.amount.currency)
                    .bind(to_i64(ch.amount.amount)?)
                    .bind(to_i64(plan.fee_minor)?)
                    .bind(plan.now)
                    .fetch_one(exec)
                    .await?;
                settlement_from_row(&row)
            }

            /// One attempt at many charges in one transaction (group
            /// commit). The plans name distinct receipts and distinct
            /// authorizations (the caller sees to it), so each is decided on
            /// its own: its checks, then its ledger batch, against the state
            /// the earlier successful ones left. A plan's refusal is its own
            /// result; a database error fails the attempt (roll back, retry).
            pub(super) async fn settle_batch_once(
                ledger: &$ledger,
                plans: &[&SettlePlan],
                attempt: usize,
            ) -> Result<Vec<Result<Settled, StoreError>>, StoreError> {
                distinct(plans)?;
                let mut tx = ledger.begin().await?;
                let mut out: Vec<Option<Result<Settled, StoreError>>> = plans.iter().map(|_| None).collect();

                // Authorizations first, in key order (nobody locks one
                // after an account): lock the rows that exist. A first
                // charge's authorization has no row: it starts empty, and
                // its row is written only if the charge goes through (a
                // concurrent first charge elsewhere makes that insert clash,
                // and the whole group runs again, then seeing the row).
                let mut keys: Vec<(&str, &str)> = plans
                    .iter()
                    .filter(|p| !p.charge.pro_bono)
                    .map(|p| (p.charge.requester.as_str(), p.charge.nonce.as_str()))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                let mut states: HashMap<(String, String), AuthorizationState> = HashMap::new();
                if !keys.is_empty() {
                    lock_authorizations(&mut tx, &keys, &mut states).await?;
                }
                let mut fresh = std::collections::HashSet::new();
                for (i, p) in plans.iter().enumerate().filter(|(_, p)| !p.charge.pro_bono) {
                    let key = (p.charge.requester.clone(), p.charge.nonce.as_str().to_owned());
                    if states.contains_key(&key) {
                        continue;
                    }
                    match unused_authorization(p) {
                        Ok(state) => {
                            states.insert(key.clone(), state);
                            fresh.insert(key);
                        }
                        Err(e) => out[i] = Some(Err(e)),
                    }
                }

                // Holding the authorizations' locks, see what is settled
                // already: a concurrent charge of the same receipt or job may
                // have just committed.
                let receipts: Vec<String> = plans.iter().map(|p| p.charge.receipt.uri.to_string()).collect();
                let mut by_receipt: HashMap<String, SettlementRow> = HashMap::new();
                let sql = concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE receipt_uri", $in_list);
                for r in sqlx::query(sql).bind($list(&receipts)).fetch_all(&mut **tx.sqlx()).await? {
                    let row = settlement_from_row(&r)?;
                    by_receipt.insert(row.receipt_uri.clone(), row);
                }
                let jobs: Vec<String> = plans.iter().map(|p| p.charge.job.uri.to_string()).collect();
                let mut job_settled: HashMap<String, String> = HashMap::new();
                let sql = concat!("SELECT job_uri, receipt_uri FROM settlement_settlements WHERE job_uri", $in_list);
                for r in sqlx::query(sql).bind($list(&jobs)).fetch_all(&mut **tx.sqlx()).await? {
                    job_settled.insert(r.try_get("job_uri")?, r.try_get("receipt_uri")?);
                }

                // The accounts every charge touches, opened if absent.
                let mut news = Vec::new();
                let mut first_account = Vec::with_capacity(plans.len());
                for p in plans {
                    first_account.push(news.len());
                    match Currency::new(p.charge.amount.currency.as_str()) {
                        Ok(c) => news.extend(charge_accounts(p, &c)),
                        Err(e) => out[first_account.len() - 1] = Some(Err(e.into())),
                    }
                }
                let opened = tx.create_accounts(&news).await?;

                // Each plan's own checks and ledger operations.
                let mut groups: Vec<Vec<Op>> = Vec::new();
                let mut group_of: Vec<Option<usize>> = vec![None; plans.len()];
                let mut new_holds: Vec<Option<String>> = vec![None; plans.len()];
                for (i, p) in plans.iter().enumerate() {
                    if out[i].is_some() {
                        continue;
                    }
                    let ch = &p.charge;
                    if let Some(existing) = by_receipt.remove(ch.receipt.uri.as_str()) {
                        out[i] = Some(existing_or_conflict(existing, p));
                        continue;
                    }
                    if let Some(receipt) = job_settled.get(ch.job.uri.as_str()) {
                        out[i] = Some(Err(StoreError::JobAlreadySettled {
                            job: ch.job.uri.to_string(),
                            receipt: receipt.clone(),
                        }));
                        continue;
                    }
                    let end = first_account.get(i + 1).copied().unwrap_or(news.len());
                    if let Some(e) = opened[first_account[i]..end].iter().find_map(|r| r.as_ref().err()) {
                        out[i] = Some(Err(StoreError::Corrupt(format!("account: {e}"))));
                        continue;
                    }
                    let ops = if ch.pro_bono {
                        Vec::new()
                    } else {
                        let key = (ch.requester.clone(), ch.nonce.as_str().to_owned());
                        let Some(state) = states.get(&key) else {
                            return Err(StoreError::Corrupt(format!("authorization {key:?} was not locked")));
                        };
                        let decided = check_consumption(state, ch).and_then(|()| charge_ops(p, state));
                        match decided {
                            Ok((ops, hold)) => {
                                new_holds[i] = hold;
                                ops
                            }
                            Err(e) => {
                                out[i] = Some(Err(e));
                                continue;
                            }
                        }
                    };
                    // Taken by this plan, if it goes through.
                    job_settled.insert(ch.job.uri.to_string(), ch.receipt.uri.to_string());
                    if !ops.is_empty() {
                        group_of[i] = Some(groups.len());
                        groups.push(ops);
                    }
                }
                let slices: Vec<&[Op]> = groups.iter().map(Vec::as_slice).collect();
                let mut moved = tx.submit_each(&slices).await?.into_iter().map(Some).collect::<Vec<_>>();

                // Write what went through.
                let mut through = Vec::new();
                for i in 0..plans.len() {
                    if out[i].is_some() {
                        continue;
                    }
                    if let Some(g) = group_of[i]
                        && let Some(Err(e)) = moved[g].take()
                    {
                        out[i] = Some(Err(e.into()));
                        continue;
                    }
                    through.push(i);
                }
                for &i in &through {
                    let ch = &plans[i].charge;
                    if !ch.pro_bono && fresh.contains(&(ch.requester.clone(), ch.nonce.as_str().to_owned())) {
                        insert_authorization(&mut **tx.sqlx(), plans[i], false).await?;
                    }
                }
                let charges: Vec<(&Charge, Option<String>)> = through
                    .iter()
                    .filter(|&&i| !plans[i].charge.pro_bono)
                    .map(|&i| (&plans[i].charge, new_holds[i].take()))
                    .collect();
                tx.sqlx().record_charges(&charges).await?;
                let written: Vec<&SettlePlan> = through.iter().map(|&i| plans[i]).collect();
                let rows = tx.sqlx().insert_settlements(&written, attempt).await?;
                for (&i, row) in through.iter().zip(rows) {
                    out[i] = Some(Ok(Settled::Created(row)));
                }
                tx.commit().await?;
                Ok(out
                    .into_iter()
                    .map(|r| r.unwrap_or_else(|| Err(StoreError::Corrupt("a plan was left undecided".into()))))
                    .collect())
            }

            /// Locks the authorization rows of `keys` (sorted) and reads
            /// them into `states`.
            async fn lock_authorizations(
                tx: &mut <$ledger as LedgerStore>::Tx,
                keys: &[(&str, &str)],
                states: &mut HashMap<(String, String), AuthorizationState>,
            ) -> Result<(), StoreError> {
                let requesters: Vec<String> = keys.iter().map(|k| k.0.to_owned()).collect();
                let nonces: Vec<String> = keys.iter().map(|k| k.1.to_owned()).collect();
                // Both lists, not the pairs: a row matching a requester of
                // one pair and the nonce of another is locked too, and read
                // but not used.
                let sql = concat!(
                    "SELECT * FROM settlement_authorizations WHERE requester", $in_list,
                    " AND nonce", $in_list2, " ORDER BY requester, nonce", $for_update
                );
                let rows = sqlx::query(sql)
                    .bind($list(&requesters))
                    .bind($list(&nonces))
                    .fetch_all(&mut **tx.sqlx())
                    .await?;
                for r in &rows {
                    let state = authorization_from_row(r)?;
                    states.insert((state.requester.clone(), state.nonce.clone()), state);
                }
                Ok(())
            }

            /// One attempt at a charge, in one transaction.
            pub(super) async fn settle_once(
                ledger: &$ledger,
                plan: &SettlePlan,
                attempt: usize,
            ) -> Result<Settled, StoreError> {
                let ch = &plan.charge;
                let mut tx = ledger.begin().await?;
                if let Some(existing) = settlement_by_receipt(&mut **tx.sqlx(), ch.receipt.uri.as_str()).await? {
                    tx.rollback().await?;
                    return existing_or_conflict(existing, plan);
                }
                job_settled_by_another(&mut **tx.sqlx(), ch).await?;
                to_i64(ch.amount.amount)?;
                if !ch.pro_bono {
                    insert_authorization(&mut **tx.sqlx(), plan, true).await?;
                    let sql = concat!(
                        "SELECT * FROM settlement_authorizations WHERE requester = $1 AND nonce = $2",
                        $for_update
                    );
                    let row = sqlx::query(sql)
                        .bind(&ch.requester)
                        .bind(ch.nonce.as_str())
                        .fetch_one(&mut **tx.sqlx())
                        .await?;
                    let state = authorization_from_row(&row)?;
                    // Holding the authorization's lock, look again: a
                    // concurrent charge of this very receipt may have just
                    // committed, and then its settlement is the answer.
                    if let Some(existing) = settlement_by_receipt(&mut **tx.sqlx(), ch.receipt.uri.as_str()).await? {
                        tx.rollback().await?;
                        return existing_or_conflict(existing, plan);
                    }
                    job_settled_by_another(&mut **tx.sqlx(), ch).await?;
                    check_consumption(&state, ch)?;
                    let currency = Currency::new(ch.amount.currency.as_str())?;
                    for account in charge_accounts(plan, &currency) {
                        tx.create_account(&account).await?;
                    }
                    let (ops, new_hold) = charge_ops(plan, &state)?;
                    if !ops.is_empty() {
                        tx.submit(&ops).await?;
                    }
                    record_charge(&mut **tx.sqlx(), ch, new_hold).await?;
                }
                let settled = insert_settlement(&mut **tx.sqlx(), plan, attempt).await?;
                tx.commit().await?;
                Ok(Settled::Created(settled))
            }
        }
    };
}

/// A group commit's plans must name distinct receipts and distinct
/// authorizations: each is decided against the state before the group.
fn distinct(plans: &[&SettlePlan]) -> Result<(), StoreError> {
    let mut receipts = std::collections::HashSet::new();
    let mut authorizations = std::collections::HashSet::new();
    for p in plans {
        let ch = &p.charge;
        if !receipts.insert(ch.receipt.uri.as_str())
            || (!ch.pro_bono && !authorizations.insert((ch.requester.as_str(), ch.nonce.as_str())))
        {
            return Err(StoreError::Batch(format!(
                "receipt {} shares its receipt or authorization with another charge of the group",
                ch.receipt.uri
            )));
        }
    }
    Ok(())
}

/// The rows of many charges, one statement for all of them: the rows are
/// one JSON array read by `json_each` on SQLite, arrays read by `UNNEST` on
/// PostgreSQL.
trait ChargeRows {
    /// Adds each charge to its authorization's row (distinct rows).
    async fn record_charges(
        &mut self,
        charges: &[(&Charge, Option<String>)],
    ) -> Result<(), StoreError>;
    /// Writes the settlements, in the order of `plans`.
    async fn insert_settlements(
        &mut self,
        plans: &[&SettlePlan],
        attempt: usize,
    ) -> Result<Vec<SettlementRow>, StoreError>;
}

impl ChargeRows for sqlx::Transaction<'static, sqlx::Sqlite> {
    async fn record_charges(
        &mut self,
        charges: &[(&Charge, Option<String>)],
    ) -> Result<(), StoreError> {
        if charges.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(charges.len());
        for (ch, hold) in charges {
            rows.push(Value::Array(vec![
                ch.requester.as_str().into(),
                ch.nonce.as_str().into(),
                to_i64(ch.amount.amount)?.into(),
                i64::from(matches!(ch.scope, Scope::SingleJob)).into(),
                hold.as_deref().map_or(Value::Null, Value::from),
            ]));
        }
        let done = sqlx::query(
            "UPDATE settlement_authorizations SET \
             charged_minor = settlement_authorizations.charged_minor + (u.value ->> 2), \
             charges = settlement_authorizations.charges + 1, consumed = u.value ->> 3, hold_id = u.value ->> 4 \
             FROM jsonb_each($1) AS u \
             WHERE settlement_authorizations.requester = u.value ->> 0 \
             AND settlement_authorizations.nonce = u.value ->> 1",
        )
        .bind(json::to_canonical_string(&Value::Array(rows)))
        .execute(&mut **self)
        .await?;
        all_updated(done.rows_affected(), charges.len())
    }

    async fn insert_settlements(
        &mut self,
        plans: &[&SettlePlan],
        attempt: usize,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = Vec::with_capacity(plans.len());
        for p in plans {
            let ch = &p.charge;
            rows.push(Value::Array(vec![
                ch.receipt.uri.as_str().into(),
                ch.receipt.cid.to_string().into(),
                p.uri_for_attempt(attempt).into(),
                p.settlement_cid.as_str().into(),
                json::to_canonical_string(&p.settlement_value).into(),
                ch.requester.as_str().into(),
                ch.provider.as_str().into(),
                ch.authorization.uri.as_str().into(),
                ch.job.uri.as_str().into(),
                ch.amount.currency.as_str().into(),
                to_i64(ch.amount.amount)?.into(),
                to_i64(p.fee_minor)?.into(),
                p.now.into(),
            ]));
        }
        let sql = concat!(
            "INSERT INTO settlement_settlements (receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
             authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at) \
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
                 value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12 \
             FROM jsonb_each($1) ORDER BY key RETURNING ",
            settlement_columns!()
        );
        let found = sqlx::query(sql)
            .bind(json::to_canonical_string(&Value::Array(rows)))
            .fetch_all(&mut **self)
            .await?;
        let mut by_receipt: HashMap<String, SettlementRow> = HashMap::with_capacity(found.len());
        for r in &found {
            let row = sqlite_impl::settlement_from_row(r)?;
            by_receipt.insert(row.receipt_uri.clone(), row);
        }
        in_plan_order(plans, by_receipt)
    }
}

impl ChargeRows for sqlx::Transaction<'static, sqlx::Postgres> {
    async fn record_charges(
        &mut self,
        charges: &[(&Charge, Option<String>)],
    ) -> Result<(), StoreError> {
        if charges.is_empty() {
            return Ok(());
        }
        let mut amounts = Vec::with_capacity(charges.len());
        for (ch, _) in charges {
            amounts.push(to_i64(ch.amount.amount)?);
        }
        let done = sqlx::query(
            "UPDATE settlement_authorizations a SET charged_minor = a.charged_minor + u.amount, \
             charges = a.charges + 1, consumed = u.consumed, hold_id = u.hold_id \
             FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) \
                 AS u(requester, nonce, amount, consumed, hold_id) \
             WHERE a.requester = u.requester AND a.nonce = u.nonce",
        )
        .bind(
            charges
                .iter()
                .map(|(c, _)| c.requester.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            charges
                .iter()
                .map(|(c, _)| c.nonce.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(amounts)
        .bind(
            charges
                .iter()
                .map(|(c, _)| i64::from(matches!(c.scope, Scope::SingleJob)))
                .collect::<Vec<_>>(),
        )
        .bind(
            charges
                .iter()
                .map(|(_, h)| h.as_deref())
                .collect::<Vec<_>>(),
        )
        .execute(&mut **self)
        .await?;
        all_updated(done.rows_affected(), charges.len())
    }

    async fn insert_settlements(
        &mut self,
        plans: &[&SettlePlan],
        attempt: usize,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let col =
            |f: &dyn Fn(&SettlePlan) -> String| plans.iter().map(|p| f(p)).collect::<Vec<String>>();
        let mut amounts = Vec::with_capacity(plans.len());
        let mut fees = Vec::with_capacity(plans.len());
        for p in plans {
            amounts.push(to_i64(p.charge.amount.amount)?);
            fees.push(to_i64(p.fee_minor)?);
        }
        let sql = concat!(
            "INSERT INTO settlement_settlements (receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
             authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                 $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[]) \
             RETURNING ",
            settlement_columns!()
        );
        let rows = sqlx::query(sql)
            .bind(col(&|p| p.charge.receipt.uri.to_string()))
            .bind(col(&|p| p.charge.receipt.cid.to_string()))
            .bind(col(&|p| p.uri_for_attempt(attempt)))
            .bind(col(&|p| p.settlement_cid.clone()))
            .bind(col(&|p| json::to_canonical_string(&p.settlement_value)))
            .bind(col(&|p| p.charge.requester.clone()))
            .bind(col(&|p| p.charge.provider.clone()))
            .bind(col(&|p| p.charge.authorization.uri.to_string()))
            .bind(col(&|p| p.charge.job.uri.to_string()))
            .bind(col(&|p| p.charge.amount.currency.clone()))
            .bind(amounts)
            .bind(fees)
            .bind(plans.iter().map(|p| p.now).collect::<Vec<i64>>())
            .fetch_all(&mut **self)
            .await?;
        let mut by_receipt: HashMap<String, SettlementRow> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let row = postgres_impl::settlement_from_row(r)?;
            by_receipt.insert(row.receipt_uri.clone(), row);
        }
        in_plan_order(plans, by_receipt)
    }
}

/// Every charge's authorization row was updated: each was locked (or
/// written) earlier in the transaction.
fn all_updated(updated: u64, charges: usize) -> Result<(), StoreError> {
    if updated == charges as u64 {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{updated} of {charges} authorization rows were updated"
        )))
    }
}

/// The inserted rows, in the order of `plans`.
fn in_plan_order(
    plans: &[&SettlePlan],
    mut by_receipt: HashMap<String, SettlementRow>,
) -> Result<Vec<SettlementRow>, StoreError> {
    plans
        .iter()
        .map(|p| {
            by_receipt
                .remove(p.charge.receipt.uri.as_str())
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "no settlement row came back for {}",
                        p.charge.receipt.uri
                    ))
                })
        })
        .collect()
}

/// The database type of a pool, for the macro above.
pub trait PoolDb {
    type Db: sqlx::Database;
}
impl PoolDb for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
}
impl PoolDb for sqlx::PgPool {
    type Db = sqlx::Postgres;
}

/// A list of strings as one SQL parameter: a JSON array for SQLite's
/// `json_each`, an array for PostgreSQL's `ANY`.
fn sqlite_list(values: &[String]) -> String {
    json::to_canonical_string(&Value::Array(
        values.iter().map(|v| Value::from(v.as_str())).collect(),
    ))
}
fn pg_list(values: &[String]) -> &[String] {
    values
}

backend!(
    sqlite_impl,
    ledger::SqliteLedger,
    sqlx::SqlitePool,
    "",
    " IN (SELECT value FROM json_each($1))",
    " IN (SELECT value FROM json_each($2))",
    sqlite_list
);
backend!(
    postgres_impl,
    ledger::PgLedger,
    sqlx::PgPool,
    " FOR UPDATE",
    " = ANY($1)",
    " = ANY($2)",
    pg_list
);

fn micros(d: crate::records::formats::Datetime) -> Micros {
    i64::try_from(d.unix_nanos().div_euclid(1000)).unwrap_or(i64::MAX)
}

fn existing_or_conflict(existing: SettlementRow, plan: &SettlePlan) -> Result<Settled, StoreError> {
    if existing.receipt_cid == plan.charge.receipt.cid.to_string() {
        Ok(Settled::Existing(existing))
    } else {
        Err(StoreError::AlreadySettled {
            uri: existing.receipt_uri,
            existing: existing.receipt_cid,
        })
    }
}

/// The state of an authorization nothing was charged against yet.
fn unused_authorization(plan: &SettlePlan) -> Result<AuthorizationState, StoreError> {
    let ch = &plan.charge;
    let (limit, scope) = match &ch.scope {
        Scope::SingleJob => (ch.ceiling.amount, "singleJob"),
        Scope::Session { budget } => (budget.amount, "session"),
    };
    Ok(AuthorizationState {
        requester: ch.requester.clone(),
        nonce: ch.nonce.as_str().to_owned(),
        authorization_uri: ch.authorization.uri.to_string(),
        authorization_cid: ch.authorization.cid.to_string(),
        scope: scope.to_owned(),
        currency: ch.amount.currency.clone(),
        limit_minor: to_i64(limit)?,
        charged_minor: 0,
        charges: 0,
        consumed: false,
        hold_id: None,
        expires_at: micros(ch.authorization_expires_at),
    })
}

/// Rule 9 against the authorization's recorded state.
fn check_consumption(state: &AuthorizationState, ch: &Charge) -> Result<(), StoreError> {
    if state.authorization_uri != ch.authorization.uri.as_str()
        || state.authorization_cid != ch.authorization.cid.to_string()
    {
        return Err(StoreError::AuthorizationConsumed(format!(
            "nonce {} of {} was already used by authorization {}",
            ch.nonce.as_str(),
            ch.requester,
            state.authorization_uri
        )));
    }
    if state.consumed {
        return Err(StoreError::AuthorizationConsumed(format!(
            "singleJob authorization {} was already consumed",
            state.authorization_uri
        )));
    }
    let amount = i64::try_from(ch.amount.amount).unwrap_or(i64::MAX);
    if state.charged_minor.saturating_add(amount) > state.limit_minor {
        return Err(StoreError::SessionBudgetExceeded(format!(
            "charging {amount} would bring authorization {} to {} of its budget {}",
            state.authorization_uri,
            state.charged_minor.saturating_add(amount),
            state.limit_minor
        )));
    }
    Ok(())
}

macro_rules! dispatch {
    ($self:ident, $l:ident => sqlite: $s:expr, postgres: $p:expr) => {
        match $self {
            Store::Sqlite($l) => $s,
            Store::Postgres($l) => $p,
        }
    };
}

impl Store {
    /// Opens the database at `url`; `clock` is "now" for the ledger (hold
    /// expiry) and must be the service's clock too.
    pub async fn open(
        url: &str,
        clock: std::sync::Arc<dyn ledger::Clock>,
    ) -> Result<Store, StoreError> {
        let config = ledger::Config {
            clock,
            ..ledger::Config::default()
        };
        Ok(match ledger::Ledger::open_with(url, config).await? {
            ledger::Ledger::Sqlite(l) => Store::Sqlite(l),
            ledger::Ledger::Postgres(l) => Store::Postgres(l),
        })
    }

    /// The same database through a small pool of its own, for a task on
    /// another runtime; `None` when the database cannot be shared that way
    /// (SQLite in memory).
    pub async fn fork(&self) -> Result<Option<Store>, StoreError> {
        Ok(match self {
            Store::Sqlite(l) => l.fork(2).await?.map(Store::Sqlite),
            Store::Postgres(l) => Some(Store::Postgres(l.fork(2).await?)),
        })
    }

    pub fn ledger(&self) -> ledger::Ledger {
        match self {
            Store::Sqlite(l) => ledger::Ledger::Sqlite(l.clone()),
            Store::Postgres(l) => ledger::Ledger::Postgres(l.clone()),
        }
    }

    /// Closes the connection pool (waits for connections in use).
    pub async fn close(&self) {
        dispatch!(self, l => sqlite: l.pool().close().await, postgres: l.pool().close().await)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, l => sqlite: sqlx::query("SELECT 1").execute(l.pool()).await.map(|_| ())?,
            postgres: sqlx::query("SELECT 1").execute(l.pool()).await.map(|_| ())?);
        Ok(())
    }

    pub async fn get_record(&self, uri: &str) -> Result<Option<StoredRecord>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::get_record(l.pool(), uri).await,
            postgres: postgres_impl::get_record(l.pool(), uri).await)
    }

    /// The receipt at `uri`, its job and whether it is settled, in one
    /// statement.
    pub async fn get_receipt(&self, uri: &str) -> Result<Option<StoredReceipt>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::get_receipt(l.pool(), uri).await,
            postgres: postgres_impl::get_receipt(l.pool(), uri).await)
    }

    pub async fn put_record(
        &self,
        uri: &crate::records::formats::AtUri,
        cid: &str,
        value: &Value,
        now: Micros,
    ) -> Result<Put, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::put_record(l, uri, cid, value, now).await,
            postgres: postgres_impl::put_record(l, uri, cid, value, now).await)
    }

    pub async fn settlement_by_receipt(
        &self,
        receipt_uri: &str,
    ) -> Result<Option<SettlementRow>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::settlement_by_receipt(l.pool(), receipt_uri).await,
            postgres: postgres_impl::settlement_by_receipt(l.pool(), receipt_uri).await)
    }

    /// Settlements whose `column` is `value`: column is one of
    /// authorization_uri, requester, provider, job_uri, receipt_uri.
    pub async fn settlements_where(
        &self,
        column: SettlementColumn,
        value: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::settlements_where(l.pool(), column, value, after_seq, limit).await,
            postgres: postgres_impl::settlements_where(l.pool(), column, value, after_seq, limit).await)
    }

    /// Records matching `filter`, in URI order, after `after_uri`.
    pub async fn list_records(
        &self,
        filter: &RecordFilter<'_>,
        after_uri: &str,
        limit: i64,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::list_records(l.pool(), filter, after_uri, limit).await,
            postgres: postgres_impl::list_records(l.pool(), filter, after_uri, limit).await)
    }

    pub async fn settlement_by_uri(&self, uri: &str) -> Result<Option<SettlementRow>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::settlement_by_uri(l.pool(), uri).await,
            postgres: postgres_impl::settlement_by_uri(l.pool(), uri).await)
    }

    pub async fn authorization_by_uri(
        &self,
        uri: &str,
    ) -> Result<Option<AuthorizationState>, StoreError> {
        dispatch!(self, l => sqlite: sqlite_impl::authorization_by_uri(l.pool(), uri).await,
            postgres: postgres_impl::authorization_by_uri(l.pool(), uri).await)
    }

    /// Records a charge atomically: consumes the authorization (rule 9),
    /// moves the money, writes the settlement; or, if the receipt is already
    /// settled, returns that settlement (rule 10). Transient conflicts are
    /// retried a bounded number of times.
    pub async fn settle(&self, plan: &SettlePlan) -> Result<Settled, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = dispatch!(self, l => sqlite: sqlite_impl::settle_once(l, plan, attempt).await,
                postgres: postgres_impl::settle_once(l, plan, attempt).await);
            match result {
                Err(e) if e.is_retryable() && attempt < ledger::RETRY_LIMIT => {
                    tokio::time::sleep(std::time::Duration::from_millis(2 * attempt as u64)).await;
                }
                other => return other,
            }
        }
    }

    /// Records many charges in one transaction (group commit), each with
    /// its own outcome, as [`Store::settle`] would give it. The plans must
    /// name distinct receipts and distinct authorizations. A transient
    /// conflict runs the whole transaction again, a bounded number of
    /// times; a database error is every plan's error.
    pub async fn settle_many(&self, plans: &[&SettlePlan]) -> Vec<Result<Settled, StoreError>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = dispatch!(self, l => sqlite: sqlite_impl::settle_batch_once(l, plans, attempt).await,
                postgres: postgres_impl::settle_batch_once(l, plans, attempt).await);
            match result {
                Ok(each) => return each,
                Err(e) if e.is_retryable() && attempt < ledger::RETRY_LIMIT => {
                    tokio::time::sleep(std::time::Duration::from_millis(2 * attempt as u64)).await;
                }
                Err(e) => {
                    let message = e.to_string();
                    return plans
                        .iter()
                        .map(|_| Err(StoreError::Batch(message.clone())))
                        .collect();
                }
            }
        }
    }

    /// Credits a requester's account from the deposits account. `id` makes
    /// the deposit idempotent.
    pub async fn deposit(
        &self,
        id: &str,
        requester: &str,
        currency: &str,
        amount_minor: i64,
        exchange_did: &str,
    ) -> Result<ledger::Submitted, StoreError> {
        let cur = Currency::new(currency)?;
        let ledger = self.ledger();
        for account in [
            new_account(
                accounts::requester(requester, currency),
                &cur,
                "requester",
                accounts::owner(requester),
                AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
            ),
            new_account(
                accounts::deposits(currency),
                &cur,
                "deposits",
                accounts::owner(exchange_did),
                AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
            ),
        ] {
            ledger.create_account(&account).await?;
        }
        let op = Op::Transfer(NewTransfer {
            id: Id::new(format!("deposit:{}", short_hash(&[id])))?,
            debit_account: accounts::deposits(currency),
            credit_account: accounts::requester(requester, currency),
            amount_minor,
            currency: cur,
            code: code("deposit"),
            reference: Some(Reference::new(format!("deposit:{id}"))?),
        });
        let mut out = ledger.submit(&[op]).await?;
        out.pop()
            .ok_or_else(|| StoreError::Corrupt("submit returned nothing".into()))
    }
}

/// Which records to list.
#[derive(Clone, Copy, Debug)]
pub enum RecordFilter<'a> {
    /// Records of `collection` in `did`'s repository.
    Owner { collection: &'a str, did: &'a str },
    /// Receipts naming `did` as requester.
    ReceiptsOfRequester(&'a str),
    /// Receipts of the job at this URI.
    ReceiptsOfJob(&'a str),
}

/// The columns settlements can be listed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementColumn {
    Authorization,
    Requester,
    Provider,
    Job,
    Receipt,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Scenario;

    #[test]
    fn a_retry_takes_another_record_key() {
        let sealed = Scenario::default().seal();
        let charge =
            crate::verify::verify_charge(&sealed.exchange, sealed.now, sealed.bundle()).unwrap();
        let plan = SettlePlan {
            settlement_uri:
                "at://did:web:exchange.example/dev.cocore.compute.settlement/3aaaaaaaaaaaa".into(),
            charge,
            fee_minor: 6,
            settlement_cid: String::new(),
            settlement_value: Value::Null,
            exchange_did: "did:web:exchange.example".into(),
            now: 1_795_255_200_000_000,
        };
        assert_eq!(plan.uri_for_attempt(1), plan.settlement_uri);
        let keys: std::collections::BTreeSet<String> =
            (1..=10).map(|n| plan.uri_for_attempt(n)).collect();
        assert_eq!(keys.len(), 10);
        for k in &keys {
            let uri = crate::records::formats::AtUri::parse(k).expect("a record URI");
            assert!(crate::records::formats::is_tid(uri.rkey()), "{k}");
        }
    }

    /// Thousands of settlements in one microsecond (a fixed clock, a busy
    /// batch) all find a key within the retry limit, although one
    /// microsecond holds only 1024 keys.
    #[test]
    fn many_settlements_in_one_microsecond_all_get_keys() {
        let sealed = Scenario::default().seal();
        let charge =
            crate::verify::verify_charge(&sealed.exchange, sealed.now, sealed.bundle()).unwrap();
        let mut used = std::collections::HashSet::new();
        for i in 0..3000 {
            let mut charge = charge.clone();
            let uri = format!(
                "at://{}/{}/r{i}",
                crate::testkit::PROVIDER,
                crate::records::NSID_RECEIPT
            );
            charge.receipt.uri = crate::records::formats::AtUri::parse(&uri).unwrap();
            let plan = SettlePlan {
                settlement_uri: format!(
                    "at://did:web:exchange.example/{}/{}",
                    crate::records::NSID_SETTLEMENT,
                    crate::service::tid(1_795_255_200_000_000, &uri)
                ),
                charge,
                fee_minor: 6,
                settlement_cid: String::new(),
                settlement_value: Value::Null,
                exchange_did: "did:web:exchange.example".into(),
                now: 1_795_255_200_000_000,
            };
            let found = (1..=ledger::RETRY_LIMIT)
                .map(|n| plan.uri_for_attempt(n))
                .find(|k| !used.contains(k));
            used.insert(found.unwrap_or_else(|| panic!("receipt {i} found no free key")));
        }
    }
}
pub mod payouts;
