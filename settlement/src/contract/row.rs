//! A contract as stored, and its states.

use crate::records::formats::Micros;
use crate::records::json::Value;

/// Where a contract stands. See `migrations/*/0014_contracts.sql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The requester's money moved to the contracts in flight; the
    /// treasury's authorization to the bidder is signed, perhaps sent.
    Accepted,
    /// A transaction that may pay it is known; not yet deep enough.
    Submitted,
    /// Paid on chain, `confirmations` deep; waiting for the receipt.
    Paid,
    /// The bidder's receipt over the contract is matched.
    Receipted,
    /// Paid, and no receipt by the deadline: flagged for a dispute.
    Expired,
    /// Never paid (the authorization expired or was canceled unused): the
    /// requester's money came back.
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Accepted => "accepted",
            State::Submitted => "submitted",
            State::Paid => "paid",
            State::Receipted => "receipted",
            State::Expired => "expired",
            State::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "accepted" => State::Accepted,
            "submitted" => State::Submitted,
            "paid" => State::Paid,
            "receipted" => State::Receipted,
            "expired" => State::Expired,
            "failed" => State::Failed,
            _ => return None,
        })
    }

    /// Whether the money is still on its way (the chain may yet move it).
    pub fn unpaid(self) -> bool {
        matches!(self, State::Accepted | State::Submitted)
    }
}

/// One contract.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractRow {
    pub seq: i64,
    pub id: String,
    pub ccba_uri: String,
    pub ccba_cid: String,
    pub rfp_uri: String,
    pub rfp_cid: String,
    pub bid_uri: String,
    pub bid_cid: String,
    pub requester: String,
    /// The bidder.
    pub provider: String,
    pub authorization_uri: String,
    pub currency: String,
    /// The bid's price, paid to the bidder.
    pub amount_minor: i64,
    /// The exchange's fee, on top of the price.
    pub fee_minor: i64,
    pub frequency: String,
    /// The price in token units, decimal.
    pub token_value: String,
    /// The bid's x402 URL, filled with the accept.
    pub url: String,
    /// The address the bidder's 402 named (0x, checksummed).
    pub pay_to: String,
    /// 0x + 64 hex: the EIP-3009 nonce.
    pub nonce: String,
    /// Unix seconds.
    pub valid_before: i64,
    /// 0x + 130 hex.
    pub signature: String,
    /// The policy's decision (canonical JSON object).
    pub decision: Value,
    pub state: State,
    pub tx_hash: Option<String>,
    /// The payment record (a `ccbap`) written once paid.
    pub payment_uri: Option<String>,
    pub payment_cid: Option<String>,
    pub payment_value: Option<Value>,
    pub ccr_uri: Option<String>,
    pub ccr_cid: Option<String>,
    /// A paid contract not receipted by then is expired.
    pub receipt_due: Micros,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

/// A forward move that moves no money.
#[derive(Clone, Debug, Default)]
pub struct Advance {
    pub tx_hash: Option<String>,
    pub error: Option<String>,
    pub count_attempt: bool,
}
