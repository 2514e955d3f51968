//! The decision whether a receipt may be charged: DESIGN.md's rules of a
//! charge 1-8, 11 and 12, from four records and the time. Pure: no I/O, no
//! clock (the caller passes `now`), no panics. Rules 9 and 10 need state and
//! live with the store.

pub mod atkey;
pub mod crypto;
pub mod repo;
pub mod service_auth;

use std::fmt;

use crate::records::json::{self, Value};
use crate::records::{
    Attestation, Job, Money, Nonce, PaymentAuthorization, RawRecord, Receipt, Record, RecordError,
    StrongRef, formats::Datetime, parse_record,
};

/// How far in the future a receipt's `completedAt` may lie: clocks differ.
pub const CLOCK_SKEW_SECONDS: i64 = 60;

macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        /// The stable code of each reason to refuse a charge.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }
            pub fn parse(s: &str) -> Option<Code> {
                match s { $($text => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    InvalidRecord => "invalid-record",
    CidMismatch => "cid-mismatch",
    RefMismatch => "ref-mismatch",
    JobOwnerMismatch => "job-owner-mismatch",
    AuthorizationOwnerMismatch => "authorization-owner-mismatch",
    AttestationOwnerMismatch => "attestation-owner-mismatch",
    WrongExchange => "wrong-exchange",
    ExchangeNotAllowed => "exchange-not-allowed",
    ProviderNotAccepted => "provider-not-accepted",
    TrustLevelNotAccepted => "trust-level-not-accepted",
    NoSignature => "no-signature",
    SignatureInvalid => "signature-invalid",
    AttestationSelfsigInvalid => "attestation-selfsig-invalid",
    AttestationWindow => "attestation-window",
    CompletedBeforeStarted => "completed-before-started",
    CompletedInFuture => "completed-in-future",
    CommitmentMismatch => "commitment-mismatch",
    ModelMismatch => "model-mismatch",
    TokensOverJobCeiling => "tokens-over-job-ceiling",
    CurrencyMismatch => "currency-mismatch",
    PriceOverJobCeiling => "price-over-job-ceiling",
    PriceOverAuthCeiling => "price-over-auth-ceiling",
    SessionBudgetExceeded => "session-budget-exceeded",
    AuthExpired => "auth-expired",
    JobCompletedAfterExpiry => "job-completed-after-expiry",
    UnknownScope => "unknown-scope",
    ProBonoNonzeroPrice => "pro-bono-nonzero-price",
    ProBonoNonzeroTokens => "pro-bono-nonzero-tokens",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The trust level every provider has here: no hardware attestation chain
/// is verified.
pub const TRUST_SELF_ATTESTED: &str = "self-attested";

/// Why a receipt may not be charged: a stable code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Rejection {
    pub code: Code,
    pub message: String,
}

fn reject<T>(code: Code, message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection {
        code,
        message: message.into(),
    })
}

impl From<RecordError> for Rejection {
    fn from(e: RecordError) -> Self {
        let code = match e {
            RecordError::Invalid(_) => Code::InvalidRecord,
            RecordError::CidMismatch { .. } => Code::CidMismatch,
        };
        Rejection {
            code,
            message: e.to_string(),
        }
    }
}

/// What an authorization allows, once its scope is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Consumed by exactly one charge.
    SingleJob,
    /// Any number of charges until expiry, their sum within `budget`.
    Session { budget: Money },
}

/// An accepted charge: everything the stateful rules (9, 10) and the ledger
/// need, taken from verified records only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The receipt's price; zero for pro-bono work.
    pub amount: Money,
    pub provider: String,
    pub requester: String,
    pub receipt: StrongRef,
    pub job: StrongRef,
    pub authorization: StrongRef,
    pub attestation: StrongRef,
    /// The authorization's nonce; consumption is keyed by (requester, nonce).
    pub nonce: Nonce,
    pub scope: Scope,
    pub ceiling: Money,
    pub authorization_expires_at: Datetime,
    pub completed_at: Datetime,
    /// Pro-bono work charges nothing and consumes nothing.
    pub pro_bono: bool,
    /// Whether the job names its providers (`acceptedProviders`, not
    /// empty), the receipt's among them. An open job names none: whether
    /// it is charged is the exchange's policy, not a rule of the charge.
    pub provider_named: bool,
    /// The computation the job names, whose terms split the charge.
    pub computation: Option<StrongRef>,
}

/// The four records of a charge, as submitted.
#[derive(Clone, Copy, Debug)]
pub struct RawBundle<'a> {
    pub job: &'a RawRecord,
    pub authorization: &'a RawRecord,
    pub attestation: &'a RawRecord,
    pub receipt: &'a RawRecord,
}

/// The four records of a charge, each valid against its lexicon.
#[derive(Clone, Copy, Debug)]
pub struct Bundle<'a> {
    pub job: &'a Record<Job>,
    pub authorization: &'a Record<PaymentAuthorization>,
    pub attestation: &'a Record<Attestation>,
    pub receipt: &'a Record<Receipt>,
}

/// Decides whether `exchange` may charge the receipt at `now`.
pub fn verify_charge(
    exchange: &str,
    now: Datetime,
    raw: RawBundle<'_>,
) -> Result<Charge, Rejection> {
    // A missing signature is its own, clearer, rejection than "is required".
    require_signature(raw.receipt, "receipt", "enclaveSignature")?;
    require_signature(raw.attestation, "attestation", "selfSignature")?;
    let job = parse_record::<Job>(raw.job, "job")?;
    let authorization = parse_record::<PaymentAuthorization>(raw.authorization, "authorization")?;
    let attestation = parse_record::<Attestation>(raw.attestation, "attestation")?;
    let receipt = parse_record::<Receipt>(raw.receipt, "receipt")?;
    verify_records(
        exchange,
        now,
        Bundle {
            job: &job,
            authorization: &authorization,
            attestation: &attestation,
            receipt: &receipt,
        },
    )
}

/// A missing or empty signature is its own rejection (`no-signature`). A
/// record that is not even an object is left to its lexicon
/// (`invalid-record`): it lacks more than a signature.
pub fn require_signature(raw: &RawRecord, root: &str, field: &str) -> Result<(), Rejection> {
    let Value::Object(record) = &raw.value else {
        return Ok(());
    };
    match record.get(field) {
        None | Some(Value::Null) => {
            reject(Code::NoSignature, format!("{root}.{field}: is missing"))
        }
        Some(Value::String(s)) if s.is_empty() => {
            reject(Code::NoSignature, format!("{root}.{field}: is empty"))
        }
        _ => Ok(()),
    }
}

/// The bytes a receipt's `enclaveSignature` covers.
pub fn receipt_signing_input(value: &Value) -> Vec<u8> {
    signing_input(
        value,
        &["enclaveSignature", "$type", "brokerageCountersignature"],
    )
}

/// The bytes an attestation's `selfSignature` covers.
pub fn attestation_signing_input(value: &Value) -> Vec<u8> {
    signing_input(value, &["selfSignature", "$type"])
}

fn signing_input(value: &Value, without: &[&str]) -> Vec<u8> {
    match value {
        Value::Object(map) => {
            let mut m = map.clone();
            for k in without {
                m.remove(*k);
            }
            json::to_canonical(&Value::Object(m))
        }
        other => json::to_canonical(other),
    }
}

fn check_ref(
    name: &str,
    reference: &StrongRef,
    uri: &crate::records::formats::AtUri,
    cid: crate::records::cid::Cid,
) -> Result<(), Rejection> {
    if &reference.uri != uri {
        return reject(
            Code::RefMismatch,
            format!(
                "{name}.uri names {} but the record supplied is {uri}",
                reference.uri
            ),
        );
    }
    if reference.cid != cid {
        return reject(
            Code::CidMismatch,
            format!(
                "{name}.cid is {} but the record {uri} has CID {cid}",
                reference.cid
            ),
        );
    }
    Ok(())
}

/// What an attestation says of itself, checked once: its `publicKey`
/// parses, and its `selfSignature` verifies under it. Both depend on the
/// attestation's bytes alone, so the result holds for its CID.
#[derive(Clone, Debug)]
pub struct AttestationCheck {
    pub key: Result<crypto::VerifyingKey, Rejection>,
    pub self_signature: Result<(), Rejection>,
}

pub fn check_attestation(attestation: &Record<Attestation>) -> AttestationCheck {
    let key = crypto::parse_public_key(&attestation.data.public_key).map_err(|e| Rejection {
        code: Code::InvalidRecord,
        message: format!("attestation.publicKey: {e}"),
    });
    let self_signature = match &key {
        Ok(key) => crypto::verify_b64_der(
            key,
            &attestation_signing_input(&attestation.value),
            &attestation.data.self_signature,
        )
        .map_err(|e| Rejection {
            code: Code::AttestationSelfsigInvalid,
            message: format!("attestation.selfSignature: {e}"),
        }),
        Err(e) => Err(e.clone()),
    };
    AttestationCheck {
        key,
        self_signature,
    }
}

/// Rules 1-8 and 11 over records that passed their lexicons.
pub fn verify_records(exchange: &str, now: Datetime, b: Bundle<'_>) -> Result<Charge, Rejection> {
    let check = check_attestation(b.attestation);
    verify_records_checked(exchange, now, b, &check)
}

/// [`verify_records`], given the attestation's own check (which a caller
/// may have kept from an earlier charge under the same attestation).
pub fn verify_records_checked(
    exchange: &str,
    now: Datetime,
    b: Bundle<'_>,
    attestation: &AttestationCheck,
) -> Result<Charge, Rejection> {
    let (job, auth, att, rcpt) = (
        &b.job.data,
        &b.authorization.data,
        &b.attestation.data,
        &b.receipt.data,
    );

    // Rule 4 first: a receipt or attestation that is not what its key
    // signed is a forgery, and no other property of it means anything.
    let key = attestation.key.clone()?;
    if let Err(e) = crypto::verify_b64_der(
        &key,
        &receipt_signing_input(&b.receipt.value),
        &rcpt.enclave_signature,
    ) {
        return reject(
            Code::SignatureInvalid,
            format!("receipt.enclaveSignature: {e} against attestation.publicKey"),
        );
    }
    attestation.self_signature.clone()?;

    // Rule 1: each strong reference names exactly the record supplied.
    check_ref("receipt.job", &rcpt.job, &b.job.uri, b.job.cid)?;
    check_ref(
        "job.paymentAuthorization",
        &job.payment_authorization,
        &b.authorization.uri,
        b.authorization.cid,
    )?;
    check_ref(
        "receipt.attestation",
        &rcpt.attestation,
        &b.attestation.uri,
        b.attestation.cid,
    )?;

    // Rule 2: who owns what.
    let requester = b.job.owner();
    let provider = b.receipt.owner();
    if rcpt.requester != requester {
        return reject(
            Code::JobOwnerMismatch,
            format!(
                "receipt.requester is {} but the job belongs to {requester}",
                rcpt.requester
            ),
        );
    }
    if b.authorization.owner() != requester {
        return reject(
            Code::AuthorizationOwnerMismatch,
            format!(
                "the authorization belongs to {} but the job to {requester}",
                b.authorization.owner()
            ),
        );
    }
    if b.attestation.owner() != provider {
        return reject(
            Code::AttestationOwnerMismatch,
            format!(
                "the attestation belongs to {} but the receipt to {provider}",
                b.attestation.owner()
            ),
        );
    }

    // Rule 3: this exchange, this provider.
    if auth.exchange != exchange {
        return reject(
            Code::WrongExchange,
            format!(
                "authorization.exchange is {} but this exchange is {exchange}",
                auth.exchange
            ),
        );
    }
    if let Some(allowed) = &job.accepted_exchanges
        && !allowed.iter().any(|d| d == exchange)
    {
        return reject(
            Code::ExchangeNotAllowed,
            format!("job.acceptedExchanges does not include {exchange}"),
        );
    }
    if let Some(allowed) = &job.accepted_providers
        && !allowed.is_empty()
        && !allowed.iter().any(|d| d == provider)
    {
        return reject(
            Code::ProviderNotAccepted,
            format!("job.acceptedProviders does not include {provider}"),
        );
    }

    // The provider's trust level must meet the job's minimum. The engine
    // verifies no hardware attestation chain, so every provider counts as
    // `self-attested`: a job that demands more (or a level nobody knows)
    // cannot be charged here.
    if job.accepted_trust_level != TRUST_SELF_ATTESTED {
        return reject(
            Code::TrustLevelNotAccepted,
            format!(
                "job.acceptedTrustLevel is {:?} but the provider is {TRUST_SELF_ATTESTED:?}: \
                 this exchange verifies no hardware attestation",
                job.accepted_trust_level
            ),
        );
    }

    // Rule 9, the part that needs no state: the scope must be one we know.
    let scope = match auth.scope.as_str() {
        "singleJob" => Scope::SingleJob,
        "session" => match &auth.session_budget {
            Some(budget) => Scope::Session {
                budget: budget.clone(),
            },
            None => {
                return reject(
                    Code::InvalidRecord,
                    "authorization.sessionBudget: is required when scope is session",
                );
            }
        },
        other => {
            return reject(
                Code::UnknownScope,
                format!("authorization.scope {other:?} is not singleJob or session"),
            );
        }
    };

    // Rule 4, time windows.
    if rcpt.completed_at < att.attested_at || rcpt.completed_at > att.expires_at {
        return reject(
            Code::AttestationWindow,
            format!(
                "receipt.completedAt {} is outside the attestation's window [{}, {}]",
                rcpt.completed_at, att.attested_at, att.expires_at
            ),
        );
    }
    if rcpt.completed_at < rcpt.started_at {
        return reject(
            Code::CompletedBeforeStarted,
            format!(
                "receipt.completedAt {} is before startedAt {}",
                rcpt.completed_at, rcpt.started_at
            ),
        );
    }
    if rcpt.completed_at > now.plus_seconds(CLOCK_SKEW_SECONDS) {
        return reject(
            Code::CompletedInFuture,
            format!(
                "receipt.completedAt {} is after now ({now})",
                rcpt.completed_at
            ),
        );
    }

    // Rules 5 and 6: the work is the job's work.
    if rcpt.input_commitment != job.input_commitment {
        return reject(
            Code::CommitmentMismatch,
            "receipt.inputCommitment differs from job.inputCommitment",
        );
    }
    if rcpt.model != job.model {
        return reject(
            Code::ModelMismatch,
            format!(
                "receipt.model {:?} differs from job.model {:?}",
                rcpt.model, job.model
            ),
        );
    }
    if rcpt.tokens.output > job.max_tokens_out {
        return reject(
            Code::TokensOverJobCeiling,
            format!(
                "receipt.tokens.out {} exceeds job.maxTokensOut {}",
                rcpt.tokens.output, job.max_tokens_out
            ),
        );
    }

    // Rule 11: pro-bono work is free.
    if rcpt.pro_bono {
        if rcpt.price.amount != 0 {
            return reject(
                Code::ProBonoNonzeroPrice,
                format!(
                    "receipt.price.amount is {} on a pro-bono receipt",
                    rcpt.price.amount
                ),
            );
        }
        if rcpt.tokens.input != 0 || rcpt.tokens.output != 0 {
            return reject(
                Code::ProBonoNonzeroTokens,
                "receipt.tokens must be {in: 0, out: 0} on a pro-bono receipt",
            );
        }
    }

    // Rule 7: one currency throughout, price within both ceilings.
    let currency = &rcpt.price.currency;
    for (name, money) in [
        ("job.priceCeiling", Some(&job.price_ceiling)),
        ("authorization.ceiling", Some(&auth.ceiling)),
        (
            "authorization.sessionBudget",
            match &scope {
                Scope::Session { budget } => Some(budget),
                Scope::SingleJob => None,
            },
        ),
    ] {
        if let Some(m) = money
            && &m.currency != currency
        {
            return reject(
                Code::CurrencyMismatch,
                format!(
                    "receipt.price.currency is {currency} but {name}.currency is {}",
                    m.currency
                ),
            );
        }
    }
    if rcpt.price.amount > job.price_ceiling.amount {
        return reject(
            Code::PriceOverJobCeiling,
            format!(
                "receipt.price.amount {} exceeds job.priceCeiling.amount {}",
                rcpt.price.amount, job.price_ceiling.amount
            ),
        );
    }
    if rcpt.price.amount > auth.ceiling.amount {
        return reject(
            Code::PriceOverAuthCeiling,
            format!(
                "receipt.price.amount {} exceeds authorization.ceiling.amount {}",
                rcpt.price.amount, auth.ceiling.amount
            ),
        );
    }
    if let Scope::Session { budget } = &scope
        && rcpt.price.amount > budget.amount
    {
        return reject(
            Code::SessionBudgetExceeded,
            format!(
                "receipt.price.amount {} exceeds authorization.sessionBudget.amount {}",
                rcpt.price.amount, budget.amount
            ),
        );
    }

    // Rule 8: an authorization is valid strictly before its expiresAt; the
    // work must be done by the job's expiresAt.
    if now >= auth.expires_at {
        return reject(
            Code::AuthExpired,
            format!("authorization expired at {} (now {now})", auth.expires_at),
        );
    }
    if rcpt.completed_at > job.expires_at {
        return reject(
            Code::JobCompletedAfterExpiry,
            format!(
                "receipt.completedAt {} is after job.expiresAt {}",
                rcpt.completed_at, job.expires_at
            ),
        );
    }

    Ok(Charge {
        amount: rcpt.price.clone(),
        provider: provider.to_owned(),
        requester: requester.to_owned(),
        receipt: b.receipt.strong_ref(),
        job: b.job.strong_ref(),
        authorization: b.authorization.strong_ref(),
        attestation: b.attestation.strong_ref(),
        nonce: auth.nonce.clone(),
        scope,
        ceiling: auth.ceiling.clone(),
        authorization_expires_at: auth.expires_at,
        completed_at: rcpt.completed_at,
        pro_bono: rcpt.pro_bono,
        provider_named: job
            .accepted_providers
            .as_ref()
            .is_some_and(|a| !a.is_empty()),
        computation: job.computation.clone(),
    })
}
