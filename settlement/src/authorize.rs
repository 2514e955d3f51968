//! Authorize: a charge against its authorization (rule 9) and the money
//! it moves. Pure: it decides from the authorization's recorded state and
//! returns the ledger operations; the store reads, locks and writes.
//!
//! The first charge of an authorization needs funds for the whole promise
//! (the price and, for a session, the rest of its budget, held until the
//! authorization expires), so one deposit never backs two promises.

use ledger::{AccountFlags, Currency, NewAccount, NewHold, NewTransfer, Op, Reference, VoidHold};
use sha2::{Digest, Sha256};

use crate::accounts::{self, code, new_account, short_hash};
use crate::computation::Part;
use crate::inference::evidence::Evidence;
use crate::records::NSID_SETTLEMENT;
use crate::records::formats::{Micros, tid};
use crate::records::json::Value;
use crate::verify::{Charge, Scope};

/// A charge the authorization's state refuses, or one the ledger cannot
/// hold.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A singleJob authorization already charged, or a nonce already
    /// bound to another authorization of the requester.
    #[error("{0}")]
    AuthorizationConsumed(String),
    #[error("{0}")]
    SessionBudgetExceeded(String),
    /// The requester deleted the authorization from its repository.
    #[error("{0}")]
    AuthorizationRevoked(String),
    /// A split whose parts do not add up (never from `computation`).
    #[error("{0}")]
    SplitMismatch(String),
    #[error("amount {0} is beyond what the ledger holds (2^63 - 1)")]
    AmountOutOfRange(u64),
    /// A currency or reference the ledger does not take.
    #[error("ledger: {0}")]
    Invalid(#[from] ledger::Error),
}

/// Everything a charge writes, decided before the transaction starts.
#[derive(Clone, Debug)]
pub struct SettlePlan {
    pub charge: Charge,
    pub fee_minor: u64,
    /// Where the settlement record lives on the first attempt; a retry
    /// after a clash of record keys takes [`SettlePlan::uri_for_attempt`].
    pub settlement_uri: String,
    pub settlement_cid: String,
    pub settlement_value: Value,
    pub exchange_did: String,
    pub now: Micros,
    /// The provider's share split among a computation's payees, in
    /// declaration order (empty: all of it to the receipt's provider).
    pub parts: Vec<Part>,
    /// The proof of inference and its verdict, when the receipt needed
    /// one: written with the settlement, and a hold keeps the provider's
    /// share out of payouts.
    pub evidence: Option<Evidence>,
}

impl SettlePlan {
    /// The settlement's URI for attempt `n` (1-based). The record key is a
    /// TID of the settlement time; its 10-bit clock id comes from the
    /// receipt and, after the first attempt, the attempt number, which also
    /// moves the time forward by up to about a second, so settlements made
    /// in the same microsecond whose keys clash get different keys when the
    /// loser runs again. The URI is not covered by the record's signature
    /// or CID, so changing it changes nothing else.
    pub fn uri_for_attempt(&self, n: usize) -> String {
        if n <= 1 {
            return self.settlement_uri.clone();
        }
        // Another clock id alone leaves 1024 keys per microsecond, too few
        // when many settlements share one (a batch, a fixed clock): also
        // move the time forward by up to about a second.
        let salt = format!("{}#{n}", self.charge.receipt.uri);
        let h = Sha256::digest(salt.as_bytes());
        let offset = i64::from(u32::from_be_bytes([0, h[2], h[3], h[4]]) & 0xf_ffff) + 1;
        format!(
            "at://{}/{}/{}",
            self.exchange_did,
            NSID_SETTLEMENT,
            tid(self.now.saturating_add(offset), &salt)
        )
    }
}

/// Where an authorization stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationState {
    pub requester: String,
    pub nonce: String,
    pub authorization_uri: String,
    pub authorization_cid: String,
    pub scope: String,
    pub currency: String,
    pub limit_minor: i64,
    pub charged_minor: i64,
    pub charges: i64,
    pub consumed: bool,
    pub hold_id: Option<String>,
    pub expires_at: Micros,
    /// The requester deleted the authorization from its repository.
    pub revoked: bool,
}

/// The state of an authorization nothing was charged against yet.
pub fn unused_authorization(plan: &SettlePlan) -> Result<AuthorizationState, Refusal> {
    let ch = &plan.charge;
    let (limit, scope) = match &ch.scope {
        Scope::SingleJob => (ch.ceiling.amount, "singleJob"),
        Scope::Session { budget } => (budget.amount, "session"),
    };
    Ok(AuthorizationState {
        requester: ch.requester.clone(),
        nonce: ch.nonce.as_str().to_owned(),
        authorization_uri: ch.authorization.uri.to_string(),
        authorization_cid: ch.authorization.cid.to_string(),
        scope: scope.to_owned(),
        currency: ch.amount.currency.clone(),
        limit_minor: to_i64(limit)?,
        charged_minor: 0,
        charges: 0,
        consumed: false,
        hold_id: None,
        expires_at: ch.authorization_expires_at.unix_micros(),
        revoked: false,
    })
}

/// Rule 9 against the authorization's recorded state.
pub fn check_consumption(state: &AuthorizationState, ch: &Charge) -> Result<(), Refusal> {
    if state.revoked && state.authorization_uri == ch.authorization.uri.as_str() {
        return Err(Refusal::AuthorizationRevoked(format!(
            "authorization {} was deleted from {}'s repository: it is revoked",
            state.authorization_uri, state.requester
        )));
    }
    if state.authorization_uri != ch.authorization.uri.as_str()
        || state.authorization_cid != ch.authorization.cid.to_string()
    {
        return Err(Refusal::AuthorizationConsumed(format!(
            "nonce {} of {} was already used by authorization {}",
            ch.nonce.as_str(),
            ch.requester,
            state.authorization_uri
        )));
    }
    if state.consumed {
        return Err(Refusal::AuthorizationConsumed(format!(
            "singleJob authorization {} was already consumed",
            state.authorization_uri
        )));
    }
    let amount = i64::try_from(ch.amount.amount).unwrap_or(i64::MAX);
    if state.charged_minor.saturating_add(amount) > state.limit_minor {
        return Err(Refusal::SessionBudgetExceeded(format!(
            "charging {amount} would bring authorization {} to {} of its budget {}",
            state.authorization_uri,
            state.charged_minor.saturating_add(amount),
            state.limit_minor
        )));
    }
    Ok(())
}

/// The accounts a charge touches, opened if absent (opening is idempotent).
pub fn charge_accounts(plan: &SettlePlan, currency: &Currency) -> Vec<NewAccount> {
    let c = currency.as_str();
    let ch = &plan.charge;
    let payee = |did: &str| {
        new_account(
            accounts::provider(did, c),
            currency,
            "provider-payable",
            accounts::owner(did),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        )
    };
    let mut out = vec![
        new_account(
            accounts::requester(&ch.requester, c),
            currency,
            "requester",
            accounts::owner(&ch.requester),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
        payee(&ch.provider),
        new_account(
            accounts::escrow(c),
            currency,
            "escrow",
            accounts::owner(&plan.exchange_did),
            AccountFlags::NONE,
        ),
        new_account(
            accounts::fees(c),
            currency,
            "exchange-fees",
            accounts::owner(&plan.exchange_did),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
    ];
    for (i, p) in plan.parts.iter().enumerate() {
        if p.did != ch.provider && !plan.parts[..i].iter().any(|q| q.did == p.did) {
            out.push(payee(&p.did));
        }
    }
    out
}

/// The ledger operations of one charge: release the authorization's
/// current hold, pay the provider and the fee from the requester, and hold
/// what is left of a session's budget until the authorization expires.
/// The first charge of an authorization thereby needs funds for the whole
/// promise (price + rest of the budget): one deposit never backs two.
pub fn charge_ops(
    plan: &SettlePlan,
    state: &AuthorizationState,
) -> Result<(Vec<Op>, Option<String>), Refusal> {
    let ch = &plan.charge;
    let c = ch.amount.currency.as_str();
    let currency = Currency::new(c)?;
    let amount = to_i64(ch.amount.amount)?;
    let fee = to_i64(plan.fee_minor)?;
    let receipt_key = short_hash(&[ch.receipt.uri.as_str()]);
    let reference = Some(Reference::new(ch.receipt.uri.as_str())?);
    let requester = accounts::requester(&ch.requester, c);
    let mut ops = Vec::with_capacity(4);
    if let Some(hold) = &state.hold_id {
        ops.push(Op::Void(VoidHold {
            id: accounts::id(&format!("void:{hold}")),
            hold_id: accounts::id(hold),
            code: code("authorization-rehold"),
            reference: reference.clone(),
        }));
    }
    if plan.parts.is_empty() && amount - fee > 0 {
        ops.push(Op::Transfer(NewTransfer {
            id: accounts::id(&format!("charge:{receipt_key}")),
            debit_account: requester.clone(),
            credit_account: accounts::provider(&ch.provider, c),
            amount_minor: amount - fee,
            currency: currency.clone(),
            code: code("charge"),
            reference: reference.clone(),
        }));
    }
    // A split charge: one transfer per part, to each payee's payable.
    if !plan.parts.is_empty() {
        let total: u64 = plan.parts.iter().map(|p| p.amount).sum();
        if to_i64(total)? != amount - fee {
            return Err(Refusal::SplitMismatch(format!(
                "the parts add up to {total}, not the charge less the fee ({})",
                amount - fee
            )));
        }
    }
    for (i, p) in plan.parts.iter().enumerate().filter(|(_, p)| p.amount > 0) {
        ops.push(Op::Transfer(NewTransfer {
            id: accounts::id(&format!("charge:{receipt_key}:{i}")),
            debit_account: requester.clone(),
            credit_account: accounts::provider(&p.did, c),
            amount_minor: to_i64(p.amount)?,
            currency: currency.clone(),
            code: code("charge-part"),
            reference: reference.clone(),
        }));
    }
    if fee > 0 {
        ops.push(Op::Transfer(NewTransfer {
            id: accounts::id(&format!("fee:{receipt_key}")),
            debit_account: requester.clone(),
            credit_account: accounts::fees(c),
            amount_minor: fee,
            currency: currency.clone(),
            code: code("exchange-fee"),
            reference: reference.clone(),
        }));
    }
    let mut new_hold = None;
    if let Scope::Session { .. } = ch.scope {
        let rest = state.limit_minor - state.charged_minor - amount;
        if rest > 0 {
            let hold_id = format!(
                "hold:{}:{}",
                short_hash(&[&state.requester, &state.nonce]),
                state.charges + 1
            );
            ops.push(Op::Hold(NewHold {
                id: accounts::id(&hold_id),
                debit_account: requester,
                credit_account: accounts::escrow(c),
                amount_minor: rest,
                currency,
                code: code("authorization-hold"),
                reference: Some(Reference::new(state.authorization_uri.as_str())?),
                expires_at_us: state.expires_at,
            }));
            new_hold = Some(hold_id);
        }
    }
    Ok((ops, new_hold))
}

pub fn to_i64(v: u64) -> Result<i64, Refusal> {
    i64::try_from(v).map_err(|_| Refusal::AmountOutOfRange(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Scenario;

    #[test]
    fn a_retry_takes_another_record_key() {
        let sealed = Scenario::default().seal();
        let charge =
            crate::verify::verify_charge(&sealed.exchange, sealed.now, sealed.bundle()).unwrap();
        let plan = SettlePlan {
            settlement_uri:
                "at://did:web:exchange.example/dev.cocore.compute.settlement/3aaaaaaaaaaaa".into(),
            charge,
            fee_minor: 6,
            settlement_cid: String::new(),
            settlement_value: Value::Null,
            exchange_did: "did:web:exchange.example".into(),
            now: 1_795_255_200_000_000,
            parts: Vec::new(),
            evidence: None,
        };
        assert_eq!(plan.uri_for_attempt(1), plan.settlement_uri);
        let keys: std::collections::BTreeSet<String> =
            (1..=10).map(|n| plan.uri_for_attempt(n)).collect();
        assert_eq!(keys.len(), 10);
        for k in &keys {
            let uri = crate::records::formats::AtUri::parse(k).expect("a record URI");
            assert!(crate::records::formats::is_tid(uri.rkey()), "{k}");
        }
    }

    /// Thousands of settlements in one microsecond (a fixed clock, a busy
    /// batch) all find a key within the retry limit, although one
    /// microsecond holds only 1024 keys.
    #[test]
    fn many_settlements_in_one_microsecond_all_get_keys() {
        let sealed = Scenario::default().seal();
        let charge =
            crate::verify::verify_charge(&sealed.exchange, sealed.now, sealed.bundle()).unwrap();
        let mut used = std::collections::HashSet::new();
        for i in 0..3000 {
            let mut charge = charge.clone();
            let uri = format!(
                "at://{}/{}/r{i}",
                crate::testkit::PROVIDER,
                crate::records::NSID_RECEIPT
            );
            charge.receipt.uri = crate::records::formats::AtUri::parse(&uri).unwrap();
            let plan = SettlePlan {
                settlement_uri: format!(
                    "at://did:web:exchange.example/{}/{}",
                    crate::records::NSID_SETTLEMENT,
                    tid(1_795_255_200_000_000, &uri)
                ),
                charge,
                fee_minor: 6,
                settlement_cid: String::new(),
                settlement_value: Value::Null,
                exchange_did: "did:web:exchange.example".into(),
                now: 1_795_255_200_000_000,
                parts: Vec::new(),
                evidence: None,
            };
            let found = (1..=ledger::RETRY_LIMIT)
                .map(|n| plan.uri_for_attempt(n))
                .find(|k| !used.contains(k));
            used.insert(found.unwrap_or_else(|| panic!("receipt {i} found no free key")));
        }
    }
}
