//! The exchange's use cases, between the HTTP edge and the store: accept a
//! record, charge a receipt, fund a requester. Each failure is a
//! [`Failure`] with a stable code; the HTTP layer only maps it to a status.

mod charge_record;
mod deposit;
mod group_commit;
mod inference_gate;
mod ingest;
use ingest::{check, invalid};
mod proven;
mod reads;
mod shared;

use std::sync::Arc;

use crate::authentic::RecordTrust;
use crate::authorize::{Refusal, SettlePlan};
use crate::computation::NSID_COMPUTATION;
use crate::exchange::{Exchange, FeePolicy};
use crate::failure::{Failure, FailureKind};
use crate::inference::record::NSID_INFERENCE_PROOF;
use crate::records::cid::Cid;
use crate::records::formats::{AtUri, Datetime};
use crate::records::lexicon::ValidationError;
use crate::records::{
    Attestation, Job, NSID_ATTESTATION, NSID_AUTHORIZATION, NSID_JOB, NSID_RECEIPT,
    PaymentAuthorization, RawRecord, Receipt, Record, RecordError, RecordType, parse_record,
};
use crate::store::{Put, Settled, SettlementRow, Store, StoreError, StoredRecord};
use crate::verify::service_auth;
use shared::{CheckedAttestation, SharedRecords};

use crate::verify::{self, Bundle, Rejection};
pub use group_commit::{GROUP_COMMIT_MAX, GroupCommit, GroupStats};
pub use inference_gate::ProofGate;

/// Default cooling-off before a destination a provider sets is paid: 24 h.
pub const DESTINATION_DELAY_S: u64 = 24 * 3600;
pub use ingest::accepts;
pub use reads::{AuthorizationView, Balance, ProviderBalance, ProviderPayouts, Statement};

/// A settlement as returned to clients.
#[derive(Clone, Debug)]
pub struct SettlementView {
    pub created: bool,
    pub row: SettlementRow,
}

/// The running exchange.
pub struct Service {
    pub exchange: Exchange,
    pub policy: FeePolicy,
    pub store: Store,
    /// Bearer token for the admin endpoints; none means they are closed.
    pub admin_token: Option<String>,
    /// "Now", shared with the ledger (see `Store::open`).
    pub clock: Arc<dyn ledger::Clock>,
    pub metrics: crate::metrics::Metrics,
    /// The payout engine, once a chain is configured.
    pub payouts: std::sync::OnceLock<Arc<crate::payout::Payouts>>,
    /// x402 deposits, once a chain is configured (set before the router is
    /// built).
    pub deposits: std::sync::OnceLock<crate::payout::facilitator::DepositGate>,
    /// Which records the exchange acts on (see `authentic`).
    pub records: RecordTrust,
    /// Concurrent charges written in one transaction.
    pub group_commit: GroupCommit,
    /// Seconds before a destination a provider sets takes effect.
    pub destination_delay_s: std::sync::atomic::AtomicU64,
    /// Fault tests: the deposit route fails after the payment is settled,
    /// as a dropped request would.
    pub fail_after_deposit_settlement: std::sync::atomic::AtomicBool,
    /// Which receipts need a proof of inference, and its verifier.
    pub proof_gate: std::sync::OnceLock<ProofGate>,
    /// Compute contracts, once a chain is configured.
    pub contracts: std::sync::OnceLock<Arc<crate::contract::Contracts>>,
    /// Publishing the exchange's records to its repository, once
    /// configured.
    pub publisher: std::sync::OnceLock<Arc<crate::publish::Publisher>>,
    /// Ingestion from a relay, once configured (it lives above this
    /// layer: the API reaches it through this trait).
    pub ingestion: std::sync::OnceLock<Arc<dyn Ingestion>>,
    /// Records many charges share, parsed once.
    shared: SharedRecords,
}

/// What ingestion from a relay offers the API.
pub trait Ingestion: Send + Sync {
    /// Fetches `did`'s records in the background.
    fn backfill(&self, did: String);
    /// Registers its metrics in `scrape`.
    fn collect_metrics<'a>(
        &'a self,
        scrape: &'a mut crate::metrics::Scrape,
    ) -> futures_util::future::BoxFuture<'a, ()>;
}

impl Service {
    pub fn new(
        exchange: Exchange,
        policy: FeePolicy,
        store: Store,
        admin_token: Option<String>,
        clock: Arc<dyn ledger::Clock>,
    ) -> Arc<Service> {
        let trust = RecordTrust::Submitted(None);
        Service::new_with_trust(exchange, policy, store, admin_token, clock, trust)
    }

    /// As `new`, saying which records the exchange acts on.
    pub fn new_with_trust(
        exchange: Exchange,
        policy: FeePolicy,
        store: Store,
        admin_token: Option<String>,
        clock: Arc<dyn ledger::Clock>,
        records: RecordTrust,
    ) -> Arc<Service> {
        Arc::new(Service {
            exchange,
            policy,
            store,
            admin_token,
            clock,
            metrics: crate::metrics::Metrics::default(),
            payouts: std::sync::OnceLock::new(),
            deposits: std::sync::OnceLock::new(),
            records,
            group_commit: GroupCommit::default(),
            destination_delay_s: std::sync::atomic::AtomicU64::new(DESTINATION_DELAY_S),
            fail_after_deposit_settlement: std::sync::atomic::AtomicBool::new(false),
            proof_gate: std::sync::OnceLock::new(),
            contracts: std::sync::OnceLock::new(),
            publisher: std::sync::OnceLock::new(),
            ingestion: std::sync::OnceLock::new(),
            shared: SharedRecords::default(),
        })
    }

    pub fn now(&self) -> Datetime {
        Datetime::from_unix_micros(self.clock.now_us())
    }

    /// Where the exchange proves records, the caller must present a
    /// service auth token issued by `owner` for this exchange and
    /// `method`.
    pub async fn authenticate(
        &self,
        bearer: Option<&str>,
        owner: &str,
        method: &str,
        now: Datetime,
    ) -> Result<(), Failure> {
        self.records
            .authenticate(bearer, owner, self.expect(method, now))
            .await
            .map(|_| ())
    }

    /// What a service auth token for `method` must say here, at `now`.
    fn expect<'a>(&'a self, method: &'a str, now: Datetime) -> service_auth::Expect<'a> {
        service_auth::Expect {
            audience: &self.exchange.did,
            method,
            now_s: now.unix_seconds(),
        }
    }

    /// As [`Service::authenticate`], for a call that changes state: the
    /// token must carry a `jti`, and each (iss, jti) is taken once, so a
    /// captured token cannot be replayed while it is still valid.
    pub async fn authenticate_once(
        &self,
        bearer: Option<&str>,
        owner: &str,
        method: &str,
        now: Datetime,
    ) -> Result<(), Failure> {
        let expect = self.expect(method, now);
        let Some(token) = self.records.authenticate(bearer, owner, expect).await? else {
            return Ok(());
        };
        let unauthorized = |m: String| Failure::new(FailureKind::Unauthorized, "unauthorized", m);
        let jti = token.jti.as_deref().ok_or_else(|| {
            unauthorized(format!(
                "service auth token: jti is required for {method}, which changes state (each token is used once)"
            ))
        })?;
        let first = self
            .store
            .use_token(&token.iss, jti, token.exp, now.unix_seconds())
            .await?;
        if !first {
            tracing::warn!(iss = %token.iss, method, "a used service auth token was presented again");
            return Err(unauthorized(format!(
                "service auth token: jti {jti} of {} was used already; tokens for {method} are single-use",
                token.iss
            )));
        }
        Ok(())
    }

    async fn load<T: RecordType>(&self, uri: &str, root: &str) -> Result<Record<T>, Failure> {
        let stored = match self.store.get_record(uri).await? {
            Some(stored) => Some(stored),
            None => self.fetch_missing(uri).await?,
        };
        let stored = stored.ok_or_else(|| {
            Failure::new(
                FailureKind::Rejected,
                "record-not-found",
                format!("{root} {uri} is not stored"),
            )
        })?;
        parse_stored(stored, root)
    }

    /// Charges a stored receipt (rules 1-12), exactly once.
    #[tracing::instrument(name = "settle", skip(self, now), fields(receipt = %receipt_uri))]
    pub async fn settle(
        &self,
        receipt_uri: &str,
        now: Datetime,
    ) -> Result<SettlementView, Failure> {
        if AtUri::parse(receipt_uri).is_none_or(|u| u.collection() != NSID_RECEIPT) {
            return Err(Failure::new(
                FailureKind::BadRequest,
                "invalid-request",
                "receipt: must be the AT URI of a dev.cocore.compute.receipt record",
            ));
        }
        // One statement reads the receipt, its job and whether it is
        // settled; a receipt not stored yet is fetched as any record.
        let (receipt, job, maybe_settled) = match self.store.get_receipt(receipt_uri).await? {
            Some(found) => (
                parse_stored::<Receipt>(found.receipt, "receipt")?,
                found.job,
                found.settled,
            ),
            None => (
                self.load::<Receipt>(receipt_uri, "receipt").await?,
                None,
                true,
            ),
        };
        if maybe_settled
            && let Some(existing) = self.store.settlement_by_receipt(receipt_uri).await?
        {
            return if existing.receipt_cid == receipt.cid.to_string() {
                Ok(SettlementView {
                    created: false,
                    row: existing,
                })
            } else {
                Err(StoreError::AlreadySettled {
                    uri: existing.receipt_uri,
                    existing: existing.receipt_cid,
                }
                .into())
            };
        }
        let gated = self
            .proof_gate
            .get()
            .is_some_and(|g| g.requires(&receipt.data.model))
            .then(|| receipt.clone());
        let charge = self.decide(receipt, job, now).await?;
        if !charge.provider_named && !self.policy.open_jobs {
            return Err(Failure::new(
                FailureKind::Rejected,
                "provider-not-named",
                format!(
                    "job {}: acceptedProviders does not name {}, and this exchange charges only receipts of \
                     providers their job names (open jobs can be claimed by anyone)",
                    charge.job.uri, charge.provider
                ),
            ));
        }
        if !self.policy.supports(&charge.amount.currency) {
            return Err(Failure::new(
                FailureKind::Rejected,
                "currency-not-supported",
                format!("this exchange does not settle {}", charge.amount.currency),
            ));
        }
        let amount = charge.amount.amount;
        if i64::try_from(amount).is_err() {
            return Err(Refusal::AmountOutOfRange(amount).into());
        }
        let evidence = match gated {
            Some(receipt) => {
                let key = self
                    .attestation_key(charge.attestation.uri.as_str())
                    .await?;
                self.gate(&receipt, key, now).await?
            }
            None => None,
        };
        let terms = self.computation_terms(&charge).await?;
        // Only money that stays with the requester is exempt from the fee.
        let self_loop = match &terms {
            None => charge.requester == charge.provider,
            Some(t) => {
                charge.requester == charge.provider
                    && t.paid_only_to(&charge.requester, &charge.provider)
            }
        };
        let fee = if charge.pro_bono {
            0
        } else {
            self.policy.fee(amount, self_loop)
        };
        let split = charge_record::split(terms, &charge, fee)?;
        let (uri, cid, value) =
            self.settlement_record(&charge, fee, split.as_ref(), evidence.as_ref(), now);
        let plan = SettlePlan {
            parts: split.map(|(_, parts)| parts).unwrap_or_default(),
            evidence,
            charge,
            fee_minor: fee,
            settlement_uri: uri,
            settlement_cid: cid.to_string(),
            settlement_value: value,
            exchange_did: self.exchange.did.clone(),
            now: now.unix_micros(),
        };
        match self.group_commit.settle(&self.store, plan).await? {
            Settled::Created(row) => Ok(SettlementView { created: true, row }),
            Settled::Existing(row) => Ok(SettlementView {
                created: false,
                row,
            }),
        }
    }

    /// Re-checks a stored receipt against its stored job, authorization
    /// and attestation at `now`, without charging anything.
    pub async fn check_receipt(
        &self,
        receipt_uri: &str,
        now: Datetime,
    ) -> Result<Result<verify::Charge, Failure>, Failure> {
        let receipt = self
            .load::<Receipt>(receipt_uri, "receipt")
            .await
            .map_err(not_found)?;
        let charge = match self.decide(receipt, None, now).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        // A job naming a computation is chargeable only under its terms.
        Ok(match self.computation_terms(&charge).await {
            Ok(None) => Ok(charge),
            Ok(Some(t)) => crate::computation::allocate(&t, &charge.provider, 0)
                .map(|_| charge)
                .map_err(Failure::from),
            Err(e) => Err(e),
        })
    }

    /// Loads what the receipt names (its job, the job's authorization, the
    /// attestation) and decides the charge at `now` (rules 1-8, 11, 12).
    /// The signature checks run on the blocking pool, off the reactor.
    /// `job` is the receipt's job when it was read with the receipt.
    async fn decide(
        &self,
        receipt: Record<Receipt>,
        job: Option<StoredRecord>,
        now: Datetime,
    ) -> Result<verify::Charge, Failure> {
        let job_uri = receipt.data.job.uri.as_str();
        let job = match job.filter(|j| j.uri == job_uri) {
            Some(stored) => parse_stored::<Job>(stored, "job")?,
            None => self.load::<Job>(job_uri, "job").await?,
        };
        let attestation = self
            .shared_attestation(receipt.data.attestation.uri.as_str())
            .await?;
        let authorization = self
            .shared_authorization(job.data.payment_authorization.uri.as_str())
            .await?;
        let exchange = self.exchange.did.clone();
        let decided = off_reactor("verification", move || {
            let (attestation, check) = &*attestation;
            verify::verify_records_checked(
                &exchange,
                now,
                Bundle {
                    job: &job,
                    authorization: &authorization,
                    attestation,
                    receipt: &receipt,
                },
                check,
            )
        })
        .await?;
        Ok(decided?)
    }

    /// The attestation at `uri`, parsed and its own signature checked, from
    /// the cache or the store.
    async fn shared_attestation(&self, uri: &str) -> Result<Arc<CheckedAttestation>, Failure> {
        if let Some(hit) = self.shared.attestations.get(uri) {
            return Ok(hit);
        }
        let record = self.load::<Attestation>(uri, "attestation").await?;
        let check = verify::check_attestation(&record);
        Ok(self.shared.attestations.put(uri, (record, check)))
    }

    /// The key of a checked attestation (the one a charge was decided on).
    async fn attestation_key(
        &self,
        uri: &str,
    ) -> Result<crate::verify::crypto::VerifyingKey, Failure> {
        let checked = self.shared_attestation(uri).await?;
        checked.1.key.clone().map_err(Failure::from)
    }

    /// The authorization at `uri`, parsed, from the cache or the store.
    async fn shared_authorization(
        &self,
        uri: &str,
    ) -> Result<Arc<Record<PaymentAuthorization>>, Failure> {
        if let Some(hit) = self.shared.authorizations.get(uri) {
            return Ok(hit);
        }
        let record = self
            .load::<PaymentAuthorization>(uri, "authorization")
            .await?;
        Ok(self.shared.authorizations.put(uri, record))
    }
}

/// Runs `f` on the blocking pool: signature checks and key parsing, which
/// would otherwise hold a reactor thread. `what` names the task if it
/// panics.
async fn off_reactor<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Failure::new(
            FailureKind::Internal,
            "internal",
            format!("{what} task: {e}"),
        )
    })
}

/// A stored record read back as `T`; `root` names it in errors.
fn parse_stored<T: RecordType>(stored: StoredRecord, root: &str) -> Result<Record<T>, Failure> {
    let raw = RawRecord {
        uri: stored.uri,
        cid: Some(stored.cid),
        value: stored.value,
    };
    parse_record::<T>(&raw, root).map_err(|e| Failure::from(Rejection::from(e)))
}

/// A missing record named in a request is "not found"; other failures
/// stand.
fn not_found(f: Failure) -> Failure {
    if f.code == "record-not-found" {
        Failure::record_not_found(f.message)
    } else {
        f
    }
}
