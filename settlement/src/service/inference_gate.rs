//! The proof-of-inference gate of a charge: a receipt of a model the
//! exchange's policy names is charged only with a proof bound to it that
//! passes the native checks, and then as the verifier answers:
//!
//! - pass: charged as any receipt;
//! - hold: charged, the provider's share held out of payouts until the
//!   operator releases it or refunds the charge;
//! - refuse: nothing moved (`inference-proof-rejected`), kept so that the
//!   verifier is not asked again about the same proof;
//! - no answer: nothing moved, 503 `proof-verifier-unavailable`, retryable.
//!
//! Also: a proof record is accepted only from the receipt's provider, one
//! per receipt; proof bytes are uploaded by content address.

use std::time::Instant;

use super::{Service, off_reactor, parse_stored};
use crate::failure::{Failure, FailureKind};
use crate::inference::evidence::{Evidence, Hold};
use crate::inference::record::{self, InferenceProof};
use crate::inference::{self, Verdict};
use crate::proof_verifier::Verifier;
use crate::records::cid::Cid;
use crate::records::formats::Datetime;
use crate::records::{RawRecord, Receipt, Record, parse_record};
use crate::store::inference::ProofIndex;

/// Which receipts need a proof, and who is asked about it.
pub struct ProofGate {
    /// Models whose receipts need a proof; `*` names every model.
    pub models: Vec<String>,
    /// The verifier; with none, a gated receipt waits (503) until one is
    /// configured.
    pub verifier: Option<Verifier>,
}

impl ProofGate {
    /// Whether a receipt of `model` needs a proof: the model is named, or
    /// it is a named model at some revision (`name@rev`), or `*` is.
    pub fn requires(&self, model: &str) -> bool {
        let name = model.split_once('@').map_or(model, |(n, _)| n);
        self.models
            .iter()
            .any(|m| m == "*" || m == model || m == name)
    }
}

fn rejected(code: &'static str, message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Rejected, code, message)
}

impl Service {
    /// The gate's decision for one receipt: `None` when no proof is
    /// needed, the evidence to write with the settlement otherwise.
    /// `key` is the receipt's attestation's key (already checked).
    pub(super) async fn gate(
        &self,
        receipt: &Record<Receipt>,
        key: crate::verify::crypto::VerifyingKey,
        now: Datetime,
    ) -> Result<Option<Evidence>, Failure> {
        let Some(gate) = self
            .proof_gate
            .get()
            .filter(|g| g.requires(&receipt.data.model))
        else {
            return Ok(None);
        };
        let uri = receipt.uri.as_str();
        if let Some(v) = self.store.verdict_of_receipt(uri).await?
            && v.evidence.verdict == Verdict::Refuse
        {
            return Err(rejected(
                "inference-proof-rejected",
                format!(
                    "the proof verifier refused this receipt's proof ({})",
                    v.evidence.status
                ),
            ));
        }
        let index = self.store.proof_of(uri).await?.ok_or_else(|| {
            rejected(
                "inference-proof-missing",
                format!(
                    "model {} is charged only with a proof of inference: no dev.settlement.inferenceProof names {uri}",
                    receipt.data.model
                ),
            )
        })?;
        let stored = self
            .store
            .get_record(&index.proof_uri)
            .await?
            .ok_or_else(|| {
                Failure::new(
                    FailureKind::Internal,
                    "internal",
                    format!("proof {} is indexed, not stored", index.proof_uri),
                )
            })?;
        let proof_record = parse_stored::<InferenceProof>(stored, "proof")?;
        let proof_cid = proof_record.cid;
        // The outcome of the binding and the native checks, kept by the
        // proof record's CID with the receipt's: the record names the
        // receipt's CID (hence its attestation, hence the key) and the
        // bytes' CID, and stored records never change. Only the outcome is
        // kept, never a decoded proof.
        let cache_key = format!("{proof_cid} {}", receipt.cid);
        // Decoded here only on a miss, and then asked about below.
        let mut fresh = None;
        let checked = match self.shared.proofs.get(&cache_key) {
            Some(hit) => hit,
            None => {
                let bytes = self.proof_bytes(&index.blob_cid).await?;
                let receipt_c = receipt.clone();
                let outcome = off_reactor("proof check", move || {
                    let proof = inference::decode(&bytes).map_err(|e| ("structure", e.0))?;
                    record::bind(&proof_record, &receipt_c, &key, &bytes, &proof)
                        .map_err(|m| ("binding", m.to_string()))?;
                    let report = inference::check(&proof);
                    match report.failed() {
                        Some(c) => Err((c.name, c.detail.clone())),
                        None => Ok((crate::records::formats::lower_hex(&proof.hash), proof)),
                    }
                })
                .await?;
                let kept = outcome.map(|(hash, proof)| {
                    fresh = Some(proof);
                    hash
                });
                self.shared.proofs.put(&cache_key, kept)
            }
        };
        let hash = match &*checked {
            Ok(h) => {
                self.metrics.proof_checked("ok");
                h.clone()
            }
            Err(("binding", why)) => {
                self.metrics.proof_checked("binding");
                return Err(rejected("inference-proof-mismatch", why.clone()));
            }
            Err((check, why)) => {
                self.metrics.proof_checked(check);
                return Err(rejected(
                    "inference-proof-invalid",
                    format!("the {check} check fails: {why}"),
                ));
            }
        };
        // One proof is the evidence of one receipt.
        let holder = self.store.claim_proof(&hash, uri).await?;
        if holder != uri {
            self.metrics.proof_checked("reused");
            return Err(rejected(
                "inference-proof-reused",
                format!("this proof (hash {hash}) is the evidence of another receipt, {holder}"),
            ));
        }
        let Some(verifier) = &gate.verifier else {
            return Err(unavailable("no proof verifier is configured"));
        };
        // An answer is kept by the proof's hash: a charge that fails later
        // (funds, a busy database) and is asked again does not ask again.
        let answer = match self.shared.answers.get(&hash) {
            Some(a) => (*a).clone(),
            None => {
                let proof = match fresh {
                    Some(p) => p,
                    None => self.stored_proof(&index.blob_cid).await?,
                };
                let answer = self.ask(verifier, &proof, uri).await?;
                (*self.shared.answers.put(&hash, answer)).clone()
            }
        };
        let evidence = Evidence {
            receipt_uri: uri.to_owned(),
            proof_uri: index.proof_uri,
            proof_cid: proof_cid.to_string(),
            verifier: format!("tensorcash:{}@{}", verifier.mode().path(), verifier.host()),
            hash_id: answer.hash_id,
            status: answer.status.clone(),
            verdict: answer.verdict,
            checked_at: now.unix_micros(),
        };
        if answer.verdict == Verdict::Refuse {
            self.store.insert_refusal(&evidence).await?;
            return Err(rejected(
                "inference-proof-rejected",
                format!(
                    "the proof verifier refused this receipt's proof ({})",
                    answer.status
                ),
            ));
        }
        Ok(Some(evidence))
    }

    /// A kept proof, decoded off the reactor.
    async fn stored_proof(&self, blob_cid: &str) -> Result<inference::Proof, Failure> {
        let bytes = self.proof_bytes(blob_cid).await?;
        off_reactor("proof decode", move || inference::decode(&bytes))
            .await?
            .map_err(|e| rejected("inference-proof-invalid", e.0))
    }

    /// Asks the verifier about `proof` (`subject` names it in the log),
    /// timing the exchange; no answer is 503 `proof-verifier-unavailable`.
    async fn ask(
        &self,
        verifier: &Verifier,
        proof: &inference::Proof,
        subject: &str,
    ) -> Result<crate::proof_verifier::Answer, Failure> {
        let started = Instant::now();
        match verifier.verify(proof).await {
            Ok(a) => {
                self.metrics
                    .verifier_answer(&a.status, a.verdict.as_str(), started.elapsed());
                Ok(a)
            }
            Err(e) => {
                self.metrics.verifier_latency(started.elapsed());
                tracing::warn!(subject = %subject, error = %e, "proof verifier unavailable");
                Err(unavailable(
                    "the proof verifier did not answer; retry later",
                ))
            }
        }
    }

    /// The verdict behind a settlement; 404 when it was not gated.
    async fn gated(
        &self,
        settlement_uri: &str,
    ) -> Result<crate::store::inference::VerdictRow, Failure> {
        self.store
            .verdict_of_settlement(settlement_uri)
            .await?
            .ok_or_else(|| {
                Failure::new(
                    FailureKind::NotFound,
                    "not-found",
                    format!("{settlement_uri} was not gated by a proof"),
                )
            })
    }

    async fn proof_bytes(&self, blob_cid: &str) -> Result<Vec<u8>, Failure> {
        self.store.blob(blob_cid).await?.ok_or_else(|| {
            rejected(
                "inference-proof-missing",
                format!("the proof's bytes (blob {blob_cid}) are not uploaded"),
            )
        })
    }

    /// Checks a proof record at ingestion: it names a receipt of its own
    /// repository's owner. Returns its CID and its index entry.
    pub(super) fn check_proof_record(
        raw: &RawRecord,
    ) -> Result<(Cid, crate::records::StrongRef, ProofIndex), Failure> {
        crate::verify::require_signature(raw, "proof", "enclaveSignature")?;
        let parsed = parse_record::<InferenceProof>(raw, "proof").map_err(|e| match e {
            crate::records::RecordError::Invalid(e) => super::invalid(e),
            other => rejected("cid-mismatch", other.to_string()),
        })?;
        record::owner_check(&parsed.uri, &parsed.data.receipt)
            .map_err(|m| rejected("inference-proof-mismatch", m.to_string()))?;
        if parsed.data.receipt.uri.collection() != crate::records::NSID_RECEIPT {
            return Err(rejected(
                "invalid-record",
                "proof.receipt.uri: must name a dev.cocore.compute.receipt",
            ));
        }
        let index = ProofIndex {
            proof_uri: parsed.uri.to_string(),
            proof_cid: parsed.cid.to_string(),
            blob_cid: parsed.data.blob.to_string(),
        };
        Ok((parsed.cid, parsed.data.receipt, index))
    }

    /// Names a stored proof record its receipt's evidence: one per receipt.
    /// The receipt must be known, in the version the record names, so that
    /// proofs are kept only for receipts that exist.
    pub(super) async fn index_proof(
        &self,
        receipt: &crate::records::StrongRef,
        index: &ProofIndex,
        now: Datetime,
    ) -> Result<(), Failure> {
        let receipt_uri = receipt.uri.as_str();
        let stored = match self.store.get_record(receipt_uri).await? {
            Some(s) => Some(s),
            // Boxed: fetching a record ingests it, and ingesting a proof
            // record comes here.
            None => Box::pin(self.fetch_missing(receipt_uri)).await?,
        };
        let Some(stored) = stored else {
            return Err(rejected(
                "record-not-found",
                format!("proof.receipt: {receipt_uri} is not known here: post the receipt first"),
            ));
        };
        if stored.cid != receipt.cid.to_string() {
            return Err(rejected(
                "inference-proof-mismatch",
                format!(
                    "proof.receipt.cid: is {}, but the receipt's CID is {}",
                    receipt.cid, stored.cid
                ),
            ));
        }
        if let Err(other) = self
            .store
            .index_proof(receipt_uri, index, now.unix_micros())
            .await?
        {
            return Err(Failure::new(
                FailureKind::Conflict,
                "inference-proof-conflict",
                format!("receipt {receipt_uri} has a proof already: {other}"),
            ));
        }
        Ok(())
    }

    /// Keeps proof bytes under their CID (raw, SHA-256), once a stored
    /// proof record names it; returns it and whether it was new.
    pub async fn upload_proof(&self, bytes: &[u8]) -> Result<(Cid, bool), Failure> {
        if bytes.is_empty() || bytes.len() > inference::proof::MAX_PROOF_BYTES {
            return Err(Failure::new(
                FailureKind::BadRequest,
                "invalid-request",
                format!("a proof is 1..={} bytes", inference::proof::MAX_PROOF_BYTES),
            ));
        }
        let cid = Cid::for_blob(bytes);
        // Only bytes a proof record names are kept: the store holds
        // evidence, not whatever anyone uploads.
        if !self.store.blob_named(&cid.to_string()).await? {
            return Err(Failure::new(
                FailureKind::Rejected,
                "inference-proof-unknown",
                format!("no proof record names blob {cid}: publish the record first"),
            ));
        }
        let new = self
            .store
            .put_blob(&cid.to_string(), bytes, self.clock.now_us())
            .await?;
        Ok((cid, new))
    }

    /// The operator ends a hold: `Released` makes the provider's share
    /// payable; `Refunded` gives the requester the whole charge back
    /// (through a dispute the operator opens and resolves, so that the
    /// refund is exact, signed and audited like any other).
    ///
    /// A refund first moves the hold to `refunding`, which it never leaves
    /// but for `refunded`: still held, and never released. A refund that
    /// cannot finish (a dispute of the requester's is open, a crash) is
    /// finished by asking again; two at once finish one refund.
    pub async fn end_hold(
        &self,
        settlement_uri: &str,
        to: Hold,
    ) -> Result<crate::store::inference::VerdictRow, Failure> {
        let not_held = || not_held(settlement_uri);
        let row = self.gated(settlement_uri).await?;
        let now = self.clock.now_us();
        if to == Hold::Released {
            // A share a dispute took back is no share to release.
            if self.reversed(settlement_uri).await?.is_some() {
                return Err(Failure::new(
                    FailureKind::Conflict,
                    "settlement-closed",
                    "the charge was refunded in full or its share forfeited: nothing is left to release",
                ));
            }
            if !self
                .store
                .move_hold(settlement_uri, &[Hold::Held], Hold::Released, now)
                .await?
            {
                return Err(not_held());
            }
        } else {
            if !self
                .store
                .move_hold(
                    settlement_uri,
                    &[Hold::Held, Hold::Refunding],
                    Hold::Refunding,
                    now,
                )
                .await?
            {
                return Err(not_held());
            }
            self.refund_held(settlement_uri, &row.evidence.status, now)
                .await?;
            if !self
                .store
                .move_hold(
                    settlement_uri,
                    &[Hold::Refunding, Hold::Refunded],
                    Hold::Refunded,
                    now,
                )
                .await?
            {
                return Err(Failure::new(
                    FailureKind::Internal,
                    "internal",
                    format!("{settlement_uri}: a refunded hold left the refunding state"),
                ));
            }
        }
        Ok(self
            .store
            .verdict_of_settlement(settlement_uri)
            .await?
            .ok_or_else(not_held)?)
    }

    /// A later verdict for a held share: the verifier is asked again
    /// (never from the cache). A pass releases the share, a refusal
    /// refunds the charge, anything else leaves it held; no answer is 503
    /// and changes nothing. The signed settlement keeps the verdict it was
    /// charged under; the hold's state says what came after.
    pub async fn reverify_hold(
        &self,
        settlement_uri: &str,
    ) -> Result<crate::store::inference::VerdictRow, Failure> {
        let row = self.gated(settlement_uri).await?;
        if row.hold != Some(Hold::Held) {
            return Err(not_held(settlement_uri));
        }
        let Some(verifier) = self.proof_gate.get().and_then(|g| g.verifier.as_ref()) else {
            return Err(unavailable("no proof verifier is configured"));
        };
        let index = self
            .store
            .proof_of(&row.evidence.receipt_uri)
            .await?
            .ok_or_else(|| {
                Failure::new(
                    FailureKind::Internal,
                    "internal",
                    "a held share's proof is not indexed",
                )
            })?;
        let proof = self.stored_proof(&index.blob_cid).await?;
        let answer = self.ask(verifier, &proof, settlement_uri).await?;
        tracing::info!(settlement = %settlement_uri, status = %answer.status, "held share verified again");
        match answer.verdict {
            Verdict::Pass => self.end_hold(settlement_uri, Hold::Released).await,
            Verdict::Refuse => self.end_hold(settlement_uri, Hold::Refunded).await,
            Verdict::Hold => Ok(row),
        }
    }

    /// `Some(true)` when the charge was refunded in full, `Some(false)`
    /// when its share was forfeited, `None` when neither.
    async fn reversed(&self, settlement_uri: &str) -> Result<Option<bool>, Failure> {
        use crate::dispute;
        let charged = dispute::settlement(&self.store, settlement_uri)
            .await?
            .amount_minor;
        let before = dispute::store::reversed(
            &dispute::store::reversals(&self.store, settlement_uri).await?,
        );
        Ok(if before.forfeited {
            Some(false)
        } else if charged > 0 && before.refunded >= charged {
            Some(true)
        } else {
            None
        })
    }

    /// Refunds the whole charge through a dispute the operator opens (or
    /// one the operator opened already, left open by a crash) and resolves.
    async fn refund_held(
        &self,
        settlement_uri: &str,
        status: &str,
        now: i64,
    ) -> Result<(), Failure> {
        use crate::dispute::{self, OpenRequest, Raiser, ResolveRequest};
        match self.reversed(settlement_uri).await? {
            Some(true) => return Ok(()),
            Some(false) => {
                return Err(Failure::new(
                    FailureKind::Conflict,
                    "settlement-forfeited",
                    "the provider's share was forfeited: the requester cannot be refunded through this hold",
                ));
            }
            None => {}
        }
        let open = OpenRequest {
            settlement_uri: settlement_uri.to_owned(),
            category: "quality-failure".into(),
            detail: Some(format!(
                "proof of inference held: the verifier answered {status}"
            )),
            evidence_cid: None,
        };
        let id =
            match dispute::open(&self.store, &self.exchange, now, &Raiser::Operator, &open).await {
                Ok(d) => d.id,
                Err(f) if f.code == "dispute-open" => {
                    let open = dispute::store::of_settlement(&self.store, settlement_uri)
                        .await?
                        .into_iter()
                        .find(|d| d.status == "open");
                    match open {
                        // The operator's, left open: finish it.
                        Some(d) if d.raised_by == self.exchange.did => d.id,
                        // The requester's: its own verdict decides first.
                        _ => return Err(f),
                    }
                }
                Err(f) => return Err(f),
            };
        let resolve = ResolveRequest {
            verdict: dispute::rules::Verdict::RefundFull,
            amount: None,
            rationale: Some(format!(
                "the operator refunded a charge held for its proof ({status})"
            )),
        };
        match dispute::resolve(&self.store, &self.exchange, now, &id, &resolve).await {
            Ok(_) => Ok(()),
            // Another call resolved it first.
            Err(f)
                if f.code == "dispute-resolved"
                    && self.reversed(settlement_uri).await? == Some(true) =>
            {
                Ok(())
            }
            Err(f) => Err(f),
        }
    }
}

fn not_held(settlement_uri: &str) -> Failure {
    Failure::new(
        FailureKind::Conflict,
        "not-held",
        format!("{settlement_uri} has no held share"),
    )
}

fn unavailable(message: &str) -> Failure {
    Failure::new(
        FailureKind::Unavailable,
        "proof-verifier-unavailable",
        message,
    )
}
