//! SQLite backend: the embedded default. WAL journal, `synchronous=FULL`
//! (a committed transfer survives power loss), and every write transaction
//! starts with `BEGIN IMMEDIATE`, which takes the database's single write
//! lock up front: writers are serialized, so there are no lost updates and
//! no upgrade deadlocks. Readers run concurrently (file databases).

use crate::Config;
use crate::clock::Clock;
use crate::engine;
use crate::error::Result;
use crate::types::*;
use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

crate::sql::impl_conn!(SqliteConnection, SqliteRow, {
    crate::sql::row_by_row!();

    async fn lock_accounts(&mut self, ids: &[Id], now_us: i64) -> Result<Vec<engine::AccountRow>> {
        // BEGIN IMMEDIATE already holds the write lock: plain reads suffice.
        engine::Conn::get_accounts(self, ids, now_us).await
    }
});

/// A ledger in a SQLite database (a file, or in memory).
#[derive(Clone)]
pub struct SqliteLedger {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    in_memory: bool,
}

impl SqliteLedger {
    /// Opens (creating if missing) `url`: `sqlite:path/to/file.db`,
    /// `sqlite://...` or `sqlite::memory:`, and applies the migrations.
    ///
    /// An in-memory database lives in one connection, so its pool has
    /// exactly one: do not call the store's one-shot methods while holding
    /// one of its transactions (that would wait forever).
    pub async fn open(url: &str, config: Config) -> Result<SqliteLedger> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool_options = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(config.max_connections.max(1))
        };
        let pool = pool_options.connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteLedger {
            pool,
            clock: config.clock,
            in_memory,
        })
    }

    /// The same database through a pool of its own, of at most
    /// `max_connections`, for a task that runs on another runtime (its
    /// connections are then driven by that runtime). `None` for an
    /// in-memory database, which lives in its one connection.
    pub async fn fork(&self, max_connections: u32) -> Result<Option<SqliteLedger>> {
        if self.in_memory {
            return Ok(None);
        }
        let options = (*self.pool.connect_options()).clone();
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await?;
        Ok(Some(SqliteLedger {
            pool,
            clock: self.clock.clone(),
            in_memory: false,
        }))
    }
}

/// A write transaction on a [`SqliteLedger`].
pub struct SqliteTx {
    tx: sqlx::Transaction<'static, Sqlite>,
    now_us: i64,
}

crate::store::impl_store!(SqliteLedger, SqliteTx, Sqlite, "BEGIN IMMEDIATE");
