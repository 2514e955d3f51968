//! What an event from the relay does here.
//!
//! - A commit's created or updated records, in the collections this
//!   exchange acts on, are proven from the event's own blocks (the signed
//!   commit, the tree path, the record: what `getRecord` would answer);
//!   where the blocks do not prove one (a relay that dropped them,
//!   `tooBig`, or a commit older than one the exchange has seen), it is
//!   fetched from its owner's PDS and proven there. Then it is stored as
//!   any proven record (an edited receipt or job nothing was charged on
//!   replaces the old version); a receipt is then charged, unless the
//!   operator turned that off.
//! - A deletion is applied by `Service::apply_deletion`: an authorization
//!   revoked, a vouch withdrawn, an uncharged receipt or job forgotten.
//! - `#identity` drops the DID's cached document; `#account` inactive
//!   pauses the repository (its new records are passed over, its
//!   deletions still applied) until it is active again.
//!
//! The stream never waits on a third party: an operation that needs an
//! owner's DID document or PDS (or the proof verifier) that does not
//! answer is deferred (`store::defer`) and taken again apart from the
//! stream. Only a failure of the exchange's own database makes the event
//! be applied again. Every step is idempotent, so an event applied twice
//! (a crash before the cursor was stored) changes nothing the second time.

use std::sync::Arc;

use super::frame::{Action, Commit, Event, Op};
use super::store::{self, Deferred};
use crate::failure::{Failure, FailureKind};
use crate::metrics::Counter;
use crate::records::NSID_RECEIPT;
use crate::service::Service;

/// Whether the event's proof did not hold: its blocks may lack what a
/// `getRecord` fetch would give, or be older than a commit already seen.
fn unproven(code: &str) -> bool {
    code == "stale-proof" || crate::verify::repo::PROOF_CODES.contains(&code)
}

/// Codes meaning "not now": an owner's DID or PDS did not answer.
const LATER_CODES: [&str; 2] = ["did-unresolvable", "record-unavailable"];

/// The exchange's own database failed: the event is applied again.
#[derive(Debug)]
pub struct Retry(pub String);

/// Applies events for one exchange.
pub struct Applier {
    pub service: Arc<Service>,
    /// Charge receipts as they arrive.
    pub settle: bool,
    pub ops: Arc<Counter>,
}

/// How a failure is taken.
pub(super) enum Taken {
    /// The exchange's own: try again.
    Ours(String),
    /// A third party's: defer.
    Later(String),
    /// A refusal: counted, done.
    Refused(&'static str, String),
}

pub(super) fn taken(f: &Failure) -> Taken {
    let text = format!("{}: {}", f.code, f.message);
    match f.kind {
        FailureKind::Internal => Taken::Ours(text),
        FailureKind::Unavailable => Taken::Later(text),
        _ if LATER_CODES.contains(&f.code) => Taken::Later(text),
        _ => Taken::Refused(f.code, f.message.clone()),
    }
}

fn ours(e: crate::store::StoreError) -> Retry {
    Retry(e.to_string())
}

impl Applier {
    /// Applies one event; `Err` when the exchange's database failed.
    pub async fn apply(&self, event: &Event) -> Result<(), Retry> {
        match event {
            Event::Commit(c) => self.commit(c).await,
            Event::Identity { did, .. } => {
                if let Some(identity) = self.service.records.resolver() {
                    identity.forget(did);
                }
                self.ops.count("identity");
                Ok(())
            }
            Event::Account {
                seq,
                did,
                active,
                status,
            } => {
                let status = status.as_deref().unwrap_or("inactive");
                let now = self.service.now().unix_micros();
                store::set_account(&self.service.store, did, *active, status, *seq, now)
                    .await
                    .map_err(ours)?;
                tracing::info!(did, active, status, "account status from the relay");
                self.ops.count(if *active {
                    "account-active"
                } else {
                    "account-inactive"
                });
                Ok(())
            }
            Event::Other { .. } | Event::Info { .. } | Event::Error { .. } => Ok(()),
        }
    }

    async fn commit(&self, c: &Commit) -> Result<(), Retry> {
        let acted_on: Vec<&Op> = c
            .ops
            .iter()
            .filter(|op| {
                op.split()
                    .is_some_and(|(coll, _)| crate::service::accepts(coll))
            })
            .collect();
        if acted_on.is_empty() {
            return Ok(());
        }
        let paused = store::inactive(&self.service.store, &c.repo)
            .await
            .map_err(ours)?;
        for op in acted_on {
            let uri = format!("at://{}/{}", c.repo, op.path);
            let deletion = op.action == Action::Delete;
            if !deletion && let Some(status) = &paused {
                tracing::info!(record = %uri, status, seq = c.seq, "record of an inactive account passed over");
                self.ops.count("inactive");
                continue;
            }
            let done = if deletion {
                self.service
                    .apply_deletion(&uri, &c.blocks, self.service.now())
                    .await
            } else {
                self.record(c, op, &uri).await
            };
            let failure = match done {
                Ok(outcome) => {
                    self.ops.count(outcome);
                    continue;
                }
                Err(f) => f,
            };
            match taken(&failure) {
                Taken::Ours(reason) => return Err(Retry(reason)),
                Taken::Later(reason) => {
                    let d = Deferred {
                        uri: uri.clone(),
                        action: if deletion { "deletion" } else { "record" }.into(),
                        blocks: deletion.then(|| c.blocks.clone()),
                        attempts: 0,
                    };
                    let now = self.service.now().unix_micros();
                    store::defer(
                        &self.service.store,
                        &d,
                        &reason,
                        now + super::DEFER_FIRST_US,
                        now,
                    )
                    .await
                    .map_err(ours)?;
                    tracing::info!(record = %uri, reason, "deferred: a third party did not answer");
                    self.ops.count("deferred");
                }
                Taken::Refused(code, reason) => {
                    tracing::info!(record = %uri, code, reason, "record from the relay refused");
                    self.ops.count(code);
                }
            }
        }
        Ok(())
    }

    /// Defers every operation of `c` this exchange acts on (an event the
    /// database keeps failing on).
    pub async fn defer_all(&self, c: &Commit, reason: &str) -> Result<(), Retry> {
        let now = self.service.now().unix_micros();
        for op in &c.ops {
            if !op
                .split()
                .is_some_and(|(coll, _)| crate::service::accepts(coll))
            {
                continue;
            }
            let deletion = op.action == Action::Delete;
            let d = Deferred {
                uri: format!("at://{}/{}", c.repo, op.path),
                action: if deletion { "deletion" } else { "record" }.into(),
                blocks: deletion.then(|| c.blocks.clone()),
                attempts: 0,
            };
            store::defer(
                &self.service.store,
                &d,
                reason,
                now + super::DEFER_FIRST_US,
                now,
            )
            .await
            .map_err(ours)?;
            self.ops.count("deferred");
        }
        Ok(())
    }

    /// A created or updated record: proven, stored, and a receipt charged.
    async fn record(&self, c: &Commit, op: &Op, uri: &str) -> Result<&'static str, Failure> {
        let s = &self.service;
        let now = s.now();
        let stored = if c.too_big {
            s.ingest_from_repo(uri, now).await
        } else {
            match s.submit_proof(uri, &c.blocks, now).await {
                Err(f) if unproven(f.code) => {
                    tracing::info!(record = %uri, code = f.code, "the event's blocks do not prove the record: fetching it");
                    s.ingest_from_repo(uri, now).await
                }
                other => other,
            }
        };
        stored?;
        let receipt = op.split().is_some_and(|(coll, _)| coll == NSID_RECEIPT);
        self.charge(uri, receipt).await
    }

    /// A record fetched from its owner's repository, proven and stored,
    /// and charged if it is a receipt (a deferral or a backfill).
    pub(super) async fn take_from_repo(&self, uri: &str) -> Result<&'static str, Failure> {
        self.service
            .ingest_from_repo(uri, self.service.now())
            .await?;
        let receipt = uri.split('/').nth(3) == Some(NSID_RECEIPT);
        self.charge(uri, receipt).await
    }

    /// Charges a stored receipt (when the operator lets the stream do it).
    pub(super) async fn charge(&self, uri: &str, receipt: bool) -> Result<&'static str, Failure> {
        if !self.settle || !receipt {
            return Ok("stored");
        }
        let settled = self.service.settle(uri, self.service.now()).await?;
        Ok(if settled.created {
            "settled"
        } else {
            "replayed"
        })
    }
}
