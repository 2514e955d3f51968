//! The exchange's use cases, between the HTTP edge and the store: accept a
//! record, charge a receipt, fund a requester. Each failure is a
//! [`Failure`] with a stable code; the HTTP layer only maps it to a status.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use sha2::{Digest, Sha256};

use crate::exchange::{Exchange, FeePolicy};
use crate::records::cid::Cid;
use crate::records::formats::{AtUri, Datetime};
use crate::records::json::{Map, Value};
use crate::records::lexicon::ValidationError;
use crate::records::{
    Attestation, Job, NSID_ATTESTATION, NSID_AUTHORIZATION, NSID_JOB, NSID_RECEIPT,
    NSID_SETTLEMENT, PaymentAuthorization, RawRecord, Receipt, Record, RecordError, RecordType,
    parse_record,
};
use crate::store::{Put, SettlePlan, Settled, SettlementRow, Store, StoreError, StoredRecord};
use crate::verify::{self, Bundle, Rejection};

/// A refusal or an error, with the stable code clients branch on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub code: &'static str,
    pub message: String,
}

/// What kind of failure, which the edge maps to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The request itself is malformed (400).
    BadRequest,
    /// Not authenticated or not allowed (401).
    Unauthorized,
    /// Something named does not exist (404).
    NotFound,
    /// Conflicts with what is stored (409).
    Conflict,
    /// Well-formed, but a rule of a charge refuses it (422).
    Rejected,
    /// The route exists, the method does not (405).
    MethodNotAllowed,
    /// The body is larger than the limit (413).
    TooLarge,
    /// Overloaded or timed out: retry later (503).
    Unavailable,
    /// Ours, not the caller's (500); the message is for logs only.
    Internal,
}

impl Failure {
    pub fn new(kind: FailureKind, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            code,
            message: message.into(),
        }
    }

    /// A named record (or settlement, or authorization state) is not
    /// stored: 404 `record-not-found`.
    pub fn record_not_found(message: impl Into<String>) -> Failure {
        Failure::new(FailureKind::NotFound, "record-not-found", message)
    }
}

impl From<Rejection> for Failure {
    fn from(r: Rejection) -> Self {
        Failure::new(FailureKind::Rejected, r.code.as_str(), r.message)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        use FailureKind::*;
        match e {
            StoreError::RecordConflict { .. } => {
                Failure::new(Conflict, "record-conflict", e.to_string())
            }
            StoreError::AlreadySettled { .. } => {
                Failure::new(Rejected, "already-settled", e.to_string())
            }
            StoreError::JobAlreadySettled { .. } => {
                Failure::new(Rejected, "job-already-settled", e.to_string())
            }
            StoreError::AuthorizationConsumed(m) => {
                Failure::new(Rejected, "authorization-already-consumed", m)
            }
            StoreError::SessionBudgetExceeded(m) => {
                Failure::new(Rejected, "session-budget-exceeded", m)
            }
            StoreError::AmountOutOfRange(_) => {
                Failure::new(Rejected, "amount-out-of-range", e.to_string())
            }
            StoreError::Ledger(ref l) => match l {
                ledger::Error::InsufficientFunds { .. } => Failure::new(
                    Rejected,
                    "insufficient-funds",
                    "the requester's available funds do not cover the charge and the rest of the authorization's promise",
                ),
                ledger::Error::HoldExpired { .. } => {
                    Failure::new(Rejected, "auth-expired", "the authorization's hold expired")
                }
                ledger::Error::IdempotencyConflict { .. } => {
                    Failure::new(Conflict, "idempotency-conflict", l.to_string())
                }
                ledger::Error::Overflow { .. } => Failure::new(Rejected, "overflow", l.to_string()),
                // An id or reference built from the caller's own input.
                ledger::Error::InvalidId { .. } | ledger::Error::InvalidField { .. } => {
                    Failure::new(BadRequest, "invalid-request", l.to_string())
                }
                _ => Failure::new(Internal, "internal", e.to_string()),
            },
            StoreError::Corrupt(_) | StoreError::Batch(_) => {
                Failure::new(Internal, "internal", e.to_string())
            }
        }
    }
}

fn invalid(e: ValidationError) -> Failure {
    Failure::new(FailureKind::Rejected, "invalid-record", e.to_string())
}

/// The collections records can be submitted in, and their error roots.
fn root_of(collection: &str) -> Option<&'static str> {
    match collection {
        NSID_JOB => Some("job"),
        NSID_RECEIPT => Some("receipt"),
        NSID_ATTESTATION => Some("attestation"),
        NSID_AUTHORIZATION => Some("authorization"),
        _ => None,
    }
}

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
    pub records: crate::authentic::RecordTrust,
    /// Concurrent charges written in one transaction.
    pub group_commit: GroupCommit,
    /// Records many charges share, parsed once.
    shared: SharedRecords,
}

impl Service {
    pub fn new(
        exchange: Exchange,
        policy: FeePolicy,
        store: Store,
        admin_token: Option<String>,
        clock: Arc<dyn ledger::Clock>,
    ) -> Arc<Service> {
        let trust = crate::authentic::RecordTrust::Submitted(None);
        Service::new_with_trust(exchange, policy, store, admin_token, clock, trust)
    }

    /// As `new`, saying which records the exchange acts on.
    pub fn new_with_trust(
        exchange: Exchange,
        policy: FeePolicy,
        store: Store,
        admin_token: Option<String>,
        clock: Arc<dyn ledger::Clock>,
        records: crate::authentic::RecordTrust,
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
            shared: SharedRecords::default(),
        })
    }

    pub fn now(&self) -> Datetime {
        Datetime::from_unix_nanos(i128::from(self.clock.now_us()) * 1000)
    }

    /// Validates and stores a record. Returns whether it was new and its
    /// CID.
    pub async fn ingest(&self, raw: RawRecord, now: Datetime) -> Result<(Put, Cid), Failure> {
        let uri = AtUri::parse(&raw.uri).ok_or_else(|| {
            Failure::new(
                FailureKind::Rejected,
                "invalid-record",
                "uri: must be an AT URI of a record (at://DID/COLLECTION/RKEY)",
            )
        })?;
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
            _ => check::<PaymentAuthorization>(&raw, root)?,
        };
        let put = self
            .store
            .put_record(&uri, &cid.to_string(), &raw.value, micros(now))
            .await?;
        Ok((put, cid))
    }

    async fn load<T: RecordType>(&self, uri: &str, root: &str) -> Result<Record<T>, Failure> {
        let stored = match self.store.get_record(uri).await? {
            Some(stored) => Some(stored),
            None => self.fetch_missing(uri, self.now()).await?,
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
        let charge = self.decide(receipt, job, now).await?;
        if !self.policy.supports(&charge.amount.currency) {
            return Err(Failure::new(
                FailureKind::Rejected,
                "currency-not-supported",
                format!("this exchange does not settle {}", charge.amount.currency),
            ));
        }
        let amount = charge.amount.amount;
        if i64::try_from(amount).is_err() {
            return Err(StoreError::AmountOutOfRange(amount).into());
        }
        let fee = if charge.pro_bono {
            0
        } else {
            self.policy.fee(amount, charge.requester == charge.provider)
        };
        let (uri, cid, value) = self.settlement_record(&charge, fee, now);
        let plan = SettlePlan {
            charge,
            fee_minor: fee,
            settlement_uri: uri,
            settlement_cid: cid.to_string(),
            settlement_value: value,
            exchange_did: self.exchange.did.clone(),
            now: micros(now),
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
        Ok(self.decide(receipt, None, now).await)
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
        let decided = tokio::task::spawn_blocking(move || {
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
        .await
        .map_err(|e| {
            Failure::new(
                FailureKind::Internal,
                "internal",
                format!("verification task: {e}"),
            )
        })?;
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

    /// Builds and signs the `dev.cocore.compute.settlement` record.
    fn settlement_record(
        &self,
        charge: &verify::Charge,
        fee: u64,
        now: Datetime,
    ) -> (String, Cid, Value) {
        let money = |amount: u64| {
            let mut m = Map::new();
            m.insert("amount".into(), amount.into());
            m.insert("currency".into(), charge.amount.currency.clone().into());
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
        // Filled in by a later version of the record once the payout is on
        // chain.
        m.insert("processorReference".into(), "".into());
        m.insert("status".into(), "settled".into());
        m.insert("settledAt".into(), now.to_string().into());
        self.exchange.sign_settlement(&mut m);
        let value = Value::Object(m);
        let cid = Cid::for_record(&value).expect("settlement records hold no $link or $bytes");
        let rkey = tid(micros(now), charge.receipt.uri.as_str());
        (
            format!("at://{}/{NSID_SETTLEMENT}/{rkey}", self.exchange.did),
            cid,
            value,
        )
    }

    /// Credits `requester` with a deposit; `id` makes it idempotent.
    pub async fn deposit(
        &self,
        id: &str,
        requester: &str,
        currency: &str,
        amount_minor: u64,
    ) -> Result<bool, Failure> {
        let amount = i64::try_from(amount_minor)
            .ok()
            .filter(|a| *a > 0)
            .ok_or_else(|| {
                Failure::new(
                    FailureKind::BadRequest,
                    "invalid-request",
                    "amount.amount: must be an integer in 1..=2^63-1",
                )
            })?;
        if !self.policy.supports(currency) {
            return Err(Failure::new(
                FailureKind::BadRequest,
                "currency-not-supported",
                format!("this exchange does not settle {currency}"),
            ));
        }
        let submitted = self
            .store
            .deposit(id, requester, currency, amount, &self.exchange.did)
            .await?;
        Ok(!submitted.replayed)
    }
}

/// An attestation with its own check.
type CheckedAttestation = (Record<Attestation>, verify::AttestationCheck);

/// Authorizations and attestations, parsed (attestations also checked)
/// once: many charges share each. What is stored under a URI never changes
/// (another CID there is a conflict, not an update), so no entry goes
/// stale; only records that parsed are kept.
#[derive(Default)]
struct SharedRecords {
    attestations: Cache<CheckedAttestation>,
    authorizations: Cache<Record<PaymentAuthorization>>,
}

/// Entries a [`Cache`] holds before it starts again empty.
const CACHE_MAX: usize = 65_536;

struct Cache<T>(std::sync::Mutex<std::collections::HashMap<String, Arc<T>>>);

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache(std::sync::Mutex::new(std::collections::HashMap::new()))
    }
}

impl<T> Cache<T> {
    fn get(&self, key: &str) -> Option<Arc<T>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    fn put(&self, key: &str, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CACHE_MAX {
            map.clear();
        }
        map.insert(key.to_owned(), value.clone());
        value
    }
}

/// Group commit: charges that arrive while a transaction is being written
/// wait, and the next transaction writes up to `max` of them together, each
/// with its own outcome (see [`Store::settle_many`]). One writer task per
/// service; charges of one authorization (or one receipt) go in separate
/// transactions, in the order they came. `max` 1 writes each charge in its
/// own transaction.
pub struct GroupCommit {
    max: std::sync::atomic::AtomicUsize,
    queue: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedSender<Waiting>>>,
    stats: Arc<GroupStats>,
}

/// What the writer has done so far.
#[derive(Default, Debug)]
pub struct GroupStats {
    /// Charges handed to the writer.
    pub queued: AtomicU64,
    /// Transactions written, and the charges in them.
    pub groups: AtomicU64,
    pub charges: AtomicU64,
    /// Most charges in one transaction.
    pub largest: AtomicU64,
    /// Microseconds spent writing them.
    pub busy_us: AtomicU64,
}

/// Default for [`GroupCommit`]'s `max`.
pub const GROUP_COMMIT_MAX: usize = 64;

struct Waiting {
    plan: SettlePlan,
    reply: tokio::sync::oneshot::Sender<Result<Settled, StoreError>>,
}

impl Default for GroupCommit {
    fn default() -> Self {
        GroupCommit {
            max: std::sync::atomic::AtomicUsize::new(GROUP_COMMIT_MAX),
            queue: std::sync::Mutex::new(None),
            stats: Arc::default(),
        }
    }
}

impl GroupCommit {
    /// Charges per transaction from now on (at least 1).
    pub fn set_max(&self, max: usize) {
        self.max
            .store(max.max(1), std::sync::atomic::Ordering::Relaxed);
        // The writer reads `max` when it starts: start a new one.
        *self.queue.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn max(&self) -> usize {
        self.max.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn stats(&self) -> &GroupStats {
        &self.stats
    }

    async fn settle(&self, store: &Store, plan: SettlePlan) -> Result<Settled, StoreError> {
        let max = self.max();
        if max <= 1 {
            return store.settle(&plan).await;
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let sender = queue.get_or_insert_with(|| {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                start_writer(store.clone(), rx, max, self.stats.clone());
                tx
            });
            match sender.send(Waiting { plan, reply }) {
                Ok(()) => {
                    self.stats.queued.fetch_add(1, Relaxed);
                    Ok(())
                }
                Err(e) => {
                    // The writer is gone (its runtime ended): start another
                    // next time, write this one alone.
                    *queue = None;
                    Err(e.0.plan)
                }
            }
        };
        match sent {
            Ok(()) => answer.await.unwrap_or_else(|_| {
                Err(StoreError::Batch(
                    "the writer stopped before answering".into(),
                ))
            }),
            Err(plan) => store.settle(&plan).await,
        }
    }
}

/// Starts the writer on a thread of its own, with its own runtime and its
/// own connections: a busy request runtime would otherwise make each of
/// its statements wait its turn behind every request (and the commit
/// with them). Where that is not possible, on the caller's runtime.
fn start_writer(
    store: Store,
    queue: tokio::sync::mpsc::UnboundedReceiver<Waiting>,
    max: usize,
    stats: Arc<GroupStats>,
) {
    let (give_back, taken_back) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("settle-writer".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::warn!(error = %e, "no runtime for the settle writer");
                    let _ = give_back.send((store, queue, stats));
                    return;
                }
            };
            // Started: the caller stops waiting.
            drop(give_back);
            runtime.block_on(async move {
                match store.fork().await {
                    Ok(Some(own)) => {
                        write_groups(own.clone(), queue, max, stats).await;
                        own.close().await;
                    }
                    Ok(None) => write_groups(store, queue, max, stats).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "the settle writer shares the request pool");
                        write_groups(store, queue, max, stats).await;
                    }
                }
            });
        });
    match spawned {
        Ok(_) => {
            if let Ok((store, queue, stats)) = taken_back.recv() {
                tokio::spawn(write_groups(store, queue, max, stats));
            }
        }
        Err(e) => tracing::warn!(error = %e, "no thread for the settle writer"),
    }
}

/// The writer: takes what is waiting, oldest first, up to `max` charges
/// with distinct receipts and authorizations; the rest waits for the next
/// transaction.
async fn write_groups(
    store: Store,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Waiting>,
    max: usize,
    stats: Arc<GroupStats>,
) {
    let mut waiting: std::collections::VecDeque<Waiting> = std::collections::VecDeque::new();
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(w) => waiting.push_back(w),
                None => return,
            }
        }
        while let Ok(w) = queue.try_recv() {
            waiting.push_back(w);
        }
        let mut group = Vec::with_capacity(max.min(waiting.len()));
        let mut later = std::collections::VecDeque::new();
        let mut receipts = std::collections::HashSet::new();
        let mut authorizations = std::collections::HashSet::new();
        while let Some(w) = waiting.pop_front() {
            let ch = &w.plan.charge;
            let receipt = ch.receipt.uri.to_string();
            let authorization = (ch.requester.clone(), ch.nonce.as_str().to_owned());
            let free = !receipts.contains(&receipt)
                && (ch.pro_bono || !authorizations.contains(&authorization));
            if group.len() < max && free {
                receipts.insert(receipt);
                if !ch.pro_bono {
                    authorizations.insert(authorization);
                }
                group.push(w);
            } else {
                // Keeps its place: charges of one authorization stay in
                // the order they came.
                receipts.insert(receipt);
                authorizations.insert(authorization);
                later.push_back(w);
            }
        }
        waiting = later;
        let plans: Vec<&SettlePlan> = group.iter().map(|w| &w.plan).collect();
        let started = std::time::Instant::now();
        let results = store.settle_many(&plans).await;
        let busy = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.busy_us.fetch_add(busy, Relaxed);
        let n = plans.len() as u64;
        stats.groups.fetch_add(1, Relaxed);
        stats.charges.fetch_add(n, Relaxed);
        stats.largest.fetch_max(n, Relaxed);
        for (w, result) in group.into_iter().zip(results) {
            // The caller may have gone (timeout); the charge stands.
            let _ = w.reply.send(result);
        }
    }
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

fn check<T: RecordType>(raw: &RawRecord, root: &str) -> Result<Cid, Failure> {
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

pub fn micros(d: Datetime) -> i64 {
    i64::try_from(d.unix_nanos().div_euclid(1000)).unwrap_or(i64::MAX)
}

/// A TID (timestamp identifier): 53 bits of microseconds and a 10-bit
/// clock id, in base32-sortable. The clock id comes from `salt`, so two
/// settlements made in the same microsecond still differ.
pub fn tid(micros: i64, salt: &str) -> String {
    const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
    let clock = u64::from(
        u16::from_be_bytes(
            Sha256::digest(salt.as_bytes())[..2]
                .try_into()
                .unwrap_or([0, 0]),
        ) & 0x3ff,
    );
    let n = ((micros.max(0) as u64 & ((1 << 53) - 1)) << 10) | clock;
    (0..13)
        .rev()
        .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
        .collect()
}
