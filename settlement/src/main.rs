use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use settlement::cmd::config::{Config, ServeArgs, redact_url};

// Every request parses, copies and frees many small JSON values; with the
// system allocator, malloc and free were a fifth of the server's CPU in
// the settle bench.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "settlement",
    version,
    about = "Settlement engine of an open compute exchange"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// PEM certificates trusted as roots besides the system's, for every
    /// https request (DID documents, PDSes, x402 endpoints, the chain
    /// node, the proof verifier, OTLP): a private or a test CA.
    #[arg(long, global = true, env = "SETTLEMENT_EXTRA_CA_FILE")]
    extra_ca_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Decide whether a receipt may be charged, from a bundle of its four
    /// records. Prints one JSON object; exits 0 (chargeable), 1 (rejected)
    /// or 2 (unusable input).
    VerifyCharge {
        /// JSON file {"exchange", "now", "job", "authorization", "attestation", "receipt"}.
        #[arg(long)]
        bundle: PathBuf,
    },
    /// Run the exchange's HTTP API.
    Serve(ServeArgs),
    /// Check, from the server's public API alone, every charge made against
    /// one authorization. Prints a table; exits 0 (all checks hold), 1 (a
    /// discrepancy, each listed) or 2 (unusable input, server unreachable).
    Audit {
        /// AT URI of the paymentAuthorization record.
        #[arg(long)]
        authorization: String,
        /// Base URL of the exchange's API, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// The exchange the authorization is for (its DID): a server that
        /// claims another DID is no audit. Without it, the server's claim
        /// must match the authorization record.
        #[arg(long)]
        exchange: Option<String>,
        /// The exchange's DID document at this URL, instead of resolving
        /// its DID. The settlement key always comes from a DID document,
        /// never from the server audited.
        #[arg(long)]
        did_document: Option<String>,
        /// The PLC directory that resolves a did:plc exchange.
        #[arg(
            long,
            env = "SETTLEMENT_PLC_DIRECTORY",
            default_value = "https://plc.directory"
        )]
        plc_directory: String,
    },
    /// Pay providers: net each payable balance into one on-chain payout,
    /// resume unfinished ones, and wait for confirmations.
    Payout {
        #[command(subcommand)]
        command: PayoutCommand,
    },
    /// The operator's side of disputes: open one, resolve one (the admin
    /// token from SETTLEMENT_ADMIN_TOKEN). Prints the server's answer;
    /// exits 0 (done), 1 (refused) or 2 (cannot ask).
    Dispute {
        #[command(subcommand)]
        command: settlement::cmd::dispute::DisputeCommand,
    },
    /// Compare the ledger with the chain (treasury balance, every payout).
    /// Prints a table; exits 0 (clean), 1 (a difference) or 2 (cannot run).
    Reconcile(settlement::cmd::payout::ReconcileArgs),
    /// The whole story on the embedded default: a local chain, a requester
    /// who deposits and authorizes, a provider who is paid on chain, a
    /// forged receipt refused, a paid charge disputed and refunded, and the
    /// reconciliation.
    Demo {
        /// Also write screenshots of every console page (desktop and
        /// phone width) into this folder, with Debian's Chromium.
        #[arg(long)]
        screenshots: Option<std::path::PathBuf>,
    },
    /// TensorCash proofs of inference.
    Proof {
        #[command(subcommand)]
        command: ProofCommand,
    },
    /// Settled receipts per second through the HTTP API, on each backend,
    /// against the fastest raw P-256 verification rate of this machine.
    Bench(settlement::cmd::bench::BenchArgs),
}

#[derive(Subcommand)]
enum ProofCommand {
    /// The model-free checks of one proof (structure, parameters, u-values,
    /// final-hash, sampling, header-pow). Prints one JSON object; exits 0
    /// (every check but header-pow holds), 1 (one fails) or 2 (not a
    /// usable proof).
    Check {
        /// A bare FlatBuffers `Proof`, as TensorCash writes it.
        #[arg(long)]
        proof: PathBuf,
    },
    /// End a share held for its proof (the operator; the admin token from
    /// SETTLEMENT_ADMIN_TOKEN): release it (payable), refund the whole
    /// charge, or ask the verifier for a later verdict. Prints the verdict; exits 0 (done), 1 (refused) or 2
    /// (cannot ask).
    Hold {
        /// Base URL of the exchange's API, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// AT URI of the settlement.
        #[arg(long)]
        settlement: String,
        /// release, refund, or reverify (ask the verifier again: a pass
        /// releases, a refusal refunds, anything else leaves it held).
        #[arg(long, value_parser = ["release", "refund", "reverify"])]
        action: String,
    },
}

#[derive(Subcommand)]
enum PayoutCommand {
    /// Run one payout cycle now.
    Run(settlement::cmd::payout::PayoutRunArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(path) = &cli.extra_ca_file
        && let Err(e) = settlement::tls::add_extra_roots_file(path)
    {
        eprintln!("settlement: --extra-ca-file {e}");
        return ExitCode::from(2);
    }
    match cli.command {
        Command::VerifyCharge { bundle } => {
            let outcome = match read_bounded(&bundle, settlement::cmd::BUNDLE_BYTES_MAX) {
                Ok(bytes) => settlement::cmd::verify_charge(&bytes),
                Err(e) => settlement::cmd::Outcome {
                    exit: 2,
                    stdout: String::new(),
                    stderr: format!("verify-charge: cannot read {}: {e}\n", bundle.display()),
                },
            };
            emit(&outcome)
        }
        Command::Proof {
            command: ProofCommand::Check { proof },
        } => {
            let outcome = match read_bounded(&proof, settlement::inference::proof::MAX_PROOF_BYTES)
            {
                Ok(bytes) => settlement::cmd::proof::check(&bytes),
                Err(e) => settlement::cmd::Outcome {
                    exit: 2,
                    stdout: String::new(),
                    stderr: format!("proof check: cannot read {}: {e}\n", proof.display()),
                },
            };
            emit(&outcome)
        }
        Command::Proof {
            command:
                ProofCommand::Hold {
                    server,
                    settlement,
                    action,
                },
        } => run_async(|| async {
            let token = std::env::var("SETTLEMENT_ADMIN_TOKEN").ok();
            settlement::cmd::proof::hold(&server, &settlement, &action, token.as_deref()).await
        }),
        Command::Audit {
            authorization,
            server,
            exchange,
            did_document,
            plc_directory,
        } => {
            let key = settlement::audit::KeySource {
                exchange,
                document: did_document,
                plc_directory,
            };
            let outcome = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(settlement::cmd::audit::run(&server, &authorization, &key)),
                Err(e) => settlement::cmd::Outcome {
                    exit: 2,
                    stdout: String::new(),
                    stderr: format!("audit: cannot start a runtime: {e}\n"),
                },
            };
            emit(&outcome)
        }
        Command::Payout {
            command: PayoutCommand::Run(args),
        } => {
            // For the crash tests only: stop at a named point of the payout
            // state machine and wait to be killed.
            let failpoint = std::env::var("SETTLEMENT_FAILPOINT").ok();
            run_async(|| async { settlement::cmd::payout::payout_run(&args, failpoint).await })
        }
        Command::Dispute { command } => run_async(|| async {
            let token = std::env::var("SETTLEMENT_ADMIN_TOKEN").ok();
            settlement::cmd::dispute::run(&command, token.as_deref()).await
        }),
        Command::Reconcile(args) => {
            run_async(|| async { settlement::cmd::payout::reconcile_command(&args).await })
        }
        Command::Demo { screenshots } => run_async(|| async {
            let mut out = String::new();
            match settlement::cmd::demo::run(&mut out, screenshots.as_deref()).await {
                Ok(()) => settlement::cmd::Outcome {
                    exit: 0,
                    stdout: out + "\ndemo: every step held\n",
                    stderr: String::new(),
                },
                Err(e) => settlement::cmd::Outcome {
                    exit: 1,
                    stdout: out,
                    stderr: format!("demo: {e}\n"),
                },
            }
        }),
        Command::Bench(args) => run_async(|| async {
            match settlement::cmd::bench::run(&args).await {
                Ok(out) => settlement::cmd::Outcome {
                    exit: 0,
                    stdout: out + "\n",
                    stderr: String::new(),
                },
                Err(e) => settlement::cmd::Outcome {
                    exit: 1,
                    stdout: String::new(),
                    stderr: format!("bench: {e}\n"),
                },
            }
        }),
        Command::Serve(args) => match serve(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("serve: {}", settlement::secrets::scrub(&e));
                ExitCode::from(2)
            }
        },
    }
}

/// Runs an async command on a fresh runtime and prints its outcome.
fn run_async<F, Fut>(f: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = settlement::cmd::Outcome>,
{
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(settlement::secrets::ScrubbingStderr)
        .try_init();
    let outcome = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(f()),
        Err(e) => settlement::cmd::Outcome {
            exit: 2,
            stdout: String::new(),
            stderr: format!("cannot start a runtime: {e}\n"),
        },
    };
    emit(&outcome)
}

/// Prints a command's outcome (stderr scrubbed of secrets) and returns its
/// exit code. Nothing useful can be done if stdout or stderr is closed.
fn emit(outcome: &settlement::cmd::Outcome) -> ExitCode {
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let stderr = settlement::secrets::scrub(&outcome.stderr);
    let _ = std::io::stderr().write_all(stderr.as_bytes());
    ExitCode::from(u8::try_from(outcome.exit).unwrap_or(2))
}

/// Every secret this process was given, for `secrets::scrub` and the log
/// writer: URLs' credentials, the admin token, OTLP headers.
fn register_secrets(urls: &[Option<&str>]) {
    for url in urls.iter().flatten() {
        settlement::secrets::register(url);
    }
    for k in ["SETTLEMENT_ADMIN_TOKEN", "SETTLEMENT_TREASURY_KEY"] {
        if let Ok(v) = std::env::var(k) {
            settlement::secrets::register(&v);
        }
    }
    for k in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        if let Ok(v) = std::env::var(k) {
            for header in v.split(',') {
                if let Some((_, value)) = header.split_once('=') {
                    settlement::secrets::register(value);
                }
            }
        }
    }
    for k in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ] {
        if let Ok(v) = std::env::var(k) {
            settlement::secrets::register(&v);
        }
    }
}

fn serve(args: &ServeArgs) -> Result<(), String> {
    register_secrets(&[args.database_url.as_deref(), args.chain.rpc_url.as_deref()]);
    let config = Config::resolve(args)?;
    register_secrets(&[Some(&config.database_url)]);
    if let Some(token) = &config.admin_token {
        settlement::secrets::register(token);
    }
    let telemetry = settlement::telemetry::init()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let served = runtime.block_on(async {
        if let Some(path) = config.database_url.strip_prefix("sqlite:")
            && let Some(dir) = std::path::Path::new(path.trim_start_matches("//")).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let key = settlement::exchange::Exchange::load_or_create_key(&config.signing_key)
            .map_err(|e| e.to_string())?;
        let clock: std::sync::Arc<dyn ledger::Clock> = std::sync::Arc::new(ledger::SystemClock);
        let store = settlement::store::Store::open(&config.database_url, clock.clone())
            .await
            .map_err(|e| format!("cannot open {}: {e}", redact_url(&config.database_url)))?;
        let identity = std::sync::Arc::new(settlement::identity::Identity::new(
            config.identity.clone(),
            clock.clone(),
        )?);
        let trust = if config.trust_submitted_records {
            tracing::warn!("development mode: records posted as JSON are taken as genuine");
            settlement::authentic::RecordTrust::Submitted(Some(identity))
        } else {
            settlement::authentic::RecordTrust::Proven(identity)
        };
        let exchange = settlement::exchange::Exchange::new(config.exchange_did.clone(), key);
        let service = settlement::service::Service::new_with_trust(
            exchange.clone(),
            config.policy.clone(),
            store.clone(),
            config.admin_token.clone(),
            clock.clone(),
            trust,
        );
        service.group_commit.set_max(args.settle_batch_max);
        if let Some(gate) = args.proofs.gate()? {
            tracing::info!(models = ?gate.models, verifier = gate.verifier.is_some(), "proof-of-inference gate on");
            let _ = service.proof_gate.set(gate);
        }
        service.destination_delay_s.store(
            args.payout_destination_delay_secs,
            std::sync::atomic::Ordering::Relaxed,
        );
        // Kept alive (and its anvil running) for as long as we serve.
        let _local_chain = start_payouts(args, &service, store, exchange, clock).await?;
        settlement::cmd::network::start(&args.network, &service).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // Tests and scripts read the bound address from this line.
        eprintln!("settlement: listening on http://{addr}");
        tracing::info!(exchange = %config.exchange_did, config = ?config, "serving");
        settlement::api::serve(
            listener,
            service,
            settlement::api::Limits::default(),
            shutdown_signal(),
        )
        .await
        .map_err(|e| e.to_string())
    });
    // Outside the runtime: the exporter flushes with its own blocking client.
    drop(runtime);
    telemetry.shutdown();
    served
}

/// Connects the payout engine when a chain is configured (or started
/// locally), and schedules its cycles.
async fn start_payouts(
    args: &ServeArgs,
    service: &std::sync::Arc<settlement::service::Service>,
    store: settlement::store::Store,
    exchange: settlement::exchange::Exchange,
    clock: std::sync::Arc<dyn ledger::Clock>,
) -> Result<Option<settlement::payout::local::LocalChain>, String> {
    let mut payout_config = args.chain.payout_config();
    // Providers' x402 endpoints on loopback: development only.
    payout_config.egress.loopback = args.insecure_trust_submitted_records || args.local_chain;
    let (setup, local) = if args.local_chain {
        let local =
            settlement::payout::local::start_local_chain(&store, &payout_config, &exchange.did)
                .await?;
        let setup = settlement::cmd::config::PayoutSetup {
            chain: local.config.clone(),
            treasury: local.treasury.clone(),
            relayer: Some(local.relayer.clone()),
            payout: payout_config,
        };
        (Some(setup), Some(local))
    } else {
        // The development flag's loopback allowance holds on any chain.
        let setup = args.chain.resolve()?.map(|mut s| {
            s.payout.egress = payout_config.egress;
            s
        });
        (setup, None)
    };
    let Some(setup) = setup else {
        return Ok(None);
    };
    let chain =
        settlement::payout::chain::Chain::connect(setup.chain.clone(), setup.treasury.clone())
            .await
            .map_err(|e| e.to_string())?;
    let decimals = chain.decimals().await.map_err(|e| e.to_string())?;
    match &setup.relayer {
        Some(relayer) => {
            let gate = settlement::payout::facilitator::DepositGate::start(
                &setup.chain,
                relayer,
                setup.treasury.address(),
                decimals,
                &setup.payout.currency,
                setup.payout.currency_decimals,
            )
            .await?;
            let _ = service.deposits.set(gate);
        }
        None => tracing::warn!(
            "x402 deposits are disabled: no deposit relayer key (--deposit-relayer-key-file or SETTLEMENT_DEPOSIT_RELAYER_KEY)"
        ),
    }
    let payouts = settlement::payout::Payouts::new(store, chain, setup.payout, exchange, clock)
        .await
        .map_err(|e| e.to_string())?;
    let payouts = std::sync::Arc::new(payouts);
    let _ = service.payouts.set(payouts.clone());
    let contracts = settlement::contract::Contracts::new(
        service.store.clone(),
        payouts.clone(),
        service.exchange.clone(),
        service.policy.clone(),
        service.records.clone(),
        service.clock.clone(),
        settlement::contract::ContractConfig {
            receipt_window_secs: args.contract_receipt_window_secs,
            ..Default::default()
        },
    )
    .with_failpoint(std::env::var("SETTLEMENT_FAILPOINT").ok());
    let contracts = std::sync::Arc::new(contracts);
    let _ = service.contracts.set(contracts.clone());
    settlement::contract::spawn_resumer(contracts, std::time::Duration::from_secs(5));
    tracing::info!(
        network = %setup.chain.network(),
        token = %setup.chain.token,
        "payouts enabled"
    );
    if args.payout_interval_secs > 0 {
        let every = std::time::Duration::from_secs(args.payout_interval_secs);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = payouts.run_cycle(std::time::Duration::ZERO).await {
                    tracing::warn!(error = %e, "payout cycle failed");
                }
            }
        });
    }
    Ok(local)
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests are then finished.
async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Reads at most one byte past the limit, so an oversized file is refused
/// without being loaded whole.
/// Reads at most `max + 1` bytes, so that the reader sees a file too large
/// without holding all of it.
fn read_bounded(path: &std::path::Path, max: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let limit = max as u64 + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}
