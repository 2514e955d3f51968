//! A DID's records fetched on demand: for a repository that wrote before
//! the exchange subscribed, or whose events were passed over. Its PDS
//! lists the URIs of each collection the exchange acts on
//! (`listRecords`); each record is then fetched with its proof and taken
//! as a relay's event would be, receipts last (so the records they name
//! are in first), each receipt charged unless the operator turned that
//! off.

use std::sync::Arc;

use super::Firehose;
use crate::computation::terms::NSID_COMPUTATION;
use crate::contract::records::{NSID_CCB, NSID_CCBA, NSID_CCR, NSID_CCRFP, NSID_VOUCH};
use crate::failure::Failure;
use crate::inference::record::NSID_INFERENCE_PROOF;
use crate::records::{NSID_ATTESTATION, NSID_AUTHORIZATION, NSID_JOB, NSID_RECEIPT};

/// Most records one backfill takes.
pub const RECORDS_MAX: usize = 10_000;

/// The collections in the order they are taken: what others name first.
const ORDER: [&str; 11] = [
    NSID_AUTHORIZATION,
    NSID_ATTESTATION,
    NSID_COMPUTATION,
    NSID_JOB,
    NSID_VOUCH,
    NSID_CCRFP,
    NSID_CCB,
    NSID_CCBA,
    NSID_CCR,
    NSID_INFERENCE_PROOF,
    NSID_RECEIPT,
];

/// What a backfill did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub records: usize,
    pub settled: usize,
    pub refused: usize,
}

impl Firehose {
    /// Takes `did`'s records (at most [`RECORDS_MAX`]).
    pub async fn backfill(&self, did: &str) -> Result<Summary, Failure> {
        let service = &self.applier.service;
        let identity = service.records.resolver().ok_or_else(|| {
            Failure::new(
                crate::failure::FailureKind::BadRequest,
                "proofs-unsupported",
                "this exchange does not resolve DIDs, so it cannot backfill",
            )
        })?;
        let mut summary = Summary::default();
        for collection in ORDER {
            let mut cursor: Option<String> = None;
            loop {
                let (uris, next) = identity
                    .list_records(did, collection, cursor.as_deref())
                    .await?;
                for uri in uris {
                    if summary.records >= RECORDS_MAX {
                        return Ok(summary);
                    }
                    summary.records += 1;
                    match self.applier.take_from_repo(&uri).await {
                        Ok(outcome) => {
                            self.applier.ops.count(outcome);
                            if outcome == "settled" {
                                summary.settled += 1;
                            }
                        }
                        Err(f) => {
                            tracing::info!(record = %uri, code = f.code, reason = %f.message, "backfilled record refused");
                            self.applier.ops.count(f.code);
                            summary.refused += 1;
                        }
                    }
                }
                match next {
                    Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                    _ => break,
                }
            }
        }
        Ok(summary)
    }
}

/// The service reaches the relay's ingestion through this.
pub struct Handle(pub Arc<Firehose>);

impl crate::service::Ingestion for Handle {
    /// Runs a backfill in the background, logging its summary.
    fn backfill(&self, did: String) {
        let firehose = self.0.clone();
        tokio::spawn(async move {
            match firehose.backfill(&did).await {
                Ok(s) => tracing::info!(
                    did,
                    records = s.records,
                    settled = s.settled,
                    refused = s.refused,
                    "backfill done"
                ),
                Err(f) => {
                    tracing::warn!(did, code = f.code, reason = %f.message, "backfill failed")
                }
            }
        });
    }

    fn collect_metrics<'a>(
        &'a self,
        scrape: &'a mut crate::metrics::Scrape,
    ) -> futures_util::future::BoxFuture<'a, ()> {
        Box::pin(self.0.collect_metrics(scrape))
    }
}
