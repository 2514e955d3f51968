//! A bounded soak: mixed traffic against the real HTTP API on loopback
//! (records, settlements, replays, forged receipts, reads, deposits) for a
//! fixed number of rounds, printing per phase the throughput, the answers
//! by status and code, and the process's resident memory, so that a leak
//! shows as RSS growing phase after phase.
//!
//! `cargo bench -p settlement --bench soak` (SQLite in a temp dir), or with
//! `SOAK_DATABASE_URL=postgres://...` against PostgreSQL; `SOAK_ROUNDS`
//! (default 4000) and `SOAK_PHASES` (default 8) size it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use settlement::exchange::{Exchange, FeePolicy};
use settlement::records::RawRecord;
use settlement::records::json::{self, Value};
use settlement::service::Service;
use settlement::store::Store;
use settlement::testkit::{self, REQUESTER, Scenario};

const PROVIDERS: [&str; 4] = [
    "did:plc:bobbobbobbobbobbobbobbob",
    "did:plc:carolcarolcarolcarolcaro",
    "did:plc:davedavedavedavedavedave",
    "did:plc:frankfrankfrankfrankfran",
];
/// Receipts per session authorization (budget 20000 at 250 each: 80 fit).
const PER_AUTHORIZATION: usize = 60;
const ADMIN: &str = "soak-admin-token-0123456789";

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn record_body(r: &RawRecord) -> Vec<u8> {
    json::to_canonical(&testkit::record_post(r))
}

struct Round {
    shared: Vec<RawRecord>,
    job: RawRecord,
    receipt: RawRecord,
    forged: RawRecord,
}

fn workload(rounds: usize) -> Vec<Round> {
    let mut out = Vec::with_capacity(rounds);
    let mut base = None;
    for i in 0..rounds {
        let provider = PROVIDERS[i % PROVIDERS.len()];
        if i % PER_AUTHORIZATION == 0 {
            base = Some(Scenario::new(
                REQUESTER,
                provider,
                &format!("soak-auth-{i}"),
            ));
        }
        let shared = base.as_ref().expect("set at i = 0");
        let sealed = Scenario {
            authorization: shared.authorization.clone(),
            authorization_uri: shared.authorization_uri.clone(),
            ..Scenario::new(REQUESTER, provider, &format!("soak-{i}"))
        }
        .seal();
        let mut forged = sealed.receipt.clone();
        if let Value::Object(m) = &mut forged.value {
            m.insert(
                "price".into(),
                json::parse_str(r#"{"amount":4999,"currency":"USD"}"#).unwrap(),
            );
        }
        // Signed for 250, claims 4999, under a key of its own.
        let rkey = testkit::rkey_for(&format!("soak-forged-{i}"));
        forged.uri = format!("at://{provider}/dev.cocore.compute.receipt/{rkey}");
        out.push(Round {
            shared: vec![sealed.authorization, sealed.attestation],
            job: sealed.job,
            receipt: sealed.receipt,
            forged,
        });
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    let rounds: usize = std::env::var("SOAK_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let phases: usize = std::env::var("SOAK_PHASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let dir = std::env::temp_dir().join(format!("settlement-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = std::env::var("SOAK_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite:{}", dir.join("soak.db").display()));
    let now = settlement::records::formats::Datetime::parse(testkit::NOW).unwrap();
    let clock: Arc<dyn ledger::Clock> = Arc::new(ledger::ManualClock::new(now.unix_micros()));
    let store = Store::open(&db, clock.clone())
        .await
        .expect("open the database");
    let service = Service::new(
        Exchange::new(testkit::EXCHANGE, testkit::key("exchange signing key")),
        FeePolicy::default(),
        store,
        Some(ADMIN.to_owned()),
        clock,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(settlement::api::serve(
        listener,
        service,
        settlement::api::Limits::default(),
        std::future::pending(),
    ));
    let sealing = Instant::now();
    let work = workload(rounds);
    println!(
        "soak: {rounds} rounds in {phases} phases on {}; workload sealed in {:.1} s; RSS at start {} KiB",
        if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        sealing.elapsed().as_secs_f64(),
        rss_kib()
    );
    let http = reqwest::Client::new();
    let deposit = format!(
        r#"{{"id":"soak","requester":"{REQUESTER}","amount":{{"amount":9000000000000,"currency":"USD"}}}}"#
    );
    http.post(format!("{base}/v1/admin/deposits"))
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(deposit)
        .send()
        .await
        .unwrap();
    println!("phase  rounds  requests  req/s   RSS KiB  answers");
    let per_phase = rounds.div_ceil(phases);
    let mut rss = Vec::new();
    for (p, chunk) in work.chunks(per_phase).enumerate() {
        let mut answers: BTreeMap<String, u64> = BTreeMap::new();
        let mut requests = 0u64;
        let started = Instant::now();
        for (i, r) in chunk.iter().enumerate() {
            let mut send = |req: reqwest::RequestBuilder| {
                requests += 1;
                req.send()
            };
            let mut calls = Vec::new();
            for rec in r.shared.iter().chain([&r.job, &r.receipt, &r.forged]) {
                calls.push(send(
                    http.post(format!("{base}/v1/records"))
                        .body(record_body(rec)),
                ));
            }
            let settle = |uri: &str| format!(r#"{{"receipt":"{uri}"}}"#);
            let mut outcomes = Vec::new();
            for c in calls {
                outcomes.push(c.await);
            }
            outcomes.push(
                send(
                    http.post(format!("{base}/v1/settle"))
                        .body(settle(&r.receipt.uri)),
                )
                .await,
            );
            outcomes.push(
                send(
                    http.post(format!("{base}/v1/settle"))
                        .body(settle(&r.receipt.uri)),
                )
                .await,
            );
            outcomes.push(
                send(
                    http.post(format!("{base}/v1/settle"))
                        .body(settle(&r.forged.uri)),
                )
                .await,
            );
            if i % 10 == 0 {
                outcomes.push(
                    send(http.get(format!(
                        "{base}/v1/requesters/{REQUESTER}/balance?currency=USD"
                    )))
                    .await,
                );
                outcomes.push(
                    send(http.get(format!(
                        "{base}/xrpc/dev.cocore.compute.listSettlements?requester={REQUESTER}&limit=50"
                    )))
                    .await,
                );
            }
            for o in outcomes {
                let key = match o {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let body = resp.bytes().await.unwrap_or_default();
                        let code = json::parse(&body)
                            .ok()
                            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned));
                        match code {
                            Some(c) if status >= 400 => format!("{status} {c}"),
                            _ => status.to_string(),
                        }
                    }
                    Err(e) => format!("transport error: {e}"),
                };
                *answers.entry(key).or_default() += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let kib = rss_kib();
        rss.push(kib);
        let answers: Vec<String> = answers.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        println!(
            "{:>5}  {:>6}  {:>8}  {:>5.0}  {:>8}  {}",
            p + 1,
            chunk.len(),
            requests,
            requests as f64 / secs,
            kib,
            answers.join(", ")
        );
    }
    if rss.len() >= 3 {
        let second = rss[1] as f64;
        let last = *rss.last().unwrap() as f64;
        println!(
            "RSS from phase 2 to phase {}: {:+.1} % ({} -> {} KiB)",
            rss.len(),
            (last - second) / second * 100.0,
            rss[1],
            rss.last().unwrap()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
