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

/// Rows are inserted in array order, so `seq`s follow it; they are read
/// back by id all the same.
const INSERT_TRANSFERS: &str = "INSERT INTO ledger_transfers \
    (id, kind, debit_account, credit_account, amount, currency, code, reference, pending_id, expires_at, created_at) \
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], \
        $8::text[], $9::text[], $10::bigint[], $11::bigint[]) \
    RETURNING id, seq";

const INSERT_HOLDS: &str = "INSERT INTO ledger_holds \
    (transfer_id, debit_account, credit_account, amount, currency, expires_at, state, resolved_by) \
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], \
        $7::text[], $8::text[])";

const RESOLVE_HOLDS: &str = "UPDATE ledger_holds h SET state = u.state, resolved_by = u.resolved_by \
    FROM UNNEST($1::text[], $2::text[], $3::text[]) AS u(id, state, resolved_by) \
    WHERE h.transfer_id = u.id AND h.state = 'pending'";

const UPDATE_BALANCES: &str = "UPDATE ledger_accounts a SET debits_posted = u.dp, credits_posted = u.cp, \
    debits_pending = u.dpend, credits_pending = u.cpend \
    FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(id, dp, cp, dpend, cpend) \
    WHERE a.id = u.id";

fn names(ids: &[Id]) -> Vec<&str> {
    ids.iter().map(Id::as_str).collect()
}

// Every read and write of many rows is one statement, whatever the count:
// a round trip to the server costs more than the rows.
crate::sql::impl_conn!(PgConnection, PgRow, " = ANY($1)", names, {
    async fn lock_accounts(&mut self, ids: &[Id], now_us: i64) -> Result<Vec<engine::AccountRow>> {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        sqlx::query(LOCK_ACCOUNTS)
            .bind(names(ids))
            .execute(&mut *self)
            .await?;
        // Read the rows in a statement that starts after the locks are
        // held, so it sees every change committed before.
        engine::Conn::get_accounts(self, ids, now_us).await
    }

    async fn insert_transfers(&mut self, transfers: &[Transfer]) -> Result<Vec<i64>> {
        use sqlx::Row as _;
        let col = |f: fn(&Transfer) -> &str| transfers.iter().map(f).collect::<Vec<&str>>();
        let rows = sqlx::query(INSERT_TRANSFERS)
            .bind(col(|t| t.id.as_str()))
            .bind(col(|t| t.kind.as_str()))
            .bind(col(|t| t.debit_account.as_str()))
            .bind(col(|t| t.credit_account.as_str()))
            .bind(
                transfers
                    .iter()
                    .map(|t| t.amount_minor)
                    .collect::<Vec<i64>>(),
            )
            .bind(col(|t| t.currency.as_str()))
            .bind(col(|t| t.code.as_str()))
            .bind(
                transfers
                    .iter()
                    .map(|t| t.reference.as_ref().map(|r| r.as_str()))
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(
                transfers
                    .iter()
                    .map(|t| t.pending_id.as_ref().map(|r| r.as_str()))
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(
                transfers
                    .iter()
                    .map(|t| t.expires_at_us)
                    .collect::<Vec<Option<i64>>>(),
            )
            .bind(
                transfers
                    .iter()
                    .map(|t| t.timestamp_us)
                    .collect::<Vec<i64>>(),
            )
            .fetch_all(&mut *self)
            .await?;
        let mut seqs = std::collections::HashMap::with_capacity(rows.len());
        for r in &rows {
            seqs.insert(r.try_get::<String, _>("id")?, r.try_get::<i64, _>("seq")?);
        }
        Ok(transfers
            .iter()
            .filter_map(|t| seqs.get(t.id.as_str()).copied())
            .collect())
    }

    async fn insert_holds(&mut self, holds: &[Hold]) -> Result<()> {
        let col = |f: fn(&Hold) -> &str| holds.iter().map(f).collect::<Vec<&str>>();
        sqlx::query(INSERT_HOLDS)
            .bind(col(|h| h.id.as_str()))
            .bind(col(|h| h.debit_account.as_str()))
            .bind(col(|h| h.credit_account.as_str()))
            .bind(holds.iter().map(|h| h.amount_minor).collect::<Vec<i64>>())
            .bind(col(|h| h.currency.as_str()))
            .bind(holds.iter().map(|h| h.expires_at_us).collect::<Vec<i64>>())
            .bind(col(|h| h.state.as_str()))
            .bind(
                holds
                    .iter()
                    .map(|h| h.resolved_by.as_ref().map(|r| r.as_str()))
                    .collect::<Vec<Option<&str>>>(),
            )
            .execute(&mut *self)
            .await?;
        Ok(())
    }

    async fn resolve_holds(&mut self, holds: &[Hold]) -> Result<()> {
        let done = sqlx::query(RESOLVE_HOLDS)
            .bind(holds.iter().map(|h| h.id.as_str()).collect::<Vec<&str>>())
            .bind(
                holds
                    .iter()
                    .map(|h| h.state.as_str())
                    .collect::<Vec<&str>>(),
            )
            .bind(
                holds
                    .iter()
                    .map(|h| h.resolved_by.as_ref().map(|r| r.as_str()))
                    .collect::<Vec<Option<&str>>>(),
            )
            .execute(&mut *self)
            .await?;
        // Every hold was read as pending under its accounts' locks.
        assert_eq!(
            done.rows_affected(),
            holds.len() as u64,
            "a hold resolved twice"
        );
        Ok(())
    }

    async fn update_balances(&mut self, rows: &[engine::AccountRow]) -> Result<()> {
        let done = sqlx::query(UPDATE_BALANCES)
            .bind(
                rows.iter()
                    .map(|r| r.account.id.as_str())
                    .collect::<Vec<&str>>(),
            )
            .bind(rows.iter().map(|r| r.debits_posted).collect::<Vec<i64>>())
            .bind(rows.iter().map(|r| r.credits_posted).collect::<Vec<i64>>())
            .bind(rows.iter().map(|r| r.debits_pending).collect::<Vec<i64>>())
            .bind(rows.iter().map(|r| r.credits_pending).collect::<Vec<i64>>())
            .execute(&mut *self)
            .await?;
        assert_eq!(
            done.rows_affected(),
            rows.len() as u64,
            "every account is locked"
        );
        Ok(())
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
        // Every statement of the ledger and the settlement store reads by
        // key through an index, and each connection keeps its prepared
        // statements' generic plans. A generic plan made while a table was
        // small may be a seq scan, and it is kept for the connection's
        // life wherever statistics are not refreshed (autovacuum off): a
        // lookup of a few ids in a large table becomes a scan of all of it.
        // With seq scans priced out, such a plan uses the index whatever
        // the table's size when it was made; a table with no usable index
        // is still scanned. (Planning every statement for its arguments
        // instead, `plan_cache_mode=force_custom_plan`, cost a third of
        // the database's CPU in the settle bench.)
        let options = url
            .parse::<sqlx::postgres::PgConnectOptions>()?
            .options([("enable_seqscan", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgLedger {
            pool,
            clock: config.clock,
        })
    }
}

impl PgLedger {
    /// The same database through a pool of its own, of at most
    /// `max_connections`, for a task that runs on another runtime (its
    /// connections are then driven by that runtime).
    pub async fn fork(&self, max_connections: u32) -> Result<PgLedger> {
        let options = (*self.pool.connect_options()).clone();
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(PgLedger {
            pool,
            clock: self.clock.clone(),
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
