//! Payout routes: where a provider is paid, a provider's payouts, and the
//! operator's "pay now".

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{
    Shared, bad, bearer, body_object, did_param, is_admin, json_response, require_admin, wire,
};
use crate::failure::{Failure, FailureKind};
use crate::records::json::Value;
use crate::store::payouts::{Destination, Rail};

/// `PUT /v1/admin/payout-destinations/{did}`: `{"address": "0x…"}` (the
/// direct rail) or `{"x402": "http://…"}` (the provider's x402 endpoint).
/// The operator (admin token) may set it, in effect at once; where callers
/// prove who they are, so may the provider itself, with a single-use
/// service auth token for `setPayoutDestination`, in effect after the
/// cooling-off period.
#[utoipa::path(
    put,
    path = "/v1/admin/payout-destinations/{did}",
    summary = "Set where a provider is paid (admin)",
    params(
        ("did" = String, Path),
    ),
    request_body(content = wire::requests::DestinationRequest),
    responses(
        (status = 200, description = "The destination", body = wire::PayoutDestination),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn put_destination(
    State(s): Shared,
    Path(did): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    did_param(&did)?;
    let by_operator = is_admin(&s, &headers);
    if !by_operator {
        if !s.records.is_proven() {
            require_admin(&s, &headers)?;
        }
        s.authenticate_once(
            bearer(&headers),
            &did,
            crate::authentic::LXM_SET_PAYOUT_DESTINATION,
            s.now(),
        )
        .await?;
    }
    let m = body_object(&body)?;
    let unknown: Vec<&str> = m
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "address" | "x402"))
        .collect();
    if !unknown.is_empty() {
        return Err(bad(format!("{}: unknown field", unknown.join(", "))));
    }
    let dest = match (m.get("address"), m.get("x402")) {
        (Some(Value::String(a)), None) => {
            let addr: alloy::primitives::Address = a
                .parse()
                .map_err(|_| bad("address: must be a 0x address of 20 bytes"))?;
            if addr == alloy::primitives::Address::ZERO {
                return Err(bad("address: the zero address burns tokens"));
            }
            Destination {
                provider: did.clone(),
                rail: Rail::Direct,
                address: Some(addr.to_string()),
                url: None,
                updated_at: 0,
                effective_at: 0,
            }
        }
        (None, Some(Value::String(u))) => {
            let url = reqwest::Url::parse(u).map_err(|e| bad(format!("x402: not a URL: {e}")))?;
            if u.len() > 2048 {
                return Err(bad("x402: longer than 2048 bytes"));
            }
            // What the payout engine may reach (public https; loopback in
            // development), checked after DNS; the engine checks again
            // when it connects.
            let egress = s.payouts.get().map_or(
                crate::egress::Egress {
                    loopback: !s.records.is_proven(),
                },
                |p| p.config().egress,
            );
            egress
                .resolve(&url)
                .await
                .map_err(|e| bad(format!("x402: {}", e.reason)))?;
            Destination {
                provider: did.clone(),
                rail: Rail::X402,
                address: None,
                url: Some(url.to_string()),
                updated_at: 0,
                effective_at: 0,
            }
        }
        _ => {
            return Err(bad(
                "body: must be exactly one of {\"address\": \"0x…\"} or {\"x402\": \"http(s)://…\"}",
            ));
        }
    };
    let dest = s.set_destination(dest, by_operator).await?;
    Ok(json_response(StatusCode::OK, &wire::destination(&dest)))
}

/// `GET /v1/providers/{did}/payouts`: the provider's payouts, oldest first.
#[utoipa::path(
    get,
    path = "/v1/providers/{did}/payouts",
    summary = "A provider's payouts, oldest first",
    params(
        ("did" = String, Path),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "Payouts and the provider's destination", body = wire::PayoutPage),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn provider_payouts(
    State(s): Shared,
    Path(did): Path<String>,
    headers: HeaderMap,
    Query(q): Query<PayoutsQuery>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    s.authenticate(
        bearer(&headers),
        &did,
        crate::authentic::LXM_PROVIDER_PAYOUTS,
        s.now(),
    )
    .await?;
    let after = match q.cursor.as_deref() {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| bad("cursor: must come from a previous page"))?,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=super::PAGE_MAX).contains(&limit) {
        return Err(bad(format!("limit: must be 1..={}", super::PAGE_MAX)));
    }
    let found = s.provider_payouts(&did, after, limit).await?;
    let cursor = found
        .payouts
        .last()
        .filter(|_| found.payouts.len() as i64 == limit)
        .map(|last| last.seq.to_string());
    let page = wire::PayoutPage {
        payouts: found.payouts.iter().map(wire::payout).collect(),
        cursor,
        destination: found.destination.as_ref().map(wire::destination),
    };
    Ok(json_response(StatusCode::OK, &page))
}

/// `POST /v1/admin/payouts/run`: one payout cycle now. `?wait=N` waits up
/// to N seconds (at most 20) for confirmations.
#[utoipa::path(
    post,
    path = "/v1/admin/payouts/run",
    summary = "Run one payout cycle now (admin)",
    params(
        ("wait" = Option<i64>, Query, description = "Seconds to wait for confirmations", minimum = 0, maximum = 20),
    ),
    responses(
        (status = 200, description = "What the cycle did: payout ids planned, confirmed, failed, still open; errors", body = wire::Cycle),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "payouts-disabled: no chain configured", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn run_payouts(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<WaitQuery>,
) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    let wait = q.wait.unwrap_or(0);
    if wait > 20 {
        return Err(bad("wait: at most 20 seconds"));
    }
    // A state of this server, not an outage: 409, not 503.
    let Some(payouts) = s.payouts.get() else {
        return Err(Failure::new(
            FailureKind::Conflict,
            "payouts-disabled",
            "no chain is configured: start the server with --rpc-url (or --local-chain)",
        ));
    };
    let report = payouts
        .run_cycle(std::time::Duration::from_secs(wait))
        .await
        .map_err(|e| Failure::new(FailureKind::Internal, "internal", e.to_string()))?;
    Ok(json_response(StatusCode::OK, &wire::cycle(&report)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WaitQuery {
    wait: Option<u64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PayoutsQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}
