//! Crash safety of payouts: `settlement payout run` is a child process,
//! stopped at each state transition (`SETTLEMENT_FAILPOINT`) and killed
//! there with SIGKILL, then run again. Afterwards every provider is paid
//! exactly once, nothing is left in flight, and `settlement reconcile`
//! (the binary) exits 0. On SQLite and PostgreSQL, on a real anvil.

use crate::common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use settlement::exchange::{Exchange, FeePolicy};
use settlement::payout::local::{LocalChain, LocalOptions};
use settlement::records::formats::Datetime;
use settlement::service::Service;
use settlement::store::Store;
use settlement::store::payouts::{Destination, PayoutFilter, PayoutState, Rail};
use settlement::testkit::{self, REQUESTER, Scenario};

const PROVIDERS: [&str; 2] = [
    "did:plc:bobbobbobbobbobbobbobbob",
    "did:plc:carolcarolcarolcarolcaro",
];
/// Receipts per provider, and what each earns per receipt (250 - fee 6).
const RECEIPTS: usize = 4;
const SHARE: u64 = 244;
const TREASURY_CENTS: i64 = 1_000_000;

struct Setup {
    local: LocalChain,
    db: String,
    key_file: std::path::PathBuf,
    treasury_file: std::path::PathBuf,
    wallets: Vec<Address>,
    store: Store,
}

/// Settles `RECEIPTS` receipts per provider in-process and registers each
/// provider's address; the payouts are left to the child processes.
async fn setup(postgres: bool, tag: &str) -> Setup {
    let dir = common::temp_dir(&format!("crash-{tag}"));
    let db = common::database(postgres, &dir, "crash").await;
    let local = LocalChain::start(LocalOptions {
        treasury_funding: U256::from(TREASURY_CENTS as u64 * 10_000),
        ..LocalOptions::default()
    })
    .await
    .expect("local chain");
    let key_file = dir.join("exchange-key.hex");
    let key = Exchange::load_or_create_key(&key_file).expect("exchange key");
    let treasury_file = dir.join("treasury-key.hex");
    common::write_secret(&treasury_file, &local.dev_treasury_key_hex());
    let now = Datetime::parse(testkit::NOW).unwrap();
    let clock = Arc::new(ledger::ManualClock::new(now.unix_micros()));
    let store = Store::open(&db, clock.clone()).await.expect("open store");
    store
        .fund_treasury("genesis", "USD", TREASURY_CENTS, testkit::EXCHANGE)
        .await
        .unwrap();
    let service = Service::new(
        Exchange::new(testkit::EXCHANGE, key),
        FeePolicy::default(),
        store.clone(),
        None,
        clock,
    );
    service
        .deposit("dep", REQUESTER, "USD", 1_000_000)
        .await
        .unwrap();
    let mut wallets = Vec::new();
    for (n, provider) in PROVIDERS.iter().enumerate() {
        let base = Scenario::new(REQUESTER, provider, &format!("{tag}-{n}"));
        for i in 0..RECEIPTS {
            let s = base.sharing(&format!("{tag}-{n}-{i}")).seal();
            for r in [&s.authorization, &s.job, &s.attestation, &s.receipt] {
                service
                    .ingest(r.clone(), service.now())
                    .await
                    .expect("ingest");
            }
            service
                .settle(&s.receipt.uri, service.now())
                .await
                .expect("settle");
        }
        let wallet = local.spare[n].address();
        store
            .set_destination(&Destination {
                provider: provider.to_string(),
                rail: Rail::Direct,
                address: Some(wallet.to_string()),
                url: None,
                updated_at: 0,
                effective_at: 0,
            })
            .await
            .unwrap();
        wallets.push(wallet);
    }
    Setup {
        local,
        db,
        key_file,
        treasury_file,
        wallets,
        store,
    }
}

impl Setup {
    fn command(&self, sub: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_settlement"));
        cmd.args(sub)
            .args(["--database-url", &self.db])
            .args(["--exchange-did", testkit::EXCHANGE])
            .arg("--signing-key")
            .arg(&self.key_file)
            .args(["--rpc-url", &self.local.config.rpc_url])
            .args(["--chain-id", &self.local.config.chain_id.to_string()])
            .args(["--token", &self.local.config.token.to_string()])
            .arg("--treasury-key-file")
            .arg(&self.treasury_file)
            .env_remove("SETTLEMENT_FAILPOINT")
            .env_remove("DATABASE_URL")
            .env_remove("SETTLEMENT_TREASURY_KEY");
        cmd
    }

    /// Runs `payout run` until it reports `failpoint`, then SIGKILLs it.
    fn run_and_kill_at(&self, failpoint: &str) {
        let mut child = self
            .command(&["payout", "run", "--wait-secs", "20"])
            .env("SETTLEMENT_FAILPOINT", failpoint)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn payout run");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with(&format!("failpoint {failpoint} reached")) => break,
                Ok(line) => seen.push(line),
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "failpoint {failpoint} never reached; stderr:\n{}",
                        seen.join("\n")
                    );
                }
            }
        }
        // SIGKILL: no destructor, no flush, no rollback but the database's.
        child.kill().expect("kill -9");
        child.wait().unwrap();
    }

    fn run_to_completion(&self, sub: &[&str]) -> (i32, String) {
        let out = self.command(sub).output().expect("run");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }
}

async fn crash_at(postgres: bool, failpoint: &str) {
    let tag = format!("{}{}", if postgres { "pg" } else { "lite" }, failpoint);
    let s = setup(postgres, &tag).await;
    s.run_and_kill_at(failpoint);
    let (code, out) = s.run_to_completion(&["payout", "run", "--wait-secs", "30"]);
    assert_eq!(code, 0, "{out}");
    // A third run finds nothing to do and pays nothing twice.
    let (code, out) = s.run_to_completion(&["payout", "run", "--wait-secs", "5"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("planned"), "{out}");

    let token = s.local.token();
    let owed = U256::from(RECEIPTS as u64 * SHARE * 10_000);
    for (provider, wallet) in PROVIDERS.iter().zip(&s.wallets) {
        let balance = token.balanceOf(*wallet).call().await.unwrap();
        assert_eq!(balance, owed, "{provider} after a kill at {failpoint}");
        let rows = s
            .store
            .payouts(&PayoutFilter::Provider(provider), 0, 100)
            .await
            .unwrap();
        let confirmed = rows
            .iter()
            .filter(|p| p.state == PayoutState::Confirmed)
            .count();
        assert_eq!(confirmed, 1, "{rows:?}");
        assert!(rows.iter().all(|p| p.state.is_final()), "{rows:?}");
        let payable = s
            .store
            .ledger()
            .balance(&settlement::accounts::provider(provider, "USD"))
            .await
            .unwrap();
        assert_eq!(payable.available, Some(0));
    }
    let (code, table) = s.run_to_completion(&["reconcile"]);
    assert_eq!(code, 0, "{table}");
    eprintln!("killed at {failpoint}; reconcile:\n{table}");
    s.cleanup().await;
}

impl Setup {
    async fn cleanup(self) {
        self.store.close().await;
        common::drop_database(&self.db).await;
        if let Some(dir) = self.key_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

macro_rules! crash_tests {
    ($($name:ident => $point:literal),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::crash_at(false, $point).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::crash_at(true, $point).await })*
        }
    };
}

crash_tests!(
    killed_after_planning => "planned",
    killed_after_signing => "signed",
    killed_after_sending_before_recording => "sent",
    killed_after_submitting => "submitted",
    killed_after_confirming => "confirmed",
);
