//! `verify-charge` as a function (exit code and output), the example
//! bundle shipped in the repository, and `demo` as the binary runs it.

use settlement::cmd::{Outcome, verify_charge};
use settlement::records::json::{parse_str, to_pretty_string};
use settlement::testkit::Scenario;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/charge-bundle.json");

fn example_text() -> String {
    to_pretty_string(&Scenario::default().seal().to_bundle_json())
}

/// The example in the README is exactly the default test scenario. Run with
/// `UPDATE_EXAMPLES=1` to rewrite it after changing the scenario.
#[test]
fn shipped_example_is_current_and_passes() {
    let want = example_text();
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::write(EXAMPLE, &want).unwrap();
    }
    let have = std::fs::read_to_string(EXAMPLE).expect("examples/charge-bundle.json exists");
    assert_eq!(
        have, want,
        "examples/charge-bundle.json is stale: rerun this test with UPDATE_EXAMPLES=1"
    );
    let out = verify_charge(have.as_bytes());
    assert_eq!(
        out,
        Outcome {
            exit: 0,
            stdout: "{\"charge\":{\"amount\":250,\"currency\":\"USD\"},\"ok\":true,\"provider\":\"did:plc:bobbobbobbobbobbobbobbob\",\"requester\":\"did:plc:alicealicealicealicealic\"}\n".into(),
            stderr: String::new(),
        }
    );
}

fn with(edit: &str, to: &str) -> Outcome {
    let text = example_text();
    assert!(text.contains(edit), "{edit} not in the example");
    verify_charge(text.replacen(edit, to, 1).as_bytes())
}

#[test]
fn rejections_exit_1_with_code_and_message() {
    let out = with(
        "\"model\": \"llama-3.1-8b-instruct\",\n      \"outputCommitment\"",
        "\"model\": \"gpt\",\n      \"outputCommitment\"",
    );
    assert_eq!(out.exit, 1);
    let v = parse_str(&out.stdout).unwrap();
    assert_eq!(v.get("ok"), Some(&false.into()));
    // The bundle declares the receipt's CID, and the edited content no
    // longer has it.
    assert_eq!(v.get("code").and_then(|c| c.as_str()), Some("cid-mismatch"));
    assert!(out.stderr.is_empty());

    // A float inside a record is that record's fault, named by its path.
    let out = with("\"amount\": 250", "\"amount\": 250.0");
    assert_eq!(out.exit, 1, "{out:?}");
    let v = parse_str(&out.stdout).unwrap();
    assert_eq!(
        v.get("code").and_then(|c| c.as_str()),
        Some("invalid-record")
    );
    assert_eq!(
        v.get("message").and_then(|c| c.as_str()),
        Some("receipt.price.amount: floats are not allowed (integers only)")
    );
    let out = with("\"amount\": 250", "\"amount\": 18446744073709551616");
    assert_eq!(out.exit, 1);
    assert!(
        out.stdout
            .contains("receipt.price.amount: integer out of range"),
        "{}",
        out.stdout
    );
    let out = with("\"amount\": 250", "\"amount\": 250, \"amount\": 1");
    assert_eq!(out.exit, 1);
    assert!(
        out.stdout.contains("duplicate object key"),
        "{}",
        out.stdout
    );
}

#[test]
fn unusable_input_exits_2() {
    for (input, needle) in [
        ("", "not acceptable JSON"),
        ("[]", "must be a JSON object"),
        ("{\"now\":\"2026-11-21T12:00:00Z\"}", "exchange"),
        ("{\"exchange\":\"nope\"}", "exchange: must be a DID"),
        (
            "{\"exchange\":\"did:web:x.example\",\"now\":\"yesterday\"}",
            "now: must be",
        ),
        (
            "{\"exchange\":\"did:web:x.example\",\"now\":\"2026-11-21T12:00:00Z\"}",
            "job: must be an object",
        ),
    ] {
        let out = verify_charge(input.as_bytes());
        assert_eq!(out.exit, 2, "{input}");
        assert!(out.stdout.is_empty());
        assert!(out.stderr.contains(needle), "{input}: {}", out.stderr);
    }
    let out = with(
        "\"exchange\": \"did:web:exchange.example\",\n  \"job\"",
        "\"exchange\": 1.5,\n  \"job\"",
    );
    assert_eq!(out.exit, 2);
    let out = with("\"value\"", "\"valeur\"");
    assert_eq!(out.exit, 2);
    assert!(out.stderr.contains(".value: is required"), "{}", out.stderr);
    let big = vec![b' '; settlement::cmd::BUNDLE_BYTES_MAX + 1];
    assert_eq!(verify_charge(&big).exit, 2);
}

/// `settlement demo`, the README's first command: the whole story on a
/// local chain, with a clean reconciliation at the end.
#[test]
fn the_demo_tells_the_whole_story() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_settlement"))
        .arg("demo")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run settlement demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for line in [
        "Mallory relays Alice's PAYMENT-SIGNATURE with her own DID: 400 deposit-not-bound",
        "pays 1000.00 USDC to POST /v1/deposits (402, then PAYMENT-SIGNATURE): credited",
        "Alice: balance 992.50, held 192.50, available 800.00 USD",
        "Eve's receipt refused: 422 signature-invalid",
        "Bob's wallet holds 7320000 token units",
        "Bob: payable 0.00, in flight 0.00, paid 7.32 USD",
        "refund-full: Alice's balance 992.50 -> 995.00 USD (2.44 from Bob's share, 0.06 of fee)",
        "Bob was paid already: he owes 2.44 USD",
        "0 differences",
        "demo: every step held",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert_eq!(
        stdout.matches("processorReference eip155:31337:0x").count(),
        3,
        "{stdout}"
    );
}
