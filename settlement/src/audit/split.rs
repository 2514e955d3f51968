//! The split of a computation's charge, recomputed from public data: the
//! computation the job names (by CID), its terms checked again (manifest,
//! hash, key proofs, shares), and each stated part equal to what the rule
//! gives the charge less the fee.

use super::AuditError;
use super::checks::Auditor;
use crate::computation::{self, Computation, settled};
use crate::records::json::Value;
use crate::records::{Job, Receipt, Record};

impl Auditor {
    pub(super) async fn check_split(
        &mut self,
        subject: &str,
        settlement: &Value,
        job: &Record<Job>,
        receipt: &Record<Receipt>,
        (charged, fee, payout): (u64, u64, u64),
        currency: &str,
    ) -> Result<(), AuditError> {
        let stated = match settled::read_split(settlement) {
            Ok(s) => s,
            Err(e) => {
                self.note(subject, "split-invalid", e);
                return Ok(());
            }
        };
        let (named, stated) = match (&job.data.computation, stated) {
            (None, None) => return Ok(()),
            (Some(n), Some(s)) => (n, s),
            (Some(n), None) => {
                self.note(
                    subject,
                    "split-missing",
                    format!(
                        "the job names computation {}; the settlement states no split",
                        n.uri
                    ),
                );
                return Ok(());
            }
            (None, Some(_)) => {
                self.note(
                    subject,
                    "split-unexpected",
                    "the settlement states a split; its job names no computation".into(),
                );
                return Ok(());
            }
        };
        let record = match self
            .record::<Computation>(named.uri.as_str(), "computation")
            .await?
        {
            Ok(r) => r,
            Err(d) => {
                self.note(subject, d.check, d.detail);
                return Ok(());
            }
        };
        if record.cid != named.cid {
            self.note(
                subject,
                "computation-cid-mismatch",
                format!(
                    "job.computation.cid is {}; the computation served has CID {}",
                    named.cid, record.cid
                ),
            );
            return Ok(());
        }
        let terms = match computation::check(&record, "computation") {
            Ok(t) => t,
            Err(e) => {
                self.note(subject, "computation-invalid", format!("{}: {e}", e.code));
                return Ok(());
            }
        };
        if let Some(p) = stated.parts.iter().find(|p| p.currency != currency) {
            self.note(
                subject,
                "currency-mismatch",
                format!(
                    "a part of the split is in {}, the charge in {currency}",
                    p.currency
                ),
            );
        }
        let stated_sum: u128 = stated.parts.iter().map(|p| u128::from(p.amount)).sum();
        if stated_sum != u128::from(payout) {
            self.note(
                subject,
                "split-mismatch",
                format!("the parts add up to {stated_sum}, not providerPayout {payout}"),
            );
        }
        let rest = charged.saturating_sub(fee);
        if let Err(e) = settled::recheck(&stated, &terms, receipt.owner(), rest) {
            self.note(subject, "split-mismatch", e);
        }
        Ok(())
    }
}
