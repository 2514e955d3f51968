//! The demo's proof-of-inference step: the exchange charges Qwen3-8B
//! receipts only with a TensorCash proof. Frank runs Alice's job with the
//! sampler's header committing to it, publishes the proof and is charged
//! once the native checks and the verifier (a stand-in: the real one
//! replays the model on a GPU) pass it; the same proof named for another
//! job is refused; an Amber verdict charges Alice but holds Frank's share
//! out of payouts until the operator releases it.

use std::fmt::Write as _;
use std::time::Instant;

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;

use super::demo::{Client, dollars, int, obj};
use crate::inference::record::NSID_INFERENCE_PROOF;
use crate::inference::{self, Mode};
use crate::payout::chain::Chain;
use crate::proof_verifier::standin::{Script, StandIn};
use crate::proof_verifier::{Config, Verifier};
use crate::records::RawRecord;
use crate::records::json::Value;
use crate::service::{ProofGate, Service};
use crate::testkit::{self, REQUESTER, Scenario, Sealed};

const FRANK: &str = "did:plc:frankfrankfrankfrankfran";
const MODEL: &str = "Qwen/Qwen3-8B";

/// Frank's job `tag` for Alice under her authorization, sealed.
fn job(base: &Scenario, tag: &str) -> Sealed {
    let mut sc = Scenario::new(REQUESTER, FRANK, tag);
    sc.authorization = base.authorization.clone();
    sc.authorization_uri = base.authorization_uri.clone();
    testkit::set(&mut sc.job, "model", &format!("\"{MODEL}\""));
    testkit::set(&mut sc.receipt, "model", &format!("\"{MODEL}\""));
    sc.seal()
}

/// A 256-step window sampled for `for_job`'s job, and Frank's record of it
/// for `sealed`'s receipt, signed with his attestation key.
fn proof(sealed: &Sealed, for_job: &Sealed, tag: &str) -> (RawRecord, Vec<u8>) {
    let window = inference::synth::for_job(tag, &format!("{MODEL}@demo"), &for_job.job);
    let bytes = inference::proof::encode(&window);
    let key = testkit::key(&format!("provider-key:{FRANK}"));
    let uri = format!(
        "at://{FRANK}/{NSID_INFERENCE_PROOF}/{}",
        testkit::rkey_for(&format!("proof-{tag}"))
    );
    let receipt_cid = sealed.receipt.cid.as_deref().unwrap_or_default();
    let record =
        inference::synth::proof_record(uri, &sealed.receipt.uri, receipt_cid, &bytes, &key);
    (record, bytes)
}

async fn publish(
    api: &Client,
    sealed: &Sealed,
    record: &RawRecord,
    bytes: Vec<u8>,
) -> Result<(), String> {
    for r in [&sealed.job, &sealed.attestation, &sealed.receipt, record] {
        api.publish(r).await?;
    }
    let (status, body) = api.upload(bytes).await?;
    if status != 201 && status != 200 {
        return Err(format!("upload: {status} {body:?}"));
    }
    Ok(())
}

async fn balance(chain: &Chain, wallet: &PrivateKeySigner) -> Result<U256, String> {
    chain
        .balance_of(wallet.address())
        .await
        .map_err(|e| e.to_string())
}

pub(super) async fn run(
    api: &Client,
    service: &Service,
    chain: &Chain,
    wallet: &PrivateKeySigner,
    base: &Scenario,
    out: &mut String,
) -> Result<(), String> {
    let standin = StandIn::start(Script::default())
        .await
        .map_err(|e| e.to_string())?;
    let verifier = Verifier::new(Config::new(standin.url(), Mode::Full))?;
    let _ = service.proof_gate.set(ProofGate {
        models: vec![MODEL.into()],
        verifier: Some(verifier),
    });
    writeln!(out, "the exchange charges {MODEL} receipts only with a proof of inference, asking a TensorCash verifier (a stand-in speaking its wire format)").ok();

    // Green: checked natively, then by the verifier, then charged.
    let first = job(base, "demo-frank-1");
    let (record, bytes) = proof(&first, &first, "demo-frank-1");
    let started = Instant::now();
    let report = inference::check(&inference::decode(&bytes).map_err(|e| e.0)?);
    let native_ms = started.elapsed().as_millis();
    publish(api, &first, &record, bytes).await?;
    let body = api.settle_new(&first.receipt.uri).await?;
    let (_, verdict) = api
        .call(
            reqwest::Method::GET,
            &format!("/v1/inference/verdicts?receipt={}", first.receipt.uri),
            None,
            false,
        )
        .await?;
    let status = verdict.get("status").and_then(Value::as_str).unwrap_or("");
    writeln!(
        out,
        "Frank's receipt with a 256-step proof sampled for its job: {} of 5 native checks hold in {native_ms} ms (the header proof-of-work is reported apart: it is no block), the verifier answered {status}: charged {}",
        report.checks.iter().filter(|c| c.ok && c.name != inference::POW).count(),
        dollars(int(&body, &["value", "amountCharged", "amount"]))
    )
    .ok();
    if status != "Full_Green" || !report.ok() {
        return Err(format!("the proof was not passed: {status}"));
    }

    // The same window named for another job: refused, nothing moved.
    let second = job(base, "demo-frank-2");
    let (record, bytes) = proof(&second, &first, "demo-frank-1");
    let record = RawRecord {
        uri: record.uri.replace(
            &testkit::rkey_for("proof-demo-frank-1"),
            &testkit::rkey_for("proof-demo-frank-2"),
        ),
        ..record
    };
    publish(api, &second, &record, bytes).await?;
    let (status, body) = api.settle(&second.receipt.uri).await?;
    let code = body.get("code").and_then(Value::as_str).unwrap_or("");
    writeln!(out, "the same proof named for Frank's next job: {status} {code} (its header commits to the first job)").ok();
    if (status, code) != (422, "inference-proof-mismatch") {
        return Err(format!("a copied proof was answered {status} {code}"));
    }

    // Amber: charged, held, released, paid.
    standin.script(|s| s.status = "Full_Amber".into());
    let third = job(base, "demo-frank-3");
    let (record, bytes) = proof(&third, &third, "demo-frank-3");
    publish(api, &third, &record, bytes).await?;
    let body = api.settle_new(&third.receipt.uri).await?;
    let held_uri = body
        .get("uri")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    api.pay_to(FRANK, &wallet.address().to_string()).await?;
    api.run_payouts().await?;
    let paid = balance(chain, wallet).await?;
    writeln!(
        out,
        "Frank's next receipt: the verifier answered Full_Amber; Alice is charged, Frank's share is held: the payout cycle pays him {paid} token units (the first charge only)"
    )
    .ok();
    if paid != U256::from(244u64 * 10_000) {
        return Err(format!(
            "Frank was paid {paid} units while his share was held"
        ));
    }
    let (status, reply) = api
        .call(
            reqwest::Method::POST,
            "/v1/admin/inference/holds",
            Some(obj(&format!(
                r#"{{"settlement":"{held_uri}","action":"release"}}"#
            ))),
            true,
        )
        .await?;
    if status != 200 {
        return Err(format!("release: {status} {reply:?}"));
    }
    api.run_payouts().await?;
    let paid = balance(chain, wallet).await?;
    writeln!(
        out,
        "the operator releases it; the next cycle pays it: Frank's wallet holds {paid} token units"
    )
    .ok();
    if paid != U256::from(2 * 244u64 * 10_000) {
        return Err(format!("Frank was paid {paid} units after the release"));
    }
    Ok(())
}
