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
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::{Shared, bad, json_response, wire};
use crate::failure::{Failure, FailureKind};
use crate::payout::binding;
use crate::payout::facilitator::{DepositGate, Verdict, price_tag};
use crate::payout::x402::{PAYMENT_SIGNATURE, decode_header};
use crate::payout::{from_token_units, to_token_units};
use crate::records::formats::is_did;
use crate::records::json::Value;
use crate::service::Service;

/// Largest deposit in minor units (10^12: ten billion dollars in cents).
const DEPOSIT_MAX_MINOR: i64 = 1_000_000_000_000;
/// Smallest deposit in minor units (1.00 of a two-decimal currency): each
/// deposit is settled on chain at the treasury's gas, so dust is refused.
pub const DEPOSIT_MIN_MINOR: i64 = 100;

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
            amount.bytes().all(|b| b.is_ascii_digit())
                && (DEPOSIT_MIN_MINOR..=DEPOSIT_MAX_MINOR).contains(a)
        })
        .ok_or_else(|| {
            bad(format!(
                "amount: must be an integer in {DEPOSIT_MIN_MINOR}..={DEPOSIT_MAX_MINOR} (minor units)"
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

/// The x402 price of a deposit of `minor`: its token units, to the
/// treasury (`None` when the token cannot carry it).
fn price(gate: &DepositGate, minor: i64) -> Option<x402_types::proto::v2::PriceTag> {
    to_token_units(
        minor,
        gate.currency_decimals,
        u32::from(gate.token.decimals),
    )
    .map(|(units, _)| price_tag(gate.pay_to, &gate.token, units))
}

/// The route: paywalled when deposits are configured, 409 otherwise.
pub(super) fn route(service: &std::sync::Arc<Service>) -> MethodRouter<std::sync::Arc<Service>> {
    let Some(gate) = service.deposits.get().cloned() else {
        return axum::routing::post(disabled);
    };
    let paywall = x402_axum::X402Middleware::from_facilitator(gate.facilitator.clone())
        .with_extension(binding::Declaration::new())
        .settle_before_execution()
        .with_dynamic_price(move |_headers, uri, _base| {
            let tag = query_of(uri)
                .and_then(|q| parse(&q).ok())
                .and_then(|(_, minor)| price(&gate, minor));
            async move { tag.into_iter().collect::<Vec<_>>() }
        });
    axum::routing::post(deposit)
        .layer(paywall)
        .layer(axum::middleware::from_fn_with_state(
            (
                service.clone(),
                std::sync::Arc::new(PaymentLimiter::default()),
            ),
            record_pending,
        ))
        .layer(axum::middleware::from_fn(check_query))
}

/// The EIP-3009 authorization a `PAYMENT-SIGNATURE` carries, as a pending
/// deposit for the query's requester; `None` when it does not pay the
/// treasury (the facilitator refuses it anyway).
fn pending_of(
    gate: &DepositGate,
    q: &DepositQuery,
    header: &[u8],
    now: i64,
) -> Result<Option<crate::store::deposits::Deposit>, Failure> {
    let (requester, _) = parse(q)?;
    let payment = decode_header(PAYMENT_SIGNATURE, header).map_err(|e| bad(e.to_string()))?;
    let auth = payment
        .get("payload")
        .and_then(|p| p.get("authorization"))
        .ok_or_else(|| bad("PAYMENT-SIGNATURE: payload.authorization is missing"))?;
    let text = |k: &str| -> Option<String> {
        match auth.get(k)? {
            Value::String(s) => Some(s.clone()),
            // x402-rs takes integers too.
            Value::Int(i) => Some(i.to_string()),
            _ => None,
        }
    };
    let field = |k: &str| {
        text(k).ok_or_else(|| {
            bad(format!(
                "PAYMENT-SIGNATURE: payload.authorization.{k} is missing"
            ))
        })
    };
    let to: alloy::primitives::Address = field("to")?
        .parse()
        .map_err(|_| bad("PAYMENT-SIGNATURE: payload.authorization.to: not an address"))?;
    if to != gate.pay_to {
        return Ok(None);
    }
    let payer: alloy::primitives::Address = field("from")?
        .parse()
        .map_err(|_| bad("PAYMENT-SIGNATURE: payload.authorization.from: not an address"))?;
    let nonce: alloy::primitives::B256 = field("nonce")?
        .parse()
        .map_err(|_| bad("PAYMENT-SIGNATURE: payload.authorization.nonce: not 32 bytes of hex"))?;
    let salt = payment
        .get("extensions")
        .and_then(|e| e.get(binding::EXTENSION_KEY))
        .and_then(|b| b.get("salt"))
        .and_then(Value::as_str);
    binding::check(&requester, &nonce, salt)
        .map_err(|u| Failure::new(FailureKind::BadRequest, "deposit-not-bound", u.message()))?;
    let value = alloy::primitives::U256::from_str_radix(&field("value")?, 10).map_err(|_| {
        bad("PAYMENT-SIGNATURE: payload.authorization.value: not a decimal integer")
    })?;
    let valid_before = field("validBefore")?
        .parse::<i64>()
        .map_err(|_| bad("PAYMENT-SIGNATURE: payload.authorization.validBefore: not an integer"))?;
    let Some(minor) = from_token_units(
        value,
        gate.currency_decimals,
        u32::from(gate.token.decimals),
    )
    .filter(|m| *m > 0) else {
        return Ok(None);
    };
    Ok(Some(crate::store::deposits::Deposit {
        payer: payer.to_string(),
        nonce: nonce.to_string(),
        requester,
        currency: gate.currency.clone(),
        token_value: value.to_string(),
        amount_minor: minor,
        valid_before,
        state: "pending".into(),
        tx_hash: None,
        created_at: now,
    }))
}

/// Payments (each settled at the treasury's gas) one client address may
/// present per [`PAYMENT_WINDOW`].
pub const PAYMENTS_PER_CLIENT_MAX: u32 = 10;
const PAYMENT_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);
/// Client addresses the limiter remembers before it starts afresh.
const CLIENTS_MAX: usize = 100_000;

/// How many payments each client address presented in its current window
/// (one per router).
#[derive(Default)]
pub(super) struct PaymentLimiter(
    std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (std::time::Instant, u32)>>,
);

impl PaymentLimiter {
    /// Counts a payment from `ip`: whether it is within the limit.
    fn allowed(&self, ip: std::net::IpAddr) -> bool {
        let now = std::time::Instant::now();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CLIENTS_MAX {
            map.retain(|_, (start, _)| now.duration_since(*start) < PAYMENT_WINDOW);
            if map.len() >= CLIENTS_MAX {
                map.clear();
            }
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= PAYMENT_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= PAYMENTS_PER_CLIENT_MAX
    }
}

/// Records the deposit a payment carries before the paywall settles it,
/// so that whatever becomes of this request, the payment is credited from
/// the chain's evidence (see `payout::deposits`). A client address
/// presents at most [`PAYMENTS_PER_CLIENT_MAX`] payments a minute.
async fn record_pending(
    State((s, limiter)): State<(std::sync::Arc<Service>, std::sync::Arc<PaymentLimiter>)>,
    req: Request,
    next: Next,
) -> Response {
    let client = req
        .extensions()
        .get::<axum::extract::ConnectInfo<super::listener::ClientAddr>>()
        .map(|c| c.0.0.ip());
    if req.headers().contains_key(PAYMENT_SIGNATURE)
        && let Some(ip) = client
        && !limiter.allowed(ip)
    {
        let mut r = Failure::new(
            FailureKind::TooManyRequests,
            "rate-limited",
            format!(
                "at most {PAYMENTS_PER_CLIENT_MAX} deposit payments a minute from one client address"
            ),
        )
        .into_response();
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("60"),
        );
        return r;
    }
    if let (Some(gate), Some(header), Some(q)) = (
        s.deposits.get(),
        req.headers().get(PAYMENT_SIGNATURE),
        query_of(req.uri()),
    ) {
        let pending = match pending_of(gate, &q, header.as_bytes(), s.clock.now_us()) {
            Ok(p) => p,
            Err(f) => return f.into_response(),
        };
        if let Some(d) = pending {
            if let Err(f) = verify_payment(gate, &q, header.as_bytes()).await {
                return f.into_response();
            }
            if let Err(f) = s.record_deposit(&d).await {
                return f.into_response();
            }
            // The handler credits this deposit: decoded once, here.
            let mut req = req;
            req.extensions_mut().insert(d);
            return next.run(req).await;
        }
    }
    next.run(req).await
}

/// Asks the facilitator whether the payment would settle now against
/// this deposit's price (signature, the payer's balance, an unused nonce,
/// the validity window). Only such a payment is recorded pending, so each
/// pending row costs whoever presents it a funded account and a signature.
/// The paywall verifies again before it settles.
async fn verify_payment(
    gate: &DepositGate,
    q: &DepositQuery,
    header: &[u8],
) -> Result<(), Failure> {
    use base64::Engine as _;
    let (_, minor) = parse(q)?;
    let requirements = price(gate, minor)
        .ok_or_else(|| bad("amount: not representable in the token's units"))?
        .requirements;
    let payload: serde_json::Value = base64::engine::general_purpose::STANDARD
        .decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad("PAYMENT-SIGNATURE: not base64 of JSON"))?;
    let request = serde_json::json!({
        "x402Version": 2,
        "paymentPayload": payload,
        "paymentRequirements": requirements,
    });
    let raw = serde_json::value::to_raw_value(&request)
        .map_err(|e| Failure::new(FailureKind::Internal, "internal", e.to_string()))?;
    match gate
        .facilitator
        .check(&x402_types::proto::VerifyRequest::from(raw))
        .await
    {
        Verdict::Valid => Ok(()),
        Verdict::Invalid(reason) => Err(Failure::new(
            FailureKind::BadRequest,
            "payment-invalid",
            format!(
                "PAYMENT-SIGNATURE: the facilitator refuses this payment for this deposit: {reason}"
            ),
        )),
        Verdict::Unknown => Err(Failure::new(
            FailureKind::Unavailable,
            "chain-unavailable",
            "the payment cannot be verified against the chain now: retry later",
        )),
    }
}

async fn disabled() -> Failure {
    Failure::new(
        FailureKind::Conflict,
        "deposits-disabled",
        "x402 deposits are not configured: start the server with a chain (--rpc-url or --local-chain) \
         and a deposit relayer key (--deposit-relayer-key-file)",
    )
}

/// Runs once the payment is settled on chain: credits what was paid.
#[utoipa::path(
    post,
    path = "/v1/deposits",
    operation_id = "x402_deposit",
    summary = "Top up a requester over x402 (protocol v2, exact on the configured chain)",
    description = "Without a PAYMENT-SIGNATURE header the answer is 402 with PAYMENT-REQUIRED naming the price in token units, paid to the treasury. With a valid payment it is settled on chain and the requester is credited; the answer carries PAYMENT-RESPONSE.",
    params(
        ("requester" = String, Query, description = "The DID to credit"),
        ("amount" = String, Query, description = "Minor units of the payout currency", pattern = "^[0-9]+$"),
    ),
    responses(
        (status = 201, description = "Paid and credited", body = wire::Deposit),
        (status = 200, description = "This transaction was already credited", body = wire::Deposit),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 402, description = "Payment required (PAYMENT-REQUIRED header)"),
        (status = 409, description = "deposits-disabled: no chain configured", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
async fn deposit(
    State(s): Shared,
    Query(q): Query<DepositQuery>,
    pending: Option<Extension<crate::store::deposits::Deposit>>,
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
    // verified (it may exceed the price; all of it is credited), as
    // `record_pending` read it before settlement.
    let Extension(pending) = pending
        .ok_or_else(|| internal("settled a payment that does not pay the treasury".into()))?;
    let minor = pending.amount_minor;
    let created = s
        .credit_onchain_deposit(
            &tx,
            (&pending.payer, &pending.nonce),
            &requester,
            &gate.currency,
            minor,
        )
        .await?;
    tracing::info!(requester = %requester, amount = minor, transaction = %tx, "x402 deposit credited");
    Ok(json_response(
        super::created_or_ok(created),
        &wire::Deposit {
            id: None,
            requester: requester.clone(),
            transaction: Some(tx.clone()),
            payer: Some(payer.clone()),
            amount: wire::money(minor, &gate.currency),
        },
    ))
}
