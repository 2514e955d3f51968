//! The checks on TensorCash's real 256-step proof and on forgeries of it,
//! each of which must fail the check that guards what it changed.

use super::*;

const REAL: &[u8] = include_bytes!("../../../tensorcash/testdata/proof-qwen3-8b-256.bin");

fn real() -> Proof {
    decode(REAL).expect("the real proof decodes")
}

fn failing(p: &Proof) -> Vec<&'static str> {
    check(p)
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name)
        .collect()
}

#[test]
fn the_real_proof_passes_every_check_but_the_header_pow() {
    let p = real();
    assert_eq!(p.version, 1);
    assert_eq!(p.chosen_tokens.len(), 256);
    assert_eq!(p.prompt_tokens.len(), 20);
    assert!(p.topk_logits.iter().all(|r| r.len() == 70));
    assert_eq!(
        (p.temperature, p.top_p, p.top_k, p.repetition_penalty),
        (1.0, 1.0, 50, 1.0)
    );
    let r = check(&p);
    assert_eq!(r.steps, 256);
    assert!(r.model.contains("Qwen3-8B"), "{}", r.model);
    for c in &r.checks {
        assert_eq!(c.ok, c.name != POW, "{}: {}", c.name, c.detail);
    }
    assert!(r.ok());
    assert!(r.get(POW).unwrap().detail.contains("above the target"));
}

#[test]
fn a_proof_round_trips_through_the_encoder() {
    let p = real();
    assert_eq!(decode(&proof::encode(&p)).unwrap(), p);
}

#[test]
fn a_swapped_chosen_token_fails_sampling() {
    let mut p = real();
    // The token at step 100 replaced by another of its top-k candidates.
    let other = *p.topk_indices[100]
        .iter()
        .find(|&&t| t != p.chosen_tokens[100])
        .unwrap();
    p.chosen_tokens[100] = other;
    let failed = failing(&p);
    assert!(failed.contains(&"sampling"), "{failed:?}");
    assert!(
        check(&p)
            .get("sampling")
            .unwrap()
            .detail
            .starts_with("step 100:")
    );
}

#[test]
fn a_nudged_u_fails_the_u_replay_only() {
    let mut p = real();
    p.sampling_u[17] = (p.sampling_u[17] + 1e-4).min(0.999);
    assert_eq!(failing(&p), vec!["u-values", POW]);
    assert!(
        check(&p)
            .get("u-values")
            .unwrap()
            .detail
            .starts_with("step 17:")
    );
}

#[test]
fn a_flipped_vdf_byte_fails_the_u_replay_and_the_final_hash() {
    let mut p = real();
    p.vdf[0] ^= 1;
    let failed = failing(&p);
    assert!(
        failed.contains(&"u-values") && failed.contains(&"final-hash"),
        "{failed:?}"
    );
}

#[test]
fn a_changed_temperature_fails_parameters_or_sampling() {
    let mut p = real();
    p.temperature = 5.0;
    assert!(failing(&p).contains(&"parameters"));
    p.temperature = 0.3;
    let failed = failing(&p);
    assert!(
        failed.contains(&"sampling") && !failed.contains(&"parameters"),
        "{failed:?}"
    );
}

#[test]
fn a_nan_logit_fails_the_structure() {
    let mut p = real();
    p.topk_logits[3][5] = f32::NAN;
    let r = check(&p);
    assert!(!r.ok());
    assert_eq!(r.failed().unwrap().name, "structure");
    assert!(
        r.failed()
            .unwrap()
            .detail
            .contains("step 3: topk_logits[5]")
    );
}

#[test]
fn a_changed_hash_fails_the_final_hash() {
    let mut p = real();
    p.hash[31] ^= 0x80;
    assert_eq!(failing(&p), vec!["final-hash", POW]);
}

#[test]
fn structure_refuses_what_the_reference_refuses() {
    let cases: Vec<(fn(&mut Proof), &str)> = vec![
        (
            |p| {
                p.header_prefix.pop();
            },
            "header_prefix has 75 bytes",
        ),
        (
            |p| p.sampling_u[0] = 1.0,
            "sampling_u[0] = 1 is not in [0, 1)",
        ),
        (|p| p.sampling_u[1] = -0.5, "sampling_u[1]"),
        (
            |p| p.chosen_tokens.truncate(255),
            "chosen_tokens has 255 steps",
        ),
        (
            |p| {
                p.topk_indices[9].pop();
            },
            "step 9: 70 top-k logits and 69 indices",
        ),
        (|p| p.model_identifier.clear(), "model_identifier is empty"),
        (|p| p.hash.truncate(31), "hash has 31 bytes"),
        (|p| p.chosen_probs = vec![1.5; 256], "chosen_probs[0] = 1.5"),
    ];
    for (forge, why) in cases {
        let mut p = real();
        forge(&mut p);
        let r = check(&p);
        let c = r.failed().expect("refused");
        assert_eq!(c.name, "structure");
        assert!(c.detail.contains(why), "{} does not say {why}", c.detail);
    }
}

#[test]
fn parameters_out_of_range_are_named() {
    for (forge, why) in [
        (
            (|p: &mut Proof| p.top_k = 51) as fn(&mut Proof),
            "top_k = 51",
        ),
        (|p| p.top_p = 0.05, "top_p = 0.05"),
        (|p| p.temperature = f32::INFINITY, "temperature = inf"),
        (|p| p.repetition_penalty = 0.05, "repetition_penalty = 0.05"),
        (|p| p.repetition_penalty = 2.5, "repetition_penalty = 2.5"),
    ] {
        let mut p = real();
        forge(&mut p);
        let d = check(&p).get("parameters").unwrap().detail.clone();
        assert!(d.contains(why), "{d}");
    }
}

#[test]
fn unusable_bytes_are_an_error_not_a_panic() {
    assert!(decode(b"").is_err());
    assert!(decode(&REAL[..REAL.len() / 2]).is_err(), "truncated");
    assert!(decode(b"{\"not\": \"a proof\"}").is_err());
    let big = vec![0u8; proof::MAX_PROOF_BYTES + 1];
    assert!(decode(&big).unwrap_err().0.contains("more than"));
}

#[test]
fn aliased_rows_cannot_amplify_memory() {
    // Every step's logits row is the same 4096-value row, written once by
    // pointing all offsets at it: 16 KB on the wire, 16 MB if copied per row.
    let mut b = tensorcash_fbs::planus::Builder::new();
    let row = tensorcash_fbs::FloatArray {
        values: Some(vec![0.5; 4096]),
    };
    let off = tensorcash_fbs::planus::WriteAsOffset::prepare(&row, &mut b);
    let rows = vec![off; 4096];
    let vec_off = tensorcash_fbs::planus::WriteAsOffset::prepare(&rows.as_slice(), &mut b);
    let proof = tensorcash_fbs::Proof::builder()
        .version_as_default()
        .tick_as_default()
        .timestamp_as_default()
        .target_as_null()
        .vdf_as_null()
        .hash_as_null()
        .block_hash_as_null()
        .header_prefix_as_null()
        .is_solution_as_default()
        .model_identifier_as_null()
        .compute_precision_as_null()
        .ipfs_cid_as_null()
        .extra_flags_as_null()
        .temperature_as_default()
        .top_p_as_default()
        .top_k_as_default()
        .repetition_penalty_as_default()
        .chosen_tokens_as_null()
        .chosen_probs_as_null()
        .sampling_u_as_null()
        .softmax_normalizers_as_null()
        .prompt_tokens_as_null()
        .pad_mask_as_null()
        .topk_logits(vec_off)
        .topk_indices_as_null()
        .logsumexp_stats_as_null()
        .finish(&mut b);
    let bytes = b.finish(proof, None).to_vec();
    assert!(bytes.len() < 64 * 1024, "{} bytes", bytes.len());
    let e = decode(&bytes).unwrap_err();
    assert!(e.0.contains("values in all"), "{e}");
}
