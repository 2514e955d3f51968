//! One error enum for every way a ledger operation can fail.
//!
//! Callers tell failures apart by variant or by [`Error::code`], a stable
//! kebab-case string safe to show to clients. The text of
//! [`Error::Database`] is for logs only: it may name tables and constraints.

/// Every failure of a ledger operation. Domain errors (everything except
/// [`Error::Database`]) are detected before the operation writes anything,
/// so a failed call leaves its transaction exactly as it found it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("insufficient funds on account {account} for transfer {transfer}")]
    InsufficientFunds { account: String, transfer: String },
    #[error("account {account} would have credits exceeding debits after transfer {transfer}")]
    CreditLimitExceeded { account: String, transfer: String },
    #[error(
        "currency mismatch on transfer {transfer}: account {account} is {account_currency}, transfer is {currency}"
    )]
    CurrencyMismatch {
        transfer: String,
        account: String,
        account_currency: String,
        currency: String,
    },
    #[error("hold {hold} expired and can no longer be resolved (transfer {transfer})")]
    HoldExpired { hold: String, transfer: String },
    #[error("hold {hold} is already resolved (transfer {transfer})")]
    HoldAlreadyResolved { hold: String, transfer: String },
    #[error("hold {hold} not found (transfer {transfer})")]
    HoldNotFound { hold: String, transfer: String },
    #[error("transfer {transfer} posts {amount_minor} but its hold {hold} is {hold_amount_minor}")]
    PostExceedsHold {
        transfer: String,
        hold: String,
        amount_minor: i64,
        hold_amount_minor: i64,
    },
    #[error("transfer id {transfer} was already used with different content")]
    IdempotencyConflict { transfer: String },
    #[error("account {account} not found")]
    AccountNotFound { account: String },
    #[error("account {account} already exists with different content")]
    AccountExists { account: String },
    #[error("transfer {transfer} debits and credits the same account")]
    SameAccount { transfer: String },
    #[error("invalid amount {amount_minor} on transfer {transfer}: must be > 0")]
    InvalidAmount { transfer: String, amount_minor: i64 },
    #[error("hold {transfer} expires at {expires_at_us}, not after now ({now_us})")]
    InvalidExpiry {
        transfer: String,
        expires_at_us: i64,
        now_us: i64,
    },
    #[error("invalid id {value:?}: {reason}")]
    InvalidId { value: String, reason: &'static str },
    #[error("invalid currency {value:?}: must be 3..=8 characters A-Z or 0-9")]
    InvalidCurrency { value: String },
    #[error("invalid flags: {reason}")]
    InvalidFlags { reason: &'static str },
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("batch of {len} operations is outside 1..={max}")]
    InvalidBatch { len: usize, max: usize },
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("arithmetic overflow on account {account} (transfer {transfer})")]
    Overflow { account: String, transfer: String },
    #[error("unsupported database url (expected sqlite:... or postgres://...)")]
    UnsupportedUrl,
    /// A failure of the database itself. The text is for logs, not clients.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable kebab-case code for this failure, safe to show to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InsufficientFunds { .. } => "insufficient-funds",
            Error::CreditLimitExceeded { .. } => "credit-limit-exceeded",
            Error::CurrencyMismatch { .. } => "currency-mismatch",
            Error::HoldExpired { .. } => "hold-expired",
            Error::HoldAlreadyResolved { .. } => "hold-already-resolved",
            Error::HoldNotFound { .. } => "hold-not-found",
            Error::PostExceedsHold { .. } => "post-exceeds-hold",
            Error::IdempotencyConflict { .. } => "idempotency-conflict",
            Error::AccountNotFound { .. } => "account-not-found",
            Error::AccountExists { .. } => "account-exists",
            Error::SameAccount { .. } => "same-account",
            Error::InvalidAmount { .. } => "invalid-amount",
            Error::InvalidExpiry { .. } => "invalid-expiry",
            Error::InvalidId { .. } => "invalid-id",
            Error::InvalidCurrency { .. } => "invalid-currency",
            Error::InvalidFlags { .. } => "invalid-flags",
            Error::InvalidField { .. } => "invalid-field",
            Error::InvalidBatch { .. } => "invalid-batch",
            Error::InvalidCursor => "invalid-cursor",
            Error::Overflow { .. } => "overflow",
            Error::UnsupportedUrl => "unsupported-url",
            Error::Database(_) => "database",
            Error::Migrate(_) => "migration",
        }
    }

    /// True when the whole transaction should be retried from the start:
    /// a serialization failure or deadlock (PostgreSQL), a unique-key race
    /// with a concurrent writer, or a busy/locked database (SQLite).
    /// The one-shot methods of [`crate::LedgerStore`] retry these
    /// internally up to [`crate::RETRY_LIMIT`] times; code that drives its
    /// own transaction ([`crate::LedgerStore::begin`]) must do the same.
    pub fn is_retryable(&self) -> bool {
        let Error::Database(sqlx::Error::Database(db)) = self else {
            return false;
        };
        match db.code().as_deref() {
            // PostgreSQL: serialization_failure, deadlock_detected, unique_violation.
            Some("40001") | Some("40P01") | Some("23505") => true,
            // SQLite: SQLITE_BUSY, SQLITE_LOCKED and their extended codes, and
            // SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE (a concurrent insert won).
            Some(c) => {
                let n: i64 = c.parse().unwrap_or(-1);
                matches!(n & 0xff, 5 | 6) || n == 1555 || n == 2067
            }
            None => false,
        }
    }
}
