//! `settlement bench`: how many receipts per second the engine settles
//! through its real HTTP API, against how fast the machine can check a
//! P-256 signature.
//!
//! One run, per backend: generate a workload with its own keys (requesters
//! with session authorizations, providers with attestations, one job and
//! one signed receipt per charge), start `settlement serve` as a child
//! process on a fresh database, post the records, fund the requesters, then
//! settle every receipt with `concurrency` clients over keep-alive
//! connections. Printed per backend: receipts/s, latency percentiles, CPU
//! seconds per 1000 receipts (the server's, and the whole machine's, which
//! includes the database and this client), the server's peak RSS, the
//! database size per settled receipt, and the ratio to the verify limit: the
//! fastest raw P-256 verification rate measured on the same cores in the
//! same run. `--history N` first writes the rows of N settled receipts of
//! other parties (see `seed_history`), so that the measured run meets a
//! database with that much history.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use p256::ecdsa::SigningKey;

use crate::records::cid::Cid;
use crate::records::formats::Datetime;
use crate::records::json::{self, Map, Value};
use crate::records::{NSID_ATTESTATION, NSID_AUTHORIZATION, NSID_JOB, NSID_RECEIPT, RawRecord};
use crate::testkit::{self, Scenario};
use crate::verify::crypto;

mod console;
mod gated;
mod history;
mod machine;
mod server;
mod workload;

use gated::*;
use history::*;
use machine::*;
pub use machine::{VerifyRate, verify_rates};
use server::*;
use workload::*;
pub use workload::{Workload, workload};

/// The exchange the workload is addressed to.
pub const EXCHANGE: &str = "did:web:bench.exchange.example";
/// Price of every receipt, in USD minor units.
const PRICE: u64 = 250;
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789abcdef";

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Receipts settled in the measured run, per backend.
    #[arg(long, default_value_t = 20_000)]
    pub receipts: usize,
    /// Requesters, each with one session authorization.
    #[arg(long, default_value_t = 64)]
    pub requesters: usize,
    /// Providers, each with one attestation.
    #[arg(long, default_value_t = 16)]
    pub providers: usize,
    /// Concurrent HTTP clients (keep-alive connections).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Backends to measure, in order.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    pub backends: Vec<Backend>,
    /// A PostgreSQL server and database the bench may create (and drop)
    /// databases from.
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Settled receipts of other parties written before the measured run.
    #[arg(long, default_value_t = 0)]
    pub history: usize,
    /// Seconds each raw verifier is timed for.
    #[arg(long, default_value_t = 2.0)]
    pub verify_seconds: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The `settlement` binary to serve with (default: this one).
    #[arg(long)]
    pub server: Option<PathBuf>,
    /// Receipts settled with the proof-of-inference gate on, per backend
    /// (each with its own made-up proof; 0: no gated run).
    #[arg(long, default_value_t = 200)]
    pub gated_receipts: usize,
    /// Keep the databases afterwards (their URLs are printed).
    #[arg(long)]
    pub keep: bool,
    /// Instead of settling: write `--history` settlements (1,000,000 when
    /// not given) and time the web console's pages over HTTP.
    #[arg(long)]
    pub console: bool,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The figures of one backend.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub backend: String,
    pub receipts: usize,
    pub history: usize,
    pub history_s: f64,
    pub ingest_per_s: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub server_cpu_s_per_1000: f64,
    pub machine_cpu_s_per_1000: f64,
    /// PostgreSQL's backends for this database (0 for SQLite, whose work
    /// is in the server's own figure).
    pub db_cpu_s_per_1000: f64,
    pub peak_rss_mib: f64,
    pub db_bytes_per_receipt: f64,
    /// Pages of `listSettlements` and of requesters' statements, walked
    /// with their cursors after the run.
    pub read_pages: usize,
    pub read_p50_ms: f64,
    pub read_p99_ms: f64,
    /// The settle writer during the run: transactions, charges, and the
    /// share of the run it was busy.
    pub groups: u64,
    pub grouped: u64,
    pub writer_busy: f64,
    pub errors: Errors,
}

async fn run_backend(
    backend: Backend,
    args: &BenchArgs,
    w: &Workload,
    bin: &Path,
) -> Result<Figures, String> {
    let dir = std::env::temp_dir().join(format!(
        "settlement-bench-{}-{}",
        std::process::id(),
        backend.name()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = Database::create(backend, args, &dir).await?;
    let result = measure(backend, args, w, bin, &db, &dir).await;
    if args.keep {
        eprintln!(
            "bench: {} kept at {}",
            backend.name(),
            super::config::redact_url(&db.url)
        );
    } else {
        db.drop_it().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn measure(
    backend: Backend,
    args: &BenchArgs,
    w: &Workload,
    bin: &Path,
    db: &Database,
    dir: &Path,
) -> Result<Figures, String> {
    let mut fig = Figures {
        backend: backend.name().into(),
        receipts: w.receipts.len(),
        history: args.history,
        ..Figures::default()
    };
    if args.history > 0 {
        fig.history_s = seed_history(db, args.history).await?;
    }
    let server = Server::start(bin, db, dir)?;
    let client = bench_client()?;
    let base = server.base.clone();
    let outcome = async {
        // Records: the shared ones first (authorizations, attestations).
        let records = format!("{base}/v1/records");
        let (_, _, errors) = drive(
            &client,
            &records,
            Arc::new(record_bodies(w.shared.iter())),
            args.concurrency,
            &[200, 201],
            false,
        )
        .await;
        if !errors.is_empty() {
            return Err(format!("posting shared records: {errors:?}"));
        }
        let bodies = record_bodies(w.jobs.iter().chain(w.receipts.iter()));
        let count = bodies.len();
        let (took, _, errors) = drive(
            &client,
            &records,
            Arc::new(bodies),
            args.concurrency,
            &[200, 201],
            false,
        )
        .await;
        if !errors.is_empty() {
            return Err(format!("posting records: {errors:?}"));
        }
        fig.ingest_per_s = count as f64 / took.as_secs_f64();
        fund(&client, &base, &w.deposits, args.concurrency).await?;

        let settle = settle_bodies(&w.receipts);
        let size_before = db.size().await;
        let db0 = db.backend_cpu_s().await;
        let (cpu0, machine0) = (process_cpu_s(server.pid()), machine_cpu_s());
        let counters0 = writer_counters(&client, &base).await;
        let (took, mut lat, errors) = drive(
            &client,
            &format!("{base}/v1/settle"),
            Arc::new(settle),
            args.concurrency,
            &[201],
            false,
        )
        .await;
        let (cpu1, machine1) = (process_cpu_s(server.pid()), machine_cpu_s());
        // A backend that started during the run counts from zero.
        let db1 = db.backend_cpu_s().await;
        let db_cpu: f64 = db1
            .iter()
            .map(|(pid, s)| s - db0.get(pid).copied().unwrap_or(0.0))
            .fold(0.0, |a, b| a + b);
        let counters1 = writer_counters(&client, &base).await;
        fig.groups = counters1[0].saturating_sub(counters0[0]);
        fig.grouped = counters1[1].saturating_sub(counters0[1]);
        fig.writer_busy =
            counters1[2].saturating_sub(counters0[2]) as f64 / 1e6 / took.as_secs_f64();
        let settled = w.receipts.len() - errors.values().sum::<usize>();
        let thousands = (settled.max(1) as f64) / 1000.0;
        fig.per_second = settled as f64 / took.as_secs_f64();
        lat.sort_unstable();
        fig.p50_ms = percentile(&lat, 0.50);
        fig.p95_ms = percentile(&lat, 0.95);
        fig.p99_ms = percentile(&lat, 0.99);
        fig.server_cpu_s_per_1000 = (cpu1 - cpu0) / thousands;
        fig.machine_cpu_s_per_1000 = (machine1 - machine0) / thousands;
        fig.db_cpu_s_per_1000 = db_cpu / thousands;
        fig.peak_rss_mib = peak_rss_mib(server.pid());
        let size_after = db.size().await;
        fig.db_bytes_per_receipt =
            size_after.saturating_sub(size_before) as f64 / settled.max(1) as f64;
        fig.errors = errors;

        // Reads: every page of each requester's settlements and statement.
        let mut lat = Vec::new();
        for (did, _) in &w.deposits {
            for path in [
                format!("{base}/xrpc/dev.cocore.compute.listSettlements?requester={did}&limit=100"),
                format!("{base}/v1/requesters/{did}/statement?limit=100"),
            ] {
                let mut cursor: Option<String> = None;
                loop {
                    let url = match &cursor {
                        Some(c) => format!("{path}&cursor={c}"),
                        None => path.clone(),
                    };
                    let t = Instant::now();
                    let resp = client.get(&url).send().await.map_err(|e| e.to_string())?;
                    let status = resp.status();
                    let body = resp.bytes().await.map_err(|e| e.to_string())?;
                    lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    if !status.is_success() {
                        return Err(format!("GET {url}: {status}"));
                    }
                    cursor = json::parse(&body)
                        .ok()
                        .and_then(|v| v.get("cursor").and_then(Value::as_str).map(str::to_owned));
                    if cursor.is_none() {
                        break;
                    }
                }
            }
        }
        lat.sort_unstable();
        fig.read_pages = lat.len();
        fig.read_p50_ms = percentile(&lat, 0.50);
        fig.read_p99_ms = percentile(&lat, 0.99);
        Ok(())
    }
    .await;
    server.stop();
    outcome.map(|()| fig)
}

/// Runs the whole bench and returns what to print.
pub async fn run(args: &BenchArgs) -> Result<String, String> {
    if args.console {
        return console::run(args).await;
    }
    let bin = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| e.to_string())?,
    };
    eprintln!("bench: timing the raw P-256 verifiers on every core");
    let seconds = args.verify_seconds;
    let rates = tokio::task::spawn_blocking(move || verify_rates(seconds))
        .await
        .map_err(|e| e.to_string())?;
    let limit = rates.iter().map(|r| r.per_second).fold(0.0f64, f64::max);
    eprintln!("bench: generating {} receipts", args.receipts);
    let t = Instant::now();
    let (r, p, n) = (args.requesters, args.providers, args.receipts);
    let w = tokio::task::spawn_blocking(move || workload("measured", r, p, n, Datetime::now()))
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("bench: generated in {:.1} s", t.elapsed().as_secs_f64());
    let mut figures = Vec::new();
    for &backend in &args.backends {
        eprintln!("bench: {}", backend.name());
        figures.push(run_backend(backend, args, &w, &bin).await?);
    }
    eprintln!("bench: native proof checks on one core");
    let native = tokio::task::spawn_blocking(move || native_rate(seconds))
        .await
        .map_err(|e| e.to_string())?;
    let mut gated = Vec::new();
    if args.gated_receipts > 0 {
        for &backend in &args.backends {
            eprintln!(
                "bench: {} with the proof gate ({} receipts)",
                backend.name(),
                args.gated_receipts
            );
            gated.push(gated_run(backend, args, &bin).await?);
        }
    }
    Ok(if args.json {
        let mut out = to_json(args, &rates, limit, &figures);
        gated_json(&mut out, native, &gated);
        out
    } else {
        to_table(args, &rates, limit, &figures) + &gated_table(native, &gated)
    })
}

fn to_table(args: &BenchArgs, rates: &[VerifyRate], limit: f64, figures: &[Figures]) -> String {
    use std::fmt::Write as _;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = String::new();
    let _ = writeln!(out, "raw P-256 verify, {cores} cores:");
    for r in rates {
        let _ = writeln!(out, "  {:<28} {:>10.0} /s", r.name, r.per_second);
    }
    let _ = writeln!(out, "  {:<28} {:>10.0} /s", "limit (fastest)", limit);
    let _ = writeln!(
        out,
        "\nworkload: {} receipts, {} requesters, {} providers, {} clients, history {}\n",
        args.receipts, args.requesters, args.providers, args.concurrency, args.history
    );
    let _ = writeln!(
        out,
        "{:<9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>12} {:>11} {:>13} {:>9} {:>10} {:>10}",
        "backend",
        "receipts/s",
        "ratio",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "srv cpu s/k",
        "db cpu s/k",
        "mach cpu s/k",
        "rss MiB",
        "db B/rcpt",
        "ingest/s"
    );
    for f in figures {
        let _ = writeln!(
            out,
            "{:<9} {:>10.0} {:>8.3} {:>8.2} {:>8.2} {:>8.2} {:>12.3} {:>11.3} {:>13.3} {:>9.1} {:>10.0} {:>10.0}",
            f.backend,
            f.per_second,
            f.per_second / limit.max(1.0),
            f.p50_ms,
            f.p95_ms,
            f.p99_ms,
            f.server_cpu_s_per_1000,
            f.db_cpu_s_per_1000,
            f.machine_cpu_s_per_1000,
            f.peak_rss_mib,
            f.db_bytes_per_receipt,
            f.ingest_per_s
        );
    }
    for f in figures {
        let _ = writeln!(
            out,
            "{}: {} read pages (listSettlements, statement), p50 {:.2} ms, p99 {:.2} ms",
            f.backend, f.read_pages, f.read_p50_ms, f.read_p99_ms
        );
        if f.groups > 0 {
            let _ = writeln!(
                out,
                "{}: group commit: {} transactions, {:.1} charges each, writer busy {:.0} % of the run",
                f.backend,
                f.groups,
                f.grouped as f64 / f.groups as f64,
                f.writer_busy * 100.0
            );
        }
        if f.history > 0 {
            let _ = writeln!(
                out,
                "{}: history of {} settled in {:.0} s",
                f.backend, f.history, f.history_s
            );
        }
        for (k, n) in &f.errors {
            let _ = writeln!(out, "{}: {n} answered {k}", f.backend);
        }
    }
    out
}

fn to_json(args: &BenchArgs, rates: &[VerifyRate], limit: f64, figures: &[Figures]) -> String {
    let num = |x: f64| Value::from(x.round() as i64);
    let milli = |x: f64| Value::from((x * 1000.0).round() as i64);
    let mut root = Map::new();
    root.insert(
        "cores".into(),
        (std::thread::available_parallelism().map_or(1, |n| n.get()) as i64).into(),
    );
    root.insert("receipts".into(), (args.receipts as i64).into());
    root.insert("requesters".into(), (args.requesters as i64).into());
    root.insert("providers".into(), (args.providers as i64).into());
    root.insert("concurrency".into(), (args.concurrency as i64).into());
    root.insert("history".into(), (args.history as i64).into());
    let mut verify = Map::new();
    for r in rates {
        verify.insert(r.name.clone(), num(r.per_second));
    }
    root.insert("verifyPerSecond".into(), Value::Object(verify));
    root.insert("verifyLimitPerSecond".into(), num(limit));
    let backends = figures
        .iter()
        .map(|f| {
            let mut m = Map::new();
            m.insert("backend".into(), f.backend.clone().into());
            m.insert("receiptsPerSecond".into(), num(f.per_second));
            m.insert(
                "ratioToLimitMilli".into(),
                milli(f.per_second / limit.max(1.0)),
            );
            m.insert("p50Micros".into(), milli(f.p50_ms));
            m.insert("p95Micros".into(), milli(f.p95_ms));
            m.insert("p99Micros".into(), milli(f.p99_ms));
            m.insert(
                "serverCpuMillisPer1000".into(),
                milli(f.server_cpu_s_per_1000),
            );
            m.insert(
                "databaseCpuMillisPer1000".into(),
                milli(f.db_cpu_s_per_1000),
            );
            m.insert(
                "machineCpuMillisPer1000".into(),
                milli(f.machine_cpu_s_per_1000),
            );
            m.insert("peakRssKib".into(), num(f.peak_rss_mib * 1024.0));
            m.insert("dbBytesPerReceipt".into(), num(f.db_bytes_per_receipt));
            m.insert("ingestPerSecond".into(), num(f.ingest_per_s));
            m.insert("historySeconds".into(), num(f.history_s));
            m.insert("readPages".into(), (f.read_pages as i64).into());
            m.insert("groupCommitTransactions".into(), f.groups.into());
            m.insert("groupCommitCharges".into(), f.grouped.into());
            m.insert("writerBusyPermille".into(), num(f.writer_busy * 1000.0));
            m.insert("readP50Micros".into(), milli(f.read_p50_ms));
            m.insert("readP99Micros".into(), milli(f.read_p99_ms));
            let mut errors = Map::new();
            for (k, n) in &f.errors {
                errors.insert(k.clone(), (*n as i64).into());
            }
            m.insert("errors".into(), Value::Object(errors));
            Value::Object(m)
        })
        .collect();
    root.insert("backends".into(), Value::Array(backends));
    json::to_canonical_string(&Value::Object(root))
}
