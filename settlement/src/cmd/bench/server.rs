//! The bench's database and its `settlement serve` child, and the
//! clients that drive the API.

use super::*;

// ---------------------------------------------------------------------
// Databases

pub(super) struct Database {
    pub(super) url: String,
    /// SQLite: the file; PostgreSQL: the admin URL and the database name.
    pub(super) sqlite_path: Option<PathBuf>,
    pub(super) pg: Option<(String, String)>,
}

impl Database {
    pub(super) async fn create(
        backend: Backend,
        args: &BenchArgs,
        dir: &Path,
    ) -> Result<Database, String> {
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
    pub(super) async fn backend_cpu_s(&self) -> std::collections::HashMap<u32, f64> {
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
    pub(super) async fn size(&self) -> u64 {
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

    pub(super) async fn drop_it(&self) {
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

pub(super) struct Server {
    pub(super) child: Child,
    pub(super) base: String,
}

impl Server {
    pub(super) fn start(bin: &Path, db: &Database, dir: &Path) -> Result<Server, String> {
        Server::start_with(bin, db, dir, &[])
    }

    /// As `start`, with more arguments for `serve`.
    pub(super) fn start_with(
        bin: &Path,
        db: &Database,
        dir: &Path,
        extra: &[String],
    ) -> Result<Server, String> {
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
            .args(extra)
            .env("RUST_LOG", "warn")
            .env(crate::cmd::config::UNPROVEN_RECORDS_ACK, "yes")
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

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(super) fn stop(mut self) {
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
pub(super) type Errors = std::collections::BTreeMap<String, usize>;

pub(super) async fn error_key(resp: reqwest::Response) -> String {
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
pub(super) async fn drive(
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
pub(super) async fn writer_counters(client: &reqwest::Client, base: &str) -> [u64; 3] {
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

/// The bench's HTTP client: keep-alive connections, no Nagle delay.
pub(super) fn bench_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())
}

/// Credits each requester its deposit through the admin route.
pub(super) async fn fund(
    client: &reqwest::Client,
    base: &str,
    deposits: &[(String, u64)],
    concurrency: usize,
) -> Result<(), String> {
    let bodies: Vec<Vec<u8>> = deposits
        .iter()
        .map(|(did, amount)| {
            format!(
                r#"{{"id":"bench:{did}","requester":"{did}","amount":{}}}"#,
                money(*amount)
            )
            .into_bytes()
        })
        .collect();
    let url = format!("{base}/v1/admin/deposits");
    let (_, _, errors) = drive(
        client,
        &url,
        Arc::new(bodies),
        concurrency,
        &[200, 201],
        true,
    )
    .await;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("deposits: {errors:?}"))
    }
}

/// One `POST /v1/settle` body per receipt.
pub(super) fn settle_bodies(receipts: &[RawRecord]) -> Vec<Vec<u8>> {
    receipts
        .iter()
        .map(|r| format!(r#"{{"receipt":"{}"}}"#, r.uri).into_bytes())
        .collect()
}

pub(super) fn record_bodies<'a>(records: impl Iterator<Item = &'a RawRecord>) -> Vec<Vec<u8>> {
    records
        .map(|r| json::to_canonical(&testkit::record_post(r)))
        .collect()
}

pub(super) fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}
