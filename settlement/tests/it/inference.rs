//! TensorCash proofs: `settlement proof check` as the binary runs it, on
//! the real proof and on forgeries written to files; and the verifier
//! client against the stand-in that speaks the verifier's wire format.

use std::process::Command;
use std::time::Duration;

use settlement::inference::{self, Mode, Proof, Verdict};
use settlement::proof_verifier::standin::{Script, StandIn};
use settlement::proof_verifier::{Config, Verifier};

const REAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tensorcash/testdata/proof-qwen3-8b-256.bin"
);

fn real() -> Proof {
    inference::decode(&std::fs::read(REAL).unwrap()).unwrap()
}

struct Run {
    exit: i32,
    json: serde_json::Value,
    stderr: String,
}

fn check_file(path: &std::path::Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_settlement"))
        .args(["proof", "check", "--proof"])
        .arg(path)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    Run {
        exit: out.status.code().unwrap(),
        json: serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn check_bytes(bytes: &[u8]) -> Run {
    let dir = std::env::temp_dir().join(format!("proof-check-{}", uuid_ish()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("proof.bin");
    std::fs::write(&path, bytes).unwrap();
    let run = check_file(&path);
    let _ = std::fs::remove_dir_all(&dir);
    run
}

fn uuid_ish() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn failed(run: &Run) -> Vec<String> {
    run.json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_cli_passes_the_real_proof_but_its_header_pow() {
    let run = check_file(std::path::Path::new(REAL));
    assert_eq!(run.exit, 0, "{}", run.json);
    assert_eq!(run.json["ok"], true);
    assert_eq!(run.json["steps"], 256);
    assert!(run.json["model"].as_str().unwrap().contains("Qwen3-8B"));
    let names: Vec<&str> = run.json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "structure",
            "parameters",
            "u-values",
            "final-hash",
            "sampling",
            "header-pow"
        ]
    );
    assert_eq!(failed(&run), ["header-pow"]);
}

#[test]
fn the_cli_fails_each_forgery_on_its_check() {
    let forgeries: Vec<(&str, fn(&mut Proof))> = vec![
        ("sampling", |p| {
            let other = *p.topk_indices[40]
                .iter()
                .find(|&&t| t != p.chosen_tokens[40])
                .unwrap();
            p.chosen_tokens[40] = other;
        }),
        ("u-values", |p| {
            p.sampling_u[200] = (p.sampling_u[200] + 1e-3).min(0.999)
        }),
        ("u-values", |p| p.vdf[7] ^= 0x10),
        ("sampling", |p| p.temperature = 0.3),
        ("parameters", |p| p.temperature = 3.0),
        ("structure", |p| p.topk_logits[0][0] = f32::NAN),
    ];
    for (check, forge) in forgeries {
        let mut p = real();
        forge(&mut p);
        let run = check_bytes(&inference::proof::encode(&p));
        assert_eq!(run.exit, 1, "{check}: {}", run.json);
        assert_eq!(run.json["ok"], false);
        assert!(
            failed(&run).iter().any(|f| f == check),
            "{check} not among {:?}",
            failed(&run)
        );
    }
}

#[test]
fn the_cli_exits_2_on_bytes_that_are_not_a_proof() {
    let real = std::fs::read(REAL).unwrap();
    for bytes in [
        &real[..1000],
        b"not a flatbuffer".as_slice(),
        b"".as_slice(),
    ] {
        let run = check_bytes(bytes);
        assert_eq!(run.exit, 2);
        assert!(run.stderr.starts_with("proof check: "), "{}", run.stderr);
        assert_eq!(run.json, serde_json::Value::Null, "nothing on stdout");
    }
    let run = check_file(std::path::Path::new("/nonexistent/proof.bin"));
    assert_eq!(run.exit, 2);
    assert!(run.stderr.contains("cannot read"));
}

fn fast(url: reqwest::Url, mode: Mode) -> Config {
    let mut c = Config::new(url, mode);
    c.poll = Duration::from_millis(20);
    c.deadline = Duration::from_secs(5);
    c.request_timeout = Duration::from_secs(2);
    c
}

#[tokio::test]
async fn verdicts_map_from_the_verifiers_answer() {
    let standin = StandIn::start(Script::default()).await.unwrap();
    let v = Verifier::new(fast(standin.url(), Mode::Full)).unwrap();
    let p = real();
    for (status, verdict) in [
        ("Full_Green", Verdict::Pass),
        ("Full_Amber", Verdict::Hold),
        ("Full_Red", Verdict::Refuse),
        ("Full_Ultraviolet", Verdict::Hold),
    ] {
        standin.script(|s| s.status = status.into());
        let a = v.verify(&p).await.unwrap();
        assert_eq!((a.status.as_str(), a.verdict), (status, verdict));
        assert_eq!(a.hash_id.len(), 64);
    }
    assert_eq!(standin.submitted().len(), 4);
    assert!(
        standin
            .submitted()
            .iter()
            .all(|id| *id == standin.submitted()[0]),
        "one proof, one hash id"
    );
}

#[tokio::test]
async fn a_pending_verification_is_polled_to_its_verdict() {
    let standin = StandIn::start(Script {
        status: "Logits_OK".into(),
        pending_polls: 3,
        ..Script::default()
    })
    .await
    .unwrap();
    let v = Verifier::new(fast(standin.url(), Mode::Logits)).unwrap();
    let a = v.verify(&real()).await.unwrap();
    assert_eq!(a.verdict, Verdict::Pass);
    assert_eq!(standin.submitted().len(), 1, "polled, not resubmitted");
}

#[tokio::test]
async fn a_verifier_that_never_decides_is_unavailable_by_the_deadline() {
    let standin = StandIn::start(Script {
        pending_polls: u32::MAX,
        ..Script::default()
    })
    .await
    .unwrap();
    let mut c = fast(standin.url(), Mode::Full);
    c.deadline = Duration::from_millis(300);
    let e = Verifier::new(c).unwrap().verify(&real()).await.unwrap_err();
    assert!(e.0.contains("no verdict within 300 ms"), "{e}");
}

#[tokio::test]
async fn a_down_verifier_is_unavailable_then_answers_when_back() {
    let standin = StandIn::start(Script {
        down: true,
        ..Script::default()
    })
    .await
    .unwrap();
    let v = Verifier::new(fast(standin.url(), Mode::Full)).unwrap();
    let e = v.verify(&real()).await.unwrap_err();
    assert!(e.0.contains("503") && e.0.contains("3 attempts"), "{e}");
    standin.script(|s| s.down = false);
    assert_eq!(v.verify(&real()).await.unwrap().verdict, Verdict::Pass);
    // Nothing listening at all.
    let gone = Verifier::new(fast("http://127.0.0.1:9/".parse().unwrap(), Mode::Full)).unwrap();
    assert!(
        gone.verify(&real())
            .await
            .unwrap_err()
            .0
            .contains("transport")
    );
}

#[tokio::test]
async fn rate_limits_and_gateway_timeouts_are_retried_and_refusals_are_not() {
    let standin = StandIn::start(Script {
        errors: vec![429, 504],
        ..Script::default()
    })
    .await
    .unwrap();
    let v = Verifier::new(fast(standin.url(), Mode::Full)).unwrap();
    assert_eq!(
        v.verify(&real()).await.unwrap().verdict,
        Verdict::Pass,
        "third attempt answers"
    );
    assert_eq!(standin.submitted().len(), 1);
    standin.script(|s| s.errors = vec![429, 503, 504]);
    let e = v.verify(&real()).await.unwrap_err();
    assert!(e.0.contains("(3 attempts)"), "{e}");
    for (code, says) in [
        (400, "refused the request (400): scripted 400"),
        (413, "too large (413)"),
    ] {
        standin.script(|s| s.errors = vec![code]);
        let asked = standin.submitted().len();
        let e = v.verify(&real()).await.unwrap_err();
        assert!(e.0.contains(says), "{code}: {e}");
        assert_eq!(standin.submitted().len(), asked, "{code} is not retried");
        standin.script(|s| s.errors.clear());
    }
}

#[tokio::test]
async fn the_bearer_token_is_sent_and_a_wrong_one_is_not_a_verdict() {
    let standin = StandIn::start(Script {
        token: Some("s3cret-token".into()),
        ..Script::default()
    })
    .await
    .unwrap();
    let mut c = fast(standin.url(), Mode::Full);
    let e = Verifier::new(c.clone())
        .unwrap()
        .verify(&real())
        .await
        .unwrap_err();
    assert!(e.0.contains("credentials (401)"), "{e}");
    c.token = Some("wrong".into());
    assert!(
        Verifier::new(c.clone())
            .unwrap()
            .verify(&real())
            .await
            .is_err()
    );
    c.token = Some("s3cret-token".into());
    let a = Verifier::new(c).unwrap().verify(&real()).await.unwrap();
    assert_eq!(a.verdict, Verdict::Pass);
}

#[tokio::test]
async fn the_request_binds_the_proof_and_the_endpoint_its_type() {
    // The stand-in, like the verifier's precheck, refuses a request whose
    // ids do not bind its proof or whose type is another endpoint's.
    let standin = StandIn::start(Script::default()).await.unwrap();
    let p = real();
    let (mut body, _) = inference::request::validation_request(&p, Mode::Full);
    let http = reqwest::Client::new();
    let post = |path: &'static str, body: Vec<u8>| {
        http.post(standin.url().join(path).unwrap())
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    assert_eq!(
        post("v1/verify/full", body.clone()).await.unwrap().status(),
        200
    );
    assert_eq!(
        post("v1/verify/quick", body.clone())
            .await
            .unwrap()
            .status(),
        400
    );
    // Flip one byte of the hash id (it is stored near the buffer's start).
    let (_, id) = inference::request::validation_request(&p, Mode::Full);
    let at = body
        .windows(32)
        .position(|w| w == id)
        .expect("the hash id is in the buffer");
    body[at] ^= 1;
    let r = post("v1/verify/full", body).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("hash mismatch"));
}
