//! Proofs of inference (TensorCash): a proof makes every sampled token
//! replayable from committed top-k logits and committed randomness. Pure:
//! `proof` (bounded FlatBuffers decoding), `sampling` (one step replayed),
//! `checks` (the model-free checks), `request` (what a verifier is asked,
//! what its answer means), `record` (the proof record and its binding to
//! a receipt), `evidence` (a verdict and a hold), `synth` (made-up proofs
//! for tests). Asking a TensorCash verifier to replay the model is an edge
//! of its own (`proof_verifier`); the gate of a charge is in `service`.

pub mod checks;
pub mod evidence;
pub mod proof;
pub mod record;
pub mod request;
pub mod sampling;
pub mod synth;

pub use proof::{Proof, Unusable, decode};
pub use request::{Mode, Verdict};

/// The checks, in the order they run and are reported.
pub const CHECKS: [&str; 6] = [
    "structure",
    "parameters",
    "u-values",
    "final-hash",
    "sampling",
    "header-pow",
];

/// The check a proof of inference may fail and still be good evidence: a
/// proof of inference need not be a block solution.
pub const POW: &str = "header-pow";

/// One check's verdict and, when it failed, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Every check of one proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub model: String,
    pub precision: String,
    pub steps: usize,
    pub checks: Vec<Check>,
}

impl Report {
    /// Every check but the header proof-of-work holds.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok || c.name == POW)
    }

    /// The first failed check that gates (not the proof-of-work).
    pub fn failed(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.ok && c.name != POW)
    }

    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Runs every check on a decoded proof. When the structure does not hold
/// the other checks cannot index the proof and are reported as not run.
pub fn check(p: &Proof) -> Report {
    let mut checks = Vec::with_capacity(CHECKS.len());
    let mut put = |name: &'static str, outcome: checks::Outcome| {
        let (ok, detail) = match outcome {
            Ok(()) => (true, String::new()),
            Err(why) => (false, why),
        };
        checks.push(Check { name, ok, detail });
    };
    let structure = checks::structure(p);
    let sound = structure.is_ok();
    put("structure", structure);
    if sound {
        let replayed = checks::replay_u(p);
        put("parameters", checks::parameters(p));
        put("u-values", checks::u_values(p, &replayed));
        put("final-hash", checks::final_hash(p));
        put("sampling", checks::sampling(p, &replayed));
        put("header-pow", checks::header_pow(p));
    } else {
        for name in &CHECKS[1..] {
            put(name, Err("not run: the structure check failed".into()));
        }
    }
    Report {
        model: p.model_identifier.clone(),
        precision: p.compute_precision.clone(),
        steps: p.chosen_tokens.len(),
        checks,
    }
}

#[cfg(test)]
mod tests;
