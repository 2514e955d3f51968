//! The settlement store: accepted records, authorization consumption (rule
//! 9), settlements (rule 10), all in the ledger's database and, for a
//! charge, in the ledger's own transaction, so a charge is all or nothing.
//!
//! Only this module (and the ledger crate) touch SQL. Both backends run the
//! same statements (`$N` placeholders) but for lists (`json_each` on SQLite,
//! `= ANY` on PostgreSQL) and the rows of a group commit (`rows`); what
//! differs is locking: SQLite serializes writers with `BEGIN IMMEDIATE`,
//! PostgreSQL takes an advisory lock per authorization key and then locks
//! the authorization rows `FOR UPDATE`, in key order, before the ledger
//! locks its accounts.
//!
//! `records` holds the reads and accepted records, `settle` the one charge
//! path, `rows` the many-row writes of a charge, `payouts` the payout rows.

use ledger::{AccountFlags, Currency, Id, LedgerStore, NewTransfer, Op, Reference};

use crate::accounts::{self, code, new_account, short_hash};
use crate::authorize::{AuthorizationState, Refusal};
use crate::records::formats::Micros;
use crate::records::json::{self, Value};

macro_rules! settlement_columns {
    () => {
        "seq, receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
         authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at"
    };
}

/// The provider's share, less what dispute verdicts took back, summed over
/// one provider's settlements in one currency that no payout carries yet
/// (`$1` provider, `$2` currency), with its parts of split settlements
/// (less what verdicts took back from each); callers may add `AND`
/// conditions on `s` (settlements) and `p` (parts). The payout plan and
/// the engine's holdback count the same money with it.
macro_rules! unpaid_shares {
    () => {
        $crate::store::unpaid_shares!("", "")
    };
    ($settlements:literal, $parts:literal) => {
        concat!(
            "SELECT CAST(COALESCE((SELECT SUM(s.amount_minor - s.fee_minor - COALESCE((SELECT SUM(r.provider_minor) \
             FROM settlement_reversals r WHERE r.settlement_uri = s.uri), 0)) \
             FROM settlement_settlements s WHERE s.provider = $1 AND s.currency = $2 AND s.payout_id IS NULL",
            $settlements,
            "), 0) + COALESCE((SELECT SUM(p.amount_minor - COALESCE((SELECT SUM(x.amount_minor) \
             FROM settlement_reversal_parts x WHERE x.settlement_uri = p.settlement_uri AND x.idx = p.idx), 0)) \
             FROM settlement_parts p WHERE p.payee = $1 AND p.currency = $2 AND p.payout_id IS NULL",
            $parts,
            "), 0) AS BIGINT) AS held"
        )
    };
}
pub(crate) use unpaid_shares;

macro_rules! dispatch {
    ($self:ident, $l:ident => sqlite: $s:expr, postgres: $p:expr) => {
        match $self {
            Store::Sqlite($l) => $s,
            Store::Postgres($l) => $p,
        }
    };
}

/// The same code on either backend's pool: `$body` is compiled once per
/// backend, with `$pool` that backend's pool.
macro_rules! on_pool {
    ($self:ident, $pool:ident => $body:expr) => {
        match $self {
            Store::Sqlite(l) => {
                let $pool = ledger::LedgerStore::pool(l);
                $body
            }
            Store::Postgres(l) => {
                let $pool = ledger::LedgerStore::pool(l);
                $body
            }
        }
    };
}
pub(crate) use on_pool;

mod cycle_lock;
pub mod deposits;
pub mod inference;
pub mod parts;
mod payout_types;
pub mod payouts;
mod records;
mod revisions;
mod rows;
mod settle;
mod tokens;
mod treasury;
pub use cycle_lock::CycleLock;

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
    /// The authorization's state refuses the charge (rule 9).
    #[error(transparent)]
    Refused(Refusal),
    #[error("ledger: {0}")]
    Ledger(#[from] ledger::Error),
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

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(e) => StoreError::Ledger(e),
            other => StoreError::Refused(other),
        }
    }
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
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

/// The outcome of a charge: a new settlement, or the one already recorded
/// for the same receipt (rule 10, idempotent).
#[derive(Clone, Debug)]
pub enum Settled {
    Created(SettlementRow),
    Existing(SettlementRow),
}

/// A store on one of the two backends.
#[derive(Clone)]
pub enum Store {
    Sqlite(ledger::SqliteLedger),
    Postgres(ledger::PgLedger),
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
        dispatch!(self, l => sqlite: records::sqlite::get_record(l.pool(), uri).await,
            postgres: records::postgres::get_record(l.pool(), uri).await)
    }

    /// The receipt at `uri`, its job and whether it is settled, in one
    /// statement.
    pub async fn get_receipt(&self, uri: &str) -> Result<Option<StoredReceipt>, StoreError> {
        dispatch!(self, l => sqlite: records::sqlite::get_receipt(l.pool(), uri).await,
            postgres: records::postgres::get_receipt(l.pool(), uri).await)
    }

    pub async fn put_record(
        &self,
        uri: &crate::records::formats::AtUri,
        cid: &str,
        value: &Value,
        now: Micros,
    ) -> Result<Put, StoreError> {
        dispatch!(self, l => sqlite: records::sqlite::put_record(l, uri, cid, value, now).await,
            postgres: records::postgres::put_record(l, uri, cid, value, now).await)
    }

    pub async fn settlement_by_receipt(
        &self,
        receipt_uri: &str,
    ) -> Result<Option<SettlementRow>, StoreError> {
        dispatch!(self, l => sqlite: records::sqlite::settlement_by_receipt(l.pool(), receipt_uri).await,
            postgres: records::postgres::settlement_by_receipt(l.pool(), receipt_uri).await)
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
        dispatch!(self, l => sqlite: records::sqlite::settlements_where(l.pool(), column, value, after_seq, limit).await,
            postgres: records::postgres::settlements_where(l.pool(), column, value, after_seq, limit).await)
    }

    /// Records matching `filter`, in URI order, after `after_uri`.
    pub async fn list_records(
        &self,
        filter: &RecordFilter<'_>,
        after_uri: &str,
        limit: i64,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        dispatch!(self, l => sqlite: records::sqlite::list_records(l.pool(), filter, after_uri, limit).await,
            postgres: records::postgres::list_records(l.pool(), filter, after_uri, limit).await)
    }

    pub async fn settlement_by_uri(&self, uri: &str) -> Result<Option<SettlementRow>, StoreError> {
        dispatch!(self, l => sqlite: records::sqlite::settlement_by_uri(l.pool(), uri).await,
            postgres: records::postgres::settlement_by_uri(l.pool(), uri).await)
    }

    pub async fn authorization_by_uri(
        &self,
        uri: &str,
    ) -> Result<Option<AuthorizationState>, StoreError> {
        dispatch!(self, l => sqlite: records::sqlite::authorization_by_uri(l.pool(), uri).await,
            postgres: records::postgres::authorization_by_uri(l.pool(), uri).await)
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
            accounts::requester_account(requester, &cur),
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
