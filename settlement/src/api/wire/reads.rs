//! The exchange, authorizations, balances, statements, payouts and
//! deposits, as answered.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Money, Raw, Record, datetime, money, settlement};
use crate::exchange::{Exchange, FeePolicy};
use crate::payout::CycleReport;
use crate::service::{AuthorizationView, Balance, ProviderBalance, Statement};
use crate::store::payouts::{Destination, PayoutRow};

/// The exchange's fee policy.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct PolicyInfo {
    pub bps: i64,
    pub min_minor: u64,
    pub supported_currencies: Vec<String>,
    pub self_loop_fee_waived: bool,
    pub open_jobs: bool,
    /// Models whose receipts are charged only with a proof of inference.
    pub inference_proof_models: Vec<String>,
}

/// The exchange: its DID, its settlement key and its policy.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct ExchangeInfo {
    pub did: String,
    #[schema(value_type = Object)]
    pub jwk: Raw,
    pub policy: PolicyInfo,
}

pub(in crate::api) fn exchange(
    exchange: &Exchange,
    policy: &FeePolicy,
    proof_models: &[String],
) -> ExchangeInfo {
    ExchangeInfo {
        did: exchange.did.clone(),
        jwk: Raw(exchange.jwk()),
        policy: PolicyInfo {
            bps: i64::from(policy.bps),
            min_minor: policy.min_minor,
            supported_currencies: policy.currencies.clone(),
            self_loop_fee_waived: policy.self_loop_fee_waived,
            open_jobs: policy.open_jobs,
            inference_proof_models: proof_models.to_vec(),
        },
    }
}

/// Where an authorization stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct Authorization {
    #[schema(format = "at-uri")]
    pub uri: String,
    pub cid: String,
    pub requester: String,
    pub scope: String,
    /// The published ceiling, from the stored record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<Money>,
    /// The published session budget, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
    pub limit: Money,
    pub charged: Money,
    pub remaining: Money,
    pub charges: i64,
    pub consumed: bool,
    pub expires_at: String,
    pub settlements: Vec<Record>,
}

pub(in crate::api) fn authorization(view: &AuthorizationView) -> Authorization {
    let state = &view.state;
    let in_currency = |amount: i64| money(amount, &state.currency);
    let published = |p: &crate::records::Money| money(p.amount, &p.currency);
    let terms = view.terms.as_ref();
    let remaining = if state.consumed {
        0
    } else {
        state.limit_minor - state.charged_minor
    };
    Authorization {
        uri: state.authorization_uri.clone(),
        cid: state.authorization_cid.clone(),
        requester: state.requester.clone(),
        scope: state.scope.clone(),
        ceiling: terms.map(|t| published(&t.data.ceiling)),
        budget: terms.and_then(|t| t.data.session_budget.as_ref().map(published)),
        limit: in_currency(state.limit_minor),
        charged: in_currency(state.charged_minor),
        remaining: in_currency(remaining),
        charges: state.charges,
        consumed: state.consumed,
        expires_at: datetime(state.expires_at),
        settlements: view.settlements.iter().map(settlement).collect(),
    }
}

/// A requester's money in one currency, in minor units.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct RequesterBalance {
    pub balance: i64,
    pub held: i64,
    pub available: i64,
}

pub(in crate::api) fn balance(b: &Balance) -> RequesterBalance {
    RequesterBalance {
        balance: b.balance,
        held: b.held,
        available: b.available,
    }
}

/// A provider's money in one currency, in minor units.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct ProviderMoney {
    pub payable: i64,
    pub maturing: i64,
    pub owed: i64,
    pub pending: i64,
    pub paid: i64,
}

pub(in crate::api) fn provider_balance(b: &ProviderBalance) -> ProviderMoney {
    ProviderMoney {
        payable: b.payable,
        maturing: b.maturing,
        owed: b.owed,
        pending: b.pending,
        paid: b.paid,
    }
}

/// One ledger entry as the requester sees it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct Entry {
    pub seq: i64,
    pub kind: String,
    pub code: String,
    pub amount: Money,
    /// `debit`, `credit`, `hold` or `release`.
    pub side: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub at: String,
}

/// A requester's statement: each entry as seen from the requester (money
/// leaving is a debit, funds set aside are a hold, a hold given back is a
/// release).
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct StatementPage {
    pub requester: String,
    pub currency: String,
    pub entries: Vec<Entry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

pub(in crate::api) fn statement(requester: &str, s: &Statement) -> StatementPage {
    let entries = s
        .page
        .transfers
        .iter()
        .map(|t| {
            let side = match t.kind {
                ledger::TransferKind::Pending => "hold",
                ledger::TransferKind::Void | ledger::TransferKind::Expire => "release",
                _ if t.debit_account == s.account => "debit",
                _ => "credit",
            };
            Entry {
                seq: t.seq,
                kind: t.kind.as_str().to_owned(),
                code: t.code.as_str().to_owned(),
                amount: money(t.amount_minor, t.currency.as_str()),
                side: side.to_owned(),
                reference: t.reference.as_ref().map(|r| r.as_str().to_owned()),
                expires_at: t.expires_at_us.map(datetime),
                at: datetime(t.timestamp_us),
            }
        })
        .collect();
    StatementPage {
        requester: requester.to_owned(),
        currency: s.currency.as_str().to_owned(),
        entries,
        cursor: s.page.next.as_ref().map(ToString::to_string),
    }
}

/// Where a provider is paid.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct PayoutDestination {
    pub provider: String,
    pub rail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub effective_at: String,
}

pub(in crate::api) fn destination(d: &Destination) -> PayoutDestination {
    PayoutDestination {
        provider: d.provider.clone(),
        rail: d.rail.as_str().to_owned(),
        address: d.address.clone(),
        url: d.url.clone(),
        effective_at: datetime(d.effective_at),
    }
}

/// A payout and where it stands on the chain.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(in crate::api) struct Payout {
    pub id: String,
    pub provider: String,
    pub amount: Money,
    pub token_value: String,
    pub rail: String,
    pub state: String,
    /// `eip155:CHAIN_ID`.
    pub network: String,
    pub token: String,
    pub nonce: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_number: Option<i64>,
}

pub(in crate::api) fn payout(p: &PayoutRow) -> Payout {
    Payout {
        id: p.id.clone(),
        provider: p.provider.clone(),
        amount: money(p.amount_minor, &p.currency),
        token_value: p.token_value.clone(),
        rail: p.rail.as_str().to_owned(),
        state: p.state.as_str().to_owned(),
        network: format!("eip155:{}", p.chain_id),
        token: p.token.clone(),
        nonce: p.nonce.clone(),
        pay_to: p.pay_to.clone(),
        transaction: p.tx_hash.clone(),
        block_hash: p.block_hash.clone(),
        error: p.error.clone(),
        block_number: p.block_number,
    }
}

/// A page of a provider's payouts, with where it is paid.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct PayoutPage {
    pub payouts: Vec<Payout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<PayoutDestination>,
}

#[derive(Serialize, ToSchema)]
pub(in crate::api) struct PayoutError {
    pub payout: String,
    pub error: String,
}

/// What one payout cycle did.
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct Cycle {
    pub planned: Vec<String>,
    pub confirmed: Vec<String>,
    pub failed: Vec<String>,
    pub open: Vec<String>,
    pub errors: Vec<PayoutError>,
}

pub(in crate::api) fn cycle(report: &CycleReport) -> Cycle {
    Cycle {
        planned: report.planned.clone(),
        confirmed: report.confirmed.clone(),
        failed: report.failed.clone(),
        open: report.open.clone(),
        errors: report
            .errors
            .iter()
            .map(|(id, e)| PayoutError {
                payout: id.clone(),
                error: e.clone(),
            })
            .collect(),
    }
}

/// A deposit credited: the operator's (with its idempotency id), or one
/// paid over x402 (with its transaction and payer).
#[derive(Serialize, ToSchema)]
pub(in crate::api) struct Deposit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub requester: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    pub amount: Money,
}
