//! Crash of `settlement serve` (a child process) while disputes are being
//! resolved: partial and full refunds are decided in a stream and the
//! server is killed with SIGKILL at seeded random moments, 20 times per
//! database. After every kill, with the server down, each resolution is
//! all there or not at all: the ledger sums to zero; every reversal row
//! has exactly its transfers and a resolved dispute; every resolved refund
//! verdict has its reversal; an open dispute has moved nothing; no
//! settlement is refunded beyond its charge; and the requester's balance
//! is its deposit less its charges plus its refunds.
//!
//! The seed is printed; `CRASH_SEED=N` replays a run.

use crate::common;

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ledger::LedgerStore as _;
use settlement::records::json::{self, Value};
use settlement::store::Store;
use settlement::testkit::{REQUESTER, Scenario};
use sqlx::Row as _;

const KILLS: usize = 20;
const SETTLEMENTS: usize = 12;
const DEPOSIT: i64 = 10_000_000;
const ADMIN: &str = "dispute-crash-admin-token-0123";
const EXCHANGE: &str = settlement::testkit::EXCHANGE;

fn spawn(dir: &std::path::Path, db: &str) -> (Child, String) {
    common::spawn_serve(
        Command::new(env!("CARGO_BIN_EXE_settlement"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--insecure-trust-submitted-records",
            ])
            .args(["--database-url", db, "--exchange-did", EXCHANGE])
            .env("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", "yes")
            .arg("--signing-key")
            .arg(dir.join("exchange-key.hex"))
            .env("SETTLEMENT_ADMIN_TOKEN", ADMIN)
            .env_remove("DATABASE_URL")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT"),
    )
}

async fn admin_post(http: &reqwest::Client, url: String, body: String) -> Option<(u16, Value)> {
    let r = http
        .post(url)
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(body)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    let body = json::parse(&r.bytes().await.ok()?).unwrap_or(Value::Null);
    Some((status, body))
}

/// Opens a dispute of `settlement`: its id, if the server answered.
async fn open(http: &reqwest::Client, base: &str, settlement: &str) -> Option<String> {
    let (status, body) = admin_post(
        http,
        format!("{base}/v1/disputes"),
        format!(r#"{{"settlement":"{settlement}","reason":{{"category":"quality-failure"}}}}"#),
    )
    .await?;
    (status == 201)
        .then(|| body.get("id").and_then(Value::as_str).map(str::to_owned))
        .flatten()
}

/// Resolves disputes in a stream until `stop`; a resolved one is followed
/// by a new dispute of the same settlement.
async fn traffic(base: String, settlements: Arc<Vec<String>>, seed: u64, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::new();
    let mut rng = common::Rng(seed | 1);
    while !stop.load(Ordering::Relaxed) {
        let s = &settlements[rng.below(settlements.len() as u64) as usize];
        // The open dispute of this settlement, or a new one.
        let listed = http
            .get(format!("{base}/v1/disputes?settlement={s}"))
            .send()
            .await;
        let Ok(listed) = listed else { return };
        let Ok(bytes) = listed.bytes().await else {
            return;
        };
        let listing = json::parse(&bytes).unwrap_or(Value::Null);
        let open_id = match listing.get("disputes") {
            Some(Value::Array(ds)) => ds
                .iter()
                .find(|d| d.get("status").and_then(Value::as_str) == Some("open"))
                .and_then(|d| d.get("id").and_then(Value::as_str).map(str::to_owned)),
            _ => None,
        };
        let id = match open_id {
            Some(id) => id,
            None => match open(&http, &base, s).await {
                Some(id) => id,
                None => continue,
            },
        };
        let verdict = if rng.below(4) == 0 {
            r#"{"verdict":"refund-full"}"#.to_owned()
        } else {
            format!(
                r#"{{"verdict":"refund-partial","amount":{}}}"#,
                1 + rng.below(40)
            )
        };
        let _ = admin_post(
            &http,
            format!("{base}/v1/admin/disputes/{id}/resolve"),
            verdict,
        )
        .await;
    }
}

macro_rules! invariants {
    ($name:ident, $pool:ty) => {
        /// Counts of broken invariants, and how many resolutions there are.
        async fn $name(pool: &$pool) -> (Vec<(String, i64)>, [i64; 6], i64) {
            let sums = sqlx::query(
                "SELECT currency, CAST(SUM(debits_posted - credits_posted) AS BIGINT) AS s \
                 FROM ledger_accounts GROUP BY currency",
            )
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>("currency"), r.get::<i64, _>("s")))
            .collect();
            let one = |sql: &'static str| async move {
                sqlx::query(sql).fetch_one(pool).await.unwrap().get::<i64, _>(0)
            };
            let broken = [
                // A reversal without exactly its transfers.
                one("SELECT COUNT(*) FROM settlement_reversals r WHERE r.amount_minor <> \
                     (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t \
                      WHERE t.id LIKE 'refund:' || r.dispute_id || ':%')")
                .await,
                // A reversal whose dispute is not resolved.
                one("SELECT COUNT(*) FROM settlement_reversals r JOIN settlement_disputes d \
                     ON d.id = r.dispute_id WHERE d.status <> 'resolved'")
                .await,
                // A resolved refund verdict without its reversal.
                one("SELECT COUNT(*) FROM settlement_disputes d WHERE d.status = 'resolved' \
                     AND d.verdict LIKE 'refund-%' AND NOT EXISTS \
                     (SELECT 1 FROM settlement_reversals r WHERE r.dispute_id = d.id)")
                .await,
                // An open dispute that moved money.
                one("SELECT COUNT(*) FROM settlement_disputes d WHERE d.status = 'open' AND EXISTS \
                     (SELECT 1 FROM ledger_transfers t WHERE t.id LIKE 'refund:' || d.id || ':%')")
                .await,
                // A settlement refunded beyond its charge.
                one("SELECT COUNT(*) FROM settlement_settlements s WHERE s.amount_minor < \
                     (SELECT COALESCE(SUM(r.amount_minor), 0) FROM settlement_reversals r \
                      WHERE r.settlement_uri = s.uri)")
                .await,
                // The requester's balance: deposit - charges + refunds.
                one("SELECT CAST((SELECT COALESCE(SUM(amount_minor), 0) FROM settlement_settlements) \
                     - (SELECT COALESCE(SUM(amount_minor), 0) FROM settlement_reversals) \
                     + (SELECT a.credits_posted - a.debits_posted FROM ledger_accounts a \
                        WHERE a.kind = 'requester') - 10000000 AS BIGINT)")
                .await,
            ];
            let resolved = one("SELECT COUNT(*) FROM settlement_reversals").await;
            (sums, broken, resolved)
        }
    };
}
invariants!(invariants_sqlite, sqlx::SqlitePool);
invariants!(invariants_pg, sqlx::PgPool);

async fn check(db: &str, round: usize) -> i64 {
    let store = Store::open(db, Arc::new(ledger::SystemClock))
        .await
        .expect("open store");
    let (sums, broken, resolved) = match &store {
        Store::Sqlite(l) => invariants_sqlite(l.pool()).await,
        Store::Postgres(l) => invariants_pg(l.pool()).await,
    };
    store.close().await;
    for (currency, sum) in &sums {
        assert_eq!(
            *sum, 0,
            "round {round}: the {currency} ledger does not sum to zero"
        );
    }
    assert_eq!(
        broken, [0; 6],
        "round {round}: [reversal transfers, reversal of an unresolved dispute, refund verdict \
         without reversal, open dispute that moved money, over-refund, requester balance]"
    );
    resolved
}

async fn harness(postgres: bool) {
    let seed = common::crash_seed();
    let backend = if postgres { "postgres" } else { "sqlite" };
    eprintln!("dispute crash harness ({backend}): seed {seed} (replay with CRASH_SEED={seed})");
    let mut rng = common::Rng(seed);
    let dir = common::temp_dir(&format!("dispcrash-{backend}"));
    let db = common::database(postgres, &dir, "dispcrash").await;

    // A first life: the deposit and the charges.
    let (mut child, base) = spawn(&dir, &db);
    let http = reqwest::Client::new();
    let deposit = format!(
        r#"{{"id":"d","requester":"{REQUESTER}","amount":{{"amount":{DEPOSIT},"currency":"USD"}}}}"#
    );
    let (status, _) = admin_post(&http, format!("{base}/v1/admin/deposits"), deposit)
        .await
        .unwrap();
    assert_eq!(status, 201);
    let now = common::unix_now();
    let mut settlements = Vec::new();
    for i in 0..SETTLEMENTS {
        let mut sc = Scenario::new(
            REQUESTER,
            "did:plc:bobbobbobbobbobbobbobbob",
            &format!("dc-{i}"),
        );
        common::valid_at(&mut sc, now);
        let s = sc.seal();
        for r in [&s.authorization, &s.attestation, &s.job, &s.receipt] {
            let st = http
                .post(format!("{base}/v1/records"))
                .body(json::to_canonical(&settlement::testkit::record_post(r)))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert!(st == 200 || st == 201, "{st}");
        }
        let r = http
            .post(format!("{base}/v1/settle"))
            .body(format!(r#"{{"receipt":"{}"}}"#, s.receipt.uri))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let v = json::parse(&r.bytes().await.unwrap()).unwrap();
        settlements.push(v.get("uri").and_then(Value::as_str).unwrap().to_owned());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    check(&db, 0).await;

    let settlements = Arc::new(settlements);
    let mut resolved = 0;
    for round in 0..KILLS {
        let (mut child, base) = spawn(&dir, &db);
        let stop = Arc::new(AtomicBool::new(false));
        let driver = tokio::spawn(traffic(base, settlements.clone(), rng.next(), stop.clone()));
        tokio::time::sleep(Duration::from_millis(50 + rng.below(400))).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let _ = driver.await;
        resolved = check(&db, round + 1).await;
    }
    assert!(resolved > 0, "no resolution happened between kills");
    eprintln!(
        "dispute crash harness ({backend}): {KILLS} kills, {resolved} reversals, every invariant held"
    );
    common::drop_database(&db).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_resolutions_survive_kills() {
    harness(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_resolutions_survive_kills() {
    harness(true).await;
}
