//! PostgreSQL backend: production. Transactions run at READ COMMITTED and
//! take row locks (`SELECT ... FOR UPDATE`) on every account they will
//! change, in one statement, in byte order of the account id. Every writer
//! uses that order, so writers never deadlock on accounts and never lose an
//! update; holds change only under their accounts' locks. Races the locks do
//! not cover (two first writes of one transfer id) end in a unique-key
//! violation, which is retried like a serialization failure.

use crate::Config;
use crate::clock::Clock;
use crate::engine;
use crate::error::Result;
use crate::types::*;
use sqlx::Postgres;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions, PgRow};
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

const LOCK_ACCOUNTS: &str =
    "SELECT id FROM ledger_accounts WHERE id = ANY($1) ORDER BY id COLLATE \"C\" FOR UPDATE";

crate::sql::impl_conn!(PgConnection, PgRow, {
    async fn lock_accounts(&mut self, ids: &[Id], now_us: i64) -> Result<Vec<engine::AccountRow>> {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        let names: Vec<&str> = ids.iter().map(Id::as_str).collect();
        let locked: Vec<String> = sqlx::query_scalar(LOCK_ACCOUNTS)
            .bind(&names)
            .fetch_all(&mut *self)
            .await?;
        // Read the rows in statements that start after the locks are held,
        // so they see every change committed before.
        let mut out = Vec::with_capacity(locked.len());
        for id in locked {
            if let Some(row) = engine::Conn::get_account(self, &Id::trusted(id), now_us).await? {
                out.push(row);
            }
        }
        Ok(out)
    }
});

/// A ledger in a PostgreSQL database.
#[derive(Clone)]
pub struct PgLedger {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

impl PgLedger {
    /// Connects to `url` (`postgres://...`) and applies the migrations.
    pub async fn open(url: &str, config: Config) -> Result<PgLedger> {
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgLedger {
            pool,
            clock: config.clock,
        })
    }
}

/// A write transaction on a [`PgLedger`].
pub struct PgTx {
    tx: sqlx::Transaction<'static, Postgres>,
    now_us: i64,
}

crate::store::impl_store!(
    PgLedger,
    PgTx,
    Postgres,
    "BEGIN ISOLATION LEVEL READ COMMITTED"
);
