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
    /// Keep the databases afterwards (their URLs are printed).
    #[arg(long)]
    pub keep: bool,
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

// ---------------------------------------------------------------------
// Workload

/// Every record of a run, and what each requester must deposit.
pub struct Workload {
    pub shared: Vec<RawRecord>,
    pub jobs: Vec<RawRecord>,
    pub receipts: Vec<RawRecord>,
    pub deposits: Vec<(String, u64)>,
}

/// A DID of the plc method, derived from `seed`.
fn plc(seed: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let digest = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        seed.as_bytes(),
    ));
    let id: String = digest[..24]
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect();
    format!("did:plc:{id}")
}

fn strong_ref(r: &RawRecord) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), r.uri.clone().into());
    m.insert("cid".into(), r.cid.clone().unwrap_or_default().into());
    Value::Object(m)
}

fn sealed(uri: String, value: Value) -> RawRecord {
    let cid = Cid::for_record(&value).expect("bench records hold no $link or $bytes");
    RawRecord {
        uri,
        cid: Some(cid.to_string()),
        value,
    }
}

fn money(amount: u64) -> String {
    format!(r#"{{"amount":{amount},"currency":"USD"}}"#)
}

struct Provider {
    did: String,
    key: SigningKey,
    attestation: RawRecord,
}

struct Requester {
    did: String,
    authorization: RawRecord,
}

/// Builds `receipts` charges under `tag` (which keeps the parties of two
/// workloads apart), dated around `now`.
pub fn workload(
    tag: &str,
    requesters: usize,
    providers: usize,
    receipts: usize,
    now: Datetime,
) -> Workload {
    let requesters = requesters.clamp(1, receipts.max(1));
    let providers = providers.max(1);
    let at = |s: i64| now.plus_seconds(s).to_string();
    let per_requester = receipts.div_ceil(requesters) as u64;
    let budget = PRICE * per_requester.max(1);
    let template = Scenario::new(testkit::REQUESTER, testkit::PROVIDER, tag);

    let providers: Vec<Provider> = (0..providers)
        .map(|p| {
            let did = plc(&format!("bench-provider:{tag}:{p}"));
            let key = testkit::key(&format!("bench-provider-key:{tag}:{p}"));
            let mut m = template.attestation.clone();
            m.insert(
                "publicKey".into(),
                crypto::public_key_b64(key.verifying_key()).into(),
            );
            testkit::set(&mut m, "attestedAt", &format!("\"{}\"", at(-7200)));
            testkit::set(&mut m, "expiresAt", &format!("\"{}\"", at(86_400)));
            let mut value = Value::Object(m);
            testkit::sign_attestation(&mut value, &key);
            let uri = format!("at://{did}/{NSID_ATTESTATION}/{}", testkit::rkey_for(&did));
            Provider {
                attestation: sealed(uri, value),
                did,
                key,
            }
        })
        .collect();
    let requesters: Vec<Requester> = (0..requesters)
        .map(|r| {
            let did = plc(&format!("bench-requester:{tag}:{r}"));
            let mut m = template.authorization.clone();
            m.insert("exchange".into(), EXCHANGE.into());
            testkit::set(&mut m, "ceiling", &money(PRICE));
            testkit::set(&mut m, "sessionBudget", &money(budget));
            let nonce = &testkit::sha256_hex(format!("bench-nonce:{did}").as_bytes())[..32];
            m.insert("nonce".into(), nonce.into());
            testkit::set(&mut m, "createdAt", &format!("\"{}\"", at(-10_800)));
            testkit::set(&mut m, "expiresAt", &format!("\"{}\"", at(7 * 86_400)));
            let uri = format!(
                "at://{did}/{NSID_AUTHORIZATION}/{}",
                testkit::rkey_for(&did)
            );
            Requester {
                authorization: sealed(uri, Value::Object(m)),
                did,
            }
        })
        .collect();

    let mut job_template = template.job.clone();
    job_template.insert(
        "acceptedExchanges".into(),
        Value::Array(vec![EXCHANGE.into()]),
    );
    testkit::set(&mut job_template, "priceCeiling", &money(PRICE));
    testkit::set(
        &mut job_template,
        "createdAt",
        &format!("\"{}\"", at(-7200)),
    );
    testkit::set(
        &mut job_template,
        "expiresAt",
        &format!("\"{}\"", at(86_400)),
    );
    let mut receipt_template = template.receipt.clone();
    testkit::set(&mut receipt_template, "price", &money(PRICE));
    testkit::set(
        &mut receipt_template,
        "startedAt",
        &format!("\"{}\"", at(-3600)),
    );
    testkit::set(
        &mut receipt_template,
        "completedAt",
        &format!("\"{}\"", at(-3595)),
    );

    let one = |i: usize| -> (RawRecord, RawRecord) {
        let req = &requesters[i % requesters.len()];
        let prov = &providers[i % providers.len()];
        let rkey = testkit::rkey_for(&format!("bench:{tag}:{i}"));
        let input = testkit::sha256_hex(format!("bench-input:{tag}:{i}").as_bytes());
        let mut job = job_template.clone();
        job.insert("inputCommitment".into(), input.clone().into());
        let job_nonce = &testkit::sha256_hex(format!("bench-job:{tag}:{i}").as_bytes())[..32];
        job.insert("nonce".into(), job_nonce.into());
        job.insert(
            "paymentAuthorization".into(),
            strong_ref(&req.authorization),
        );
        let job = sealed(
            format!("at://{}/{NSID_JOB}/{rkey}", req.did),
            Value::Object(job),
        );
        let mut receipt = receipt_template.clone();
        receipt.insert("requester".into(), req.did.clone().into());
        receipt.insert("inputCommitment".into(), input.into());
        receipt.insert(
            "outputCommitment".into(),
            testkit::sha256_hex(format!("bench-output:{tag}:{i}").as_bytes()).into(),
        );
        receipt.insert("job".into(), strong_ref(&job));
        receipt.insert("attestation".into(), strong_ref(&prov.attestation));
        let mut value = Value::Object(receipt);
        testkit::sign_receipt(&mut value, &prov.key);
        let receipt = sealed(format!("at://{}/{NSID_RECEIPT}/{rkey}", prov.did), value);
        (job, receipt)
    };

    // Signing dominates: spread it over the cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = receipts.div_ceil(threads).max(1);
    let mut pairs: Vec<(RawRecord, RawRecord)> = Vec::with_capacity(receipts);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..receipts)
            .step_by(chunk)
            .map(|start| {
                let one = &one;
                s.spawn(move || {
                    (start..(start + chunk).min(receipts))
                        .map(one)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            pairs.extend(h.join().expect("workload thread"));
        }
    });
    let (jobs, receipts): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
    Workload {
        shared: requesters
            .iter()
            .map(|r| r.authorization.clone())
            .chain(providers.iter().map(|p| p.attestation.clone()))
            .collect(),
        jobs,
        receipts,
        deposits: requesters.iter().map(|r| (r.did.clone(), budget)).collect(),
    }
}

// ---------------------------------------------------------------------
// Raw verification rates

/// A raw P-256 verification rate, all cores busy.
#[derive(Clone, Debug)]
pub struct VerifyRate {
    pub name: String,
    pub per_second: f64,
}

/// Runs `f` on every core for `seconds` and returns calls per second.
fn rate_on_all_cores(seconds: f64, f: &(dyn Fn() + Sync)) -> f64 {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    let total = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut n = 0usize;
                while start.elapsed() < limit {
                    for _ in 0..64 {
                        f();
                    }
                    n += 64;
                }
                total.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    total.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The engine's own verifier and every other one this machine offers,
/// each over a real receipt's signing input, on all cores.
pub fn verify_rates(seconds: f64) -> Vec<VerifyRate> {
    let w = workload("verify-rate", 1, 1, 1, Datetime::now());
    let receipt = &w.receipts[0];
    let attestation = &w.shared[1];
    let key = attestation
        .value
        .get("publicKey")
        .and_then(Value::as_str)
        .and_then(|k| crypto::parse_public_key(k).ok())
        .expect("the workload's attestation key parses");
    let sig = receipt
        .value
        .get("enclaveSignature")
        .and_then(Value::as_str)
        .expect("the workload's receipt is signed")
        .to_owned();
    let msg = crate::verify::receipt_signing_input(&receipt.value);
    let mut out = vec![VerifyRate {
        name: format!("engine ({})", crypto::VERIFIER),
        per_second: rate_on_all_cores(seconds, &|| {
            crypto::verify_b64_der(&key, &msg, &sig).expect("verifies");
        }),
    }];
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sig)
        .expect("base64 signature");
    {
        use p256::ecdsa::signature::Verifier as _;
        let parsed = crypto::parse_der(&der).expect("strict DER");
        out.push(VerifyRate {
            name: "p256 crate (RustCrypto)".into(),
            per_second: rate_on_all_cores(seconds, &|| {
                key.verify(&msg, &parsed).expect("verifies");
            }),
        });
    }
    {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
        let point = key.to_encoded_point(false);
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point.as_bytes().to_vec());
        out.push(VerifyRate {
            name: "aws-lc-rs".into(),
            per_second: rate_on_all_cores(seconds, &|| {
                public.verify(&msg, &der).expect("verifies");
            }),
        });
    }
    if let Some(rate) = openssl_speed(seconds) {
        out.push(rate);
    }
    out
}

/// `openssl speed ecdsap256` on every core, when the command exists.
fn openssl_speed(seconds: f64) -> Option<VerifyRate> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let secs = (seconds.ceil() as u64).max(1).to_string();
    let out = Command::new("openssl")
        .args([
            "speed",
            "-seconds",
            &secs,
            "-multi",
            &threads.to_string(),
            "ecdsap256",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // The summary line ends "... sign/s verify/s"; with -multi it is
    // "ecdsa (nistp256) ... sign verify sign/s verify/s" over all processes.
    let line = text.lines().rev().find(|l| l.contains("nistp256"))?;
    let verify: f64 = line.split_whitespace().last()?.parse().ok()?;
    Some(VerifyRate {
        name: "openssl speed ecdsap256".into(),
        per_second: verify,
    })
}

// ---------------------------------------------------------------------
// Process and machine figures

/// User + system CPU seconds of process `pid`.
fn process_cpu_s(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces and parens).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of stat; 12 and 13 here. Linux
    // reports them in USER_HZ, 100 per second.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// Busy CPU seconds of the whole machine, all cores.
fn machine_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = stat.lines().next() else {
        return 0.0;
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: u64 = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| v.get(i)).sum();
    busy as f64 / 100.0
}

/// Peak resident memory of process `pid`, in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

// ---------------------------------------------------------------------
// Databases

struct Database {
    url: String,
    /// SQLite: the file; PostgreSQL: the admin URL and the database name.
    sqlite_path: Option<PathBuf>,
    pg: Option<(String, String)>,
}

impl Database {
    async fn create(backend: Backend, args: &BenchArgs, dir: &Path) -> Result<Database, String> {
        match backend {
            Backend::Sqlite => {
                let path = dir.join("bench.db");
                Ok(Database {
                    url: format!("sqlite:{}", path.display()),
                    sqlite_path: Some(path),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let name = format!("settlement_bench_{}", std::process::id());
                let admin = sqlx::PgPool::connect(&args.postgres_url)
                    .await
                    .map_err(|e| format!("postgres: cannot connect: {e}"))?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name}"
                )))
                .execute(&admin)
                .await
                .map_err(|e| format!("postgres: {e}"))?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .map_err(|e| format!("postgres: cannot create {name}: {e}"))?;
                admin.close().await;
                let mut url = reqwest::Url::parse(&args.postgres_url)
                    .map_err(|e| format!("postgres-url: {e}"))?;
                url.set_path(&format!("/{name}"));
                Ok(Database {
                    url: url.to_string(),
                    sqlite_path: None,
                    pg: Some((args.postgres_url.clone(), name)),
                })
            }
        }
    }

    /// CPU seconds each PostgreSQL backend serving this database has used
    /// so far, by pid (empty for SQLite, which runs inside the server).
    async fn backend_cpu_s(&self) -> std::collections::HashMap<u32, f64> {
        if self.pg.is_none() {
            return Default::default();
        }
        let Ok(pool) = sqlx::PgPool::connect(&self.url).await else {
            return Default::default();
        };
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
        pool.close().await;
        pids.into_iter()
            .filter_map(|p| u32::try_from(p).ok())
            .map(|p| (p, process_cpu_s(p)))
            .collect()
    }

    /// Bytes the database takes now.
    async fn size(&self) -> u64 {
        if let Some(path) = &self.sqlite_path {
            return ["", "-wal"]
                .iter()
                .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
                .map(|m| m.len())
                .sum();
        }
        let Ok(pool) = sqlx::PgPool::connect(&self.url).await else {
            return 0;
        };
        let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
        pool.close().await;
        u64::try_from(size).unwrap_or(0)
    }

    async fn drop_it(&self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(pool) = sqlx::PgPool::connect(admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }
}

// ---------------------------------------------------------------------
// The server

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(bin: &Path, db: &Database, dir: &Path) -> Result<Server, String> {
        use std::io::BufRead as _;
        let token = dir.join("admin-token");
        std::fs::write(&token, ADMIN_TOKEN).map_err(|e| e.to_string())?;
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &db.url,
            ])
            .args([
                "--exchange-did",
                EXCHANGE,
                "--insecure-trust-submitted-records",
            ])
            .arg("--signing-key")
            .arg(dir.join("exchange.key"))
            .arg("--admin-token-file")
            .arg(&token)
            .env("RUST_LOG", "warn")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(stderr).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("settlement: listening on ") {
                    let _ = tx.send(addr.to_owned());
                } else {
                    eprintln!("server: {line}");
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => Ok(Server { child, base }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err("the server did not start listening".into())
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) {
        // SIGTERM: finish in-flight requests and close the pool.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------
// Driving the API

/// Answers other than the expected one, by status and problem code.
type Errors = std::collections::BTreeMap<String, usize>;

async fn error_key(resp: reqwest::Response) -> String {
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    let code = json::parse(&body)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    format!("{status} {code}")
}

/// Posts `bodies` to `url` with `concurrency` clients; returns the wall
/// time, each request's latency in microseconds, and the unexpected
/// answers.
async fn drive(
    client: &reqwest::Client,
    url: &str,
    bodies: Arc<Vec<Vec<u8>>>,
    concurrency: usize,
    expect: &'static [u16],
    admin: bool,
) -> (Duration, Vec<u32>, Errors) {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, url, bodies, next) =
            (client.clone(), url.to_owned(), bodies.clone(), next.clone());
        tasks.spawn(async move {
            let mut lat = Vec::new();
            let mut errors = Errors::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                let mut req = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone());
                if admin {
                    req = req.bearer_auth(ADMIN_TOKEN);
                }
                let key = match req.send().await {
                    Ok(resp) if expect.contains(&resp.status().as_u16()) => {
                        let _ = resp.bytes().await;
                        None
                    }
                    Ok(resp) => Some(error_key(resp).await),
                    Err(e) => Some(format!("transport {e}")),
                };
                lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                if let Some(k) = key {
                    *errors.entry(k).or_default() += 1;
                }
            }
            (lat, errors)
        });
    }
    let mut lat = Vec::new();
    let mut errors = Errors::new();
    while let Some(done) = tasks.join_next().await {
        let (l, e) = done.expect("client task");
        lat.extend(l);
        for (k, n) in e {
            *errors.entry(k).or_default() += n;
        }
    }
    (start.elapsed(), lat, errors)
}

/// The settle writer's counters from `/metrics`: transactions, charges,
/// busy microseconds.
async fn writer_counters(client: &reqwest::Client, base: &str) -> [u64; 3] {
    let text = match client.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let read = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    [
        read("settlement_group_commit_transactions_total "),
        read("settlement_group_commit_charges_total "),
        read("settlement_group_commit_busy_microseconds_total "),
    ]
}

fn record_bodies<'a>(records: impl Iterator<Item = &'a RawRecord>) -> Vec<Vec<u8>> {
    records
        .map(|r| json::to_canonical(&testkit::record_post(r)))
        .collect()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
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

/// Writes the rows of `n` settled receipts of other parties straight into
/// the database, in the shapes the engine writes them: per receipt a job
/// and a receipt record, a settlement, a hold voided by the next charge,
/// the charge and the fee transfers; over 1000 requesters (each with an
/// authorization) and 100 providers with their own accounts, whose totals
/// are set to the sums of their transfers. Settling a million receipts
/// through the engine would take most of an hour here; what the measured
/// run needs is tables and indexes that large.
async fn seed_history(db: &Database, n: usize) -> Result<f64, String> {
    let start = Instant::now();
    let clock: Arc<dyn ledger::Clock> = Arc::new(ledger::SystemClock);
    // Opening runs the migrations.
    let store = crate::store::Store::open(&db.url, clock.clone())
        .await
        .map_err(|e| format!("history: cannot open the database: {e}"))?;
    let sample = workload("history-sample", 1, 1, 1, Datetime::now());
    let job = json::to_canonical_string(&sample.jobs[0].value);
    let receipt = json::to_canonical_string(&sample.receipts[0].value);
    // A settlement record of the real size: the receipt's refs and money,
    // and a signature's worth of base64url.
    let settlement = format!(
        r#"{{"$type":"dev.cocore.compute.settlement","amountCharged":{{"amount":250,"currency":"USD"}},"exchangeFee":{{"amount":6,"currency":"USD"}},"processorReference":"","providerPayout":{{"amount":244,"currency":"USD"}},"receipt":{{"cid":"{0}","uri":"{1}"}},"requesterAuthorization":{{"cid":"{0}","uri":"{1}"}},"settledAt":"{2}","sig":"{3}","status":"settled"}}"#,
        sample.receipts[0].cid.clone().unwrap_or_default(),
        sample.receipts[0].uri,
        Datetime::now(),
        "A".repeat(86)
    );
    let t0 = ledger::Clock::now_us(&ledger::SystemClock) - 86_400_000_000;
    let expires = t0 + 30 * 86_400_000_000;
    let n = n as i64;
    let series =
        format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) ");
    let req = "'did:plc:histrequester' || (n % 1000)";
    let prov = "'did:plc:histprovider' || (n % 100)";
    let receipt_uri = format!("'at://' || {prov} || '/dev.cocore.compute.receipt/h' || n");
    let job_uri = format!("'at://' || {req} || '/dev.cocore.compute.job/h' || n");
    let auth_uri = format!("'at://' || {req} || '/dev.cocore.compute.paymentAuthorization/h'");
    let statements: Vec<(String, Vec<String>)> = vec![
        (
            format!(
                "INSERT INTO ledger_accounts (id, currency, kind, owner, flags, created_at, debits_posted, \
                 credits_posted, debits_pending, credits_pending) \
                 SELECT 'hist-req:' || r, 'USD', 'requester', 'did:plc:histrequester' || r, 0, {t0}, 0, 0, 0, 0 \
                 FROM (WITH RECURSIVE q(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM q WHERE r < 999) SELECT r FROM q) a \
                 UNION ALL SELECT 'hist-prov:' || r, 'USD', 'provider-payable', 'did:plc:histprovider' || r, 0, {t0}, 0, 0, 0, 0 \
                 FROM (WITH RECURSIVE q(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM q WHERE r < 99) SELECT r FROM q) b \
                 UNION ALL SELECT 'hist-escrow', 'USD', 'escrow', 'did:web:history', 0, {t0}, 0, 0, 0, 0 \
                 UNION ALL SELECT 'hist-fees', 'USD', 'exchange-fees', 'did:web:history', 0, {t0}, 0, 0, 0, 0"
            ),
            vec![],
        ),
        (
            format!(
                "{series}INSERT INTO ledger_transfers (id, kind, debit_account, credit_account, amount, currency, code, \
                 reference, pending_id, expires_at, created_at) \
                 SELECT CASE k WHEN 1 THEN 'hist-hold:' || n WHEN 2 THEN 'hist-void:' || n \
                     WHEN 3 THEN 'hist-charge:' || n ELSE 'hist-fee:' || n END, \
                   CASE k WHEN 1 THEN 'pending' WHEN 2 THEN 'void' ELSE 'posted' END, \
                   'hist-req:' || (n % 1000), \
                   CASE k WHEN 3 THEN 'hist-prov:' || (n % 100) WHEN 4 THEN 'hist-fees' ELSE 'hist-escrow' END, \
                   CASE k WHEN 3 THEN 244 WHEN 4 THEN 6 ELSE 1000 END, 'USD', \
                   CASE k WHEN 1 THEN 'authorization-hold' WHEN 2 THEN 'authorization-rehold' \
                     WHEN 3 THEN 'charge' ELSE 'exchange-fee' END, \
                   {receipt_uri}, CASE k WHEN 2 THEN 'hist-hold:' || n ELSE NULL END, \
                   CASE k WHEN 1 THEN {expires} ELSE NULL END, {t0} + n \
                 FROM s, (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) ks ORDER BY n, k"
            ),
            vec![],
        ),
        (
            format!(
                "{series}INSERT INTO ledger_holds (transfer_id, debit_account, credit_account, amount, currency, \
                 expires_at, state, resolved_by) \
                 SELECT 'hist-hold:' || n, 'hist-req:' || (n % 1000), 'hist-escrow', 1000, 'USD', {expires}, 'voided', \
                 'hist-void:' || n FROM s"
            ),
            vec![],
        ),
        (
            format!(
                "{series}INSERT INTO settlement_records (uri, did, collection, cid, value, created_at, requester, job_uri) \
                 SELECT {job_uri}, {req}, 'dev.cocore.compute.job', 'bafyreihistjob' || n, $1, {t0} + n, NULL, NULL FROM s \
                 UNION ALL SELECT {receipt_uri}, {prov}, 'dev.cocore.compute.receipt', 'bafyreihistreceipt' || n, $2, \
                 {t0} + n, {req}, {job_uri} FROM s"
            ),
            vec![job, receipt],
        ),
        (
            format!(
                "{series}INSERT INTO settlement_settlements (receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
                 authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at) \
                 SELECT {receipt_uri}, 'bafyreihistreceipt' || n, \
                 'at://{EXCHANGE}/dev.cocore.compute.settlement/h' || n, 'bafyreihistsettlement' || n, $1, \
                 {req}, {prov}, {auth_uri}, {job_uri}, 'USD', 250, 6, {t0} + n FROM s"
            ),
            vec![settlement],
        ),
        (
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 999) \
                 INSERT INTO settlement_authorizations (requester, nonce, authorization_uri, authorization_cid, scope, \
                 currency, limit_minor, charged_minor, charges, consumed, hold_id, expires_at, created_at) \
                 SELECT {req}, 'histnonce', {auth_uri}, 'bafyreihistauth', 'session', 'USD', \
                 250 * ({n} / 1000 + 1), 250 * ({n} / 1000), {n} / 1000, 0, NULL, {expires}, {t0} FROM s"
            ),
            vec![],
        ),
        (
            "UPDATE ledger_accounts SET debits_posted = (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t \
             WHERE t.debit_account = ledger_accounts.id AND t.kind IN ('posted', 'post')), \
             credits_posted = (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t \
             WHERE t.credit_account = ledger_accounts.id AND t.kind IN ('posted', 'post')) \
             WHERE id LIKE 'hist-%'"
                .to_owned(),
            vec![],
        ),
    ];
    for (i, (sql, binds)) in statements.into_iter().enumerate() {
        macro_rules! exec {
            ($l:expr) => {{
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for b in binds {
                    q = q.bind(b);
                }
                q.execute(ledger::LedgerStore::pool(&$l)).await.map(|_| ())
            }};
        }
        let done = match store.ledger() {
            ledger::Ledger::Sqlite(l) => exec!(l),
            ledger::Ledger::Postgres(l) => exec!(l),
        };
        done.map_err(|e| format!("history: statement {}: {e}", i + 1))?;
        eprintln!(
            "bench: history step {} of 7 ({:.0} s)",
            i + 1,
            start.elapsed().as_secs_f64()
        );
    }
    // Fresh statistics, as autovacuum would gather after a real history.
    if let ledger::Ledger::Postgres(l) = store.ledger() {
        sqlx::query("ANALYZE")
            .execute(ledger::LedgerStore::pool(&l))
            .await
            .map_err(|e| format!("history: analyze: {e}"))?;
    }
    store.close().await;
    Ok(start.elapsed().as_secs_f64())
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
            crate::config::redact_url(&db.url)
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
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
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
        let deposits: Vec<Vec<u8>> = w
            .deposits
            .iter()
            .map(|(did, amount)| {
                format!(
                    r#"{{"id":"bench:{did}","requester":"{did}","amount":{}}}"#,
                    money(*amount)
                )
                .into_bytes()
            })
            .collect();
        let (_, _, errors) = drive(
            &client,
            &format!("{base}/v1/admin/deposits"),
            Arc::new(deposits),
            args.concurrency,
            &[200, 201],
            true,
        )
        .await;
        if !errors.is_empty() {
            return Err(format!("deposits: {errors:?}"));
        }

        let settle: Vec<Vec<u8>> = w
            .receipts
            .iter()
            .map(|r| format!(r#"{{"receipt":"{}"}}"#, r.uri).into_bytes())
            .collect();
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
    Ok(if args.json {
        to_json(args, &rates, limit, &figures)
    } else {
        to_table(args, &rates, limit, &figures)
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
