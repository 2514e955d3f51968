//! Double-entry ledger: accounts, transfers, two-phase holds and balances,
//! on SQLite (embedded default) or PostgreSQL (production). It knows
//! nothing about receipts; callers name transfers and give references.
//!
//! # Model
//!
//! - An **account** has one currency, a kind, an owner and flags. It keeps
//!   four running totals in integer minor units (TigerBeetle style):
//!   `debits_posted`, `credits_posted`, `debits_pending`, `credits_pending`.
//!   [`AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS`] keeps
//!   `debits_posted + debits_pending <= credits_posted` (a balance that
//!   must not go negative); [`AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS`]
//!   is the mirror. [`Balance::available`] is what the flag still allows.
//! - A **transfer** moves `amount_minor > 0` from a debit account to a
//!   different credit account of the same currency. It carries a
//!   caller-chosen [`Id`] (the idempotency key), a [`Code`] (reason), an
//!   optional [`Reference`] (e.g. a receipt URI, indexed) and the time.
//!   Transfers are append-only: the tables refuse UPDATE and DELETE.
//! - A **hold** is a pending transfer with an expiry. It is resolved exactly
//!   once: posted (all or part; the rest released), voided, or, once
//!   expired, released. An expired hold counts as released the moment it
//!   expires, whether or not [`LedgerStore::expire_holds`] has recorded the
//!   release; it can no longer be posted or voided (`hold-expired`).
//! - A **batch** ([`Op`]s, at most [`BATCH_MAX`]) commits atomically or
//!   not at all.
//! - **Idempotency**: an operation whose id is already recorded with the
//!   same content returns the recorded transfer (`replayed: true`) and
//!   changes nothing; the same id with other content fails
//!   `idempotency-conflict`. This covers posts and voids too.
//! - **Time** is unix microseconds (UTC) from an injectable [`Clock`]; one
//!   transaction uses one "now". Balances as of a past time are computed
//!   from the transfer history alone ([`LedgerStore::balance_at`]).
//!
//! # Invariants
//!
//! - Every transfer balances: it adds the same amount to one account's
//!   debits and another's credits, so per currency the sum over all
//!   accounts of (credits - debits), posted and pending alike, is zero.
//! - Each account's totals equal the sum of its transfers: posted totals
//!   are the sums of `posted` and `post` transfers; pending totals are the
//!   sums of holds not yet resolved.
//! - No flagged account crosses its limit; all arithmetic is checked and
//!   overflow is an error (`overflow`), never a wrap.
//! - A failed operation writes nothing: every domain error is detected
//!   before the first write.
//!
//! # Running your own SQL in the ledger's transaction
//!
//! [`LedgerStore::begin`] returns a [`LedgerTx`]: ledger operations plus
//! [`LedgerTx::sqlx`], the underlying `sqlx::Transaction`. Nothing is
//! visible until [`LedgerTx::commit`]. Retry the whole transaction on
//! [`Error::is_retryable`] (the one-shot methods do this themselves):
//!
//! ```no_run
//! # use ledger::*;
//! # async fn settle(store: &SqliteLedger, ops: &[Op]) -> Result<(), Error> {
//! let mut attempt = 0;
//! loop {
//!     attempt += 1;
//!     let result = async {
//!         let mut tx = store.begin().await?;
//!         tx.submit(ops).await?;
//!         sqlx::query("INSERT INTO my_settlements (id) VALUES ($1)")
//!             .bind("s-1")
//!             .execute(&mut **tx.sqlx())
//!             .await?;
//!         tx.commit().await
//!     }
//!     .await;
//!     match result {
//!         Err(e) if e.is_retryable() && attempt < RETRY_LIMIT => continue,
//!         other => return other,
//!     }
//! }
//! # }
//! ```
//!
//! On SQLite `begin` is `BEGIN IMMEDIATE` (the database's one write lock is
//! taken up front). On PostgreSQL ledger operations lock the accounts they
//! change with `SELECT ... FOR UPDATE` in id order; take your own row locks
//! after the ledger's, or in an order that cannot invert them.
//!
//! # Backends and migrations
//!
//! [`Ledger::open`] picks the backend from the URL (`sqlite:...`,
//! `sqlite::memory:`, `postgres://...`) and applies the migrations under
//! `migrations/sqlite` or `migrations/postgres` (all files there, including
//! other crates' later ones). Tables are named `ledger_*`.

mod clock;
mod engine;
mod error;
mod postgres;
mod sql;
mod sqlite;
mod store;
mod types;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use postgres::{PgLedger, PgTx};
pub use sqlite::{SqliteLedger, SqliteTx};
pub use store::{LedgerStore, LedgerTx, RETRY_LIMIT};
pub use types::*;

use std::sync::Arc;

/// How to open a ledger.
#[derive(Clone)]
pub struct Config {
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Pool size (file SQLite and PostgreSQL; in-memory SQLite uses one).
    pub max_connections: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            clock: Arc::new(SystemClock),
            max_connections: 8,
        }
    }
}

/// A ledger on either backend, chosen by URL. Generic code can take
/// `impl LedgerStore` instead and be handed the variant's store.
#[derive(Clone)]
pub enum Ledger {
    Sqlite(SqliteLedger),
    Postgres(PgLedger),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Ledger::Sqlite($s) => $e,
            Ledger::Postgres($s) => $e,
        }
    };
}

impl Ledger {
    /// Opens `url` with the default [`Config`].
    pub async fn open(url: &str) -> Result<Ledger> {
        Ledger::open_with(url, Config::default()).await
    }

    pub async fn open_with(url: &str, config: Config) -> Result<Ledger> {
        if url.starts_with("sqlite:") {
            Ok(Ledger::Sqlite(SqliteLedger::open(url, config).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Ledger::Postgres(PgLedger::open(url, config).await?))
        } else {
            Err(Error::UnsupportedUrl)
        }
    }

    pub async fn create_account(&self, new: &NewAccount) -> Result<Account> {
        dispatch!(self, s => s.create_account(new).await)
    }
    pub async fn submit(&self, ops: &[Op]) -> Result<Vec<Submitted>> {
        dispatch!(self, s => s.submit(ops).await)
    }
    pub async fn expire_holds(&self, limit: u32) -> Result<usize> {
        dispatch!(self, s => s.expire_holds(limit).await)
    }
    pub async fn account(&self, id: &Id) -> Result<Account> {
        dispatch!(self, s => s.account(id).await)
    }
    pub async fn balance(&self, id: &Id) -> Result<Balance> {
        dispatch!(self, s => s.balance(id).await)
    }
    pub async fn balance_at(&self, id: &Id, at_us: i64) -> Result<Balance> {
        dispatch!(self, s => s.balance_at(id, at_us).await)
    }
    pub async fn statement(&self, id: &Id, page: Page) -> Result<TransferPage> {
        dispatch!(self, s => s.statement(id, page).await)
    }
    pub async fn by_reference(&self, reference: &Reference, page: Page) -> Result<TransferPage> {
        dispatch!(self, s => s.by_reference(reference, page).await)
    }
    pub async fn transfer(&self, id: &Id) -> Result<Option<Transfer>> {
        dispatch!(self, s => s.transfer(id).await)
    }
    pub async fn hold(&self, id: &Id) -> Result<Option<Hold>> {
        dispatch!(self, s => s.hold(id).await)
    }
}
