//! Publishing the exchange's records to its own repository.
//!
//! Every signed record the exchange writes (a settlement and each new
//! version of it, a dispute, a refund, its policy) is queued in the
//! outbox by a database trigger, in the transaction of the decision that
//! wrote it (`outbox`). A worker writes each record's current version
//! with `putRecord` under the record key chosen when it was signed, so a
//! retry is a no-op, checks that the PDS holds the CID the exchange
//! computed, and stores the commit it answered (`pds`). A failed write is
//! tried again after 2 s, doubling to 10 minutes. Publishing is a copy:
//! no money waits on it.

pub mod outbox;
pub mod pds;
pub mod policy;

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::{Counter, Scrape};
use crate::records::formats::AtUri;
use crate::store::Store;

/// Records written per pass.
const BATCH: i64 = 50;
const RETRY_FIRST_US: i64 = 2_000_000;
const RETRY_MAX_US: i64 = 600_000_000;

/// The outbox worker.
pub struct Publisher {
    store: Store,
    pds: pds::Pds,
    outcomes: Counter,
    wake: tokio::sync::Notify,
}

fn wall_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Publisher {
    pub fn new(store: Store, account: pds::Account) -> Result<Publisher, String> {
        Ok(Publisher {
            store,
            pds: pds::Pds::new(account)?,
            outcomes: Counter::new(
                "settlement_publish_outcomes",
                "Writes of the exchange's records to its repository, by outcome (published, failed).",
            ),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// How many writes succeeded since the start.
    pub fn published(&self) -> u64 {
        self.outcomes.get("published")
    }

    /// Asks for a pass now (a new record was written).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Writes what is due, under the publishing lock (one writer across
    /// replicas, so an older version never overwrites a newer one); how
    /// many were published. `Err` when nothing can be written now (the
    /// database, or no session): the caller backs off.
    pub async fn pass(&self) -> Result<usize, String> {
        let Some(_lock) = self
            .store
            .try_publish_lock()
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(0);
        };
        let due = outbox::due(&self.store, wall_us(), BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let mut done = 0;
        for p in due {
            let written = match (AtUri::parse(&p.uri), &p.value) {
                (Some(uri), Ok(value)) => self.pds.put(&uri, &p.cid, value).await,
                (None, _) => Err(pds::PdsError {
                    auth: false,
                    login: false,
                    reason: "the URI does not parse".into(),
                }),
                (_, Err(e)) => Err(pds::PdsError {
                    auth: false,
                    login: false,
                    reason: e.clone(),
                }),
            };
            match written {
                Ok(w) => {
                    outbox::published(&self.store, &p.uri, &w.cid, &w.commit, &w.rev, wall_us())
                        .await
                        .map_err(|e| e.to_string())?;
                    tracing::info!(record = %p.uri, cid = %w.cid, rev = %w.rev, "published");
                    self.outcomes.count("published");
                    done += 1;
                }
                // No session: not this record's fault; the whole
                // publisher waits.
                Err(e) if e.login => {
                    self.outcomes.count("login-failed");
                    return Err(crate::secrets::scrub(&e.reason));
                }
                Err(e) => {
                    let shift = u32::try_from(p.attempts.clamp(0, 20)).unwrap_or(20);
                    let wait = RETRY_FIRST_US.saturating_mul(1 << shift).min(RETRY_MAX_US);
                    let reason = crate::secrets::scrub(&e.reason);
                    tracing::warn!(record = %p.uri, attempts = p.attempts + 1, reason, "publishing failed");
                    outbox::failed(&self.store, &p.uri, &p.cid, wall_us() + wait, &reason)
                        .await
                        .map_err(|e| e.to_string())?;
                    self.outcomes.count("failed");
                    if e.auth {
                        // The account itself is refused: the rest would be too.
                        break;
                    }
                }
            }
        }
        Ok(done)
    }

    /// Runs passes every `every` (or sooner when woken) while the process
    /// runs; a pass that could write nothing backs off, doubling to 5
    /// minutes.
    pub fn spawn(self: Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut backoff = every;
            loop {
                let wait = match self.pass().await {
                    Ok(n) if n as i64 == BATCH => Duration::ZERO,
                    Ok(_) => {
                        backoff = every;
                        every
                    }
                    Err(e) => {
                        tracing::warn!(error = %crate::secrets::scrub(&e), "publishing pass failed");
                        backoff = (backoff * 2).min(Duration::from_secs(300));
                        backoff
                    }
                };
                if !wait.is_zero() {
                    let _ = tokio::time::timeout(wait, self.wake.notified()).await;
                }
            }
        })
    }

    /// The outcomes, the backlog and its lag.
    pub async fn collect_metrics(&self, scrape: &mut Scrape) {
        scrape.counter(&self.outcomes);
        if let Ok((n, oldest)) = outbox::backlog(&self.store).await {
            let lag = oldest.map_or(0, |t| (wall_us() - t).max(0));
            scrape.gauge(
                "settlement_publish_backlog",
                "Records waiting to be written to the exchange's repository.",
                n,
            );
            scrape.seconds_gauge(
                "settlement_publish_lag",
                "Age of the oldest record waiting to be written to the exchange's repository.",
                u64::try_from(lag).unwrap_or(0),
            );
        }
    }
}
