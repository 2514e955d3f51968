//! Transfers per second, single and batched, on each backend.
//!
//! `cargo bench -p ledger` (PostgreSQL from `LEDGER_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, in a fresh database that
//! is dropped afterwards; skipped with a note if unreachable).

use ledger::*;
use sqlx::Connection;
use std::time::Instant;

const SINGLE_OPS: usize = 2000;
const BATCHES: usize = 20;
const BATCH_LEN: usize = 500;

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn transfer(tid: String, from: &Id, to: &Id) -> Op {
    Op::Transfer(NewTransfer {
        id: Id::new(tid).unwrap(),
        debit_account: from.clone(),
        credit_account: to.clone(),
        amount_minor: 1,
        currency: Currency::new("USD").unwrap(),
        code: Code::new("bench").unwrap(),
        reference: None,
    })
}

async fn run<S: LedgerStore>(name: &str, s: &S) {
    let accounts: Vec<Id> = (0..8).map(|i| id(&format!("acct{i}"))).collect();
    for (i, a) in accounts.iter().enumerate() {
        let flags = if i == 0 {
            AccountFlags::NONE
        } else {
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS
        };
        s.create_account(&NewAccount {
            id: a.clone(),
            currency: Currency::new("USD").unwrap(),
            kind: Code::new("bench").unwrap(),
            owner: Owner::new("did:example:bench").unwrap(),
            flags,
        })
        .await
        .unwrap();
    }
    // Fund the flagged accounts so every transfer passes its limit check.
    let fund: Vec<Op> = (1..8)
        .map(|i| {
            let mut op = transfer(format!("fund{i}"), &accounts[0], &accounts[i]);
            if let Op::Transfer(t) = &mut op {
                t.amount_minor = 1_000_000;
            }
            op
        })
        .collect();
    s.submit(&fund).await.unwrap();

    let pair = |n: usize| (&accounts[1 + n % 7], &accounts[1 + (n + 1) % 7]);
    let start = Instant::now();
    for n in 0..SINGLE_OPS {
        let (from, to) = pair(n);
        s.submit(&[transfer(format!("s{n}"), from, to)])
            .await
            .unwrap();
    }
    let single = SINGLE_OPS as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    for b in 0..BATCHES {
        let ops: Vec<Op> = (0..BATCH_LEN)
            .map(|n| {
                let (from, to) = pair(b * BATCH_LEN + n);
                transfer(format!("b{b}-{n}"), from, to)
            })
            .collect();
        s.submit(&ops).await.unwrap();
    }
    let batched = (BATCHES * BATCH_LEN) as f64 / start.elapsed().as_secs_f64();
    println!(
        "{name:<16} single: {single:>9.0} transfers/s ({SINGLE_OPS} one-transfer batches)   batched: {batched:>9.0} transfers/s ({BATCHES} batches of {BATCH_LEN})"
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("ledger throughput, {cores} cores, one client task, sequential submits");

    let path = std::env::temp_dir().join(format!("ledger-bench-{}.db", uuid::Uuid::new_v4()));
    let file = SqliteLedger::open(&format!("sqlite:{}", path.display()), Config::default())
        .await
        .unwrap();
    run("sqlite (file)", &file).await;
    drop(file);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }

    let memory = SqliteLedger::open("sqlite::memory:", Config::default())
        .await
        .unwrap();
    run("sqlite (memory)", &memory).await;

    let admin = std::env::var("LEDGER_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            println!("postgres         skipped: unreachable at {admin}: {e}");
            return;
        }
    };
    let db = format!("ledger_bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let pg = PgLedger::open(&format!("{base}/{db}"), Config::default())
        .await
        .unwrap();
    run("postgres", &pg).await;
    pg.pool().close().await;
    drop(pg);
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
}
