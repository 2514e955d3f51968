//! The exchange's use cases, between the HTTP edge and the store: accept a
//! record, charge a receipt, fund a requester. Each failure is a
//! [`Failure`] with a stable code; the HTTP layer only maps it to a status.

use std::sync::Arc;

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
use crate::store::{Put, SettlePlan, Settled, SettlementRow, Store, StoreError};
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
                _ => Failure::new(Internal, "internal", e.to_string()),
            },
            StoreError::Corrupt(_) => Failure::new(Internal, "internal", e.to_string()),
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
        let raw = RawRecord {
            uri: stored.uri,
            cid: Some(stored.cid),
            value: stored.value,
        };
        parse_record::<T>(&raw, root).map_err(|e| Failure::from(Rejection::from(e)))
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
        let receipt = self.load::<Receipt>(receipt_uri, "receipt").await?;
        if let Some(existing) = self.store.settlement_by_receipt(receipt_uri).await? {
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
        let charge = self.decide(&receipt, now).await?;
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
        match self.store.settle(&plan).await? {
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
        Ok(self.decide(&receipt, now).await)
    }

    /// Loads what the receipt names (its job, the job's authorization, the
    /// attestation) and decides the charge at `now` (rules 1-8, 11, 12).
    async fn decide(
        &self,
        receipt: &Record<Receipt>,
        now: Datetime,
    ) -> Result<verify::Charge, Failure> {
        let job = self
            .load::<Job>(receipt.data.job.uri.as_str(), "job")
            .await?;
        let attestation = self
            .load::<Attestation>(receipt.data.attestation.uri.as_str(), "attestation")
            .await?;
        let authorization = self
            .load::<PaymentAuthorization>(
                job.data.payment_authorization.uri.as_str(),
                "authorization",
            )
            .await?;
        Ok(verify::verify_records(
            &self.exchange.did,
            now,
            Bundle {
                job: &job,
                authorization: &authorization,
                attestation: &attestation,
                receipt,
            },
        )?)
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
