//! The proof-of-inference gate's figures: native checks of the real
//! 256-step proof per second on one core, and receipts settled per second
//! through the HTTP API when every receipt needs a proof (each its own
//! made-up proof, checked natively and sent to the stand-in verifier).

use super::*;
use crate::inference;
use crate::inference::record::NSID_INFERENCE_PROOF;
use crate::proof_verifier::standin::{Script, StandIn};

const REAL: &[u8] = include_bytes!("../../../../tensorcash/testdata/proof-qwen3-8b-256.bin");

/// Decodes and checks the real proof on one thread for `seconds`: checks
/// per second.
pub fn native_rate(seconds: f64) -> f64 {
    let limit = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < limit {
        let p = inference::decode(REAL).expect("the real proof decodes");
        let r = inference::check(&p);
        assert!(r.ok(), "the real proof passes");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// What the gated run measured on one backend.
#[derive(Clone, Debug, Default)]
pub struct GatedFigures {
    pub backend: String,
    pub receipts: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: Errors,
}

/// Each receipt's proof record (signed by its provider's attestation key)
/// and bytes, sampled for its job, made up on every core.
fn proofs(w: &Workload, providers: usize) -> Vec<(RawRecord, Vec<u8>)> {
    let model = "llama-3.1-8b-instruct";
    let one = |(i, receipt): (usize, &RawRecord)| {
        let key = testkit::key(&format!(
            "bench-provider-key:gated:{}",
            i % providers.max(1)
        ));
        let window = inference::synth::for_job(&format!("bench:{i}"), model, &w.jobs[i]);
        let bytes = inference::proof::encode(&window);
        let did = receipt.uri.split('/').nth(2).unwrap_or_default();
        let uri = format!(
            "at://{did}/{NSID_INFERENCE_PROOF}/{}",
            testkit::rkey_for(&format!("bench-proof:{i}"))
        );
        let cid = receipt.cid.clone().unwrap_or_default();
        (
            inference::synth::proof_record(uri, &receipt.uri, &cid, &bytes, &key),
            bytes,
        )
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = w.receipts.len().div_ceil(threads).max(1);
    let mut out = Vec::with_capacity(w.receipts.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = w
            .receipts
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let one = &one;
                s.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(j, r)| one((c * chunk + j, r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            out.extend(h.join().expect("proof thread"));
        }
    });
    out
}

/// Settles `args.gated_receipts` receipts through a server whose gate
/// names the workload's model and asks a stand-in verifier (Full_Green).
pub async fn gated_run(
    backend: Backend,
    args: &BenchArgs,
    bin: &Path,
) -> Result<GatedFigures, String> {
    let n = args.gated_receipts;
    let providers = args.providers.min(n).max(1);
    let w = workload(
        "gated",
        args.requesters.min(n).max(1),
        providers,
        n,
        Datetime::now(),
    );
    let proofs = tokio::task::spawn_blocking({
        let w = Workload {
            shared: Vec::new(),
            jobs: w.jobs.clone(),
            receipts: w.receipts.clone(),
            deposits: Vec::new(),
        };
        move || proofs(&w, providers)
    })
    .await
    .map_err(|e| e.to_string())?;
    let standin = StandIn::start(Script::default())
        .await
        .map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!(
        "settlement-bench-gated-{}-{}",
        std::process::id(),
        backend.name()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = Database::create(backend, args, &dir).await?;
    let extra = [
        "--proof-required-models".to_owned(),
        "llama-3.1-8b-instruct".to_owned(),
        "--proof-verifier-url".to_owned(),
        standin.url().to_string(),
    ];
    let result = async {
        let server = Server::start_with(bin, &db, &dir, &extra)?;
        let client = bench_client()?;
        let base = server.base.clone();
        let outcome = async {
            // Receipts before the proofs that name them.
            let records = format!("{base}/v1/records");
            let first = record_bodies(w.shared.iter().chain(&w.jobs).chain(&w.receipts));
            let then = record_bodies(proofs.iter().map(|(r, _)| r));
            for bodies in [first, then] {
                let (_, _, errors) = drive(
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
            }
            for (_, bytes) in &proofs {
                let r = client
                    .post(format!("{base}/v1/inference/proofs"))
                    .header("content-type", "application/octet-stream")
                    .body(bytes.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !r.status().is_success() {
                    return Err(format!("uploading a proof: {}", r.status()));
                }
            }
            fund(&client, &base, &w.deposits, args.concurrency).await?;
            let settle = settle_bodies(&w.receipts);
            let (took, mut lat, errors) = drive(
                &client,
                &format!("{base}/v1/settle"),
                Arc::new(settle),
                args.concurrency,
                &[201],
                false,
            )
            .await;
            lat.sort_unstable();
            let settled = n - errors.values().sum::<usize>();
            Ok(GatedFigures {
                backend: backend.name().into(),
                receipts: n,
                per_second: settled as f64 / took.as_secs_f64(),
                p50_ms: percentile(&lat, 0.50),
                p99_ms: percentile(&lat, 0.99),
                errors,
            })
        }
        .await;
        server.stop();
        outcome
    }
    .await;
    if !args.keep {
        db.drop_it().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// The gate's lines of the table.
pub fn gated_table(native: f64, gated: &[GatedFigures]) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "\nproof of inference: native checks of the real 256-step proof, one core: {native:.1} /s\n"
    );
    for g in gated {
        let _ = writeln!(
            out,
            "{}: {} receipts with the gate on (stand-in verifier): {:.0} receipts/s, p50 {:.2} ms, p99 {:.2} ms",
            g.backend, g.receipts, g.per_second, g.p50_ms, g.p99_ms
        );
        for (k, n) in &g.errors {
            let _ = writeln!(out, "{}: gated: {n} answered {k}", g.backend);
        }
    }
    out
}

/// Adds the gate's figures to the JSON object `out` (canonical JSON).
pub fn gated_json(out: &mut String, native: f64, gated: &[GatedFigures]) {
    let Ok(Value::Object(mut root)) = json::parse_str(out) else {
        return;
    };
    root.insert(
        "nativeProofChecksPerSecondMilli".into(),
        ((native * 1000.0).round() as i64).into(),
    );
    let rows = gated
        .iter()
        .map(|g| {
            let mut m = Map::new();
            m.insert("backend".into(), g.backend.clone().into());
            m.insert("receipts".into(), (g.receipts as i64).into());
            m.insert(
                "receiptsPerSecond".into(),
                (g.per_second.round() as i64).into(),
            );
            m.insert(
                "p50Micros".into(),
                ((g.p50_ms * 1000.0).round() as i64).into(),
            );
            m.insert(
                "p99Micros".into(),
                ((g.p99_ms * 1000.0).round() as i64).into(),
            );
            Value::Object(m)
        })
        .collect();
    root.insert("gated".into(), Value::Array(rows));
    *out = json::to_canonical_string(&Value::Object(root));
}
