//! Disputes, proof verdicts and holds, compute contracts, trust policies
//! and publications, as answered.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Money, Raw, Record, datetime, money, record};
use crate::contract::row::ContractRow;
use crate::contract::trust::{Mode, Policy};
use crate::store::inference::VerdictRow;

/// A gate's verdict: the proof, the verifier's answer, and the hold.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct InferenceVerdict {
    #[schema(format = "at-uri")]
    pub receipt: String,
    pub proof: Record,
    pub verifier: String,
    pub hash_id: String,
    /// The verifier's `ResponseValue`.
    pub status: String,
    pub verdict: String,
    pub checked_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
}

pub(in crate::api) fn verdict(v: &VerdictRow) -> InferenceVerdict {
    let e = &v.evidence;
    InferenceVerdict {
        receipt: e.receipt_uri.clone(),
        proof: record(&e.proof_uri, &e.proof_cid, None),
        verifier: e.verifier.clone(),
        hash_id: e.hash_id.clone(),
        status: e.status.clone(),
        verdict: e.verdict.as_str().to_owned(),
        checked_at: datetime(e.checked_at),
        settlement: v.settlement_uri.clone(),
        hold: v.hold.map(|h| h.as_str().to_owned()),
        decided_at: v.decided_at.map(datetime),
    }
}

/// Shares held for a verdict, a page at a time.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct HoldPage {
    pub holds: Vec<InferenceVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A dispute: its record and where it stands.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct Dispute {
    pub id: String,
    #[schema(format = "at-uri")]
    pub uri: String,
    pub cid: String,
    #[schema(value_type = Object)]
    pub value: Raw,
    #[schema(format = "at-uri")]
    pub settlement: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

pub(in crate::api) fn dispute(d: &crate::dispute::DisputeRow) -> Dispute {
    Dispute {
        id: d.id.clone(),
        uri: d.uri.clone(),
        cid: d.cid.clone(),
        value: Raw(d.value.clone()),
        settlement: d.settlement_uri.clone(),
        status: d.status.as_str().to_owned(),
        verdict: d.verdict.as_ref().map(|v| v.as_str().to_owned()),
    }
}

/// One payee's part of a reversal.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct ReversalPart {
    pub index: i64,
    pub did: String,
    pub amount: Money,
    pub from_payable: Money,
    pub advanced: Money,
}

/// What a verdict moved back, with the refund record if there is one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct Reversal {
    pub kind: String,
    pub dispute: String,
    pub amount: Money,
    pub provider_share: Money,
    pub fee: Money,
    pub from_payable: Money,
    pub advanced: Money,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<ReversalPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<Record>,
}

pub(in crate::api) fn reversal(r: &crate::dispute::ReversalRow) -> Reversal {
    let c = r.currency.as_str();
    Reversal {
        kind: r.kind.as_str().to_owned(),
        dispute: r.dispute_id.clone(),
        amount: money(r.amount_minor, c),
        provider_share: money(r.provider_minor, c),
        fee: money(r.fee_minor, c),
        from_payable: money(r.from_payable_minor, c),
        advanced: money(r.provider_minor - r.from_payable_minor, c),
        parts: r
            .parts
            .iter()
            .map(|p| ReversalPart {
                index: p.idx,
                did: p.payee.clone(),
                amount: money(p.amount_minor, c),
                from_payable: money(p.from_payable_minor, c),
                advanced: money(p.amount_minor - p.from_payable_minor, c),
            })
            .collect(),
        refund: match (&r.uri, &r.cid) {
            (Some(uri), Some(cid)) => Some(record(uri, cid, r.value.as_ref())),
            _ => None,
        },
    }
}

/// A settlement's disputes and what their verdicts moved back.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct DisputeList {
    pub disputes: Vec<Dispute>,
    pub reversals: Vec<Reversal>,
}

/// A dispute decided, and what the verdict moved back if anything.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct Resolution {
    pub dispute: Dispute,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversal: Option<Reversal>,
}

/// A requester's trust policy (`default`: she set none).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct TrustPolicy {
    pub requester: String,
    /// `vouched`, `network` or `open`.
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hops: Option<i64>,
    pub heed_vouchees: bool,
    pub default: bool,
}

pub(in crate::api) fn trust_policy(did: &str, p: &Policy, set: bool) -> TrustPolicy {
    TrustPolicy {
        requester: did.to_owned(),
        mode: p.mode.as_str().to_owned(),
        hops: match p.mode {
            Mode::Network { hops } => Some(i64::from(hops)),
            _ => None,
        },
        heed_vouchees: p.heed_vouchees,
        default: !set,
    }
}

fn strong(uri: &str, cid: &str) -> Record {
    record(uri, cid, None)
}

/// A compute contract as clients see it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct Contract {
    pub id: String,
    pub state: String,
    pub requester: String,
    pub provider: String,
    pub rfp: Record,
    pub bid: Record,
    pub ccba: Record,
    #[schema(format = "at-uri")]
    pub authorization: String,
    pub price: Money,
    pub fee: Money,
    pub frequency: String,
    pub token_value: String,
    pub pay_to: String,
    /// Why the bidder was trusted (the trust policy's reasoning).
    #[schema(value_type = Object)]
    pub decision: Raw,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<Record>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ccr: Option<Record>,
    pub receipt_due: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub attempts: i64,
}

pub(in crate::api) fn contract(c: &ContractRow) -> Contract {
    Contract {
        id: c.id.clone(),
        state: c.state.as_str().to_owned(),
        requester: c.requester.clone(),
        provider: c.provider.clone(),
        rfp: strong(&c.rfp_uri, &c.rfp_cid),
        bid: strong(&c.bid_uri, &c.bid_cid),
        ccba: strong(&c.ccba_uri, &c.ccba_cid),
        authorization: c.authorization_uri.clone(),
        price: money(c.amount_minor, &c.currency),
        fee: money(c.fee_minor, &c.currency),
        frequency: c.frequency.clone(),
        token_value: c.token_value.clone(),
        pay_to: c.pay_to.clone(),
        decision: Raw(c.decision.clone()),
        transaction: c.tx_hash.clone(),
        payment: match (&c.payment_uri, &c.payment_cid) {
            (Some(u), Some(cid)) => Some(record(u, cid, c.payment_value.as_ref())),
            _ => None,
        },
        ccr: match (&c.ccr_uri, &c.ccr_cid) {
            (Some(u), Some(cid)) => Some(strong(u, cid)),
            _ => None,
        },
        receipt_due: datetime(c.receipt_due),
        error: c.error.clone(),
        attempts: c.attempts,
    }
}

/// A page of contracts.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct ContractPage {
    pub contracts: Vec<Contract>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Where a record of the exchange's stands in its repository.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct Publication {
    #[schema(format = "at-uri")]
    pub uri: String,
    pub cid: String,
    pub published_cid: Option<String>,
    pub commit: Option<String>,
    pub rev: Option<String>,
    pub published: bool,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub(in crate::api) fn publication(p: &crate::publish::outbox::Publication) -> Publication {
    Publication {
        uri: p.uri.clone(),
        cid: p.cid.clone(),
        published_cid: p.published_cid.clone(),
        commit: p.commit.clone(),
        rev: p.rev.clone(),
        published: p.published_cid.as_deref() == Some(p.cid.as_str()),
        attempts: p.attempts,
        last_error: p.last_error.clone(),
    }
}
