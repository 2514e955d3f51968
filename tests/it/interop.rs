//! The records the engine signs and checks agree with an independent
//! implementation (Python `json` + `cryptography`), including strings that
//! exercise every escaping rule of canonical JSON.

use std::process::Command;

use settlement::records::json::{self, Value};
use settlement::testkit::Scenario;
use settlement::verify::verify_charge;

use crate::support::{TempDir, python, root};

/// Model names that exercise escaping: quotes, backslashes, the short
/// escapes, other C0 controls, DEL, non-ASCII and astral characters.
const MODELS: &[&str] = &[
    "plain-model",
    "quote\"back\\slash",
    "tab\tnew\nline\rcr\u{8}bs\u{c}ff",
    "ctrl\u{1}\u{1f}\u{7f}",
    "café/naïve/日本語/😀",
    "\u{2028}\u{2029}\u{feff}",
];

#[test]
fn python_verifies_our_signatures_over_canonical_json() {
    let mut bundles = Vec::new();
    for (i, model) in MODELS.iter().cycle().take(48).enumerate() {
        let mut sc = Scenario::new(
            settlement::testkit::REQUESTER,
            settlement::testkit::PROVIDER,
            &format!("interop-{i}"),
        );
        sc.job.insert("model".into(), (*model).into());
        sc.receipt.insert("model".into(), (*model).into());
        let sealed = sc.seal();
        // Our own verifier accepts it too.
        verify_charge(&sealed.exchange, sealed.now, sealed.bundle()).expect("valid bundle");
        bundles.push(sealed.to_bundle_json());
    }
    let dir = TempDir::new("interop");
    let file = dir.0.join("bundles.json");
    std::fs::write(&file, json::to_canonical(&Value::Array(bundles))).unwrap();
    let out = Command::new(python())
        .arg(root().join("tests/interop/verify_bundles.py"))
        .arg(&file)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("48 passed, 0 failed"), "{stdout}");
}

/// Settlements as the API serves them verify with the published JWK under
/// Python's `json` + `cryptography` (ES256, raw r||s, base64url); one
/// changed field makes a settlement fail there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_verifies_settlement_signatures_with_the_published_jwk() {
    use settlement::records::json::Map;
    use settlement::testkit::{PROVIDER, REQUESTER};

    let app = crate::app::spawn_app(crate::app::Backend::Sqlite).await;
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "interop-dep").await.status,
        201
    );
    let base = Scenario::new(REQUESTER, PROVIDER, "interop-settlements");
    for (i, price) in [250u64, 1, 999, 1000, 40].iter().enumerate() {
        let mut sc = Scenario::new(REQUESTER, PROVIDER, &format!("interop-settlement-{i}"));
        sc.authorization = base.authorization.clone();
        sc.authorization_uri = base.authorization_uri.clone();
        sc.receipt.insert(
            "price".into(),
            json::parse_str(&format!(r#"{{"amount":{price},"currency":"USD"}}"#)).unwrap(),
        );
        let sealed = sc.seal();
        app.post_all(&sealed).await;
        assert_eq!(app.settle(&sealed.receipt.uri).await.status, 201);
    }
    let jwk = app
        .get("/v1/exchange")
        .await
        .body
        .get("jwk")
        .unwrap()
        .clone();
    let listing = app
        .get(&format!(
            "/v1/authorizations?uri={}",
            base.authorization_uri
        ))
        .await;
    let Some(Value::Array(settlements)) = listing.body.get("settlements") else {
        panic!("{listing:?}")
    };
    assert_eq!(settlements.len(), 5);

    let dir = TempDir::new("interop-settlements");
    let verify = |name: &str, settlements: Vec<Value>| {
        let mut doc = Map::new();
        doc.insert("jwk".into(), jwk.clone());
        doc.insert("settlements".into(), Value::Array(settlements));
        let file = dir.0.join(name);
        std::fs::write(&file, json::to_canonical(&Value::Object(doc))).unwrap();
        let out = Command::new(python())
            .arg(root().join("tests/interop/verify_settlements.py"))
            .arg(&file)
            .output()
            .expect("run python");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, text) = verify("settlements.json", settlements.clone());
    assert!(ok, "{text}");
    assert!(text.contains("5 passed, 0 failed"), "{text}");

    // One settlement's amount changed after signing: Python refuses it.
    let mut tampered = settlements.clone();
    let Some(Value::Object(value)) = (match &mut tampered[2] {
        Value::Object(entry) => entry.get_mut("value"),
        _ => None,
    }) else {
        panic!("a settlement entry is {{uri, cid, value}}")
    };
    value.insert(
        "exchangeFee".into(),
        json::parse_str(r#"{"amount":0,"currency":"USD"}"#).unwrap(),
    );
    let (ok, text) = verify("tampered.json", tampered);
    assert!(!ok, "{text}");
    assert!(text.contains("4 passed, 1 failed"), "{text}");
}

/// HTTP-level fuzzing from the OpenAPI document with schemathesis (an
/// independent tool): whatever it sends, the server never answers 5xx and
/// never drops the connection. Seeded and bounded so a failure replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_errors() {
    let app = crate::app::spawn_app(crate::app::Backend::Sqlite).await;
    let py = python().to_owned();
    let schemathesis = py.with_file_name("schemathesis");
    let schema = format!("{}/openapi.json", app.base);
    // schemathesis keeps a cache in its working directory: not in the repo.
    let dir = TempDir::new("schemathesis");
    let cwd = dir.0.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .current_dir(cwd)
            .args([
                "run",
                &schema,
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "40",
                "--seed",
                "7",
            ])
            .args([
                "-H",
                &format!("Authorization: Bearer {}", crate::app::ADMIN_TOKEN),
            ])
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed"), "{stdout}");
}
