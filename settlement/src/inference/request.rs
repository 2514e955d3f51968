//! What a TensorCash verifier is asked and what its answer means. Pure:
//! the binary `ValidationRequest` that carries a proof, its identifiers
//! (bcore's canonical proof-blob hash and the block hash that binds them),
//! and the mapping of a `ResponseValue` name to a verdict.

use sha2::{Digest, Sha256};
use tensorcash_fbs::{BlockValidation, ValidationRequest, ValidationType, ValidationUnion};

use super::proof::{Proof, to_wire};

/// The verifier's endpoints this engine uses; each stamps its own
/// `ValidationType` in the request, which the verifier requires to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Quick,
    QuickSmell,
    Full,
    Logits,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "quick" => Mode::Quick,
            "quick-smell" => Mode::QuickSmell,
            "full" => Mode::Full,
            "logits" => Mode::Logits,
            _ => return None,
        })
    }

    /// The path segment after `/v1/verify/`.
    pub fn path(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::QuickSmell => "quick-smell",
            Mode::Full => "full",
            Mode::Logits => "logits",
        }
    }

    /// The `ValidationType` the endpoint requires in its requests.
    pub fn wire(self) -> ValidationType {
        match self {
            Mode::Quick => ValidationType::Quick,
            Mode::QuickSmell => ValidationType::QuickSmell,
            Mode::Full => ValidationType::Full,
            Mode::Logits => ValidationType::Logits,
        }
    }
}

/// What a verifier's answer does to a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// OK or Green: charged as usual.
    Pass,
    /// Amber, or a value this engine does not know: charged, the
    /// provider's share held.
    Hold,
    /// Red or Fail: refused, nothing moved.
    Refuse,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Hold => "hold",
            Verdict::Refuse => "refuse",
        }
    }
}

/// A `ResponseValue` name, as the verifier's JSON `status` carries it, to
/// a verdict, for a verification of `mode`. Only the mode's own OK (or
/// Green) passes; Red and any value with a failed part refuse; Amber, an OK of another
/// mode, or a value added upstream after this build holds, never passes.
pub fn verdict(status: &str, mode: Mode) -> Verdict {
    let pass = match mode {
        Mode::Quick => "Quick_OK",
        Mode::QuickSmell => "Quick_OK_Smell_OK",
        Mode::Full => "Full_Green",
        Mode::Logits => "Logits_OK",
    };
    if status == pass {
        Verdict::Pass
    } else if status.split('_').any(|w| w == "Fail" || w == "Red") {
        Verdict::Refuse
    } else {
        Verdict::Hold
    }
}

fn dsha256(m: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(m)).into()
}

/// Bitcoin's CompactSize length prefix.
fn compact_size(out: &mut Vec<u8>, n: usize) {
    match n {
        0..=252 => out.push(n as u8),
        253..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
    }
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    compact_size(out, b.len());
    out.extend_from_slice(b);
}

fn words<T: Copy>(out: &mut Vec<u8>, v: &[T], le: impl Fn(T) -> [u8; 4]) {
    compact_size(out, v.len());
    for &x in v {
        out.extend_from_slice(&le(x));
    }
}

/// The proof serialised as bcore's `CProofBlob` (the fields in schema
/// order, vectors with CompactSize lengths, little-endian scalars).
pub fn blob_bytes(p: &Proof) -> Vec<u8> {
    let mut o = Vec::new();
    o.push(p.version);
    o.extend_from_slice(&p.tick.to_le_bytes());
    o.extend_from_slice(&p.timestamp.to_le_bytes());
    for b in [&p.target, &p.vdf, &p.hash, &p.block_hash, &p.header_prefix] {
        bytes(&mut o, b);
    }
    o.push(u8::from(p.is_solution));
    for s in [
        &p.model_identifier,
        &p.compute_precision,
        &p.ipfs_cid,
        &p.extra_flags,
    ] {
        bytes(&mut o, s.as_bytes());
    }
    o.extend_from_slice(&p.temperature.to_le_bytes());
    o.extend_from_slice(&p.top_p.to_le_bytes());
    o.extend_from_slice(&p.top_k.to_le_bytes());
    o.extend_from_slice(&p.repetition_penalty.to_le_bytes());
    words(&mut o, &p.chosen_tokens, u32::to_le_bytes);
    words(&mut o, &p.chosen_probs, f32::to_le_bytes);
    words(&mut o, &p.sampling_u, f32::to_le_bytes);
    words(&mut o, &p.softmax_normalizers, f32::to_le_bytes);
    words(&mut o, &p.prompt_tokens, u32::to_le_bytes);
    let mask: Vec<u8> = p.pad_mask.iter().map(|&b| u8::from(b)).collect();
    bytes(&mut o, &mask);
    compact_size(&mut o, p.topk_logits.len());
    for row in &p.topk_logits {
        words(&mut o, row, f32::to_le_bytes);
    }
    compact_size(&mut o, p.topk_indices.len());
    for row in &p.topk_indices {
        words(&mut o, row, u32::to_le_bytes);
    }
    compact_size(&mut o, p.logsumexp_stats.len());
    for row in &p.logsumexp_stats {
        words(&mut o, row, f32::to_le_bytes);
    }
    o
}

fn leaf(tag: u8, data: &[u8]) -> [u8; 32] {
    let mut m = b"\xffPOW\x00".to_vec();
    m.push(tag);
    m.extend_from_slice(&(data.len() as u32).to_le_bytes());
    m.extend_from_slice(data);
    dsha256(&m)
}

/// bcore's `CProofBlob::GetMerkleRoot`: four tagged leaves (tick, VDF,
/// version and model hash, the whole blob) in a two-level tree.
pub fn pow_blob_hash(p: &Proof) -> [u8; 32] {
    let model = if p.model_identifier.contains('@') {
        Sha256::digest(p.model_identifier.as_bytes()).into()
    } else {
        [0u8; 32]
    };
    let mut meta = vec![p.version];
    meta.extend_from_slice(&model);
    let left = [leaf(1, &p.tick.to_le_bytes()), leaf(2, &p.vdf)].concat();
    let right = [leaf(3, &meta), leaf(4, &blob_bytes(p))].concat();
    dsha256(&[dsha256(&left), dsha256(&right)].concat())
}

/// The block hash a `BlockValidation` binds: version, zero previous hash
/// and merkle root (a proof of inference is not a block), timestamp,
/// zero bits and nonce, and the proof-blob hash.
pub fn hash_id(p: &Proof, blob_hash: &[u8; 32]) -> [u8; 32] {
    let mut m = Vec::with_capacity(4 + 32 + 32 + 16 + 32);
    m.extend_from_slice(&i32::from(p.version).to_le_bytes());
    m.extend_from_slice(&[0u8; 64]);
    m.extend_from_slice(&(p.timestamp as u32).to_le_bytes());
    m.extend_from_slice(&[0u8; 12]);
    m.extend_from_slice(blob_hash);
    dsha256(&m)
}

/// The hash id as the verifier displays it (byte-reversed hex).
pub fn display_id(id: &[u8; 32]) -> String {
    let mut r = *id;
    r.reverse();
    crate::records::formats::lower_hex(&r)
}

/// The binary `ValidationRequest` for one proof, and its hash id.
pub fn validation_request(p: &Proof, mode: Mode) -> (Vec<u8>, [u8; 32]) {
    let blob_hash = pow_blob_hash(p);
    let id = hash_id(p, &blob_hash);
    let block = BlockValidation {
        version: u32::from(p.version),
        hash: Some(vec![0; 32]),
        prev_block_hash: Some(vec![0; 32]),
        merkle_root: Some(vec![0; 32]),
        timestamp: p.timestamp as u32,
        bits: 0,
        nonce: 0,
        pow_blob_hash: Some(blob_hash.to_vec()),
        adjusted_bits: 0,
        pow_blob: Some(Box::new(to_wire(p))),
        difficulty: 0,
    };
    let request = ValidationRequest {
        hash_id: Some(id.to_vec()),
        validation_type: mode.wire(),
        request: Some(ValidationUnion::BlockValidation(Box::new(block))),
    };
    let mut b = tensorcash_fbs::planus::Builder::new();
    (b.finish(request, None).to_vec(), id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_pass_only_what_passes_and_hold_the_unknown() {
        for (s, m) in [
            ("Quick_OK", Mode::Quick),
            ("Quick_OK_Smell_OK", Mode::QuickSmell),
            ("Full_Green", Mode::Full),
            ("Logits_OK", Mode::Logits),
        ] {
            assert_eq!(verdict(s, m), Verdict::Pass, "{s}");
        }
        for s in [
            "Full_Red",
            "Quick_Fail",
            "Logits_Fail",
            "Quick_OK_Smell_Fail",
            "Quick_Fail_Smell_Fail",
            "Quick_Fail_Smell_OK",
            "Model_Fail",
            "Challenge_Fail",
        ] {
            assert_eq!(verdict(s, Mode::Full), Verdict::Refuse, "{s}");
        }
        for s in [
            "Full_Amber",
            "Model_OK",
            "Challenge_OK",
            "Quick_OK",
            "Logits_OK",
            "Unknown_16",
            "Full_Ultraviolet",
            "",
            "pending",
        ] {
            assert_eq!(verdict(s, Mode::Full), Verdict::Hold, "{s}");
        }
        assert_eq!(
            verdict("Full_Green", Mode::Quick),
            Verdict::Hold,
            "another mode's pass"
        );
    }

    #[test]
    fn compact_sizes_are_bitcoins() {
        let enc = |n| {
            let mut o = Vec::new();
            compact_size(&mut o, n);
            o
        };
        assert_eq!(enc(252), vec![252]);
        assert_eq!(enc(253), vec![0xfd, 253, 0]);
        assert_eq!(enc(0x1_0000), vec![0xfe, 0, 0, 1, 0]);
    }

    #[test]
    fn modes_round_trip_their_paths() {
        for m in [Mode::Quick, Mode::QuickSmell, Mode::Full, Mode::Logits] {
            assert_eq!(Mode::parse(m.path()), Some(m));
        }
        assert_eq!(Mode::parse("model"), None);
    }
}
