//! Opening a fresh store per test on each backend, and dropping it after.

use ledger::*;
use std::sync::Arc;

pub const T0: i64 = 1_700_000_000_000_000;

pub fn pg_admin_url() -> String {
    std::env::var("LEDGER_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A store on a fresh database, its manual clock, and what to remove after.
pub struct Fixture<S> {
    pub store: S,
    pub clock: ManualClock,
    cleanup: Cleanup,
}

enum Cleanup {
    None,
    File(std::path::PathBuf),
    PgDatabase(String),
}

impl<S> Drop for Fixture<S> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.cleanup, Cleanup::None) {
            Cleanup::None => {}
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::PgDatabase(name) => {
                // Best effort, on a thread of its own: Drop may run inside
                // the test's runtime.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        use sqlx::Connection;
                        if let Ok(mut c) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

fn config(clock: &ManualClock, max_connections: u32) -> Config {
    Config {
        clock: Arc::new(clock.clone()),
        max_connections,
    }
}

pub async fn sqlite_memory() -> Fixture<SqliteLedger> {
    let clock = ManualClock::new(T0);
    let store = SqliteLedger::open("sqlite::memory:", config(&clock, 1))
        .await
        .expect("open in-memory sqlite");
    Fixture {
        store,
        clock,
        cleanup: Cleanup::None,
    }
}

pub async fn sqlite_file() -> Fixture<SqliteLedger> {
    let clock = ManualClock::new(T0);
    let path = std::env::temp_dir().join(format!("ledger-test-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite:{}", path.display());
    let store = SqliteLedger::open(&url, config(&clock, 8))
        .await
        .expect("open file sqlite");
    Fixture {
        store,
        clock,
        cleanup: Cleanup::File(path),
    }
}

pub async fn postgres() -> Fixture<PgLedger> {
    use sqlx::Connection;
    let clock = ManualClock::new(T0);
    let admin = pg_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for this test and is unreachable at {admin} \
             (set LEDGER_TEST_PG_URL): {e}"
            )
        });
    let name = format!("ledger_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    let url = match admin.rfind('/') {
        Some(i) if !admin[..i].ends_with('/') => format!("{}/{name}", &admin[..i]),
        _ => format!("{admin}/{name}"),
    };
    let fixture_cleanup = Cleanup::PgDatabase(name);
    let store = match PgLedger::open(&url, config(&clock, 8)).await {
        Ok(s) => s,
        Err(e) => {
            drop(Fixture {
                store: (),
                clock: clock.clone(),
                cleanup: fixture_cleanup,
            });
            panic!("open PostgreSQL ledger at {url}: {e}");
        }
    };
    Fixture {
        store,
        clock,
        cleanup: fixture_cleanup,
    }
}

// Builders, so cases read as data.

pub fn id(s: &str) -> Id {
    Id::new(s).expect("valid id")
}

pub fn code(s: &str) -> Code {
    Code::new(s).expect("valid code")
}

pub fn usd() -> Currency {
    Currency::new("USD").unwrap()
}

pub async fn account<S: LedgerStore>(s: &S, name: &str, cur: &str, flags: AccountFlags) -> Id {
    s.create_account(&NewAccount {
        id: id(name),
        currency: Currency::new(cur).unwrap(),
        kind: code("test"),
        owner: Owner::new("did:example:owner").unwrap(),
        flags,
    })
    .await
    .expect("create account");
    id(name)
}

pub fn transfer(tid: &str, from: &Id, to: &Id, amount: i64) -> Op {
    Op::Transfer(NewTransfer {
        id: id(tid),
        debit_account: from.clone(),
        credit_account: to.clone(),
        amount_minor: amount,
        currency: usd(),
        code: code("test"),
        reference: None,
    })
}

pub fn hold(tid: &str, from: &Id, to: &Id, amount: i64, expires_at_us: i64) -> Op {
    Op::Hold(NewHold {
        id: id(tid),
        debit_account: from.clone(),
        credit_account: to.clone(),
        amount_minor: amount,
        currency: usd(),
        code: code("hold"),
        reference: None,
        expires_at_us,
    })
}

pub fn post(tid: &str, hold: &str, amount: Option<i64>) -> Op {
    Op::Post(PostHold {
        id: id(tid),
        hold_id: id(hold),
        amount_minor: amount,
        code: code("post"),
        reference: None,
    })
}

pub fn void(tid: &str, hold: &str) -> Op {
    Op::Void(VoidHold {
        id: id(tid),
        hold_id: id(hold),
        code: code("void"),
        reference: None,
    })
}

/// Asserts that `result` failed with error code `expected`.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Error>, expected: &str) {
    match result {
        Ok(v) => panic!("expected error {expected}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.code(), expected, "wrong error: {e}"),
    }
}

/// Checks every account's balance against its statement: posted totals are
/// the sums of posted/post entries, pending the sum of holds unresolved and
/// unexpired now. Returns the balances.
pub async fn check_against_entries<S: LedgerStore>(s: &S, accounts: &[Id]) -> Vec<Balance> {
    let now = s.now_us();
    let mut out = Vec::new();
    for a in accounts {
        let mut entries = Vec::new();
        let mut page = Page::first(PAGE_LIMIT_MAX);
        loop {
            let p = s.statement(a, page).await.expect("statement");
            entries.extend(p.transfers);
            match p.next {
                Some(c) => page.after = Some(c),
                None => break,
            }
        }
        let resolved: std::collections::HashSet<&Id> = entries
            .iter()
            .filter_map(|t| t.pending_id.as_ref())
            .collect();
        let (mut dp, mut cp, mut dpend, mut cpend) = (0i128, 0i128, 0i128, 0i128);
        for t in &entries {
            let amt = t.amount_minor as i128;
            let debit = &t.debit_account == a;
            match t.kind {
                TransferKind::Posted | TransferKind::Post => {
                    if debit {
                        dp += amt
                    } else {
                        cp += amt
                    }
                }
                TransferKind::Pending => {
                    let open = !resolved.contains(&t.id) && t.expires_at_us.unwrap() > now;
                    if open {
                        if debit { dpend += amt } else { cpend += amt }
                    }
                }
                _ => {}
            }
        }
        let b = s.balance(a).await.expect("balance");
        assert_eq!(
            (
                b.debits_posted as i128,
                b.credits_posted as i128,
                b.debits_pending as i128,
                b.credits_pending as i128
            ),
            (dp, cp, dpend, cpend),
            "balance of {a} differs from the sum of its entries"
        );
        let acc = s.account(a).await.expect("account");
        if acc
            .flags
            .contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
        {
            assert!(dp + dpend <= cp, "{a} crossed its debit limit");
        }
        if acc
            .flags
            .contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
        {
            assert!(cp + cpend <= dp, "{a} crossed its credit limit");
        }
        out.push(b);
    }
    out
}
