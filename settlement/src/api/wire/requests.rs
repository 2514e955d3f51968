//! The shapes of request bodies, for the OpenAPI document only: every
//! body is parsed by the strict parser in its handler (never by serde),
//! which is what `verify` reasons about. Each shape here says what that
//! parser accepts.
#![allow(dead_code)]

use utoipa::ToSchema;

use super::Money;

/// A record to store, with its value as JSON (development mode) or its
/// proof as a CAR (`application/vnd.ipld.car`).
#[derive(ToSchema)]
pub(in crate::api) struct RecordPost {
    #[schema(format = "at-uri")]
    uri: String,
    cid: Option<String>,
    #[schema(value_type = Object)]
    value: (),
}

/// Bytes as they are (a CAR, a proof).
#[derive(ToSchema)]
#[schema(format = Binary)]
pub(in crate::api) struct Binary(String);

/// The receipt to charge.
#[derive(ToSchema)]
pub(in crate::api) struct SettleRequest {
    #[schema(format = "at-uri")]
    receipt: String,
}

/// An operator's deposit.
#[derive(ToSchema)]
pub(in crate::api) struct DepositRequest {
    /// Idempotency id.
    id: String,
    requester: String,
    amount: Money,
}

/// Where a provider is paid: an address (paid directly with
/// transferWithAuthorization) or its x402 payout URL.
#[derive(ToSchema)]
pub(in crate::api) struct DestinationRequest {
    /// Paid directly (transferWithAuthorization).
    #[schema(pattern = "^0x[0-9a-fA-F]{40}$")]
    address: Option<String>,
    /// The provider's x402 payout URL.
    x402: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub(in crate::api) enum DisputeCategory {
    Fraud,
    NonDelivery,
    QualityFailure,
    ProcessorChargeback,
    DuplicateCharge,
    Other,
}

#[derive(ToSchema)]
pub(in crate::api) struct DisputeReason {
    category: DisputeCategory,
    #[schema(max_length = 2048)]
    detail: Option<String>,
}

/// A requester's dispute of one of her settlements.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(in crate::api) struct DisputeRequest {
    #[schema(format = "at-uri")]
    settlement: String,
    reason: DisputeReason,
    evidence_cid: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub(in crate::api) enum VerdictKind {
    RefundFull,
    RefundPartial,
    UpholdCharge,
    ForfeitPayout,
}

/// The operator's verdict on a dispute.
#[derive(ToSchema)]
pub(in crate::api) struct ResolveRequest {
    verdict: VerdictKind,
    /// Minor units (refund-partial only).
    #[schema(minimum = 1)]
    amount: Option<i64>,
    #[schema(max_length = 2048)]
    rationale: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(in crate::api) enum HoldAction {
    Release,
    Refund,
    Reverify,
}

/// What to do with a share held for a proof's verdict.
#[derive(ToSchema)]
pub(in crate::api) struct HoldRequest {
    #[schema(format = "at-uri")]
    settlement: String,
    action: HoldAction,
}

/// A compute contract to accept: the requester's acceptance and the
/// authorization that pays for it.
#[derive(ToSchema)]
pub(in crate::api) struct AcceptRequest {
    #[schema(format = "at-uri")]
    ccba: String,
    #[schema(format = "at-uri")]
    authorization: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(in crate::api) enum TrustMode {
    Vouched,
    Network,
    Open,
}

/// A requester's trust policy.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(in crate::api) struct PolicyRequest {
    mode: TrustMode,
    #[schema(minimum = 1, maximum = 4)]
    hops: Option<i64>,
    heed_vouchees: Option<bool>,
}
