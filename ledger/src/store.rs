//! The capability: [`LedgerStore`] (a ledger database) and [`LedgerTx`]
//! (one open transaction on it). Implemented by [`crate::SqliteLedger`] and
//! [`crate::PgLedger`].

use crate::error::{Error, Result};
use crate::types::*;
use std::future::Future;

/// How many times the one-shot methods run a transaction that failed with a
/// retryable error ([`Error::is_retryable`]) before giving up.
pub const RETRY_LIMIT: usize = 10;

/// Runs `$body` in a fresh transaction on `$store`, committing on success
/// and retrying retryable failures with a short, growing, jittered pause.
macro_rules! retrying {
    ($store:expr, $tx:ident => $body:expr) => {{
        let mut attempt = 0usize;
        loop {
            attempt += 1;
            let result: Result<_, Error> = async {
                #[allow(unused_mut)]
                let mut $tx = $store.begin().await?;
                let out = $body;
                $tx.commit().await?;
                Ok(out)
            }
            .await;
            match result {
                Err(e) if e.is_retryable() && attempt < RETRY_LIMIT => {
                    crate::store::backoff(attempt).await;
                }
                other => break other,
            }
        }
    }};
}

/// One open database transaction with ledger operations on it.
///
/// All operations in a transaction see the same "now" (taken at `begin`).
/// Nothing is visible to others until [`LedgerTx::commit`]; dropping the
/// transaction rolls it back. A domain error (anything but
/// [`Error::Database`]) leaves the transaction as it was, so the caller may
/// go on or roll back. After a database error, roll back; if
/// [`Error::is_retryable`], run the whole transaction again.
pub trait LedgerTx: Send {
    type Db: sqlx::Database;

    /// The underlying sqlx transaction, to run the caller's own SQL
    /// atomically with the ledger's.
    fn sqlx(&mut self) -> &mut sqlx::Transaction<'static, Self::Db>;
    /// The transaction's "now", in unix microseconds.
    fn now_us(&self) -> i64;

    /// Opens an account. Opening an existing id with the same content
    /// returns it unchanged; with different content fails `account-exists`.
    fn create_account(&mut self, new: &NewAccount) -> impl Future<Output = Result<Account>> + Send;
    /// Applies a batch atomically. Each operation whose id was already
    /// recorded with the same content is returned as recorded
    /// (`replayed: true`) and applied again never.
    fn submit(&mut self, ops: &[Op]) -> impl Future<Output = Result<Vec<Submitted>>> + Send;
    /// Applies several batches, each atomically on its own: one batch's
    /// domain error is its own result and leaves no trace, the others go
    /// on. Batches are decided in order, each against the balances the
    /// earlier successful ones left, with one lock of every account
    /// involved and one write at the end (group commit). The outer error
    /// is a database error: roll back.
    fn submit_each(
        &mut self,
        batches: &[&[Op]],
    ) -> impl Future<Output = Result<Vec<Result<Vec<Submitted>>>>> + Send;
    /// [`LedgerTx::create_account`] for many accounts, in two statements
    /// when they exist already; each has its own result.
    fn create_accounts(
        &mut self,
        news: &[NewAccount],
    ) -> impl Future<Output = Result<Vec<Result<Account>>>> + Send;
    fn account(&mut self, id: &Id) -> impl Future<Output = Result<Account>> + Send;
    fn balance(&mut self, id: &Id) -> impl Future<Output = Result<Balance>> + Send;
    /// Records the release of up to `limit` expired holds.
    fn expire_holds(&mut self, limit: u32) -> impl Future<Output = Result<usize>> + Send;
    fn commit(self) -> impl Future<Output = Result<()>> + Send;
    fn rollback(self) -> impl Future<Output = Result<()>> + Send;
}

/// A ledger database. Reads run outside any transaction (each is one
/// consistent statement); writes run in a transaction and are retried on
/// transient conflicts.
pub trait LedgerStore: Send + Sync + 'static {
    type Db: sqlx::Database;
    type Tx: LedgerTx<Db = Self::Db>;

    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`).
    fn begin(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    /// The store's clock, in unix microseconds.
    fn now_us(&self) -> i64;
    /// The connection pool, for the caller's own queries.
    fn pool(&self) -> &sqlx::Pool<Self::Db>;

    fn account(&self, id: &Id) -> impl Future<Output = Result<Account>> + Send;
    /// Balance now: expired holds count as released.
    fn balance(&self, id: &Id) -> impl Future<Output = Result<Balance>> + Send;
    /// Balance as of `at_us`, computed from the append-only history.
    fn balance_at(&self, id: &Id, at_us: i64) -> impl Future<Output = Result<Balance>> + Send;
    /// Transfers touching the account, oldest first.
    fn statement(&self, id: &Id, page: Page) -> impl Future<Output = Result<TransferPage>> + Send;
    fn by_reference(
        &self,
        reference: &Reference,
        page: Page,
    ) -> impl Future<Output = Result<TransferPage>> + Send;
    fn transfer(&self, id: &Id) -> impl Future<Output = Result<Option<Transfer>>> + Send;
    fn hold(&self, id: &Id) -> impl Future<Output = Result<Option<Hold>>> + Send;

    /// One-shot [`LedgerTx::create_account`], retried on transient conflicts.
    fn create_account(&self, new: &NewAccount) -> impl Future<Output = Result<Account>> + Send {
        async move { retrying!(self, tx => tx.create_account(new).await?) }
    }
    /// One-shot [`LedgerTx::submit`], retried on transient conflicts.
    fn submit(&self, ops: &[Op]) -> impl Future<Output = Result<Vec<Submitted>>> + Send {
        async move { retrying!(self, tx => tx.submit(ops).await?) }
    }
    /// One-shot [`LedgerTx::expire_holds`], retried on transient conflicts.
    fn expire_holds(&self, limit: u32) -> impl Future<Output = Result<usize>> + Send {
        async move { retrying!(self, tx => tx.expire_holds(limit).await?) }
    }
}

pub(crate) async fn backoff(attempt: usize) {
    // Jitter from the clock's low bits: enough to break lockstep retries.
    let jitter_us = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
            % 1000,
    );
    let base_us = 500u64 << attempt.min(6);
    tokio::time::sleep(std::time::Duration::from_micros(base_us + jitter_us)).await;
}

/// Implements [`LedgerTx`] and [`LedgerStore`] for a backend whose store
/// has `pool` and `clock` fields and whose transaction has `tx` and `now_us`.
macro_rules! impl_store {
    ($store:ty, $tx:ident, $db:ty, $begin:literal) => {
        impl $crate::store::LedgerTx for $tx {
            type Db = $db;

            fn sqlx(&mut self) -> &mut sqlx::Transaction<'static, $db> {
                &mut self.tx
            }
            fn now_us(&self) -> i64 {
                self.now_us
            }
            async fn create_account(
                &mut self,
                new: &$crate::types::NewAccount,
            ) -> $crate::error::Result<$crate::types::Account> {
                $crate::engine::create_account(&mut *self.tx, self.now_us, new).await
            }
            async fn submit(
                &mut self,
                ops: &[$crate::types::Op],
            ) -> $crate::error::Result<Vec<$crate::types::Submitted>> {
                $crate::engine::submit(&mut *self.tx, self.now_us, ops).await
            }
            async fn submit_each(
                &mut self,
                batches: &[&[$crate::types::Op]],
            ) -> $crate::error::Result<Vec<$crate::error::Result<Vec<$crate::types::Submitted>>>>
            {
                $crate::engine::submit_each(&mut *self.tx, self.now_us, batches).await
            }
            async fn create_accounts(
                &mut self,
                news: &[$crate::types::NewAccount],
            ) -> $crate::error::Result<Vec<$crate::error::Result<$crate::types::Account>>> {
                $crate::engine::create_accounts(&mut *self.tx, self.now_us, news).await
            }
            async fn account(
                &mut self,
                id: &$crate::types::Id,
            ) -> $crate::error::Result<$crate::types::Account> {
                $crate::engine::account(&mut *self.tx, id, self.now_us).await
            }
            async fn balance(
                &mut self,
                id: &$crate::types::Id,
            ) -> $crate::error::Result<$crate::types::Balance> {
                $crate::engine::balance(&mut *self.tx, id, self.now_us).await
            }
            async fn expire_holds(&mut self, limit: u32) -> $crate::error::Result<usize> {
                $crate::engine::expire_holds(&mut *self.tx, self.now_us, limit).await
            }
            async fn commit(self) -> $crate::error::Result<()> {
                Ok(self.tx.commit().await?)
            }
            async fn rollback(self) -> $crate::error::Result<()> {
                Ok(self.tx.rollback().await?)
            }
        }

        impl $crate::store::LedgerStore for $store {
            type Db = $db;
            type Tx = $tx;

            async fn begin(&self) -> $crate::error::Result<$tx> {
                let tx = self.pool.begin_with($begin).await?;
                Ok($tx {
                    tx,
                    now_us: self.clock.now_us(),
                })
            }
            fn now_us(&self) -> i64 {
                self.clock.now_us()
            }
            fn pool(&self) -> &sqlx::Pool<$db> {
                &self.pool
            }
            async fn account(
                &self,
                id: &$crate::types::Id,
            ) -> $crate::error::Result<$crate::types::Account> {
                let mut conn = self.pool.acquire().await?;
                $crate::engine::account(&mut *conn, id, self.clock.now_us()).await
            }
            async fn balance(
                &self,
                id: &$crate::types::Id,
            ) -> $crate::error::Result<$crate::types::Balance> {
                let mut conn = self.pool.acquire().await?;
                $crate::engine::balance(&mut *conn, id, self.clock.now_us()).await
            }
            async fn balance_at(
                &self,
                id: &$crate::types::Id,
                at_us: i64,
            ) -> $crate::error::Result<$crate::types::Balance> {
                let mut conn = self.pool.acquire().await?;
                $crate::engine::balance_at(&mut *conn, id, at_us).await
            }
            async fn statement(
                &self,
                id: &$crate::types::Id,
                page: $crate::types::Page,
            ) -> $crate::error::Result<$crate::types::TransferPage> {
                let mut conn = self.pool.acquire().await?;
                $crate::engine::statement(&mut *conn, id, page).await
            }
            async fn by_reference(
                &self,
                reference: &$crate::types::Reference,
                page: $crate::types::Page,
            ) -> $crate::error::Result<$crate::types::TransferPage> {
                let mut conn = self.pool.acquire().await?;
                $crate::engine::by_reference(&mut *conn, reference, page).await
            }
            async fn transfer(
                &self,
                id: &$crate::types::Id,
            ) -> $crate::error::Result<Option<$crate::types::Transfer>> {
                let mut conn = self.pool.acquire().await?;
                let found =
                    $crate::engine::Conn::find_transfers(&mut *conn, std::slice::from_ref(id))
                        .await?;
                Ok(found.into_iter().next())
            }
            async fn hold(
                &self,
                id: &$crate::types::Id,
            ) -> $crate::error::Result<Option<$crate::types::Hold>> {
                let mut conn = self.pool.acquire().await?;
                let found =
                    $crate::engine::Conn::find_holds(&mut *conn, std::slice::from_ref(id)).await?;
                Ok(found.into_iter().next())
            }
        }
    };
}
pub(crate) use impl_store;
