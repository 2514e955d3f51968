//! A TensorCash `Proof` read from untrusted bytes into owned, bounded
//! values. The FlatBuffers accessors (planus) return a `Result` for every
//! read, so a truncated or lying buffer is an error here, never a panic.
//!
//! Bounds: the buffer's size, every vector's length, and the sum of all
//! elements read. The last one matters because FlatBuffers offsets may
//! alias: 256 steps can all point at one large `FloatArray`, and a reader
//! that copied each would turn a small buffer into gigabytes. The schema
//! has no recursive type (Proof -> FloatArray/UIntArray is the deepest
//! path), so depth is bounded by construction.

use tensorcash_fbs::ProofRef;
use tensorcash_fbs::planus::{ReadAsRoot, Vector};

/// Largest proof buffer accepted (the real 256-step proof is 167 KB).
pub const MAX_PROOF_BYTES: usize = 8 << 20;
/// Largest number of elements read from all vectors together.
pub const MAX_ELEMENTS: usize = 4 << 20;
/// Largest number of sampled steps (a mined proof has exactly 256).
pub const MAX_STEPS: usize = 4096;
/// Largest number of top-k entries in one step.
pub const MAX_TOPK: usize = 4096;
/// Longest string field (model identifier, precision, CID, extra flags).
pub const TEXT_BYTES_MAX: usize = 4096;

/// A proof's fields, owned. Absent vectors read as empty, absent scalars
/// as the schema's default (zero), as FlatBuffers defines them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Proof {
    pub version: u8,
    pub tick: u64,
    pub timestamp: u64,
    pub target: Vec<u8>,
    pub vdf: Vec<u8>,
    pub hash: Vec<u8>,
    pub block_hash: Vec<u8>,
    pub header_prefix: Vec<u8>,
    pub is_solution: bool,
    pub model_identifier: String,
    pub compute_precision: String,
    pub ipfs_cid: String,
    pub extra_flags: String,
    pub temperature: f32,
    pub top_p: f32,
    pub top_k: u32,
    pub repetition_penalty: f32,
    pub chosen_tokens: Vec<u32>,
    pub chosen_probs: Vec<f32>,
    pub sampling_u: Vec<f32>,
    pub softmax_normalizers: Vec<f32>,
    pub prompt_tokens: Vec<u32>,
    pub pad_mask: Vec<bool>,
    pub topk_logits: Vec<Vec<f32>>,
    pub topk_indices: Vec<Vec<u32>>,
    pub logsumexp_stats: Vec<Vec<f32>>,
}

/// Why bytes are not a usable proof. The message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub String);

fn fb(field: &str) -> impl Fn(tensorcash_fbs::planus::Error) -> Unusable + '_ {
    move |e| Unusable(format!("`{field}` cannot be read: {e}"))
}

/// Counts elements read so far against [`MAX_ELEMENTS`].
struct Budget(usize);

impl Budget {
    fn take(&mut self, field: &str, n: usize, max: usize) -> Result<(), Unusable> {
        if n > max {
            return Err(Unusable(format!(
                "`{field}` has {n} entries, more than {max}"
            )));
        }
        self.0 = self.0.saturating_add(n);
        if self.0 > MAX_ELEMENTS {
            return Err(Unusable(format!(
                "the proof holds more than {MAX_ELEMENTS} values in all (at `{field}`)"
            )));
        }
        Ok(())
    }

    fn bytes(&mut self, field: &str, v: Option<&[u8]>) -> Result<Vec<u8>, Unusable> {
        let v = v.unwrap_or_default();
        self.take(field, v.len(), MAX_PROOF_BYTES)?;
        Ok(v.to_vec())
    }

    fn scalars<'a, T>(
        &mut self,
        field: &str,
        v: Option<Vector<'a, T>>,
        max: usize,
    ) -> Result<Vec<T>, Unusable>
    where
        T: tensorcash_fbs::planus::VectorRead<'a>,
    {
        let Some(v) = v else { return Ok(Vec::new()) };
        self.take(field, v.len(), max)?;
        Ok(v.iter().collect())
    }

    /// A vector of wrapper tables (`FloatArray`, `UIntArray`), one row per
    /// step: at most [`MAX_STEPS`] rows of at most [`MAX_TOPK`] values,
    /// every value counted (rows may alias one another).
    fn rows<'a, R, T>(
        &mut self,
        field: &str,
        v: Option<Vector<'a, tensorcash_fbs::planus::Result<R>>>,
        values: impl Fn(&R) -> tensorcash_fbs::planus::Result<Option<Vector<'a, T>>>,
    ) -> Result<Vec<Vec<T>>, Unusable>
    where
        tensorcash_fbs::planus::Result<R>: tensorcash_fbs::planus::VectorRead<'a>,
        T: tensorcash_fbs::planus::VectorRead<'a>,
    {
        let Some(v) = v else { return Ok(Vec::new()) };
        self.take(field, v.len(), MAX_STEPS)?;
        let mut out = Vec::with_capacity(v.len());
        for (i, row) in v.iter().enumerate() {
            let row = row.map_err(fb(field))?;
            let row_values = values(&row).map_err(fb(field))?;
            out.push(self.scalars(&format!("{field}[{i}]"), row_values, MAX_TOPK)?);
        }
        Ok(out)
    }
}

fn text(field: &str, v: Option<&str>) -> Result<String, Unusable> {
    let v = v.unwrap_or_default();
    if v.len() > TEXT_BYTES_MAX {
        return Err(Unusable(format!(
            "`{field}` is longer than {TEXT_BYTES_MAX} bytes"
        )));
    }
    Ok(v.to_owned())
}

/// Reads a bare `Proof` root (TensorCash writes no file identifier).
pub fn decode(bytes: &[u8]) -> Result<Proof, Unusable> {
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(Unusable(format!(
            "the proof is {} bytes, more than {MAX_PROOF_BYTES}",
            bytes.len()
        )));
    }
    let p = ProofRef::read_as_root(bytes)
        .map_err(|e| Unusable(format!("not a TensorCash Proof: {e}")))?;
    from_ref(p)
}

/// Reads a `Proof` table found inside another buffer (a request's
/// `pow_blob`), with the same bounds.
pub fn from_ref(p: ProofRef<'_>) -> Result<Proof, Unusable> {
    let mut budget = Budget(0);
    let topk_logits = budget.rows(
        "topk_logits",
        p.topk_logits().map_err(fb("topk_logits"))?,
        |r| r.values(),
    )?;
    let logsumexp_stats = budget.rows(
        "logsumexp_stats",
        p.logsumexp_stats().map_err(fb("logsumexp_stats"))?,
        |r| r.values(),
    )?;
    let topk_indices = budget.rows(
        "topk_indices",
        p.topk_indices().map_err(fb("topk_indices"))?,
        |r| r.values(),
    )?;
    Ok(Proof {
        version: p.version().map_err(fb("version"))?,
        tick: p.tick().map_err(fb("tick"))?,
        timestamp: p.timestamp().map_err(fb("timestamp"))?,
        target: budget.bytes("target", p.target().map_err(fb("target"))?)?,
        vdf: budget.bytes("vdf", p.vdf().map_err(fb("vdf"))?)?,
        hash: budget.bytes("hash", p.hash().map_err(fb("hash"))?)?,
        block_hash: budget.bytes("block_hash", p.block_hash().map_err(fb("block_hash"))?)?,
        header_prefix: budget.bytes(
            "header_prefix",
            p.header_prefix().map_err(fb("header_prefix"))?,
        )?,
        is_solution: p.is_solution().map_err(fb("is_solution"))?,
        model_identifier: text(
            "model_identifier",
            p.model_identifier().map_err(fb("model_identifier"))?,
        )?,
        compute_precision: text(
            "compute_precision",
            p.compute_precision().map_err(fb("compute_precision"))?,
        )?,
        ipfs_cid: text("ipfs_cid", p.ipfs_cid().map_err(fb("ipfs_cid"))?)?,
        extra_flags: text("extra_flags", p.extra_flags().map_err(fb("extra_flags"))?)?,
        temperature: p.temperature().map_err(fb("temperature"))?,
        top_p: p.top_p().map_err(fb("top_p"))?,
        top_k: p.top_k().map_err(fb("top_k"))?,
        repetition_penalty: p.repetition_penalty().map_err(fb("repetition_penalty"))?,
        chosen_tokens: budget.scalars(
            "chosen_tokens",
            p.chosen_tokens().map_err(fb("chosen_tokens"))?,
            MAX_STEPS,
        )?,
        chosen_probs: budget.scalars(
            "chosen_probs",
            p.chosen_probs().map_err(fb("chosen_probs"))?,
            MAX_STEPS,
        )?,
        sampling_u: budget.scalars(
            "sampling_u",
            p.sampling_u().map_err(fb("sampling_u"))?,
            MAX_STEPS,
        )?,
        softmax_normalizers: budget.scalars(
            "softmax_normalizers",
            p.softmax_normalizers().map_err(fb("softmax_normalizers"))?,
            MAX_STEPS,
        )?,
        prompt_tokens: budget.scalars(
            "prompt_tokens",
            p.prompt_tokens().map_err(fb("prompt_tokens"))?,
            MAX_ELEMENTS,
        )?,
        pad_mask: budget.scalars(
            "pad_mask",
            p.pad_mask().map_err(fb("pad_mask"))?,
            MAX_ELEMENTS,
        )?,
        topk_logits,
        topk_indices,
        logsumexp_stats,
    })
}

/// The proof as planus's owned wire type, to embed in a
/// `ValidationRequest` or write back out. Empty vectors and strings are
/// written as absent, which FlatBuffers reads back as empty.
pub fn to_wire(p: &Proof) -> tensorcash_fbs::Proof {
    fn some<T: Clone>(v: &[T]) -> Option<Vec<T>> {
        (!v.is_empty()).then(|| v.to_vec())
    }
    fn text(s: &str) -> Option<String> {
        (!s.is_empty()).then(|| s.to_owned())
    }
    let floats = |rows: &[Vec<f32>]| {
        (!rows.is_empty()).then(|| {
            rows.iter()
                .map(|r| tensorcash_fbs::FloatArray { values: some(r) })
                .collect()
        })
    };
    tensorcash_fbs::Proof {
        version: p.version,
        tick: p.tick,
        timestamp: p.timestamp,
        target: some(&p.target),
        vdf: some(&p.vdf),
        hash: some(&p.hash),
        block_hash: some(&p.block_hash),
        header_prefix: some(&p.header_prefix),
        is_solution: p.is_solution,
        model_identifier: text(&p.model_identifier),
        compute_precision: text(&p.compute_precision),
        ipfs_cid: text(&p.ipfs_cid),
        extra_flags: text(&p.extra_flags),
        temperature: p.temperature,
        top_p: p.top_p,
        top_k: p.top_k,
        repetition_penalty: p.repetition_penalty,
        chosen_tokens: some(&p.chosen_tokens),
        chosen_probs: some(&p.chosen_probs),
        sampling_u: some(&p.sampling_u),
        softmax_normalizers: some(&p.softmax_normalizers),
        prompt_tokens: some(&p.prompt_tokens),
        pad_mask: some(&p.pad_mask),
        topk_logits: floats(&p.topk_logits),
        topk_indices: (!p.topk_indices.is_empty()).then(|| {
            p.topk_indices
                .iter()
                .map(|r| tensorcash_fbs::UIntArray { values: some(r) })
                .collect()
        }),
        logsumexp_stats: floats(&p.logsumexp_stats),
    }
}

/// The proof as a bare FlatBuffers `Proof` root, as TensorCash writes it.
pub fn encode(p: &Proof) -> Vec<u8> {
    let mut b = tensorcash_fbs::planus::Builder::new();
    b.finish(to_wire(p), None).to_vec()
}
