//! The `dev.settlement.inferenceProof` record and what binds it to one
//! receipt. Pure: the caller supplies the receipt, its attestation's key
//! and the proof's bytes.
//!
//! A proof is bound to a receipt five ways: the record names the receipt
//! by URI and CID; it lives in the receipt's provider's repository; it is
//! signed by the key of the receipt's attestation; the proof's randomness
//! commits to the receipt's job; and what the proof says agrees with what
//! the receipt says:
//!
//! - job: the block header the sampler hashes into every `u` and the
//!   final hash carries, where a mined block has its merkle root (bytes
//!   36..68 of `header_prefix`), [`job_commitment`] of the receipt's job.
//!   The job is known before the work starts, and a job is charged at
//!   most once, so a proof is the evidence of one charge only: a proof
//!   copied from another job (or a mined block) fails here, whoever signs
//!   it. (Attestation keys may be self-attested, so the signature alone
//!   does not stop a provider from naming someone else's proof.)
//! - model: the proof's `model_identifier` is the receipt's `model`, or is
//!   it followed by `@` and a revision (`Qwen/Qwen3-8B@9c92…` for
//!   `Qwen/Qwen3-8B`);
//! - tokens: the proof's window (its chosen tokens) is part of the
//!   receipt's output, and the window's context (the prompt tokens, which
//!   for a later window include earlier output) and the window together
//!   fit in the receipt's input and output;
//! - sampling: when the receipt states `params.temperatureMilli` or
//!   `params.topPMilli`, the proof's temperature and top-p, in thousandths
//!   rounded to the nearest, are those.

use crate::records::cid::Cid;
use crate::records::formats::AtUri;
use crate::records::json::Value;
use crate::records::lexicon::ValidationError;
use crate::records::{Obj, Receipt, Record, RecordType, StrongRef};
use crate::verify::crypto;

use super::Proof;

pub const NSID_INFERENCE_PROOF: &str = "dev.settlement.inferenceProof";

/// The record as published.
#[derive(Clone, Debug)]
pub struct InferenceProof {
    pub receipt: StrongRef,
    /// The blob's CID (raw, SHA-256 of the proof's bytes).
    pub blob: Cid,
    pub size: u64,
    pub enclave_signature: String,
}

impl RecordType for InferenceProof {
    const NSID: &'static str = NSID_INFERENCE_PROOF;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        let proof = o.obj("proof")?;
        let link = proof.obj("ref")?.str("$link")?;
        let blob =
            Cid::parse(link).map_err(|e| ValidationError::new("proof.ref", e.to_string()))?;
        Ok(InferenceProof {
            receipt: o.strong_ref("receipt")?,
            blob,
            size: proof.u64("size")?,
            enclave_signature: o.str("enclaveSignature")?.to_owned(),
        })
    }
}

/// Why a proof is not bound to the receipt; `field` names what disagrees.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct Mismatch {
    pub field: String,
    pub rule: String,
}

fn mismatch(field: &str, rule: impl Into<String>) -> Mismatch {
    Mismatch {
        field: field.into(),
        rule: rule.into(),
    }
}

/// Where the job commitment sits in `header_prefix` (a block header's
/// merkle root).
pub const JOB_COMMITMENT_AT: std::ops::Range<usize> = 36..68;

/// SHA-256 of `dev.settlement.inferenceProof/job:v1:` + the job's AT URI +
/// `:` + its CID: what a provider puts in its sampler's header for a job.
pub fn job_commitment(job: &StrongRef) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(
        format!(
            "dev.settlement.inferenceProof/job:v1:{}:{}",
            job.uri, job.cid
        )
        .as_bytes(),
    )
    .into()
}

/// The bytes the record's `enclaveSignature` covers.
pub fn signing_input(value: &Value) -> Vec<u8> {
    let mut v = value.clone();
    if let Value::Object(m) = &mut v {
        m.remove("enclaveSignature");
        m.remove("$type");
    }
    crate::records::json::to_canonical(&v)
}

/// Checks that the record, its bytes and their decoded proof belong to
/// this receipt. `key` is the receipt's attestation's key.
pub fn bind(
    record: &Record<InferenceProof>,
    receipt: &Record<Receipt>,
    key: &crypto::VerifyingKey,
    bytes: &[u8],
    proof: &Proof,
) -> Result<(), Mismatch> {
    let r = &record.data;
    if r.receipt.uri != receipt.uri {
        return Err(mismatch(
            "proof.receipt.uri",
            format!("names {}, not {}", r.receipt.uri, receipt.uri),
        ));
    }
    if r.receipt.cid != receipt.cid {
        return Err(mismatch(
            "proof.receipt.cid",
            format!(
                "is {}, but the receipt's CID is {}",
                r.receipt.cid, receipt.cid
            ),
        ));
    }
    if record.uri.did() != receipt.uri.did() {
        return Err(mismatch(
            "proof",
            format!(
                "is in {}'s repository, not the receipt's provider's ({})",
                record.uri.did(),
                receipt.uri.did()
            ),
        ));
    }
    crypto::verify_b64_der(key, &signing_input(&record.value), &r.enclave_signature).map_err(
        |e| {
            mismatch(
                "proof.enclaveSignature",
                format!("does not verify under the receipt's attestation key: {e}"),
            )
        },
    )?;
    if Cid::for_blob(bytes) != r.blob || r.size != bytes.len() as u64 {
        return Err(mismatch(
            "proof.proof",
            "the bytes are not the blob the record names (CID and size)",
        ));
    }
    let want = job_commitment(&receipt.data.job);
    if proof.header_prefix.get(JOB_COMMITMENT_AT) != Some(&want[..]) {
        return Err(mismatch(
            "proof.header_prefix",
            format!(
                "bytes 36..68 must commit to the receipt's job {} ({}): the proof was sampled for something else",
                receipt.data.job.uri,
                crate::records::formats::lower_hex(&want)
            ),
        ));
    }
    let model = &receipt.data.model;
    let id = &proof.model_identifier;
    if id != model && id.split_once('@').map(|(name, _)| name) != Some(model.as_str()) {
        return Err(mismatch(
            "proof.model_identifier",
            format!("{id:?} is not the receipt's model {model:?}"),
        ));
    }
    let tokens = &receipt.data.tokens;
    let window = proof.chosen_tokens.len() as u64;
    let context = proof.prompt_tokens.len() as u64;
    if window > tokens.output {
        return Err(mismatch(
            "proof.chosen_tokens",
            format!(
                "{window} tokens, more than the receipt's {} output tokens",
                tokens.output
            ),
        ));
    }
    if context + window > tokens.input.saturating_add(tokens.output) {
        return Err(mismatch(
            "proof.prompt_tokens",
            format!(
                "{context} context and {window} window tokens, more than the receipt's {} input and {} output",
                tokens.input, tokens.output
            ),
        ));
    }
    let params = receipt.value.get("params");
    for (name, stated, value) in [
        (
            "temperatureMilli",
            params.and_then(|p| p.get("temperatureMilli")),
            proof.temperature,
        ),
        (
            "topPMilli",
            params.and_then(|p| p.get("topPMilli")),
            proof.top_p,
        ),
    ] {
        if let Some(milli) = stated.and_then(Value::as_int) {
            let ours = (f64::from(value) * 1000.0).round();
            if !ours.is_finite() || ours as i128 != milli {
                return Err(mismatch(
                    &format!("proof.{name}"),
                    format!("the proof samples at {value}, the receipt states {milli} thousandths"),
                ));
            }
        }
    }
    Ok(())
}

/// The receipt a proof record names must be in the proof's owner's
/// repository: a proof is published by the receipt's provider only.
pub fn owner_check(record_uri: &AtUri, receipt: &StrongRef) -> Result<(), Mismatch> {
    if record_uri.did() != receipt.uri.did() {
        return Err(mismatch(
            "proof.receipt",
            format!(
                "names a receipt of {}; a proof is published by the receipt's provider",
                receipt.uri.did()
            ),
        ));
    }
    Ok(())
}
