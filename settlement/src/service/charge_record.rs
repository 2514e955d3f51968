//! What a charge writes besides money: the split of a computation's
//! charge among its payees, and the signed settlement record that states
//! it.

use super::{Service, check, off_reactor, parse_stored};
use crate::computation::{self, Computation, Part, Terms};
use crate::failure::{Failure, FailureKind};
use crate::records::cid::Cid;
use crate::records::formats::{Datetime, tid};
use crate::records::json::{Map, Value};
use crate::records::{NSID_SETTLEMENT, RawRecord, parse_record};
use crate::verify;

/// A computation record offered for storing: valid against its lexicon,
/// and its terms hold (manifest, hash, key proofs, shares). Checked on
/// the blocking pool (its keys and signatures may be many and large).
pub(super) async fn check_computation(raw: &RawRecord, root: &'static str) -> Result<Cid, Failure> {
    let raw = raw.clone();
    off_reactor("computation check", move || {
        check_computation_now(&raw, root)
    })
    .await?
}

fn check_computation_now(raw: &RawRecord, root: &str) -> Result<Cid, Failure> {
    let cid = check::<Computation>(raw, root)?;
    let record = parse_record::<Computation>(raw, root)
        .map_err(|e| Failure::new(FailureKind::Rejected, "invalid-record", e.to_string()))?;
    computation::check(&record, root)?;
    Ok(cid)
}

/// The split of the charge less `fee` under `terms`, if any.
pub(super) fn split(
    terms: Option<Terms>,
    charge: &verify::Charge,
    fee: u64,
) -> Result<Option<(Terms, Vec<Part>)>, Failure> {
    let Some(terms) = terms else {
        return Ok(None);
    };
    let rest = charge.amount.amount - fee;
    let parts = computation::allocate(&terms, &charge.provider, rest)?;
    Ok(Some((terms, parts)))
}

impl Service {
    /// The terms of a charge whose job names a computation: the version
    /// the job names, in the requester's repository, checked. `None` for a
    /// job that names none.
    pub(super) async fn computation_terms(
        &self,
        charge: &verify::Charge,
    ) -> Result<Option<Terms>, Failure> {
        let Some(named) = &charge.computation else {
            return Ok(None);
        };
        let refuse = |code: &'static str, m: String| Failure::new(FailureKind::Rejected, code, m);
        if named.uri.did() != charge.requester
            || named.uri.collection() != computation::NSID_COMPUTATION
        {
            return Err(refuse(
                "computation-not-requesters",
                format!(
                    "job.computation: {} must be a {} in the requester {}'s repository (the computation owner pays)",
                    named.uri,
                    computation::NSID_COMPUTATION,
                    charge.requester
                ),
            ));
        }
        if let Some(hit) = self.shared.computations.get(named.uri.as_str())
            && hit.computation.cid == named.cid
        {
            return Ok(Some((*hit).clone()));
        }
        let stored = match self.store.get_record(named.uri.as_str()).await? {
            Some(s) => s,
            None => self
                .fetch_missing(named.uri.as_str())
                .await?
                .ok_or_else(|| {
                    refuse(
                        "record-not-found",
                        format!("computation {} is not stored", named.uri),
                    )
                })?,
        };
        let record = parse_stored::<Computation>(stored, "computation")?;
        if record.cid != named.cid {
            return Err(refuse(
                "computation-mismatch",
                format!(
                    "job.computation.cid {} is not the stored computation's CID {}",
                    named.cid, record.cid
                ),
            ));
        }
        // Up to 32 signatures of keys up to RSA-8192: off the reactor, as
        // a receipt's checks.
        let terms = off_reactor("computation check", move || {
            computation::check(&record, "computation")
        })
        .await??;
        self.shared
            .computations
            .put(named.uri.as_str(), terms.clone());
        Ok(Some(terms))
    }

    /// Builds and signs the `dev.cocore.compute.settlement` record.
    pub(super) fn settlement_record(
        &self,
        charge: &verify::Charge,
        fee: u64,
        split: Option<&(Terms, Vec<Part>)>,
        evidence: Option<&crate::inference::evidence::Evidence>,
        now: Datetime,
    ) -> (String, Cid, Value) {
        let currency = charge.amount.currency.as_str();
        let money = |amount: u64| {
            let mut m = Map::new();
            m.insert("amount".into(), amount.into());
            m.insert("currency".into(), currency.into());
            Value::Object(m)
        };
        let strong_ref = |r: &crate::records::StrongRef| {
            let mut m = Map::new();
            m.insert("uri".into(), r.uri.as_str().into());
            m.insert("cid".into(), r.cid.to_string().into());
            Value::Object(m)
        };
        let mut m = Map::new();
        m.insert("$type".into(), NSID_SETTLEMENT.into());
        m.insert("receipt".into(), strong_ref(&charge.receipt));
        m.insert(
            "requesterAuthorization".into(),
            strong_ref(&charge.authorization),
        );
        m.insert("amountCharged".into(), money(charge.amount.amount));
        m.insert("providerPayout".into(), money(charge.amount.amount - fee));
        m.insert("exchangeFee".into(), money(fee));
        if let Some((terms, parts)) = split {
            m.insert(
                "split".into(),
                computation::settled::split_value(terms, parts, currency),
            );
        }
        if let Some(e) = evidence {
            let mut proof = Map::new();
            proof.insert("uri".into(), e.proof_uri.as_str().into());
            proof.insert("cid".into(), e.proof_cid.as_str().into());
            let mut ev = Map::new();
            ev.insert("proof".into(), Value::Object(proof));
            ev.insert("verifier".into(), e.verifier.as_str().into());
            ev.insert("status".into(), e.status.as_str().into());
            ev.insert("verdict".into(), e.verdict.as_str().into());
            m.insert("inferenceProof".into(), Value::Object(ev));
        }
        // Filled in by a later version of the record once the payout is on
        // chain.
        m.insert("processorReference".into(), "".into());
        m.insert("status".into(), "settled".into());
        m.insert("settledAt".into(), now.to_string().into());
        self.exchange.sign_settlement(&mut m);
        let value = Value::Object(m);
        let cid = Cid::for_record(&value).expect("settlement records hold no $link or $bytes");
        let rkey = tid(now.unix_micros(), charge.receipt.uri.as_str());
        (
            format!("at://{}/{NSID_SETTLEMENT}/{rkey}", self.exchange.did),
            cid,
            value,
        )
    }
}
