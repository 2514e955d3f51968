//! The model-free checks of a proof: what TensorCash's quick verifier
//! decides without chain state or the model. Each check answers on its own
//! (name, verdict, the first reason it failed); later checks run only when
//! the structure holds, since they index the proof's arrays.
//!
//! Not replayed here: the VDF (a class-group computation TensorCash checks
//! against the previous block) and the model's registration (chain state).
//! Both are the verifier's; the VDF output still enters every `u` preimage
//! and the final hash, so a changed `vdf` fails those.

use sha2::{Digest, Sha256};

use super::proof::Proof;
use super::sampling::{self, Params};

/// Steps in a mined proof window (TensorCash's `POW_WINDOW_SIZE`).
pub const WINDOW: usize = 256;
/// Bytes of a block header before its nonce.
pub const HEADER_PREFIX_BYTES: usize = 76;
/// Largest difference between a stated `u` and its replay.
pub const U_TOLERANCE: f32 = 1e-7;
/// Slack on a chosen probability (TensorCash's `PROB_EPSILON`).
const PROB_EPSILON: f32 = 1e-6;

/// Sampling parameter ranges (TensorCash's consensus constants).
pub const TEMPERATURE: (f32, f32) = (0.25, 2.0);
pub const TOP_P: (f32, f32) = (0.1, 1.0);
pub const TOP_K: (u32, u32) = (5, 50);
/// This engine's range (bcore's quick verifier has none; TensorCash's
/// Python verifier takes (0.1, 1]): 0 means no penalty, otherwise above
/// 0.1 and at most 2.
pub const REPETITION_PENALTY: (f32, f32) = (0.1, 2.0);
/// Longest VDF output accepted: each of the 257 preimages starts with it.
pub const VDF_BYTES_MAX: usize = 4096;
/// Proof versions from which the reuse-entropy gate applies (bcore's
/// `REUSE_GATE_VERSION`), and its cap in 2^-32 units.
pub const REUSE_GATE_VERSION: u8 = 2;
const REUSE_SCORE_CAP_Q32: u64 = 247_891_519_322;

/// A check's outcome: `Err` carries the first reason it failed.
pub type Outcome = Result<(), String>;

/// Lengths agree, no NaN or infinity, every `u` in [0, 1), 32-byte hash,
/// 76-byte header prefix.
pub fn structure(p: &Proof) -> Outcome {
    let n = p.chosen_tokens.len();
    if p.model_identifier.is_empty() {
        return Err("model_identifier is empty".into());
    }
    if p.vdf.is_empty() || p.vdf.len() > VDF_BYTES_MAX {
        return Err(format!(
            "vdf has {} bytes, not 1..={VDF_BYTES_MAX}",
            p.vdf.len()
        ));
    }
    if p.hash.len() != 32 {
        return Err(format!("hash has {} bytes, not 32", p.hash.len()));
    }
    if p.header_prefix.len() != HEADER_PREFIX_BYTES {
        return Err(format!(
            "header_prefix has {} bytes, not {HEADER_PREFIX_BYTES}",
            p.header_prefix.len()
        ));
    }
    if n != WINDOW {
        return Err(format!("chosen_tokens has {n} steps, not {WINDOW}"));
    }
    for (field, len) in [
        ("topk_logits", p.topk_logits.len()),
        ("topk_indices", p.topk_indices.len()),
        ("sampling_u", p.sampling_u.len()),
    ] {
        if len != n {
            return Err(format!("{field} has {len} entries, chosen_tokens {n}"));
        }
    }
    for (field, len) in [
        ("chosen_probs", p.chosen_probs.len()),
        ("softmax_normalizers", p.softmax_normalizers.len()),
        ("logsumexp_stats", p.logsumexp_stats.len()),
    ] {
        if len != 0 && len != n {
            return Err(format!("{field} has {len} entries, chosen_tokens {n}"));
        }
    }
    if !p.pad_mask.is_empty() && p.pad_mask.len() != p.prompt_tokens.len() {
        return Err(format!(
            "pad_mask has {} entries, prompt_tokens {}",
            p.pad_mask.len(),
            p.prompt_tokens.len()
        ));
    }
    for (i, (l, ids)) in p.topk_logits.iter().zip(&p.topk_indices).enumerate() {
        if l.is_empty() || l.len() != ids.len() {
            return Err(format!(
                "step {i}: {} top-k logits and {} indices",
                l.len(),
                ids.len()
            ));
        }
        if let Some(j) = l.iter().position(|v| !v.is_finite()) {
            return Err(format!("step {i}: topk_logits[{j}] is not finite"));
        }
    }
    for (i, row) in p.logsumexp_stats.iter().enumerate() {
        if row.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "step {i}: logsumexp_stats holds a value that is not finite"
            ));
        }
    }
    if let Some(i) = p.softmax_normalizers.iter().position(|v| !v.is_finite()) {
        return Err(format!("softmax_normalizers[{i}] is not finite"));
    }
    for (i, &v) in p.chosen_probs.iter().enumerate() {
        if !v.is_finite() || !(-PROB_EPSILON..=1.0 + PROB_EPSILON).contains(&v) {
            return Err(format!("chosen_probs[{i}] = {v} is not a probability"));
        }
    }
    for (i, &u) in p.sampling_u.iter().enumerate() {
        if !(0.0..1.0).contains(&u) {
            return Err(format!("sampling_u[{i}] = {u} is not in [0, 1)"));
        }
    }
    Ok(())
}

/// Sampling parameters inside TensorCash's consensus ranges.
pub fn parameters(p: &Proof) -> Outcome {
    let within = |name: &str, v: f32, (lo, hi): (f32, f32)| {
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(format!("{name} = {v} is not in [{lo}, {hi}]"))
        }
    };
    within("temperature", p.temperature, TEMPERATURE)?;
    within("top_p", p.top_p, TOP_P)?;
    if !(TOP_K.0..=TOP_K.1).contains(&p.top_k) {
        return Err(format!(
            "top_k = {} is not in [{}, {}]",
            p.top_k, TOP_K.0, TOP_K.1
        ));
    }
    let rp = p.repetition_penalty;
    if rp != 0.0 && !(rp.is_finite() && rp > REPETITION_PENALTY.0 && rp <= REPETITION_PENALTY.1) {
        return Err(format!(
            "repetition_penalty = {rp} is not 0 nor in ({}, {}]",
            REPETITION_PENALTY.0, REPETITION_PENALTY.1
        ));
    }
    Ok(())
}

/// The SHA-256 preimage of a step's `u`: header prefix, VDF output, tick
/// (u32 LE), step (u32 LE), the last 256 context tokens right-aligned as
/// i64 LE (zeros before), the compute precision.
pub fn step_message(p: &Proof, context: &[u32], step: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(
        p.header_prefix.len() + p.vdf.len() + 8 + WINDOW * 8 + p.compute_precision.len(),
    );
    m.extend_from_slice(&p.header_prefix);
    m.extend_from_slice(&p.vdf);
    push_step(&mut m, p, context, step);
    m
}

/// What follows the header and the VDF output in a step's preimage.
fn push_step(m: &mut Vec<u8>, p: &Proof, context: &[u32], step: u32) {
    m.extend_from_slice(&(p.tick as u32).to_le_bytes());
    m.extend_from_slice(&step.to_le_bytes());
    let tail = &context[context.len().saturating_sub(WINDOW)..];
    m.resize(m.len() + (WINDOW - tail.len()) * 8, 0);
    for &t in tail {
        m.extend_from_slice(&i64::from(t).to_le_bytes());
    }
    m.extend_from_slice(p.compute_precision.as_bytes());
}

/// A digest's first four bytes as a float32 in [0, 1], computed in float32
/// in the reference's order (it can round up to 1.0, which no valid `u` is).
pub fn digest_to_u(d: &[u8; 32]) -> f32 {
    let [b0, b1, b2, b3] = [d[0], d[1], d[2], d[3]].map(f32::from);
    (b0 + b1 * 256.0 + b2 * 65536.0 + b3 * 16_777_216.0) / 4_294_967_296.0
}

fn sha256(m: &[u8]) -> [u8; 32] {
    Sha256::digest(m).into()
}

/// Every step's `u`, recomputed from its preimage. The header and the
/// VDF output open every preimage: they are hashed once.
pub fn replay_u(p: &Proof) -> Vec<f32> {
    let mut opening = Sha256::new();
    opening.update(&p.header_prefix);
    opening.update(&p.vdf);
    let mut context = p.prompt_tokens.clone();
    let mut out = Vec::with_capacity(p.chosen_tokens.len());
    let mut rest = Vec::with_capacity(8 + WINDOW * 8 + p.compute_precision.len());
    for (step, &token) in p.chosen_tokens.iter().enumerate() {
        rest.clear();
        push_step(&mut rest, p, &context, step as u32);
        let mut h = opening.clone();
        h.update(&rest);
        out.push(digest_to_u(&h.finalize().into()));
        context.push(token);
    }
    out
}

/// Each stated `u` equals its replay within [`U_TOLERANCE`].
pub fn u_values(p: &Proof, replayed: &[f32]) -> Outcome {
    for (i, (&stated, &again)) in p.sampling_u.iter().zip(replayed).enumerate() {
        if (stated - again).abs() > U_TOLERANCE {
            return Err(format!(
                "step {i}: sampling_u = {stated}, the replay gives {again}"
            ));
        }
    }
    Ok(())
}

/// The proof's hash is the SHA-256 of the step-0 preimage over the chosen
/// tokens (the window's context at its boundary).
pub fn final_hash(p: &Proof) -> Outcome {
    let context: Vec<u32> = if p.chosen_tokens.len() == WINDOW {
        p.chosen_tokens.clone()
    } else {
        p.prompt_tokens
            .iter()
            .chain(&p.chosen_tokens)
            .copied()
            .collect()
    };
    let h = sha256(&step_message(p, &context, 0));
    if h[..] != p.hash[..] {
        return Err(format!(
            "hash is {}…, the replay gives {}…",
            crate::records::formats::lower_hex(&p.hash[..8]),
            crate::records::formats::lower_hex(&h[..8])
        ));
    }
    Ok(())
}

/// Every step's chosen token owns an interval holding the replayed `u`.
pub fn sampling(p: &Proof, replayed: &[f32]) -> Outcome {
    let params = Params {
        temperature: p.temperature,
        top_p: p.top_p,
        top_k: p.top_k,
        repetition_penalty: p.repetition_penalty,
    };
    let penalised = params.repetition_penalty != 0.0 && params.repetition_penalty != 1.0;
    let mut seen: std::collections::HashSet<u32> = if penalised {
        p.prompt_tokens.iter().copied().collect()
    } else {
        Default::default()
    };
    let mut bounds = Vec::with_capacity(p.chosen_tokens.len());
    for (step, &chosen) in p.chosen_tokens.iter().enumerate() {
        let (logits, ids) = sampling::dedupe(&p.topk_logits[step], &p.topk_indices[step]);
        let u = replayed[step];
        let s = sampling::replay(&logits, &ids, |id| seen.contains(&id), params, u, chosen);
        if !s.inside {
            return Err(format!(
                "step {step}: u = {u} is not in ({}, {}], the interval of token {chosen}",
                s.lower, s.upper
            ));
        }
        bounds.push((s.lower, s.upper));
        if penalised {
            seen.insert(chosen);
        }
    }
    if p.version >= REUSE_GATE_VERSION {
        reuse_entropy(&bounds)?;
    }
    Ok(())
}

/// bcore's reuse-entropy gate (proof version 2 on): the window must have
/// realised enough randomness that a miner could not have re-used it.
/// Each step's interval mass (with 2 ATOL of slack) gives conservative
/// bits; the expected reuse score, summed in 2^-32 units over the prefix
/// bits, must stay under the cap.
fn reuse_entropy(bounds: &[(f32, f32)]) -> Outcome {
    const BITS: u32 = 32;
    let mut prefix = 0u32;
    let mut score = 0u64;
    for (i, &(lo, hi)) in bounds.iter().enumerate() {
        let (lo, hi) = (f64::from(lo), f64::from(hi));
        if !lo.is_finite() || !hi.is_finite() || hi < lo {
            return Err(format!("step {i}: invalid entropy bounds"));
        }
        let mass = ((hi - lo) + 2.0 * f64::from(sampling::ATOL)).clamp(0.0, 1.0);
        let bits = if mass <= 0.0 {
            BITS
        } else if mass >= 1.0 {
            0
        } else {
            let (mut b, mut threshold) = (0, 0.5);
            while b < BITS && mass <= threshold {
                b += 1;
                threshold *= 0.5;
            }
            b
        };
        prefix = (prefix + bits).min(BITS);
        score += if prefix >= BITS {
            1
        } else {
            (1u64 << BITS) >> prefix
        };
        if score > REUSE_SCORE_CAP_Q32 {
            return Err(format!(
                "reuse entropy: the expected reuse score passes {REUSE_SCORE_CAP_Q32} (2^-32 units) at step {i}: too little randomness realised"
            ));
        }
    }
    Ok(())
}

/// The 80-byte header (prefix and the hash's first four bytes as nonce)
/// meets the target its compact bits state, and `target` is that target.
pub fn header_pow(p: &Proof) -> Outcome {
    let bits_at = HEADER_PREFIX_BYTES - 4;
    let bits = u32::from_le_bytes(
        p.header_prefix[bits_at..HEADER_PREFIX_BYTES]
            .try_into()
            .map_err(|_| "header_prefix is short".to_owned())?,
    );
    let target = compact_target(bits)
        .ok_or_else(|| format!("nAdjBits {bits:#010x} is negative or overflows"))?;
    if p.target[..] != target[..] {
        return Err(format!(
            "target is not the one nAdjBits {bits:#010x} states"
        ));
    }
    let mut header = p.header_prefix.clone();
    header.extend_from_slice(&p.hash[..4]);
    let mut h = sha256(&sha256(&header));
    h.reverse();
    if h > target {
        return Err("the header hash is above the target (not a block solution)".into());
    }
    Ok(())
}

/// Bitcoin's compact target as 32 big-endian bytes; `None` when negative
/// or overflowing.
pub fn compact_target(bits: u32) -> Option<[u8; 32]> {
    let size = (bits >> 24) as usize;
    let mut word = bits & 0x007f_ffff;
    let negative = word != 0 && bits & 0x0080_0000 != 0;
    let overflow =
        word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
    if negative || overflow {
        return None;
    }
    let mut out = [0u8; 32];
    if size <= 3 {
        word >>= 8 * (3 - size);
        out[28..].copy_from_slice(&word.to_be_bytes());
    } else {
        // word << 8 * (size - 3): its three bytes end at byte 32 - (size - 3).
        let w = word.to_be_bytes();
        for (k, &b) in w[1..].iter().enumerate() {
            let at = (32 + k + 3).checked_sub(size + 3);
            if let Some(at) = at.filter(|&a| a < 32) {
                out[at] = b;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_targets_match_bitcoin() {
        // Genesis bits 0x1d00ffff: 0x00000000ffff0000…
        let t = compact_target(0x1d00_ffff).unwrap();
        assert_eq!(&t[..6], &[0, 0, 0, 0, 0xff, 0xff]);
        assert!(t[6..].iter().all(|&b| b == 0));
        // Small sizes shift right.
        let t = compact_target(0x0212_3456).unwrap();
        assert_eq!(&t[30..], &[0x12, 0x34]);
        assert!(t[..30].iter().all(|&b| b == 0));
        assert_eq!(
            compact_target(0x0180_0000).map(|t| t[31]),
            Some(0),
            "zero word is not negative"
        );
        assert_eq!(compact_target(0x0492_3456), None, "negative");
        assert_eq!(compact_target(0xff12_3456), None, "overflow");
        let t = compact_target(0x2000_ffff).unwrap();
        assert_eq!(&t[..3], &[0, 0xff, 0xff]);
    }

    #[test]
    fn the_reuse_gate_caps_low_entropy_windows() {
        // Every step certain (the whole mass): no bit, a full 2^32 per step.
        let certain = vec![(0.0f32, 1.0f32); 256];
        let e = reuse_entropy(&certain).unwrap_err();
        assert!(e.contains("at step 57"), "{e}");
        // Every step a coin flip: one bit more each step, the sum converges.
        assert!(reuse_entropy(&vec![(0.0f32, 0.4f32); 256]).is_ok());
        assert!(reuse_entropy(&[(0.5, 0.4)]).is_err(), "upper below lower");
    }

    #[test]
    fn u_is_the_digest_prefix_in_float32() {
        let mut d = [0u8; 32];
        assert_eq!(digest_to_u(&d), 0.0);
        d[3] = 0x80;
        assert_eq!(digest_to_u(&d), 0.5);
        d[..4].copy_from_slice(&[0xff; 4]);
        assert_eq!(
            digest_to_u(&d),
            1.0,
            "float32 rounds the largest prefix up to 1"
        );
    }

    #[test]
    fn the_replay_hashes_the_same_preimages_as_step_message() {
        let mut p = crate::inference::synth::proof("replay", "m");
        p.prompt_tokens.extend(0..300);
        let fast = replay_u(&p);
        let mut context = p.prompt_tokens.clone();
        for (step, &t) in p.chosen_tokens.iter().enumerate() {
            assert_eq!(
                fast[step],
                digest_to_u(&sha256(&step_message(&p, &context, step as u32)))
            );
            context.push(t);
        }
    }

    #[test]
    fn the_preimage_right_aligns_the_last_256_context_tokens() {
        let p = Proof {
            header_prefix: vec![1; 76],
            vdf: vec![2; 3],
            tick: 0x1_0000_0005,
            compute_precision: "fp16".into(),
            ..Proof::default()
        };
        let m = step_message(&p, &[9, 8], 7);
        assert_eq!(m.len(), 76 + 3 + 4 + 4 + 256 * 8 + 4);
        assert_eq!(&m[79..83], &[5, 0, 0, 0], "tick truncated to u32");
        assert_eq!(&m[83..87], &[7, 0, 0, 0]);
        let ctx = &m[87..87 + 2048];
        assert!(ctx[..254 * 8].iter().all(|&b| b == 0));
        assert_eq!(&ctx[254 * 8..255 * 8], &9i64.to_le_bytes());
        assert_eq!(&ctx[255 * 8..], &8i64.to_le_bytes());
        assert!(m.ends_with(b"fp16"));
        let long: Vec<u32> = (0..300).collect();
        let m = step_message(&p, &long, 0);
        assert_eq!(
            &m[87..95],
            &44i64.to_le_bytes(),
            "the window starts at token 300 - 256"
        );
    }
}
