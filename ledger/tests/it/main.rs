//! The ledger's conformance suite: every case runs on SQLite and on
//! PostgreSQL (`LEDGER_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; a fresh database per test,
//! dropped afterwards; the PostgreSQL tests fail if it is unreachable).

mod cases;
mod concurrency;
mod harness;
mod model;

use harness::*;
use ledger::*;

/// Instantiates the suite for one backend. `$open` makes a fresh fixture,
/// `$open_file` one that supports real concurrency.
macro_rules! conformance {
    ($open:path, $open_file:path, [$($case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let f = $open().await;
                crate::cases::$case(&f).await;
            }
        )*

        #[test]
        fn model_state_machine() {
            crate::model::run(|| Box::pin($open()));
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrency_hammer() {
            let f = $open_file().await;
            crate::concurrency::hammer(&f).await;
        }

        /// The caller's own SQL commits or rolls back with the ledger's.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn own_sql_in_ledger_transaction() {
            let f = $open().await;
            let s = &f.store;
            sqlx::query("CREATE TABLE app_rows (id TEXT PRIMARY KEY)")
                .execute(s.pool())
                .await
                .unwrap();
            let world = account(s, "world", "USD", AccountFlags::NONE).await;
            let user = account(s, "user", "USD", AccountFlags::NONE).await;
            for commit in [false, true] {
                let mut tx = s.begin().await.unwrap();
                tx.submit(&[transfer("t1", &world, &user, 5)]).await.unwrap();
                sqlx::query("INSERT INTO app_rows (id) VALUES ($1)")
                    .bind("s1")
                    .execute(&mut **tx.sqlx())
                    .await
                    .unwrap();
                let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transfers WHERE id = 't1'")
                    .fetch_one(&mut **tx.sqlx())
                    .await
                    .unwrap();
                assert_eq!(seen, 1);
                if commit { tx.commit().await.unwrap() } else { tx.rollback().await.unwrap() }
                let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_rows")
                    .fetch_one(s.pool())
                    .await
                    .unwrap();
                assert_eq!(rows, i64::from(commit));
                assert_eq!(s.transfer(&id("t1")).await.unwrap().is_some(), commit);
            }
        }

        /// Transfers are append-only in the database itself.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn transfers_are_immutable() {
            let f = $open().await;
            let s = &f.store;
            let world = account(s, "world", "USD", AccountFlags::NONE).await;
            let user = account(s, "user", "USD", AccountFlags::NONE).await;
            s.submit(&[transfer("t1", &world, &user, 5)]).await.unwrap();
            let upd = sqlx::query("UPDATE ledger_transfers SET amount = 6").execute(s.pool()).await;
            assert!(upd.is_err(), "update must be refused");
            let del = sqlx::query("DELETE FROM ledger_transfers").execute(s.pool()).await;
            assert!(del.is_err(), "delete must be refused");
            assert_eq!(s.transfer(&id("t1")).await.unwrap().unwrap().amount_minor, 5);
        }
    };
}

/// The conformance cases, listed once, for a backend's unit-case and
/// concurrency-case constructors: both backends run exactly the same list.
macro_rules! every_case {
    ($unit:ident, $file:ident) => {
        conformance!(
            $unit,
            $file,
            [
                accounts,
                transfer_moves_money,
                insufficient_funds,
                credit_limit,
                currency_mismatch,
                malformed_transfers,
                overflow,
                batch_is_atomic,
                idempotency,
                hold_post_partial,
                hold_void,
                hold_expiry,
                balance_at,
                statement_pages,
                lookup_by_reference,
                tx_failure_leaves_tx_untouched,
                batches_each_atomic,
            ]
        );
    };
}

mod sqlite {
    use super::*;
    every_case!(sqlite_memory, sqlite_file);

    #[tokio::test]
    async fn file_database_persists() {
        let f = sqlite_file().await;
        let world = account(&f.store, "world", "USD", AccountFlags::NONE).await;
        let user = account(&f.store, "user", "USD", AccountFlags::NONE).await;
        f.store
            .submit(&[transfer("t1", &world, &user, 5)])
            .await
            .unwrap();
        assert_eq!(f.store.balance(&user).await.unwrap().credits_posted, 5);
    }
}

mod postgres {
    use super::*;
    every_case!(postgres, postgres);
}

#[tokio::test]
async fn validation() {
    cases::validation().await;
}

#[tokio::test]
async fn open_picks_backend_from_url() {
    let l = Ledger::open("sqlite::memory:").await.unwrap();
    assert!(matches!(l, Ledger::Sqlite(_)));
    assert_code(
        Ledger::open("mysql://x").await.map(|_| ()),
        "unsupported-url",
    );
    let f = postgres().await;
    drop(f);
}
