//! Records many charges share, parsed (and attestations checked) once.

use std::sync::Arc;

use crate::computation::Terms;
use crate::records::{Attestation, PaymentAuthorization, Record};
use crate::verify;

/// An attestation with its own check.
pub(super) type CheckedAttestation = (Record<Attestation>, verify::AttestationCheck);

/// Authorizations and attestations, parsed (attestations also checked)
/// once: many charges share each. What is stored under a URI never changes
/// (another CID there is a conflict, not an update), so no entry goes
/// stale; only records that parsed are kept.
#[derive(Default)]
pub(super) struct SharedRecords {
    pub(super) attestations: Cache<CheckedAttestation>,
    pub(super) authorizations: Cache<Record<PaymentAuthorization>>,
    /// Computations whose terms checked (key proofs verified), by URI.
    pub(super) computations: Cache<Terms>,
    /// Proofs of inference checked (bound to their receipt, native
    /// checks run), by the proof record's CID and the receipt's: the
    /// proof's final hash, or the check that failed and why.
    pub(super) proofs: Cache<Result<String, (&'static str, String)>>,
    /// The verifier's answers, by proof hash.
    pub(super) answers: Cache<crate::proof_verifier::Answer>,
}

/// Entries a [`Cache`] holds before it starts again empty.
const CACHE_MAX: usize = 65_536;

pub(super) struct Cache<T>(std::sync::Mutex<std::collections::HashMap<String, Arc<T>>>);

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache(std::sync::Mutex::new(std::collections::HashMap::new()))
    }
}

impl<T> Cache<T> {
    pub(super) fn get(&self, key: &str) -> Option<Arc<T>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    pub(super) fn put(&self, key: &str, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CACHE_MAX {
            map.clear();
        }
        map.insert(key.to_owned(), value.clone());
        value
    }
}
