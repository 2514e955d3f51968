//! `settlement payout run` and `settlement reconcile`: the payout engine and
//! the reconciliation as commands, against a database and a chain given by
//! flags (see `config::ChainArgs`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Outcome;
use super::config::{ChainArgs, PayoutSetup, redact_url};
use crate::contract::reconcile::reconcile;
use crate::exchange::Exchange;
use crate::payout::chain::Chain;
use crate::payout::{CycleReport, Payouts};
use crate::store::Store;

/// The database and the exchange's identity.
#[derive(clap::Args, Debug, Clone)]
pub struct StoreArgs {
    /// Database URL: sqlite:PATH or postgres://...
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:./data/settlement.db"
    )]
    pub database_url: String,
    /// This exchange's DID.
    #[arg(
        long,
        env = "SETTLEMENT_EXCHANGE_DID",
        default_value = "did:web:localhost"
    )]
    pub exchange_did: String,
    /// P-256 settlement signing key (hex, mode 0600): paid settlements are
    /// signed again with their processorReference.
    #[arg(
        long,
        env = "SETTLEMENT_SIGNING_KEY",
        default_value = "./data/exchange-key.hex"
    )]
    pub signing_key: PathBuf,
}

#[derive(clap::Args, Debug, Clone)]
pub struct PayoutRunArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Seconds to wait for unfinished payouts to confirm.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub chain: ChainArgs,
}

fn failed(cmd: &str, message: impl std::fmt::Display) -> Outcome {
    Outcome {
        exit: 2,
        stdout: String::new(),
        stderr: format!("{cmd}: {message}\n"),
    }
}

async fn open(
    cmd: &str,
    store: &StoreArgs,
    chain: &ChainArgs,
) -> Result<(Store, Chain, PayoutSetup), Outcome> {
    crate::secrets::register(&store.database_url);
    let setup = chain
        .resolve()
        .map_err(|e| failed(cmd, e))?
        .ok_or_else(|| failed(cmd, "no chain: give --rpc-url, --chain-id and --token"))?;
    let clock: Arc<dyn ledger::Clock> = Arc::new(ledger::SystemClock);
    let db = Store::open(&store.database_url, clock).await.map_err(|e| {
        failed(
            cmd,
            format!("cannot open {}: {e}", redact_url(&store.database_url)),
        )
    })?;
    let chain = Chain::connect(setup.chain.clone(), setup.treasury.clone())
        .await
        .map_err(|e| failed(cmd, e))?;
    Ok((db, chain, setup))
}

/// A report, one line per payout touched.
pub fn report_text(r: &CycleReport) -> String {
    let mut out = String::new();
    for (what, ids) in [
        ("planned", &r.planned),
        ("confirmed", &r.confirmed),
        ("failed", &r.failed),
        ("open", &r.open),
    ] {
        for id in ids {
            out.push_str(&format!("{what} {id}\n"));
        }
    }
    for (id, e) in &r.errors {
        out.push_str(&format!("error {id}: {e}\n"));
    }
    out
}

/// One payout cycle. Exits 0 when it ran (payouts may still be waiting
/// for confirmations: they are listed as open), 1 when a step failed, 2
/// when it could not start.
pub async fn payout_run(args: &PayoutRunArgs, failpoint: Option<String>) -> Outcome {
    let (store, chain, setup) = match open("payout run", &args.store, &args.chain).await {
        Ok(x) => x,
        Err(o) => return o,
    };
    let key = match Exchange::load_or_create_key(&args.store.signing_key) {
        Ok(k) => k,
        Err(e) => return failed("payout run", e),
    };
    let exchange = Exchange::new(args.store.exchange_did.clone(), key);
    let payouts = match Payouts::new(
        store,
        chain,
        setup.payout,
        exchange,
        Arc::new(ledger::SystemClock),
    )
    .await
    {
        Ok(p) => p.with_failpoint(failpoint),
        Err(e) => return failed("payout run", e),
    };
    match payouts.run_cycle(Duration::from_secs(args.wait_secs)).await {
        Ok(report) => Outcome {
            exit: if report.errors.is_empty() { 0 } else { 1 },
            stdout: report_text(&report),
            stderr: String::new(),
        },
        Err(e) => failed("payout run", e),
    }
}

/// The reconciliation table. Exits 0 when clean, 1 on any difference, 2
/// when it could not run.
pub async fn reconcile_command(args: &ReconcileArgs) -> Outcome {
    let (store, chain, setup) = match open("reconcile", &args.store, &args.chain).await {
        Ok(x) => x,
        Err(o) => return o,
    };
    match reconcile(
        &store,
        &chain,
        &setup.payout.currency,
        setup.payout.currency_decimals,
    )
    .await
    {
        Ok(r) => Outcome {
            exit: if r.is_clean() { 0 } else { 1 },
            stdout: r.table(),
            stderr: String::new(),
        },
        Err(e) => failed("reconcile", e),
    }
}
