//! The kinds a payout row is made of: its rail, its destination and its
//! states.

use super::StoreError;
use crate::records::formats::Micros;

/// How a provider is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rail {
    /// The exchange submits `transferWithAuthorization` itself.
    Direct,
    /// The provider's x402 endpoint takes the signed authorization and its
    /// facilitator settles it.
    X402,
}

impl Rail {
    pub fn as_str(self) -> &'static str {
        match self {
            Rail::Direct => "direct",
            Rail::X402 => "x402",
        }
    }

    pub(super) fn parse(s: &str) -> Result<Rail, StoreError> {
        match s {
            "direct" => Ok(Rail::Direct),
            "x402" => Ok(Rail::X402),
            other => Err(StoreError::Corrupt(format!("unknown rail {other:?}"))),
        }
    }
}

/// Where a provider's payouts go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub provider: String,
    pub rail: Rail,
    /// 0x-prefixed, lowercase (direct rail).
    pub address: Option<String>,
    /// The provider's x402 payout URL (x402 rail).
    pub url: Option<String>,
    pub updated_at: Micros,
    /// Payouts go here from this time on: a destination a provider
    /// changes waits out a cooling-off period first.
    pub effective_at: Micros,
}

/// A payout's state. Only forward moves exist, and `failed` returns the
/// money to the provider's payable balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PayoutState {
    Planned,
    Signed,
    Submitted,
    Confirmed,
    Failed,
}

impl PayoutState {
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutState::Planned => "planned",
            PayoutState::Signed => "signed",
            PayoutState::Submitted => "submitted",
            PayoutState::Confirmed => "confirmed",
            PayoutState::Failed => "failed",
        }
    }

    pub(super) fn parse(s: &str) -> Result<PayoutState, StoreError> {
        Ok(match s {
            "planned" => PayoutState::Planned,
            "signed" => PayoutState::Signed,
            "submitted" => PayoutState::Submitted,
            "confirmed" => PayoutState::Confirmed,
            "failed" => PayoutState::Failed,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "unknown payout state {other:?}"
                )));
            }
        })
    }

    pub fn is_final(self) -> bool {
        matches!(self, PayoutState::Confirmed | PayoutState::Failed)
    }
}
