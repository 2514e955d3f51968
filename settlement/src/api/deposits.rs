//! `POST /v1/deposits?requester=DID&amount=MINOR`: an x402-protected top-up.
//! Any x402 client pays `amount` (converted to token units) to the
//! treasury; once the payment is settled on chain, the requester's ledger
//! account is credited (treasury -> requester), once per transaction.
//!
//! The paywall is x402-rs's `x402-axum` with the EIP-155 `exact`
//! facilitator in process; the query is checked before it, so a bad
//! request is a 400, never a price.

use axum::Extension;
use axum::extract::{Query, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::{Shared, bad, json_response, wire};
use crate::failure::{Failure, FailureKind};
use crate::payout::facilitator::price_tag;
use crate::payout::x402::{PAYMENT_SIGNATURE, decode_header};
use crate::payout::{from_token_units, to_token_units};
use crate::records::formats::is_did;
use crate::records::json::Value;
use crate::service::Service;

/// Largest deposit in minor units (10^12: ten billion dollars in cents).
const DEPOSIT_MAX_MINOR: i64 = 1_000_000_000_000;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DepositQuery {
    requester: Option<String>,
    amount: Option<String>,
}

/// The requester and amount of a deposit request, or which field is wrong.
fn parse(q: &DepositQuery) -> Result<(String, i64), Failure> {
    let requester = q
        .requester
        .as_deref()
        .ok_or_else(|| bad("requester: required (the DID to credit)"))?;
    if !is_did(requester) {
        return Err(bad("requester: must be a DID"));
    }
    let amount = q
        .amount
        .as_deref()
        .ok_or_else(|| bad("amount: required (minor units)"))?;
    let minor = amount
        .parse::<i64>()
        .ok()
        .filter(|a| {
            amount.bytes().all(|b| b.is_ascii_digit()) && (1..=DEPOSIT_MAX_MINOR).contains(a)
        })
        .ok_or_else(|| {
            bad(format!(
                "amount: must be an integer in 1..={DEPOSIT_MAX_MINOR}"
            ))
        })?;
    Ok((requester.to_owned(), minor))
}

fn query_of(uri: &axum::http::Uri) -> Option<DepositQuery> {
    Query::<DepositQuery>::try_from_uri(uri)
        .ok()
        .map(|Query(q)| q)
}

/// Refuses a bad query before the paywall names a price.
async fn check_query(req: Request, next: Next) -> Response {
    let checked = match query_of(req.uri()) {
        Some(q) => parse(&q).map(|_| ()),
        None => Err(bad("query: only requester and amount are allowed")),
    };
    match checked {
        Ok(()) => next.run(req).await,
        Err(f) => f.into_response(),
    }
}

/// The route: paywalled when deposits are configured, 409 otherwise.
pub(super) fn route(service: &Service) -> MethodRouter<std::sync::Arc<Service>> {
    let Some(gate) = service.deposits.get().cloned() else {
        return axum::routing::post(disabled);
    };
    let decimals = u32::from(gate.token.decimals);
    let paywall = x402_axum::X402Middleware::from_facilitator(gate.facilitator.clone())
        .settle_before_execution()
        .with_dynamic_price(move |_headers, uri, _base| {
            let tag = query_of(uri)
                .and_then(|q| parse(&q).ok())
                .and_then(|(_, minor)| to_token_units(minor, gate.currency_decimals, decimals))
                .map(|(units, _)| price_tag(gate.pay_to, &gate.token, units));
            async move { tag.into_iter().collect::<Vec<_>>() }
        });
    axum::routing::post(deposit)
        .layer(paywall)
        .layer(axum::middleware::from_fn(check_query))
}

async fn disabled() -> Failure {
    Failure::new(
        FailureKind::Conflict,
        "deposits-disabled",
        "no chain is configured: start the server with --rpc-url (or --local-chain)",
    )
}

/// Runs once the payment is settled on chain: credits what was paid.
async fn deposit(
    State(s): Shared,
    Query(q): Query<DepositQuery>,
    headers: HeaderMap,
    Extension(settled): Extension<Option<x402_types::proto::SettleResponse>>,
) -> Result<Response, Failure> {
    let internal = |m: String| Failure::new(FailureKind::Internal, "internal", m);
    let gate = s
        .deposits
        .get()
        .ok_or_else(|| internal("deposit handler without a gate".into()))?;
    let (requester, _) = parse(&q)?;
    let settled = settled.ok_or_else(|| internal("deposit reached without a settlement".into()))?;
    let field = |k: &str| {
        settled
            .0
            .get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let tx =
        field("transaction").ok_or_else(|| internal("settlement without a transaction".into()))?;
    let payer = field("payer").unwrap_or_default();
    // What was actually transferred, from the payment the facilitator
    // verified (it may exceed the price; all of it is credited).
    let header = headers
        .get(PAYMENT_SIGNATURE)
        .ok_or_else(|| internal("settled without a payment header".into()))?;
    let payment =
        decode_header(PAYMENT_SIGNATURE, header.as_bytes()).map_err(|e| internal(e.to_string()))?;
    let value = payment
        .get("payload")
        .and_then(|p| p.get("authorization"))
        .and_then(|a| a.get("value"))
        .and_then(Value::as_str)
        .and_then(|v| alloy::primitives::U256::from_str_radix(v, 10).ok())
        .ok_or_else(|| internal("payment without an authorization value".into()))?;
    let minor = from_token_units(
        value,
        gate.currency_decimals,
        u32::from(gate.token.decimals),
    )
    .filter(|m| *m > 0)
    .ok_or_else(|| internal(format!("paid value {value} does not fit the ledger")))?;
    let created = s
        .credit_onchain_deposit(&tx, &requester, &gate.currency, minor)
        .await?;
    tracing::info!(requester = %requester, amount = minor, transaction = %tx, "x402 deposit credited");
    Ok(json_response(
        super::created_or_ok(created),
        &wire::deposit(
            &[
                ("requester", &requester),
                ("transaction", &tx),
                ("payer", &payer),
            ],
            wire::money(minor, &gate.currency),
        ),
    ))
}
