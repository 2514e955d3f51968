//! The `settlement serve` binary as an operator runs it: zero-config
//! start-up on SQLite, the key file created 0600, records proven by
//! default and development mode kept to loopback, traces exported over
//! OTLP/HTTP to a collector, and a clean exit on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;

use settlement::records::json::{self, Map, Value};
use settlement::testkit::Scenario;

struct Server {
    child: Child,
    base: String,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    common::temp_dir(&format!("serve-{tag}"))
}

/// Starts the binary in a fresh directory with default settings (plus
/// `args` and `env`) and waits for its "listening on" line.
fn start(tag: &str, args: &[&str], env: &[(&str, String)]) -> Server {
    let dir = temp_dir(tag);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_settlement"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn settlement serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server started");
    Server { child, base, dir }
}

fn sigterm_and_wait(server: &mut Server) -> i32 {
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A stand-in OTLP collector: it accepts `POST /v1/traces` (protobuf) and
/// keeps the bodies. Span names are plain UTF-8 inside protobuf.
async fn collector() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body.to_vec());
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_exports_traces_and_stops_cleanly() {
    let (otlp, bodies) = collector().await;
    // The records below are made up (no repository holds them), so this
    // runs in development mode.
    let mut server = start(
        "otlp",
        &["--insecure-trust-submitted-records"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
            ("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", "yes".into()),
        ],
    );
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(
        client
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    // A real charge attempt: records in, settle refused for lack of funds.
    let sealed = Scenario::default().seal();
    for r in [
        &sealed.authorization,
        &sealed.job,
        &sealed.attestation,
        &sealed.receipt,
    ] {
        let resp = client
            .post(format!("{}/v1/records", server.base))
            .body(json::to_canonical(&settlement::testkit::record_post(r)))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201);
    }
    let resp = client
        .post(format!("{}/v1/settle", server.base))
        .body(format!(r#"{{"receipt":"{}"}}"#, sealed.receipt.uri))
        .send()
        .await
        .unwrap();
    // The exchange DID defaults to did:web:localhost, not the one the
    // authorization names.
    assert_eq!(resp.status().as_u16(), 422);
    assert!(
        resp.headers()
            .get(settlement::api::DEVELOPMENT_HEADER)
            .is_some()
    );
    let body = json::parse(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(
        body.get("code").and_then(Value::as_str),
        Some("wrong-exchange")
    );

    // Zero-config: SQLite and the signing key under ./data, the key 0600.
    use std::os::unix::fs::PermissionsExt as _;
    let key = server.dir.join("data/exchange-key.hex");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(server.dir.join("data/settlement.db").exists());

    // SIGTERM: exit 0, after flushing the spans to the collector.
    assert_eq!(sigterm_and_wait(&mut server), 0);
    let all: Vec<u8> = bodies.lock().unwrap().concat();
    let has = |needle: &str| all.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        has("http.request"),
        "no request span exported ({} bytes)",
        all.len()
    );
    // Only the settle span carries the receipt's URI.
    assert!(has(&sealed.receipt.uri), "no settle span exported");
    assert!(has("/v1/settle"), "route attribute missing");
    assert!(has("settlement"), "service name missing");
    let key_hex = std::fs::read_to_string(&key).unwrap();
    assert!(!has(key_hex.trim()), "the signing key reached a trace");
}

#[test]
fn trusting_submitted_records_is_for_loopback_only() {
    let dir = temp_dir("loopback");
    let out = Command::new(env!("CARGO_BIN_EXE_settlement"))
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--insecure-trust-submitted-records",
        ])
        .env("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", "yes")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--insecure-trust-submitted-records") && stderr.contains("loopback"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// By default a record posted as JSON is stored only once it is proven in
/// its owner's repository: here the owner's DID cannot be resolved (a PLC
/// directory that is not there), so nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unproven_records_are_refused_by_default() {
    let server = start(
        "proven",
        &[
            "--plc-directory",
            "http://127.0.0.1:9",
            "--exchange-did",
            "did:web:exchange.example",
        ],
        &[],
    );
    let client = reqwest::Client::new();
    let sealed = Scenario::default().seal();
    let mut m = Map::new();
    m.insert("uri".into(), sealed.authorization.uri.clone().into());
    m.insert("value".into(), sealed.authorization.value.clone());
    let resp = client
        .post(format!("{}/v1/records", server.base))
        .body(json::to_canonical(&Value::Object(m)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    assert!(
        resp.headers()
            .get(settlement::api::DEVELOPMENT_HEADER)
            .is_none()
    );
    let body = json::parse(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(
        body.get("code").and_then(Value::as_str),
        Some("did-unresolvable"),
        "{body:?}"
    );
}

/// Security review, findings 10 and 12: development mode starts only with
/// the environment's acknowledgement, and says so on every answer; a
/// proven-records server starts only with its own exchange DID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_mode_is_acknowledged_and_announced() {
    for (args, env, needle) in [
        (
            vec!["--insecure-trust-submitted-records"],
            None,
            "SETTLEMENT_ACCEPT_UNPROVEN_RECORDS",
        ),
        (vec![], None, "exchange-did: required"),
        (
            vec![
                "--insecure-trust-submitted-records",
                "--rpc-url",
                "https://rpc.chain.example",
                "--chain-id",
                "84532",
                "--token",
                "0x0000000000000000000000000000000000000001",
            ],
            Some("yes"),
            "not on this machine",
        ),
    ] {
        let dir = temp_dir("refused");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_settlement"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(&args)
            .env_remove("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS")
            .env_remove("SETTLEMENT_EXCHANGE_DID")
            .current_dir(&dir);
        if let Some(v) = env {
            cmd.env("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        let _ = std::fs::remove_dir_all(&dir);
    }
    let server = start(
        "banner",
        &["--insecure-trust-submitted-records"],
        &[("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", "yes".into())],
    );
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/exchange", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let banner = resp
        .headers()
        .get(settlement::api::DEVELOPMENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(banner.contains("not proven"), "{banner:?}");
}

/// Security review, finding 11: a full run with secrets in the database
/// URL, the admin token, the RPC URL and the treasury key, logging at
/// debug, and a start-up that fails on the chain: none of the secrets is
/// in anything the process printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs() {
    const DB_PASSWORD: &str = "pg-password-31415926";
    const ADMIN_TOKEN: &str = "admin-token-27182818284590";
    const RPC_KEY: &str = "RpcPathKey0123456789abcdef";
    const RPC_QUERY_KEY: &str = "rpc-query-key-16180339";
    const TREASURY_KEY: &str = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let dir = temp_dir("secrets");
    let url = common::database(true, &dir, "secrets").await;
    let with_password = url.replacen("postgres@", &format!("postgres:{DB_PASSWORD}@"), 1);
    let run = |args: Vec<String>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_settlement"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--exchange-did", "did:web:exchange.example"])
            .args(["--database-url", &with_password])
            .args(&args)
            .current_dir(&dir)
            .env("RUST_LOG", "debug")
            .env("SETTLEMENT_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("SETTLEMENT_TREASURY_KEY", TREASURY_KEY)
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let all = Arc::new(Mutex::new(String::new()));
        let kept = all.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let _ = tx.send(rest.trim().to_owned());
                }
                kept.lock().unwrap().push_str(&line);
                kept.lock().unwrap().push('\n');
            }
        });
        (child, rx, all)
    };
    let assert_clean = |printed: &str| {
        for secret in [
            DB_PASSWORD,
            ADMIN_TOKEN,
            RPC_KEY,
            RPC_QUERY_KEY,
            TREASURY_KEY,
        ] {
            assert!(
                !printed.contains(secret),
                "{secret} was printed:\n{printed}"
            );
        }
    };

    // A run that serves: requests with a wrong and a right admin token, a
    // refused deposit, then SIGTERM.
    let (child, rx, printed) = run(vec![]);
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server started");
    let mut server = Server {
        child,
        base,
        dir: dir.clone(),
    };
    let client = reqwest::Client::new();
    for token in ["wrong-token-000000000", ADMIN_TOKEN] {
        let resp = client
            .post(format!("{}/v1/admin/deposits", server.base))
            .bearer_auth(token)
            .body(r#"{"id":"d1","requester":"did:plc:nobody","amount":{"amount":5,"currency":"XXX"}}"#)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_client_error(), "{}", resp.status());
    }
    assert_eq!(sigterm_and_wait(&mut server), 0);
    std::thread::sleep(Duration::from_millis(200));
    let served = printed.lock().unwrap().clone();
    assert!(served.contains("listening on"), "{served}");
    assert_clean(&served);

    // A start-up that fails on an unreachable chain whose URL holds keys.
    let rpc = format!("http://127.0.0.1:9/v2/{RPC_KEY}?apikey={RPC_QUERY_KEY}");
    let (mut child, _rx, printed) = run(vec![
        "--rpc-url".into(),
        rpc,
        "--chain-id".into(),
        "84532".into(),
        "--token".into(),
        "0x0000000000000000000000000000000000000001".into(),
    ]);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    std::thread::sleep(Duration::from_millis(200));
    let failed = printed.lock().unwrap().clone();
    assert!(failed.contains("serve:"), "{failed}");
    assert_clean(&failed);
    common::drop_database(&url).await;
}
