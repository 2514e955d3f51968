//! Multi-party computations (CocosAI manifests): one charge split among
//! the compute, algorithm and data providers by the shares the computation
//! owner publishes. Pure: `manifest` (strict parse, SHA3-256), `keys` (the
//! manifest's public keys), `terms` (the computation record, key proofs,
//! shares, a charge's parts), `split` (the rule), `settled` (the split a
//! settlement states, written and read back). The parts' rows are in
//! `store::parts`; the charge path in `service`.

pub mod keys;
pub mod manifest;
pub mod settled;
pub mod split;
pub mod terms;
pub mod testkeys;

pub use terms::{Computation, NSID_COMPUTATION, Part, Refusal, Role, Terms, allocate, check};

#[cfg(test)]
mod tests;
