//! Made-up proofs that pass every model-free check, for tests, the bench
//! and the demo: the checks cannot tell a model's logits from made-up
//! ones (that is the verifier's replay), so a window sampled here from
//! pseudo-random logits, with the u values and the hash computed as a
//! miner computes them, is a well-formed proof. Each `seed` gives another
//! window, hence another final hash.

use sha2::{Digest, Sha256};

use super::Proof;
use super::checks::{WINDOW, compact_target, digest_to_u, step_message};
use super::sampling::{self, Params};

/// Compact bits of the made-up header: a target no header meets by
/// chance (the proof is not a block solution).
const BITS: u32 = 0x1d00_ffff;

fn stream(seed: &str, label: &str, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 32);
    let mut i = 0u32;
    while out.len() < n {
        let mut h = Sha256::new();
        h.update(seed.as_bytes());
        h.update(label.as_bytes());
        h.update(i.to_le_bytes());
        out.extend_from_slice(&h.finalize());
        i += 1;
    }
    out.truncate(n);
    out
}

/// A 256-step proof for `model` with 70 top-k candidates per step,
/// sampled at temperature 1, top-k 50, top-p 1, no repetition penalty.
pub fn proof(seed: &str, model: &str) -> Proof {
    proof_for(seed, model, None)
}

/// As [`proof`], its header committing to `job` (see
/// `record::job_commitment`), as a provider samples for a job.
pub fn proof_for(seed: &str, model: &str, job: Option<[u8; 32]>) -> Proof {
    let mut p = Proof {
        version: 1,
        tick: 1000,
        timestamp: 1_795_255_200,
        vdf: stream(seed, "vdf", 100),
        model_identifier: model.to_owned(),
        compute_precision: "fp16".into(),
        temperature: 1.0,
        top_p: 1.0,
        top_k: 50,
        repetition_penalty: 1.0,
        ..Proof::default()
    };
    let mut header = stream(seed, "header", 72);
    if let Some(c) = job {
        header[super::record::JOB_COMMITMENT_AT].copy_from_slice(&c);
    }
    header.extend_from_slice(&BITS.to_le_bytes());
    p.header_prefix = header;
    p.target = compact_target(BITS).expect("constant bits").to_vec();
    p.prompt_tokens = stream(seed, "prompt", 20 * 2)
        .chunks(2)
        .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
        .collect();
    let params = Params {
        temperature: 1.0,
        top_p: 1.0,
        top_k: 50,
        repetition_penalty: 1.0,
    };
    let mut context = p.prompt_tokens.clone();
    for step in 0..WINDOW {
        let noise = stream(seed, &format!("step{step}"), 70 * 4);
        let ids: Vec<u32> = (0..70u32).map(|i| i * 97 + (step as u32 % 13)).collect();
        let logits: Vec<f32> = noise
            .chunks(4)
            .map(|c| f32::from(u16::from_le_bytes([c[0], c[1]])) / 4096.0 - 4.0)
            .collect();
        let u = digest_to_u(&Sha256::digest(step_message(&p, &context, step as u32)).into());
        let (dl, di) = sampling::dedupe(&logits, &ids);
        let chosen = di
            .iter()
            .copied()
            .find(|&t| {
                let s = sampling::replay(&dl, &di, |_| false, params, u, t);
                s.inside && u > s.lower && u <= s.upper
            })
            .unwrap_or(di[0]);
        p.topk_logits.push(logits);
        p.topk_indices.push(ids);
        p.sampling_u.push(u);
        p.chosen_tokens.push(chosen);
        context.push(chosen);
    }
    p.hash = Sha256::digest(step_message(&p, &p.chosen_tokens, 0)).to_vec();
    p
}

/// As [`proof_for`], sampled for the job record `job` (sealed: its CID
/// known), as a provider runs it.
pub fn for_job(seed: &str, model: &str, job: &crate::records::RawRecord) -> Proof {
    let job = crate::records::StrongRef {
        uri: crate::records::formats::AtUri::parse(&job.uri).expect("a job's AT URI"),
        cid: job
            .cid
            .as_deref()
            .and_then(|c| crate::records::cid::Cid::parse(c).ok())
            .expect("a sealed job record"),
    };
    proof_for(seed, model, Some(super::record::job_commitment(&job)))
}

/// A provider's `dev.settlement.inferenceProof` record at `uri` naming
/// `bytes` as the proof of the receipt `(receipt_uri, receipt_cid)`,
/// signed with `key` (the receipt's attestation key, when honest).
pub fn proof_record(
    uri: String,
    receipt_uri: &str,
    receipt_cid: &str,
    bytes: &[u8],
    key: &crate::verify::crypto::SigningKey,
) -> crate::records::RawRecord {
    use crate::records::json::{Map, Value};
    let text = |s: &str| Value::String(s.to_owned());
    let object = |fields: Vec<(&str, Value)>| {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Map>(),
        )
    };
    let blob = crate::records::cid::Cid::for_blob(bytes).to_string();
    let mut value = object(vec![
        ("$type", text(super::record::NSID_INFERENCE_PROOF)),
        (
            "receipt",
            object(vec![("uri", text(receipt_uri)), ("cid", text(receipt_cid))]),
        ),
        (
            "proof",
            object(vec![
                ("$type", text("blob")),
                ("ref", object(vec![("$link", text(&blob))])),
                ("mimeType", text("application/octet-stream")),
                ("size", Value::from(bytes.len() as u64)),
            ]),
        ),
        ("createdAt", text("2026-11-21T11:00:06Z")),
    ]);
    let sig = crate::verify::crypto::sign_b64_der(key, &super::record::signing_input(&value));
    if let Value::Object(m) = &mut value {
        m.insert("enclaveSignature".into(), sig.into());
    }
    crate::records::RawRecord {
        uri,
        cid: None,
        value,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn made_up_proofs_pass_the_checks_and_differ_by_seed() {
        let a = super::proof("a", "Qwen/Qwen3-8B@synthetic");
        let b = super::proof("b", "Qwen/Qwen3-8B@synthetic");
        for p in [&a, &b] {
            let r = crate::inference::check(p);
            assert!(r.ok(), "{:?}", r.failed());
            assert!(!r.get("header-pow").unwrap().ok);
        }
        assert_ne!(a.hash, b.hash);
    }
}
