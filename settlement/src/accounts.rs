//! The ledger accounts of the exchange: their ids, owners, kinds and
//! limits. DIDs can be long (up to 2048 bytes), so ids use a hash of the
//! DID; the owner keeps the DID when it fits. Pure: no I/O.

use ledger::{AccountFlags, Code, Currency, Id, NewAccount, Owner};
use sha2::{Digest, Sha256};

/// 20 bytes of SHA-256 over length-prefixed parts, in hex.
pub fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    crate::records::formats::lower_hex(&h.finalize()[..20])
}

pub fn owner(did: &str) -> Owner {
    Owner::new(did)
        .or_else(|_| Owner::new(format!("sha256:{}", short_hash(&[did]))))
        .expect("a hex owner is always valid")
}
/// A requester's funds: deposits in, charges and holds out.
pub fn requester(did: &str, currency: &str) -> Id {
    id(&format!("req:{}:{currency}", short_hash(&[did])))
}
/// What the exchange owes a provider (payable).
pub fn provider(did: &str, currency: &str) -> Id {
    id(&format!("prov:{}:{currency}", short_hash(&[did])))
}
/// The other side of authorization holds.
pub fn escrow(currency: &str) -> Id {
    id(&format!("escrow:{currency}"))
}
pub fn fees(currency: &str) -> Id {
    id(&format!("fees:{currency}"))
}
pub fn deposits(currency: &str) -> Id {
    id(&format!("deposits:{currency}"))
}
/// Money on its way to a provider: planned, signed or submitted payouts.
pub fn in_flight(currency: &str) -> Id {
    id(&format!("payouts:{currency}"))
}
/// Requesters' money on its way to the bidders of their compute
/// contracts: accepted, not yet confirmed on chain.
pub fn contracts(currency: &str) -> Id {
    id(&format!("contracts:{currency}"))
}
/// The on-chain treasury, as an asset: debited when tokens come in,
/// credited when a payout is confirmed.
pub fn treasury(currency: &str) -> Id {
    id(&format!("treasury:{currency}"))
}
/// Where treasury funding comes from (the operator's capital).
pub fn capital(currency: &str) -> Id {
    id(&format!("capital:{currency}"))
}

/// What a provider owes the exchange: refunds the exchange advanced after
/// the provider was paid. Debit-normal; recovered from its next payouts.
pub fn receivable(did: &str, currency: &str) -> Id {
    id(&format!("recv:{}:{currency}", short_hash(&[did])))
}
/// Providers' shares withheld by a `forfeit-payout` verdict.
pub fn forfeits(currency: &str) -> Id {
    id(&format!("forfeits:{currency}"))
}

/// The accounts a dispute's verdict moves money through, opened if absent.
pub fn reversal_accounts(
    provider: &str,
    currency: &Currency,
    exchange_did: &str,
) -> Vec<NewAccount> {
    let c = currency.as_str();
    vec![
        new_account(
            receivable(provider, c),
            currency,
            "provider-receivable",
            owner(provider),
            // Never credited beyond what the provider owes.
            AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
        ),
        new_account(
            forfeits(c),
            currency,
            "forfeits",
            owner(exchange_did),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
    ]
}

/// An id built by this module's schemes (short printable ASCII).
pub fn id(s: &str) -> Id {
    Id::new(s).expect("account ids are short printable ASCII")
}

/// A constant ledger code (kind of account or transfer).
pub fn code(s: &str) -> Code {
    Code::new(s).expect("constant codes are valid")
}

pub fn new_account(
    id: Id,
    currency: &Currency,
    kind: &str,
    owner: Owner,
    flags: AccountFlags,
) -> NewAccount {
    NewAccount {
        id,
        currency: currency.clone(),
        kind: code(kind),
        owner,
        flags,
    }
}

/// A requester's account: it never goes below zero.
pub fn requester_account(did: &str, currency: &Currency) -> NewAccount {
    new_account(
        requester(did, currency.as_str()),
        currency,
        "requester",
        owner(did),
        AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
    )
}

/// The accounts payouts move money through.
pub fn payout_accounts(currency: &Currency, exchange_did: &str) -> Vec<NewAccount> {
    let c = currency.as_str();
    vec![
        new_account(
            in_flight(c),
            currency,
            "payouts-in-flight",
            owner(exchange_did),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
        // No limit flag: the ledger must be able to record what the chain
        // did; a negative treasury is for `reconcile` to report.
        new_account(
            treasury(c),
            currency,
            "treasury",
            owner(exchange_did),
            AccountFlags::NONE,
        ),
        new_account(
            capital(c),
            currency,
            "capital",
            owner(exchange_did),
            AccountFlags::NONE,
        ),
    ]
}

/// The accounts a compute contract's payment moves money through, opened
/// if absent: the requester's, the fees' and the contracts in flight.
pub fn contract_accounts(
    requester: &str,
    currency: &Currency,
    exchange_did: &str,
) -> Vec<NewAccount> {
    let c = currency.as_str();
    vec![
        requester_account(requester, currency),
        new_account(
            fees(c),
            currency,
            "exchange-fees",
            owner(exchange_did),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
        new_account(
            contracts(c),
            currency,
            "contracts-in-flight",
            owner(exchange_did),
            AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        ),
    ]
}
