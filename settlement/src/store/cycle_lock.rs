//! One payout cycle at a time across every process on a database (several
//! `serve` replicas, or `serve` and `payout run`): PostgreSQL's session
//! advisory lock on a connection of its own, SQLite's file lock on a file
//! beside the database. Either is released when the holder drops it, and
//! by the database or the kernel when the process dies, so a crash never
//! leaves payouts locked.

use sqlx::Connection as _;

use super::{Store, StoreError};

/// The advisory lock key of the payout cycle.
const PAYOUT_CYCLE_KEY: i64 = 0x7061_796f_7574; // "payout"
/// ... and of a publishing pass.
const PUBLISH_KEY: i64 = 0x7075_626c_6973; // "publis"

/// Held while a payout cycle runs; dropped, it is released.
pub enum CycleLock {
    Postgres(sqlx::PgConnection),
    Sqlite(std::fs::File),
    /// An in-memory database: one process only.
    Process,
}

impl Store {
    /// The payout cycle's lock, if no other process holds it.
    pub async fn try_payout_cycle_lock(&self) -> Result<Option<CycleLock>, StoreError> {
        self.try_lock(PAYOUT_CYCLE_KEY, ".payouts.lock").await
    }

    /// The lock of a publishing pass (one writer to the exchange's
    /// repository at a time, so an older version never overwrites a newer
    /// one), if no other process holds it.
    pub async fn try_publish_lock(&self) -> Result<Option<CycleLock>, StoreError> {
        self.try_lock(PUBLISH_KEY, ".publish.lock").await
    }

    async fn try_lock(&self, key: i64, suffix: &str) -> Result<Option<CycleLock>, StoreError> {
        match self {
            Store::Postgres(l) => {
                let options = ledger::LedgerStore::pool(l).connect_options();
                let mut conn = sqlx::PgConnection::connect_with(&options).await?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut conn)
                    .await?;
                Ok(got.then_some(CycleLock::Postgres(conn)))
            }
            Store::Sqlite(l) => {
                let options = ledger::LedgerStore::pool(l).connect_options();
                let db = options.get_filename();
                if l.is_in_memory() || db.as_os_str().is_empty() {
                    return Ok(Some(CycleLock::Process));
                }
                let mut path = db.as_os_str().to_owned();
                path.push(suffix);
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|e| StoreError::Corrupt(format!("lock file {suffix}: {e}")))?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(CycleLock::Sqlite(file))),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => {
                        Err(StoreError::Corrupt(format!("lock file {suffix}: {e}")))
                    }
                }
            }
        }
    }
}
