//! The proof-of-inference gate over real HTTP on SQLite and PostgreSQL,
//! with the stand-in TensorCash verifier: Green settles; Amber charges and
//! holds the provider's share out of payouts until it is released (and
//! paid on a real anvil) or refunded exactly; Red refuses with nothing
//! moved and is not asked again; a verifier that is down gives 503 with
//! nothing moved and the same receipt settles once it is back; a proof
//! that is missing, not the receipt's, forged or reused is refused.

use alloy::primitives::U256;

use settlement::inference::record::NSID_INFERENCE_PROOF;
use settlement::inference::{self, Mode};
use settlement::proof_verifier::standin::{Script, StandIn};
use settlement::proof_verifier::{Config, Verifier};
use settlement::records::RawRecord;
use settlement::records::json::{self, Value};
use settlement::service::ProofGate;
use settlement::testkit::{self, PROVIDER, REQUESTER, Scenario, Sealed};
use settlement::verify::crypto;

use crate::app::audit;

use crate::app::{ADMIN_TOKEN, App, Backend, Reply, spawn_app};
use crate::audit::tamper;
use crate::payouts::world;

const MODEL: &str = "Qwen/Qwen3-8B";
const REAL: &[u8] = include_bytes!("../../tensorcash/testdata/proof-qwen3-8b-256.bin");
const UNITS_PER_CENT: u64 = 10_000;

/// Turns the gate on for MODEL, asking `standin`.
fn gate(app: &App, standin: &StandIn) {
    let mut c = Config::new(standin.url(), Mode::Full);
    c.poll = std::time::Duration::from_millis(20);
    c.deadline = std::time::Duration::from_secs(3);
    let gate = ProofGate {
        models: vec![MODEL.into()],
        verifier: Some(Verifier::new(c).unwrap()),
    };
    assert!(app.service.proof_gate.set(gate).is_ok());
}

/// A charge of 250 for a job of MODEL (a session of the shared
/// authorization), sealed.
fn qwen(base: &Scenario, tag: &str) -> Sealed {
    let mut sc = base.sharing(tag);
    testkit::set(&mut sc.job, "model", &format!("\"{MODEL}\""));
    testkit::set(&mut sc.receipt, "model", &format!("\"{MODEL}\""));
    sc.seal()
}

/// The provider's proof record for `receipt` naming `bytes`, signed with
/// `key` (the receipt's attestation key when honest).
fn proof_record(
    receipt: &RawRecord,
    bytes: &[u8],
    key: &crypto::SigningKey,
    tag: &str,
) -> RawRecord {
    let uri = format!(
        "at://{PROVIDER}/{NSID_INFERENCE_PROOF}/{}",
        testkit::rkey_for(&format!("proof-{tag}"))
    );
    inference::synth::proof_record(
        uri,
        &receipt.uri,
        receipt.cid.as_deref().unwrap(),
        bytes,
        key,
    )
}

async fn upload(app: &App, bytes: &[u8]) -> Reply {
    let r = app
        .client
        .post(format!("{}/v1/inference/proofs", app.base))
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    Reply::read(r).await
}

/// Posts the charge's records, the proof record and its bytes.
async fn publish(app: &App, sealed: &Sealed, bytes: &[u8], tag: &str) {
    app.post_all(sealed).await;
    let key = testkit::key(&format!("provider-key:{PROVIDER}"));
    let r = app
        .post_record(&proof_record(&sealed.receipt, bytes, &key, tag))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let u = upload(app, bytes).await;
    assert!(u.status == 201 || u.status == 200, "{u:?}");
}

async fn verdict(app: &App, receipt: &str) -> Reply {
    app.get(&format!("/v1/inference/verdicts?receipt={receipt}"))
        .await
}

async fn hold(app: &App, settlement: &str, action: &str) -> Reply {
    let body = json::parse_str(&format!(
        r#"{{"settlement":"{settlement}","action":"{action}"}}"#
    ))
    .unwrap();
    app.request(
        reqwest::Method::POST,
        "/v1/admin/inference/holds",
        Some(&body),
        Some(ADMIN_TOKEN),
    )
    .await
}

/// Nothing of `sealed` moved: no settlement, nothing charged against its
/// authorization, the requester's balance as `before`.
async fn nothing_moved(app: &App, sealed: &Sealed, before: (i128, i128, i128)) {
    let s = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.listSettlements?receipt={}",
            sealed.receipt.uri
        ))
        .await;
    assert_eq!(
        s.body.get("settlements"),
        Some(&Value::Array(vec![])),
        "{s:?}"
    );
    assert_eq!(app.requester_usd(REQUESTER).await, before);
}

fn str_of<'a>(r: &'a Reply, k: &str) -> &'a str {
    r.body.get(k).and_then(Value::as_str).unwrap_or("")
}

async fn green_settles_and_red_refuses_with_nothing_moved(b: Backend) {
    let app = spawn_app(b).await;
    let standin = StandIn::start(Script::default()).await.unwrap();
    gate(&app, &standin);
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-green").await.status,
        201
    );
    let base = Scenario::new(REQUESTER, PROVIDER, "gate");

    // No proof yet: refused, nothing moved; then the proof arrives.
    let green = qwen(&base, "gate-green");
    app.post_all(&green).await;
    let before = app.requester_usd(REQUESTER).await;
    let r = app.settle(&green.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-missing"),
        "{r:?}"
    );
    nothing_moved(&app, &green, before).await;
    publish(&app, &green, &bound(&green, "green"), "green").await;
    let r = app.settle(&green.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let v = verdict(&app, &green.receipt.uri).await;
    assert_eq!(
        (str_of(&v, "status"), str_of(&v, "verdict")),
        ("Full_Green", "pass"),
        "{v:?}"
    );
    assert_eq!(str_of(&v, "settlement"), str_of(&r, "uri"));
    assert!(v.body.get("hold").is_none());
    // The signed settlement states its evidence.
    let stated = r
        .body
        .get("value")
        .and_then(|v| v.get("inferenceProof"))
        .expect("evidence stated");
    assert_eq!(
        stated.get("status").and_then(Value::as_str),
        Some("Full_Green")
    );
    assert_eq!(stated.get("verdict").and_then(Value::as_str), Some("pass"));
    // A receipt of another model needs no proof.
    let plain = base.sharing("gate-plain").seal();
    app.post_all(&plain).await;
    assert_eq!(app.settle(&plain.receipt.uri).await.status, 201);
    // The audit re-checks the evidence from public data.
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    assert!(report.is_clean(), "{}", report.render());

    // Red: refused, nothing moved, and the verifier is not asked again.
    standin.script(|s| s.status = "Full_Red".into());
    let red = qwen(&base, "gate-red");
    let mut other = bound_proof(&red, "red");
    other.header_prefix[0] ^= 1; // every u and the hash change
    let resealed = resealed(&other);
    publish(&app, &red, &resealed, "red").await;
    let before = app.requester_usd(REQUESTER).await;
    let asked = standin.submitted().len();
    let r = app.settle(&red.receipt.uri).await;
    // The changed header breaks the native checks before any verifier.
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-invalid"),
        "{r:?}"
    );
    assert!(
        r.body
            .get("detail")
            .and_then(Value::as_str)
            .unwrap()
            .contains("u-values"),
        "{r:?}"
    );
    assert_eq!(
        standin.submitted().len(),
        asked,
        "a proof failing natively is never sent"
    );
    nothing_moved(&app, &red, before).await;

    let red2 = qwen(&base, "gate-red2");
    let valid_other = bound(&red2, "red2");
    publish(&app, &red2, &valid_other, "red2").await;
    let r = app.settle(&red2.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-rejected"),
        "{r:?}"
    );
    assert!(
        r.body
            .get("detail")
            .and_then(Value::as_str)
            .unwrap()
            .contains("Full_Red")
    );
    nothing_moved(&app, &red2, before).await;
    let asked = standin.submitted().len();
    standin.script(|s| s.status = "Full_Green".into());
    let r = app.settle(&red2.receipt.uri).await;
    assert_eq!(
        r.code(),
        "inference-proof-rejected",
        "the refusal stands: {r:?}"
    );
    assert_eq!(
        standin.submitted().len(),
        asked,
        "and the verifier is not asked again"
    );
    let v = verdict(&app, &red2.receipt.uri).await;
    assert_eq!(
        (str_of(&v, "verdict"), v.body.get("settlement")),
        ("refuse", None),
        "{v:?}"
    );

    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "settlement_inference_verdicts_total{status=\"Full_Green\",verdict=\"pass\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "settlement_inference_verdicts_total{status=\"Full_Red\",verdict=\"refuse\"} 1"
        )
    );
    assert!(text.contains("settlement_inference_proofs_checked_total{outcome=\"u-values\"} 1"));

    // A verdict changed behind the exchange's back, then removed: the
    // audit names each.
    let sql = "UPDATE settlement_inference_verdicts SET status = 'Full_Red' WHERE receipt_uri = $1";
    tamper(b, &app.db_url, sql, &[&green.receipt.uri]).await;
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    let checks: Vec<&str> = report.discrepancies.iter().map(|d| d.check).collect();
    assert_eq!(checks, ["inference-verdict-invalid"], "{}", report.render());
    let sql = "DELETE FROM settlement_inference_verdicts WHERE receipt_uri = $1";
    tamper(b, &app.db_url, sql, &[&green.receipt.uri]).await;
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    let checks: Vec<&str> = report.discrepancies.iter().map(|d| d.check).collect();
    assert_eq!(checks, ["inference-verdict-invalid"], "{}", report.render());
}

/// A proof sampled for `sealed`'s job (made up: it passes the native
/// checks, and only the verifier's replay could tell).
fn bound_proof(sealed: &Sealed, seed: &str) -> inference::Proof {
    inference::synth::for_job(seed, "Qwen/Qwen3-8B@synthetic", &sealed.job)
}

fn bound(sealed: &Sealed, seed: &str) -> Vec<u8> {
    resealed(&bound_proof(sealed, seed))
}

fn resealed(p: &inference::Proof) -> Vec<u8> {
    inference::proof::encode(p)
}

async fn a_down_verifier_is_503_and_the_receipt_settles_once_it_is_back(b: Backend) {
    let app = spawn_app(b).await;
    let standin = StandIn::start(Script {
        down: true,
        ..Script::default()
    })
    .await
    .unwrap();
    gate(&app, &standin);
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-down").await.status,
        201
    );
    let base = Scenario::new(REQUESTER, PROVIDER, "down");
    let sealed = qwen(&base, "down-1");
    publish(&app, &sealed, &bound(&sealed, "down"), "down").await;
    let before = app.requester_usd(REQUESTER).await;
    let r = app.settle(&sealed.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (503, "proof-verifier-unavailable"),
        "{r:?}"
    );
    nothing_moved(&app, &sealed, before).await;
    standin.script(|s| s.down = false);
    let r = app.settle(&sealed.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        app.settle(&sealed.receipt.uri).await.status,
        200,
        "replayed, not charged twice"
    );
}

async fn a_proof_that_is_not_the_receipts_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let standin = StandIn::start(Script::default()).await.unwrap();
    gate(&app, &standin);
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-copy").await.status,
        201
    );
    let base = Scenario::new(REQUESTER, PROVIDER, "copy");
    let key = testkit::key(&format!("provider-key:{PROVIDER}"));
    let detail = |r: &Reply| {
        r.body
            .get("detail")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };

    // The real proof (a mined window, sampled for no job of ours), named
    // by its provider for a receipt: refused, its header commits to
    // something else.
    let mined = qwen(&base, "copy-0");
    publish(&app, &mined, REAL, "copy-0").await;
    let before = app.requester_usd(REQUESTER).await;
    let r = app.settle(&mined.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-mismatch"),
        "{r:?}"
    );
    assert!(detail(&r).contains("proof.header_prefix"), "{r:?}");
    nothing_moved(&app, &mined, before).await;

    // A proof sampled for one job, copied for another job's receipt.
    let first = qwen(&base, "copy-1");
    let first_proof = bound(&first, "copy-1");
    publish(&app, &first, &first_proof, "copy-1").await;
    assert_eq!(app.settle(&first.receipt.uri).await.status, 201);
    let second = qwen(&base, "copy-2");
    app.post_all(&second).await;
    let r = app
        .post_record(&proof_record(&second.receipt, &first_proof, &key, "copy-2"))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = app.settle(&second.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-mismatch"),
        "{r:?}"
    );
    assert!(detail(&r).contains("proof.header_prefix"), "{r:?}");

    // A second receipt of the same job naming the same window (in other
    // bytes): the window is claimed by the first receipt.
    let mut again = base.sharing("copy-1");
    testkit::set(&mut again.job, "model", &format!("\"{MODEL}\""));
    testkit::set(&mut again.receipt, "model", &format!("\"{MODEL}\""));
    again.receipt_uri = again
        .receipt_uri
        .replace(&testkit::rkey_for("copy-1"), &testkit::rkey_for("copy-1b"));
    let again = again.seal();
    assert_eq!(again.job.cid, first.job.cid, "the same job");
    let mut window = bound_proof(&first, "copy-1");
    window.ipfs_cid.push('x');
    publish(&app, &again, &resealed(&window), "copy-1b").await;
    let before = app.requester_usd(REQUESTER).await;
    let r = app.settle(&again.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-reused"),
        "{r:?}"
    );
    nothing_moved(&app, &again, before).await;

    // A record signed by a key other than the receipt's attestation key.
    let third = qwen(&base, "copy-3");
    app.post_all(&third).await;
    let stranger = testkit::key("not the enclave");
    let bytes = bound(&third, "copy-3");
    let r = app
        .post_record(&proof_record(&third.receipt, &bytes, &stranger, "copy-3"))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(upload(&app, &bytes).await.status, 201);
    let r = app.settle(&third.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-mismatch"),
        "{r:?}"
    );
    assert!(detail(&r).contains("enclaveSignature"), "{r:?}");

    // A second proof record for a receipt that has one: conflict.
    let r = app
        .post_record(&proof_record(&third.receipt, &bytes, &key, "copy-3b"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "inference-proof-conflict"),
        "{r:?}"
    );

    // A proof record naming another version of the receipt, or a receipt
    // that is not known: refused at the door.
    let fourth = qwen(&base, "copy-4");
    app.post_all(&fourth).await;
    let mut stale = fourth.receipt.clone();
    stale.cid = Some(first.receipt.cid.clone().unwrap());
    let r = app
        .post_record(&proof_record(&stale, &bytes, &key, "copy-4"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-mismatch"),
        "{r:?}"
    );
    assert!(detail(&r).contains("proof.receipt.cid"), "{r:?}");
    let mut unknown = fourth.receipt.clone();
    unknown.uri = unknown
        .uri
        .replace(&testkit::rkey_for("copy-4"), &testkit::rkey_for("nowhere"));
    let r = app
        .post_record(&proof_record(&unknown, &bytes, &key, "copy-4u"))
        .await;
    assert_eq!((r.status, r.code()), (422, "record-not-found"), "{r:?}");

    // Someone else's proof record for the provider's receipt: refused (a
    // proof is published by the receipt's provider).
    let mut foreign = proof_record(&fourth.receipt, &bytes, &key, "copy-4c");
    foreign.uri = foreign
        .uri
        .replace(PROVIDER, "did:plc:mallorymallorymallorymal");
    let r = app.post_record(&foreign).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-mismatch"),
        "{r:?}"
    );

    // Bytes no record names are not kept.
    let r = upload(&app, b"anything at all").await;
    assert_eq!(
        (r.status, r.code()),
        (422, "inference-proof-unknown"),
        "{r:?}"
    );
}

async fn amber_holds_the_share_until_released_or_refunded(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let app = &w.app;
    let standin = StandIn::start(Script {
        status: "Full_Amber".into(),
        ..Script::default()
    })
    .await
    .unwrap();
    gate(app, &standin);
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-amber").await.status,
        201
    );
    let base = Scenario::new(REQUESTER, PROVIDER, "amber");
    let before = app.requester_usd(REQUESTER).await.0;

    let held = qwen(&base, "amber-1");
    publish(app, &held, &bound(&held, "amber-1"), "amber-1").await;
    let r = app.settle(&held.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let uri = str_of(&r, "uri").to_owned();
    let v = verdict(app, &held.receipt.uri).await;
    assert_eq!(
        (str_of(&v, "verdict"), str_of(&v, "hold")),
        ("hold", "held"),
        "{v:?}"
    );
    assert_eq!(
        app.requester_usd(REQUESTER).await.0,
        before - 250,
        "the requester is charged"
    );

    // The share (250 less the 6 fee) is payable in the ledger but held:
    // a payout cycle pays nothing.
    let wallet = w.local.spare[0].address();
    w.pay_to(PROVIDER, wallet).await;
    assert_eq!(w.payable(PROVIDER).await, 244);
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert!(report.planned.is_empty(), "{report:?}");
    assert_eq!(w.token_balance(wallet).await, U256::ZERO);
    let listed = app
        .request(
            reqwest::Method::GET,
            "/v1/admin/inference/holds",
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    let n = match listed.body.get("holds") {
        Some(Value::Array(h)) => h.len(),
        _ => 0,
    };
    assert_eq!(n, 1, "{listed:?}");

    // Released (from the command line): paid on the chain.
    let cli = |token: Option<&'static str>| {
        settlement::cmd::proof::hold(&app.base, &uri, "release", token)
    };
    let out = cli(None).await;
    assert_eq!(out.exit, 2, "{out:?}");
    assert!(out.stderr.contains("SETTLEMENT_ADMIN_TOKEN"), "{out:?}");
    let out = cli(Some(ADMIN_TOKEN)).await;
    assert_eq!(out.exit, 0, "{out:?}");
    assert!(out.stdout.contains("\"hold\":\"released\""), "{out:?}");
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    assert_eq!(
        w.token_balance(wallet).await,
        U256::from(244 * UNITS_PER_CENT)
    );
    let again = cli(Some(ADMIN_TOKEN)).await;
    assert_eq!(again.exit, 1, "{again:?}");
    assert!(again.stdout.contains("not-held"), "{again:?}");

    // Another held charge refunded: the requester gets all 250 back, the
    // provider's share is gone, nothing was paid.
    let refunded = qwen(&base, "amber-2");
    publish(app, &refunded, &bound(&refunded, "amber-2"), "amber-2").await;
    let r = app.settle(&refunded.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let uri2 = str_of(&r, "uri").to_owned();
    let mid = app.requester_usd(REQUESTER).await.0;
    assert_eq!(w.payable(PROVIDER).await, 244);
    let r = hold(app, &uri2, "refund").await;
    assert_eq!((r.status, str_of(&r, "hold")), (200, "refunded"), "{r:?}");
    assert_eq!(app.requester_usd(REQUESTER).await.0, mid + 250);
    assert_eq!(w.payable(PROVIDER).await, 0);
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert!(report.planned.is_empty(), "{report:?}");
    assert_eq!(
        w.token_balance(wallet).await,
        U256::from(244 * UNITS_PER_CENT)
    );
    w.assert_reconciled().await;

    // Two refunds asked at once refund the charge once.
    let twice = qwen(&base, "amber-4");
    publish(app, &twice, &bound(&twice, "amber-4"), "amber-4").await;
    let r = app.settle(&twice.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let uri4 = str_of(&r, "uri").to_owned();
    let mid = app.requester_usd(REQUESTER).await.0;
    let (a, b2) = tokio::join!(hold(app, &uri4, "refund"), hold(app, &uri4, "refund"));
    assert!(a.status == 200 || b2.status == 200, "{a:?} {b2:?}");
    let again = hold(app, &uri4, "refund").await;
    assert!(
        again.status == 200 || again.code() == "not-held",
        "{again:?}"
    );
    assert_eq!(
        app.requester_usd(REQUESTER).await.0,
        mid + 250,
        "refunded exactly once"
    );
    let v = app
        .get(&format!("/v1/inference/verdicts?settlement={uri4}"))
        .await;
    assert_eq!(str_of(&v, "hold"), "refunded", "{v:?}");
    let r = hold(app, &uri4, "release").await;
    assert_eq!(r.status, 409, "a refunded share is never released: {r:?}");

    // A refund cut short after its dispute was opened (here: the operator
    // opened one) is finished by asking again: the same dispute resolved.
    let disputed = qwen(&base, "amber-3");
    publish(app, &disputed, &bound(&disputed, "amber-3"), "amber-3").await;
    let r = app.settle(&disputed.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let uri3 = str_of(&r, "uri").to_owned();
    let id = crate::disputes::open(&w, &uri3).await;
    let mid = app.requester_usd(REQUESTER).await.0;
    let r = hold(app, &uri3, "refund").await;
    assert_eq!((r.status, str_of(&r, "hold")), (200, "refunded"), "{r:?}");
    assert_eq!(app.requester_usd(REQUESTER).await.0, mid + 250);
    let d = app.get(&format!("/v1/disputes/{id}")).await;
    assert_eq!(str_of(&d, "status"), "resolved", "{d:?}");
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert!(report.planned.is_empty(), "{report:?}");
    w.assert_reconciled().await;
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    assert!(report.is_clean(), "{}", report.render());

    // A later verdict: asked again, Amber leaves the share held, Green
    // releases it, Red refunds the charge.
    let later = qwen(&base, "amber-5");
    publish(app, &later, &bound(&later, "amber-5"), "amber-5").await;
    let r = app.settle(&later.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let uri5 = str_of(&r, "uri").to_owned();
    let r = hold(app, &uri5, "reverify").await;
    assert_eq!(
        (r.status, str_of(&r, "hold")),
        (200, "held"),
        "still Amber: {r:?}"
    );
    standin.script(|s| s.down = true);
    let r = hold(app, &uri5, "reverify").await;
    assert_eq!(
        (r.status, r.code()),
        (503, "proof-verifier-unavailable"),
        "{r:?}"
    );
    standin.script(|s| {
        s.down = false;
        s.status = "Full_Green".into();
    });
    let r = hold(app, &uri5, "reverify").await;
    assert_eq!((r.status, str_of(&r, "hold")), (200, "released"), "{r:?}");
    standin.script(|s| s.status = "Full_Amber".into());
    let red = qwen(&base, "amber-6");
    publish(app, &red, &bound(&red, "amber-6"), "amber-6").await;
    let r = app.settle(&red.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let uri6 = str_of(&r, "uri").to_owned();
    let mid = app.requester_usd(REQUESTER).await.0;
    standin.script(|s| s.status = "Full_Red".into());
    let r = hold(app, &uri6, "reverify").await;
    assert_eq!((r.status, str_of(&r, "hold")), (200, "refunded"), "{r:?}");
    assert_eq!(app.requester_usd(REQUESTER).await.0, mid + 250);
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert_eq!(
        report.confirmed.len(),
        1,
        "the released share is paid: {report:?}"
    );
    w.assert_reconciled().await;

    // Only the operator ends a hold.
    let r = app
        .request(
            reqwest::Method::POST,
            "/v1/admin/inference/holds",
            Some(
                &json::parse_str(&format!(r#"{{"settlement":"{uri2}","action":"release"}}"#))
                    .unwrap(),
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 401, "{r:?}");
}

on_both_backends!(
    green_settles_and_red_refuses_with_nothing_moved,
    a_down_verifier_is_503_and_the_receipt_settles_once_it_is_back,
    a_proof_that_is_not_the_receipts_is_refused,
    amber_holds_the_share_until_released_or_refunded,
);
