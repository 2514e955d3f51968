//! Records in: a record posted as JSON or as its proof (a CAR), or fetched
//! because a charge names it, is validated against its lexicon and the
//! rules of its collection, then stored once.

use super::*;
use crate::contract::records::{
    Ccb, Ccba, Ccr, Ccrfp, NSID_CCB, NSID_CCBA, NSID_CCR, NSID_CCRFP, NSID_VOUCH,
};

pub(super) fn invalid(e: ValidationError) -> Failure {
    Failure::new(FailureKind::Rejected, "invalid-record", e.to_string())
}

/// The collections records can be submitted in, and their error roots.
fn root_of(collection: &str) -> Option<&'static str> {
    match collection {
        NSID_JOB => Some("job"),
        NSID_RECEIPT => Some("receipt"),
        NSID_ATTESTATION => Some("attestation"),
        NSID_AUTHORIZATION => Some("authorization"),
        NSID_COMPUTATION => Some("computation"),
        NSID_INFERENCE_PROOF => Some("proof"),
        NSID_CCRFP => Some("ccrfp"),
        NSID_CCB => Some("ccb"),
        NSID_CCBA => Some("ccba"),
        NSID_CCR => Some("ccr"),
        NSID_VOUCH => Some("vouch"),
        _ => None,
    }
}

/// Whether records of `collection` are ones this exchange acts on.
pub fn accepts(collection: &str) -> bool {
    root_of(collection).is_some()
}

impl Service {
    /// Validates and stores a record. Returns whether it was new and its
    /// CID.
    pub async fn ingest(&self, raw: RawRecord, now: Datetime) -> Result<(Put, Cid), Failure> {
        self.ingest_at(raw, now, None).await
    }

    /// [`Service::ingest`] of a record proven at commit `rev`.
    pub(super) async fn ingest_at(
        &self,
        raw: RawRecord,
        now: Datetime,
        rev: Option<&str>,
    ) -> Result<(Put, Cid), Failure> {
        let uri = AtUri::parse(&raw.uri).ok_or_else(Failure::not_a_record_uri)?;
        let root = root_of(uri.collection()).ok_or_else(|| {
            Failure::new(
                FailureKind::Rejected,
                "invalid-record",
                format!(
                    "uri: collection {} is not one this exchange accepts",
                    uri.collection()
                ),
            )
        })?;
        let cid = match uri.collection() {
            NSID_JOB => check::<Job>(&raw, root)?,
            NSID_RECEIPT => {
                verify::require_signature(&raw, root, "enclaveSignature")?;
                check::<Receipt>(&raw, root)?
            }
            NSID_ATTESTATION => {
                verify::require_signature(&raw, root, "selfSignature")?;
                check::<Attestation>(&raw, root)?
            }
            NSID_COMPUTATION => charge_record::check_computation(&raw, root).await?,
            NSID_INFERENCE_PROOF => {
                let (cid, receipt, index) = Service::check_proof_record(&raw)?;
                let put = self
                    .store
                    .put_record(&uri, &cid.to_string(), &raw.value, now.unix_micros())
                    .await?;
                self.index_proof(&receipt, &index, now).await?;
                return Ok((put, cid));
            }
            NSID_CCRFP => check::<Ccrfp>(&raw, root)?,
            NSID_CCB => check::<Ccb>(&raw, root)?,
            NSID_CCBA => check::<Ccba>(&raw, root)?,
            NSID_CCR => return self.ingest_receipt_of_contract(&raw, now).await,
            NSID_VOUCH => {
                // The latest version of each vouch counts: kept apart from
                // the immutable records.
                let (owner, edge, cid) = crate::contract::gather::vouch_edge(&raw)?;
                crate::contract::graph_store::put_vouch(
                    &self.store,
                    &owner,
                    &edge,
                    &cid.to_string(),
                    &raw.value,
                    rev,
                    now.unix_micros(),
                )
                .await?;
                return Ok((Put::Created, cid));
            }
            _ => check::<PaymentAuthorization>(&raw, root)?,
        };
        let put = self
            .store
            .put_record(&uri, &cid.to_string(), &raw.value, now.unix_micros())
            .await?;
        Ok((put, cid))
    }

    /// A record posted as JSON: stored once it is one the exchange acts
    /// on (see [`RecordTrust::posted`]).
    pub async fn submit(&self, raw: RawRecord, now: Datetime) -> Result<(Put, Cid), Failure> {
        let accepted = self.records.posted(raw).await?;
        self.ingest_accepted(accepted, now).await
    }

    /// A record posted as its proof (a CAR), stored once proven.
    pub async fn submit_proof(
        &self,
        uri: &str,
        car: &[u8],
        now: Datetime,
    ) -> Result<(Put, Cid), Failure> {
        let accepted = self.records.proof(uri, car).await?;
        self.ingest_accepted(accepted, now).await
    }

    /// A record fetched from its owner's repository, proven and stored
    /// (a relay's event that could not carry it, or a backfill).
    pub async fn ingest_from_repo(&self, uri: &str, now: Datetime) -> Result<(Put, Cid), Failure> {
        let accepted = self.records.fetch(uri).await?;
        self.ingest_accepted(accepted, now).await
    }

    /// A record a receipt names that is not stored: fetched, proven and
    /// stored where the exchange proves records; `None` otherwise.
    pub(super) async fn fetch_missing(&self, uri: &str) -> Result<Option<StoredRecord>, Failure> {
        let Some(accepted) = self.records.fetch_missing(uri).await? else {
            return Ok(None);
        };
        let value = accepted.raw.value.clone();
        let (_, cid) = self.ingest_accepted(accepted, self.now()).await?;
        Ok(Some(StoredRecord {
            uri: uri.to_owned(),
            cid: cid.to_string(),
            value,
        }))
    }
}

impl Service {
    /// A compute contract's receipt: it closes its contract where this
    /// exchange holds one (refused if it does not match it), and is kept
    /// as a record either way.
    async fn ingest_receipt_of_contract(
        &self,
        raw: &RawRecord,
        now: Datetime,
    ) -> Result<(Put, Cid), Failure> {
        let ccr =
            parse_record::<Ccr>(raw, "ccr").map_err(crate::contract::gather::record_failure)?;
        if let Some(contracts) = self.contracts.get()
            && crate::contract::store::by_ccba(&self.store, &ccr.data.ccba.uri.to_string())
                .await?
                .is_some()
        {
            let (_, changed) = contracts.close(&ccr).await?;
            let put = if changed { Put::Created } else { Put::Existing };
            return Ok((put, ccr.cid));
        }
        let put = self
            .store
            .put_record(
                &ccr.uri,
                &ccr.cid.to_string(),
                &ccr.value,
                now.unix_micros(),
            )
            .await?;
        Ok((put, ccr.cid))
    }
}

pub(super) fn check<T: RecordType>(raw: &RawRecord, root: &str) -> Result<Cid, Failure> {
    match parse_record::<T>(raw, root) {
        Ok(r) => Ok(r.cid),
        Err(RecordError::Invalid(e)) => Err(invalid(e)),
        Err(e @ RecordError::CidMismatch { .. }) => Err(Failure::new(
            FailureKind::Rejected,
            "cid-mismatch",
            e.to_string(),
        )),
    }
}
