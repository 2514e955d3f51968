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

// Reads and writes of many rows are one statement each: the rows travel
// as one JSON array parameter that `json_each` turns back into rows (each
// statement through sqlx is a round trip to the connection's thread, which
// costs more than SQLite's work on a row). Rows of several columns are
// read with `jsonb_each`, whose values stay in SQLite's binary JSON:
// `json_each` would hand each row back as text for every `->>` to parse
// again.

/// Rows are inserted in array order (`ORDER BY key`), so `seq`s follow it;
/// they are read back by id all the same.
const INSERT_TRANSFERS: &str = "INSERT INTO ledger_transfers \
    (id, kind, debit_account, credit_account, amount, currency, code, reference, pending_id, expires_at, created_at) \
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
        value ->> 7, value ->> 8, value ->> 9, value ->> 10 FROM jsonb_each($1) ORDER BY key \
    RETURNING id, seq";

const INSERT_HOLDS: &str = "INSERT INTO ledger_holds \
    (transfer_id, debit_account, credit_account, amount, currency, expires_at, state, resolved_by) \
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
        value ->> 7 FROM jsonb_each($1) ORDER BY key";

const RESOLVE_HOLDS: &str = "UPDATE ledger_holds SET state = u.value ->> 1, resolved_by = u.value ->> 2 \
    FROM jsonb_each($1) AS u WHERE ledger_holds.transfer_id = u.value ->> 0 AND ledger_holds.state = 'pending'";

const UPDATE_BALANCES: &str = "UPDATE ledger_accounts SET debits_posted = u.value ->> 1, \
    credits_posted = u.value ->> 2, debits_pending = u.value ->> 3, credits_pending = u.value ->> 4 \
    FROM jsonb_each($1) AS u WHERE ledger_accounts.id = u.value ->> 0";

/// One cell of a row passed through `json_each`.
enum Cell<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
}

/// `s` as a JSON string. Ids are printable ASCII, but references may hold
/// any other text.
fn push_json_str(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `rows` as a JSON array of arrays.
fn json_rows<'a, const N: usize>(rows: impl IntoIterator<Item = [Cell<'a>; N]>) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("[");
    for (i, row) in rows.into_iter().enumerate() {
        out.push_str(if i == 0 { "[" } else { ",[" });
        for (j, cell) in row.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            match cell {
                Cell::Text(None) | Cell::Int(None) => out.push_str("null"),
                Cell::Int(Some(v)) => {
                    let _ = write!(out, "{v}");
                }
                Cell::Text(Some(v)) => push_json_str(&mut out, v),
            }
        }
        out.push(']');
    }
    out.push(']');
    out
}

/// `ids` as a JSON array of strings.
fn json_ids(ids: &[Id]) -> String {
    let mut out = String::from("[");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(&mut out, id.as_str());
    }
    out.push(']');
    out
}

fn text(s: &str) -> Cell<'_> {
    Cell::Text(Some(s))
}

crate::sql::impl_conn!(
    SqliteConnection,
    SqliteRow,
    " IN (SELECT value FROM json_each($1))",
    json_ids,
    {
        async fn lock_accounts(
            &mut self,
            ids: &[Id],
            now_us: i64,
        ) -> Result<Vec<engine::AccountRow>> {
            // BEGIN IMMEDIATE already holds the write lock: plain reads suffice.
            engine::Conn::get_accounts(self, ids, now_us).await
        }

        async fn insert_transfers(&mut self, transfers: &[Transfer]) -> Result<Vec<i64>> {
            use sqlx::Row as _;
            if transfers.is_empty() {
                return Ok(Vec::new());
            }
            let rows = json_rows(transfers.iter().map(|t| {
                [
                    text(t.id.as_str()),
                    text(t.kind.as_str()),
                    text(t.debit_account.as_str()),
                    text(t.credit_account.as_str()),
                    Cell::Int(Some(t.amount_minor)),
                    text(t.currency.as_str()),
                    text(t.code.as_str()),
                    Cell::Text(t.reference.as_ref().map(|r| r.as_str())),
                    Cell::Text(t.pending_id.as_ref().map(|r| r.as_str())),
                    Cell::Int(t.expires_at_us),
                    Cell::Int(Some(t.timestamp_us)),
                ]
            }));
            let rows = sqlx::query(INSERT_TRANSFERS)
                .bind(rows)
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
            if holds.is_empty() {
                return Ok(());
            }
            let rows = json_rows(holds.iter().map(|h| {
                [
                    text(h.id.as_str()),
                    text(h.debit_account.as_str()),
                    text(h.credit_account.as_str()),
                    Cell::Int(Some(h.amount_minor)),
                    text(h.currency.as_str()),
                    Cell::Int(Some(h.expires_at_us)),
                    text(h.state.as_str()),
                    Cell::Text(h.resolved_by.as_ref().map(|r| r.as_str())),
                ]
            }));
            sqlx::query(INSERT_HOLDS)
                .bind(rows)
                .execute(&mut *self)
                .await?;
            Ok(())
        }

        async fn resolve_holds(&mut self, holds: &[Hold]) -> Result<()> {
            if holds.is_empty() {
                return Ok(());
            }
            let rows = json_rows(holds.iter().map(|h| {
                [
                    text(h.id.as_str()),
                    text(h.state.as_str()),
                    Cell::Text(h.resolved_by.as_ref().map(|r| r.as_str())),
                ]
            }));
            let done = sqlx::query(RESOLVE_HOLDS)
                .bind(rows)
                .execute(&mut *self)
                .await?;
            // Every hold was read as pending under the write lock.
            assert_eq!(
                done.rows_affected(),
                holds.len() as u64,
                "a hold resolved twice"
            );
            Ok(())
        }

        async fn update_balances(&mut self, rows: &[engine::AccountRow]) -> Result<()> {
            if rows.is_empty() {
                return Ok(());
            }
            let json = json_rows(rows.iter().map(|r| {
                [
                    text(r.account.id.as_str()),
                    Cell::Int(Some(r.debits_posted)),
                    Cell::Int(Some(r.credits_posted)),
                    Cell::Int(Some(r.debits_pending)),
                    Cell::Int(Some(r.credits_pending)),
                ]
            }));
            let done = sqlx::query(UPDATE_BALANCES)
                .bind(json)
                .execute(&mut *self)
                .await?;
            assert_eq!(
                done.rows_affected(),
                rows.len() as u64,
                "every account is locked"
            );
            Ok(())
        }
    }
);

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
            // A statement of many rows inside a transaction keeps a
            // statement journal (to undo just that statement); in memory,
            // not in a temporary file created and truncated each time.
            .pragma("temp_store", "memory")
            // 32 MiB of page cache per connection (the default is 2 MiB),
            // filled only as pages are read: a settlement group reads the
            // index pages of many accounts, transfers and holds.
            .pragma("cache_size", "-32768")
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

    /// Whether the database lives in memory (one process only).
    pub fn is_in_memory(&self) -> bool {
        self.in_memory
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_escape_what_json_requires() {
        let rows = json_rows([[text("a\"b\\c\u{1}é"), Cell::Int(Some(-5)), Cell::Text(None)]]);
        assert_eq!(rows, "[[\"a\\\"b\\\\c\\u0001é\",-5,null]]");
        assert_eq!(json_rows(Vec::<[Cell<'_>; 1]>::new()), "[]");
    }
}
