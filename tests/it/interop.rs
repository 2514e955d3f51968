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
