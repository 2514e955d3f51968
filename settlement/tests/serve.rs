//! The `settlement serve` binary as an operator runs it: zero-config
//! start-up on SQLite, the key file created 0600, records proven by
//! default and development mode kept to loopback, traces exported over
//! OTLP/HTTP to a collector, and a clean exit on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "settlement-serve-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", otlp)],
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
    let server = start("proven", &["--plc-directory", "http://127.0.0.1:9"], &[]);
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
    let body = json::parse(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(
        body.get("code").and_then(Value::as_str),
        Some("did-unresolvable"),
        "{body:?}"
    );
}
