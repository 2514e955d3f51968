//! Crash recovery of the whole server: `settlement serve` (a child process,
//! payouts on a real anvil) takes a stream of records, settlements and
//! payout runs and is killed with SIGKILL at seeded random moments, 50
//! times per database. After every kill, with the server down, the
//! database must hold: per currency the ledger sums to zero; every
//! settlement has its charge in the ledger and every charge its settlement;
//! no authorization is charged beyond its limit or differently from its
//! settlements; in-flight money equals the unfinished payouts; and the
//! ledger reconciles with the chain. At the end, one more run settles and
//! pays everything, and every provider's wallet holds exactly its share.
//!
//! The seed is printed; `CRASH_SEED=N` replays a run.

use crate::common;

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use alloy::primitives::U256;
use ledger::LedgerStore as _;
use settlement::payout::chain::Chain;
use settlement::payout::local::{LocalChain, LocalOptions};
use settlement::payout::reconcile::reconcile;
use settlement::records::RawRecord;
use settlement::records::json::{self, Value};
use settlement::store::Store;
use settlement::testkit::{REQUESTER, Scenario};
use sqlx::Row as _;

const KILLS: usize = 50;
const PROVIDERS: [&str; 3] = [
    "did:plc:bobbobbobbobbobbobbobbob",
    "did:plc:carolcarolcarolcarolcaro",
    "did:plc:davedavedavedavedavedave",
];
/// Receipts per provider (each 250, the provider's share 244).
const RECEIPTS: usize = 24;
const SHARE: u64 = 244;
const ADMIN: &str = "crash-admin-token-0123456789";
const EXCHANGE: &str = settlement::testkit::EXCHANGE;

/// Records valid now (the server runs on the wall clock): per provider an
/// authorization, an attestation, and jobs with receipts.
fn workload() -> Vec<(Vec<RawRecord>, String, &'static str)> {
    let now = common::unix_now();
    let mut out = Vec::new();
    for provider in PROVIDERS {
        let base = Scenario::new(REQUESTER, provider, &format!("crash-{provider}"));
        for i in 0..RECEIPTS {
            let mut sc = base.sharing(&format!("crash-{provider}-{i}"));
            common::valid_at(&mut sc, now);
            let s = sc.seal();
            out.push((
                vec![s.authorization, s.attestation, s.job, s.receipt.clone()],
                s.receipt.uri,
                provider,
            ));
        }
    }
    out
}

struct Env {
    dir: std::path::PathBuf,
    db: String,
    local: LocalChain,
    treasury_file: std::path::PathBuf,
}

impl Env {
    fn spawn(&self) -> (Child, String) {
        common::spawn_serve(
            Command::new(env!("CARGO_BIN_EXE_settlement"))
                .args([
                    "serve",
                    "--listen",
                    "127.0.0.1:0",
                    "--insecure-trust-submitted-records",
                ])
                .args(["--database-url", &self.db, "--exchange-did", EXCHANGE])
                .env("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", "yes")
                .arg("--signing-key")
                .arg(self.dir.join("exchange-key.hex"))
                .args(["--rpc-url", &self.local.config.rpc_url])
                .args(["--chain-id", &self.local.config.chain_id.to_string()])
                .args(["--token", &self.local.config.token.to_string()])
                .arg("--treasury-key-file")
                .arg(&self.treasury_file)
                // Paid at once: this test is about crashes, not the dispute window.
                .env("SETTLEMENT_PAYOUT_MATURITY_SECS", "0")
                .env("SETTLEMENT_ADMIN_TOKEN", ADMIN)
                .env_remove("DATABASE_URL")
                .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT"),
        )
    }
}

fn body(v: &str) -> Vec<u8> {
    v.as_bytes().to_vec()
}

fn record_body(r: &RawRecord) -> Vec<u8> {
    json::to_canonical(&settlement::testkit::record_post(r))
}

/// Drives the server until `stop`: records, settlements, payout runs.
async fn traffic(
    base: String,
    work: Arc<Vec<(Vec<RawRecord>, String, &'static str)>>,
    start: usize,
    stop: Arc<AtomicBool>,
) {
    let http = reqwest::Client::new();
    let post = |path: String, b: Vec<u8>, admin: bool| {
        let mut r = http
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(b);
        if admin {
            r = r.header("authorization", format!("Bearer {ADMIN}"));
        }
        r.send()
    };
    let deposit = format!(
        r#"{{"id":"crash-deposit","requester":"{REQUESTER}","amount":{{"amount":10000000,"currency":"USD"}}}}"#
    );
    let _ = post("/v1/admin/deposits".into(), body(&deposit), true).await;
    let mut i = start;
    while !stop.load(Ordering::Relaxed) {
        let (records, receipt, _) = &work[i % work.len()];
        for r in records {
            let _ = post("/v1/records".into(), record_body(r), false).await;
        }
        let settle = format!(r#"{{"receipt":"{receipt}"}}"#);
        let _ = post("/v1/settle".into(), body(&settle), false).await;
        if i % 7 == 3 {
            let _ = post("/v1/admin/payouts/run".into(), Vec::new(), true).await;
        }
        i += 1;
    }
}

/// The invariants that must hold in the database whatever moment the
/// server died at.
async fn check(env: &Env, chain: &Chain, round: usize) -> (i64, usize) {
    let store = Store::open(&env.db, Arc::new(ledger::SystemClock))
        .await
        .expect("open store");
    let (sums, charges, settlements, bad_auths): (Vec<(String, i64)>, i64, i64, i64) = match &store
    {
        Store::Sqlite(l) => invariants_sqlite(l.pool()).await,
        Store::Postgres(l) => invariants_pg(l.pool()).await,
    };
    for (currency, sum) in &sums {
        assert_eq!(
            *sum, 0,
            "round {round}: the {currency} ledger does not sum to zero"
        );
    }
    assert_eq!(
        charges, settlements,
        "round {round}: charges in the ledger and settlements differ"
    );
    assert_eq!(
        bad_auths, 0,
        "round {round}: an authorization's charged total is not its settlements' sum or exceeds its limit"
    );
    let r = reconcile(&store, chain, "USD", 2).await.expect("reconcile");
    assert!(r.is_clean(), "round {round}:\n{}", r.table());
    let payouts = store
        .payouts(&settlement::store::payouts::PayoutFilter::All, 0, 10_000)
        .await
        .unwrap()
        .len();
    store.close().await;
    (settlements, payouts)
}

macro_rules! invariants {
    ($name:ident, $pool:ty) => {
        async fn $name(pool: &$pool) -> (Vec<(String, i64)>, i64, i64, i64) {
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
            let charges = one("SELECT COUNT(*) FROM ledger_transfers WHERE code = 'charge'").await;
            let settlements = one("SELECT COUNT(*) FROM settlement_settlements").await;
            let bad = one(
                "SELECT COUNT(*) FROM settlement_authorizations a WHERE a.charged_minor > a.limit_minor \
                 OR a.charged_minor <> (SELECT COALESCE(SUM(s.amount_minor), 0) FROM settlement_settlements s \
                 WHERE s.authorization_uri = a.authorization_uri)",
            )
            .await;
            (sums, charges, settlements, bad)
        }
    };
}
invariants!(invariants_sqlite, sqlx::SqlitePool);
invariants!(invariants_pg, sqlx::PgPool);

async fn crash_harness(postgres: bool) {
    let seed = common::crash_seed();
    let backend = if postgres { "postgres" } else { "sqlite" };
    eprintln!("server crash harness ({backend}): seed {seed} (replay with CRASH_SEED={seed})");
    let mut rng = common::Rng(seed);
    let dir = common::temp_dir(&format!("srvcrash-{backend}"));
    let db = common::database(postgres, &dir, "srvcrash").await;
    let local = LocalChain::start(LocalOptions {
        treasury_funding: U256::from(1_000_000u64 * 10_000),
        ..LocalOptions::default()
    })
    .await
    .expect("local chain");
    let treasury_file = dir.join("treasury.hex");
    common::write_secret(&treasury_file, &local.dev_treasury_key_hex());
    {
        let store = Store::open(&db, Arc::new(ledger::SystemClock))
            .await
            .unwrap();
        store
            .fund_treasury("genesis", "USD", 1_000_000, EXCHANGE)
            .await
            .unwrap();
        for (n, provider) in PROVIDERS.iter().enumerate() {
            store
                .set_destination(&settlement::store::payouts::Destination {
                    provider: provider.to_string(),
                    rail: settlement::store::payouts::Rail::Direct,
                    address: Some(local.spare[n].address().to_string()),
                    url: None,
                    updated_at: 0,
                    effective_at: 0,
                })
                .await
                .unwrap();
        }
        store.close().await;
    }
    let env = Env {
        dir,
        db,
        local,
        treasury_file,
    };
    let chain = Chain::connect(env.local.config.clone(), env.local.treasury.clone())
        .await
        .unwrap();
    let work = Arc::new(workload());
    let started = Instant::now();
    let mut offset = 0;
    let mut progress = (0, 0);
    for round in 0..KILLS {
        let (mut child, base) = env.spawn();
        let stop = Arc::new(AtomicBool::new(false));
        let driver = tokio::spawn(traffic(base, work.clone(), offset, stop.clone()));
        offset += 5;
        tokio::time::sleep(Duration::from_millis(20 + rng.below(400))).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let _ = driver.await;
        let (settled, paid) = check(&env, &chain, round).await;
        progress = (settled, paid);
    }
    // The kills must have hit a working engine, not an idle one.
    assert!(
        progress.0 > 0 && progress.1 > 0,
        "no settlement or payout happened between kills: {progress:?}"
    );
    eprintln!(
        "server crash harness ({backend}): after {KILLS} kills, {} settlements and {} payouts",
        progress.0, progress.1
    );
    // One last life: everything settles and is paid.
    let (mut child, base) = env.spawn();
    let http = reqwest::Client::new();
    for (records, receipt, _) in work.iter() {
        for r in records {
            let s = http
                .post(format!("{base}/v1/records"))
                .body(record_body(r))
                .send()
                .await
                .unwrap()
                .status();
            assert!(s.as_u16() == 200 || s.as_u16() == 201, "{s}");
        }
        let r = http
            .post(format!("{base}/v1/settle"))
            .body(format!(r#"{{"receipt":"{receipt}"}}"#))
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        assert!(s == 200 || s == 201, "{receipt}: {s} {text}");
    }
    for _ in 0..10 {
        let r = http
            .post(format!("{base}/v1/admin/payouts/run?wait=5"))
            .header("authorization", format!("Bearer {ADMIN}"))
            .send()
            .await
            .unwrap();
        let v = json::parse(&r.bytes().await.unwrap()).unwrap();
        if matches!(v.get("open"), Some(Value::Array(a)) if a.is_empty()) {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    check(&env, &chain, KILLS).await;
    let token = env.local.token();
    for (n, provider) in PROVIDERS.iter().enumerate() {
        let wallet = env.local.spare[n].address();
        let held = token.balanceOf(wallet).call().await.unwrap();
        assert_eq!(
            held,
            U256::from(RECEIPTS as u64 * SHARE * 10_000),
            "{provider}: paid exactly its share, once"
        );
    }
    eprintln!(
        "server crash harness ({backend}): {KILLS} kills, seed {seed}, {:.1} s, every invariant held",
        started.elapsed().as_secs_f64()
    );
    common::drop_database(&env.db).await;
    let _ = std::fs::remove_dir_all(&env.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_50_kills() {
    crash_harness(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_50_kills() {
    crash_harness(true).await;
}
