//! Group commit on both backends: concurrent charges written together in
//! one transaction, each with its own outcome. The writer is held up by a
//! lock another connection takes, so that every charge is waiting before
//! the first transaction ends; the outcomes and the money must be exactly
//! those of charges written one by one.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use settlement::exchange::{Exchange, FeePolicy};
use settlement::records::formats::Datetime;
use settlement::service::Service;
use settlement::store::Store;
use settlement::testkit::{self, PROVIDER, REQUESTER, Scenario};

const CAROL: &str = "did:plc:carolcarolcarolcarolcaro";
const DAVE: &str = "did:plc:davedavedavedavedavedave";

/// Outcome counts: (created, replayed, refusals by code).
type Tally = (usize, usize, std::collections::BTreeMap<String, usize>);

async fn run(postgres: bool, max: usize) -> (Tally, Vec<(String, i64, i64)>, u64) {
    let dir = common::temp_dir("group-commit");
    let url = common::database(postgres, &dir, "group_commit").await;
    let now = Datetime::parse(testkit::NOW).unwrap();
    let clock: Arc<dyn ledger::Clock> = Arc::new(ledger::ManualClock::new(now.unix_micros()));
    let store = Store::open(&url, clock.clone()).await.unwrap();
    let service = Service::new(
        Exchange::new(testkit::EXCHANGE, testkit::key("group-commit-exchange")),
        FeePolicy::default(),
        store.clone(),
        None,
        clock,
    );
    service.group_commit.set_max(max);

    // Alice: 40 charges of 250 under a budget of 20000, all good.
    let alice = Scenario::new(REQUESTER, PROVIDER, "gc-alice");
    // Carol: nothing deposited.
    let carol = Scenario::new(CAROL, PROVIDER, "gc-carol");
    // Dave: a budget of 1000, six charges of 250.
    let mut dave = Scenario::new(DAVE, PROVIDER, "gc-dave");
    testkit::set(
        &mut dave.authorization,
        "sessionBudget",
        r#"{"amount":1000,"currency":"USD"}"#,
    );
    let mut receipts = Vec::new();
    for (base, n) in [(&alice, 40), (&carol, 5), (&dave, 6)] {
        for i in 0..n {
            let sealed = base.sharing(&format!("{}-{i}", base.requester)).seal();
            for r in [
                &sealed.authorization,
                &sealed.attestation,
                &sealed.job,
                &sealed.receipt,
            ] {
                service.ingest(r.clone(), now).await.unwrap();
            }
            receipts.push(sealed.receipt.uri.clone());
        }
    }
    // Alice's first receipt three times over.
    receipts.push(receipts[0].clone());
    receipts.push(receipts[0].clone());
    service
        .deposit("alice", REQUESTER, "USD", 20_000)
        .await
        .unwrap();
    service.deposit("dave", DAVE, "USD", 1_000).await.unwrap();

    // Hold the writer's first transaction until everything waits.
    let blocker = if postgres {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("LOCK TABLE settlement_authorizations IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .unwrap();
        Blocker::Pg(tx)
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .unwrap();
        Blocker::Sqlite(conn)
    };
    let mut tasks = tokio::task::JoinSet::new();
    for uri in receipts.clone() {
        let service = service.clone();
        tasks.spawn(async move { service.settle(&uri, now).await });
    }
    if max > 1 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while service.group_commit.stats().queued.load(Relaxed) < receipts.len() as u64 {
            assert!(
                std::time::Instant::now() < deadline,
                "charges never reached the writer"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    } else {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    blocker.release().await;

    let mut tally: Tally = Default::default();
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(v) if v.created => tally.0 += 1,
            Ok(_) => tally.1 += 1,
            Err(f) => *tally.2.entry(f.code.to_owned()).or_default() += 1,
        }
    }
    let mut money = Vec::new();
    for sc in [&alice, &carol, &dave] {
        let state = store
            .authorization_by_uri(&sc.authorization_uri)
            .await
            .unwrap();
        money.push(match state {
            Some(s) => (sc.requester.clone(), s.charged_minor, s.charges),
            None => (sc.requester.clone(), 0, 0),
        });
    }
    // The ledger agrees with the settlements: every charge is there once.
    let ledger = store.ledger();
    let charged: i64 = money.iter().map(|m| m.1).sum();
    let provider = settlement::accounts::provider(PROVIDER, "USD");
    let fees = settlement::accounts::fees("USD");
    let paid = ledger.balance(&provider).await.unwrap().credits_posted
        + ledger.balance(&fees).await.unwrap().credits_posted;
    assert_eq!(
        paid, charged,
        "provider + fees = what the authorizations say"
    );
    let largest = service.group_commit.stats().largest.load(Relaxed);
    store.close().await;
    common::drop_database(&url).await;
    let _ = std::fs::remove_dir_all(&dir);
    (tally, money, largest)
}

enum Blocker {
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl Blocker {
    async fn release(self) {
        match self {
            Blocker::Pg(tx) => tx.rollback().await.unwrap(),
            Blocker::Sqlite(mut conn) => {
                sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
            }
        }
    }
}

async fn same_as_one_by_one(postgres: bool) {
    let (grouped, money, largest) = run(postgres, 64).await;
    let (alone, money_alone, largest_alone) = run(postgres, 1).await;
    let expected: Tally = (
        44,
        2,
        [
            ("insufficient-funds".to_owned(), 5),
            ("session-budget-exceeded".to_owned(), 2),
        ]
        .into_iter()
        .collect(),
    );
    assert_eq!(grouped, expected);
    assert_eq!(alone, expected);
    assert_eq!(money, money_alone);
    assert_eq!(
        money,
        [
            (REQUESTER.to_owned(), 10_000, 40),
            (CAROL.to_owned(), 0, 0),
            (DAVE.to_owned(), 1_000, 4)
        ]
    );
    // Alice, Carol and Dave each had a charge in most transactions.
    assert!(largest >= 3, "largest group {largest}");
    assert_eq!(largest_alone, 0, "max 1 never uses the writer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_sqlite() {
    same_as_one_by_one(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_postgres() {
    same_as_one_by_one(true).await;
}
