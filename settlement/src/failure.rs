//! A refusal or an error of a use case, with the stable code clients
//! branch on and the kind the HTTP edge maps to a status. Every lower
//! layer's error (a charge rule, the store, the ledger, record
//! authenticity) becomes a [`Failure`] here, in one place.

use crate::authorize::Refusal;
use crate::identity::AuthenticityError;
use crate::store::StoreError;
use crate::verify::Rejection;

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
    /// The body did not arrive within its time limit (408).
    BodyTimeout,
    /// Too many requests of this kind from this client: retry later (429).
    TooManyRequests,
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

    /// A proof from commit `rev` of `uri`'s repository, older than commit
    /// `newest` already seen there: 422 `stale-proof`.
    pub fn stale_proof(uri: &str, rev: &str, newest: &str) -> Failure {
        let did = crate::records::formats::AtUri::parse(uri)
            .map(|u| u.did().to_owned())
            .unwrap_or_default();
        Failure::new(
            FailureKind::Rejected,
            "stale-proof",
            format!(
                "the proof of {uri} is from commit {rev}, older than commit {newest} of {did} already \
                 seen: fetch a current proof"
            ),
        )
    }

    /// A record's `uri` that is not an AT URI of a record: 422
    /// `invalid-record`.
    pub fn not_a_record_uri() -> Failure {
        Failure::new(
            FailureKind::Rejected,
            "invalid-record",
            "uri: must be an AT URI of a record (at://DID/COLLECTION/RKEY)",
        )
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
            StoreError::Refused(r) => r.into(),
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

impl From<crate::computation::Refusal> for Failure {
    fn from(r: crate::computation::Refusal) -> Self {
        Failure::new(FailureKind::Rejected, r.code, r.error.to_string())
    }
}

impl From<AuthenticityError> for Failure {
    fn from(e: AuthenticityError) -> Self {
        Failure::new(FailureKind::Rejected, e.code(), e.to_string())
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        use FailureKind::*;
        match r {
            Refusal::AuthorizationConsumed(m) => {
                Failure::new(Rejected, "authorization-already-consumed", m)
            }
            Refusal::SessionBudgetExceeded(m) => {
                Failure::new(Rejected, "session-budget-exceeded", m)
            }
            Refusal::AuthorizationRevoked(m) => Failure::new(Rejected, "authorization-revoked", m),
            Refusal::AmountOutOfRange(_) => {
                Failure::new(Rejected, "amount-out-of-range", r.to_string())
            }
            Refusal::SplitMismatch(m) => Failure::new(Internal, "internal", m),
            Refusal::Invalid(e) => StoreError::Ledger(e).into(),
        }
    }
}
