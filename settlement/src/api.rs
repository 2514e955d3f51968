//! The HTTP edge. Request bodies are read as bytes and parsed by the strict
//! JSON parser (never serde), so the records the API accepts are exactly the
//! records `verify` reasons about. Errors are RFC 9457 problem documents
//! with a stable `code`; internal error text never reaches a client.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::records::RawRecord;
use crate::records::formats::{Datetime, is_did};
use crate::records::json::{self, Map, Value};
use crate::service::{Failure, FailureKind, Service, SettlementView};
use crate::store::{Put, SettlementColumn, SettlementRow, accounts};

/// Largest request body accepted.
pub const BODY_BYTES_MAX: usize = 256 * 1024;
/// Longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most items one page of a listing returns.
pub const PAGE_MAX: i64 = 1000;

mod deposits;
mod payouts;

pub fn router(service: Arc<Service>) -> Router {
    router_with(service, Limits::default())
}

pub fn router_with(service: Arc<Service>, limits: Limits) -> Router {
    let edge = Arc::new(Edge {
        service: service.clone(),
        limits,
        permits: tokio::sync::Semaphore::new(limits.in_flight_max),
    });
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/v1/exchange", get(exchange))
        .route("/v1/records", post(post_record).get(get_record))
        .route("/v1/settle", post(settle))
        .route("/v1/admin/deposits", post(deposit))
        .route("/v1/deposits", deposits::route(&service))
        .route("/v1/admin/payouts/run", post(payouts::run_payouts))
        .route(
            "/v1/admin/payout-destinations/{did}",
            axum::routing::put(payouts::put_destination),
        )
        .route(
            "/v1/providers/{did}/payouts",
            get(payouts::provider_payouts),
        )
        .route("/v1/authorizations", get(authorization))
        .route("/v1/providers/{did}/balance", get(provider_balance))
        .route("/v1/requesters/{did}/balance", get(requester_balance))
        .route("/v1/requesters/{did}/statement", get(requester_statement))
        .route(
            "/xrpc/dev.cocore.compute.listSettlements",
            get(list_settlements),
        )
        .route("/xrpc/dev.cocore.compute.listReceipts", get(list_receipts))
        .route(
            "/xrpc/dev.cocore.compute.verifyReceipt",
            get(verify_receipt),
        )
        .route(
            "/xrpc/dev.cocore.compute.verifySettlement",
            get(verify_settlement_query),
        )
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(edge, self::edge))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .with_state(service)
}

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Every route this API serves, as written in [`OPENAPI`].
pub const ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/v1/exchange",
    "/v1/records",
    "/v1/settle",
    "/v1/admin/deposits",
    "/v1/deposits",
    "/v1/admin/payouts/run",
    "/v1/admin/payout-destinations/{did}",
    "/v1/providers/{did}/payouts",
    "/v1/authorizations",
    "/v1/providers/{did}/balance",
    "/v1/requesters/{did}/balance",
    "/v1/requesters/{did}/statement",
    "/xrpc/dev.cocore.compute.listSettlements",
    "/xrpc/dev.cocore.compute.listReceipts",
    "/xrpc/dev.cocore.compute.verifyReceipt",
    "/xrpc/dev.cocore.compute.verifySettlement",
];

/// Records each request's latency under its route template (never the raw
/// path, which would carry DIDs).
/// Bounds on the HTTP edge.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Requests served at once; more wait up to `queue_wait`, then 503.
    pub in_flight_max: usize,
    pub queue_wait: Duration,
    /// A request still running after this is answered 503 (its database
    /// transaction, if any, rolls back when dropped).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            in_flight_max: 256,
            queue_wait: Duration::from_secs(2),
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

struct Edge {
    service: Arc<Service>,
    limits: Limits,
    permits: tokio::sync::Semaphore,
}

/// Longest request id accepted from a client.
const REQUEST_ID_MAX: usize = 64;

/// 128 random bits as 32 lowercase hex characters.
fn new_request_id() -> String {
    use p256::elliptic_curve::rand_core::RngCore as _;
    let mut bytes = [0u8; 16];
    p256::elliptic_curve::rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= REQUEST_ID_MAX
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        })
        .map_or_else(new_request_id, str::to_owned)
}

/// Every request: an id (the client's `x-request-id` if sane, else a new
/// one) echoed in the response and carried by the span; a place among at
/// most `in_flight_max`; a timeout; latency metrics by route template; and
/// any error answer turned into problem+json.
async fn edge(
    State(e): State<Arc<Edge>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let id = request_id(req.headers());
    let span = tracing::info_span!(
        "http.request",
        request_id = %id,
        http.method = %req.method(),
        http.route = %route,
        http.status = tracing::field::Empty,
        latency_us = tracing::field::Empty,
    );
    let start = std::time::Instant::now();
    let response = match tokio::time::timeout(e.limits.queue_wait, e.permits.acquire()).await {
        Ok(Ok(_permit)) => {
            // A panic is a bug; contain it to this request (500, logged at
            // ERROR), never let it take the connection down silently.
            let run = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
                tracing::Instrument::instrument(next.run(req), span.clone()),
            ));
            match tokio::time::timeout(e.limits.request_timeout, run).await {
                Ok(Ok(r)) => problem_for_errors(r).await,
                Ok(Err(_panic)) => {
                    tracing::error!(parent: &span, "handler panicked");
                    Failure::new(FailureKind::Internal, "internal", "handler panicked")
                        .into_response()
                }
                Err(_) => Failure::new(
                    FailureKind::Unavailable,
                    "timeout",
                    "the request took too long and was abandoned",
                )
                .into_response(),
            }
        }
        _ => {
            let mut r = Failure::new(
                FailureKind::Unavailable,
                "overloaded",
                "too many requests in flight; retry shortly",
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
    };
    let mut response = response;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    span.record("http.status", status);
    span.record(
        "latency_us",
        u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
    );
    if status >= 500 {
        tracing::warn!(parent: &span, status, "request failed");
    }
    e.service.metrics.request(&route, status, elapsed);
    response
}

/// Answers from outside our handlers (no such route, wrong method, body too
/// large, unreadable query) come as plain text: rewrite them as problem
/// documents, keeping a short client-error text as the detail.
async fn problem_for_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    // 402 is the x402 protocol's own answer (PAYMENT-REQUIRED header and
    // its JSON body): clients parse it, so it passes untouched.
    if status.as_u16() < 400 || is_problem || status == StatusCode::PAYMENT_REQUIRED {
        return response;
    }
    let (kind, code) = match status.as_u16() {
        401 => (FailureKind::Unauthorized, "unauthorized"),
        404 => (FailureKind::NotFound, "not-found"),
        405 => (FailureKind::MethodNotAllowed, "method-not-allowed"),
        413 => (FailureKind::TooLarge, "payload-too-large"),
        415 => (FailureKind::BadRequest, "unsupported-media-type"),
        400..=499 => (FailureKind::BadRequest, "invalid-request"),
        503 => (FailureKind::Unavailable, "unavailable"),
        _ => (FailureKind::Internal, "internal"),
    };
    let text = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && status.as_u16() < 500);
    let detail = text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    Failure::new(kind, code, detail).into_response()
}

async fn metrics(State(s): Shared) -> Response {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering::Relaxed;
    let mut text = s.metrics.render();
    let g = s.group_commit.stats();
    for (name, help, value) in [
        (
            "settlement_group_commit_transactions_total",
            "Transactions the settle writer committed or tried.",
            &g.groups,
        ),
        (
            "settlement_group_commit_charges_total",
            "Charges written in those transactions.",
            &g.charges,
        ),
        (
            "settlement_group_commit_busy_microseconds_total",
            "Time the settle writer spent in them.",
            &g.busy_us,
        ),
    ] {
        let _ = write!(
            text,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
            value.load(Relaxed)
        );
    }
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

type Shared = State<Arc<Service>>;

fn json_response(status: StatusCode, v: &Value) -> Response {
    let mut r = (status, json::to_canonical_string(v)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = match self.kind {
            FailureKind::BadRequest => StatusCode::BAD_REQUEST,
            FailureKind::Unauthorized => StatusCode::UNAUTHORIZED,
            FailureKind::NotFound => StatusCode::NOT_FOUND,
            FailureKind::Conflict => StatusCode::CONFLICT,
            FailureKind::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
            FailureKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            FailureKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FailureKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            FailureKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let detail = if self.kind == FailureKind::Internal {
            // The text may name tables or hosts: for the log, not the client.
            tracing::error!(code = self.code, "internal error: {}", self.message);
            "internal error".to_owned()
        } else {
            self.message
        };
        let mut m = Map::new();
        m.insert(
            "type".into(),
            format!("urn:settlement:problem:{}", self.code).into(),
        );
        m.insert("title".into(), self.code.into());
        m.insert("status".into(), i64::from(status.as_u16()).into());
        m.insert("detail".into(), detail.into());
        m.insert("code".into(), self.code.into());
        let mut r = json_response(status, &Value::Object(m));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    }
}

fn bad(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::BadRequest, "invalid-request", message)
}

/// Parses a JSON object body strictly.
fn body_object(bytes: &[u8]) -> Result<Map, Failure> {
    match json::parse(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("body: must be a JSON object")),
        Err(e) => {
            // A bad number inside a record is that record's fault.
            if let Some(rest) = e.path.strip_prefix("value")
                && (rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
            {
                return Err(Failure::new(
                    FailureKind::Rejected,
                    "invalid-record",
                    format!("value{rest}: {}", e.kind),
                ));
            }
            Err(bad(format!("body: {e}")))
        }
    }
}

fn str_field<'a>(m: &'a Map, name: &str) -> Result<&'a str, Failure> {
    m.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{name}: must be a string")))
}

async fn readyz(State(s): Shared) -> Response {
    match s.store.ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => {
            tracing::warn!("readyz: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

async fn exchange(State(s): Shared) -> Response {
    let mut policy = Map::new();
    policy.insert("bps".into(), i64::from(s.policy.bps).into());
    policy.insert("minMinor".into(), s.policy.min_minor.into());
    policy.insert(
        "supportedCurrencies".into(),
        Value::Array(
            s.policy
                .currencies
                .iter()
                .map(|c| c.as_str().into())
                .collect(),
        ),
    );
    policy.insert(
        "selfLoopFeeWaived".into(),
        s.policy.self_loop_fee_waived.into(),
    );
    let mut m = Map::new();
    m.insert("did".into(), s.exchange.did.clone().into());
    m.insert("jwk".into(), s.exchange.jwk());
    m.insert("policy".into(), Value::Object(policy));
    json_response(StatusCode::OK, &Value::Object(m))
}

/// The media type of a record proof (CAR v1) posted to `/v1/records`.
pub const CAR_MEDIA_TYPE: &str = "application/vnd.ipld.car";

#[derive(serde::Deserialize)]
struct ProofQuery {
    uri: Option<String>,
}

async fn post_record(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<ProofQuery>,
    body: Bytes,
) -> Result<Response, Failure> {
    let is_car = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().unwrap_or("").trim() == CAR_MEDIA_TYPE);
    if is_car {
        let uri = q.uri.ok_or_else(|| {
            bad("uri: the query parameter uri (the record's AT URI) is required with a CAR body")
        })?;
        let (put, cid) = s.submit_proof(&uri, &body, s.now()).await?;
        return Ok(record_stored(put, uri, cid));
    }
    let m = body_object(&body)?;
    let uri = str_field(&m, "uri")?.to_owned();
    let cid = match m.get("cid") {
        None => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(_) => return Err(bad("cid: must be a string")),
    };
    let value = m
        .get("value")
        .cloned()
        .ok_or_else(|| bad("value: is required"))?;
    let (put, cid) = s
        .submit(
            RawRecord {
                uri: uri.clone(),
                cid,
                value,
            },
            s.now(),
        )
        .await?;
    Ok(record_stored(put, uri, cid))
}

fn record_stored(put: Put, uri: String, cid: crate::records::cid::Cid) -> Response {
    let mut out = Map::new();
    out.insert("uri".into(), uri.into());
    out.insert("cid".into(), cid.to_string().into());
    let status = if put == Put::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json_response(status, &Value::Object(out))
}

#[derive(serde::Deserialize)]
struct UriQuery {
    uri: String,
}

async fn get_record(State(s): Shared, Query(q): Query<UriQuery>) -> Result<Response, Failure> {
    let r = s
        .store
        .get_record(&q.uri)
        .await?
        .ok_or_else(|| Failure::record_not_found(format!("{} is not stored", q.uri)))?;
    let mut out = Map::new();
    out.insert("uri".into(), r.uri.into());
    out.insert("cid".into(), r.cid.into());
    out.insert("value".into(), r.value);
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

fn settlement_json(row: &SettlementRow) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), row.uri.clone().into());
    m.insert("cid".into(), row.cid.clone().into());
    m.insert("value".into(), row.value.clone());
    Value::Object(m)
}

async fn settle(State(s): Shared, body: Bytes) -> Result<Response, Failure> {
    let m = body_object(&body)?;
    let receipt = str_field(&m, "receipt")?;
    let result = s.settle(receipt, s.now()).await;
    s.metrics.settle_outcome(match &result {
        Ok(v) if v.created => "created",
        Ok(_) => "replayed",
        Err(f) => f.code,
    });
    let SettlementView { created, row } = result?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_response(status, &settlement_json(&row)))
}

/// Compares in time independent of where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the request carries the admin bearer token.
fn is_admin(s: &Service, headers: &HeaderMap) -> bool {
    match (&s.admin_token, bearer(headers)) {
        (Some(expected), Some(given)) => constant_time_eq(given.as_bytes(), expected.as_bytes()),
        _ => false,
    }
}

fn require_admin(s: &Service, headers: &HeaderMap) -> Result<(), Failure> {
    if is_admin(s, headers) {
        Ok(())
    } else {
        Err(Failure::new(
            FailureKind::Unauthorized,
            "unauthorized",
            "a valid admin bearer token is required",
        ))
    }
}

async fn deposit(State(s): Shared, headers: HeaderMap, body: Bytes) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    let m = body_object(&body)?;
    let id = str_field(&m, "id")?;
    if id.is_empty() || id.len() > 256 || id.chars().any(char::is_control) {
        return Err(bad("id: must be 1..=256 bytes without control characters"));
    }
    let requester = str_field(&m, "requester")?;
    if !is_did(requester) {
        return Err(bad("requester: must be a DID"));
    }
    let amount = m
        .get("amount")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("amount: must be {amount, currency}"))?;
    let minor = amount
        .get("amount")
        .and_then(Value::as_int)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| bad("amount.amount: must be an integer >= 1"))?;
    let currency = amount
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("amount.currency: must be a string"))?;
    let created = s.deposit(id, requester, currency, minor).await?;
    let mut out = Map::new();
    out.insert("id".into(), id.into());
    out.insert("requester".into(), requester.into());
    out.insert("amount".into(), Value::Object(amount.clone()));
    Ok(json_response(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &Value::Object(out),
    ))
}

async fn authorization(State(s): Shared, Query(q): Query<UriQuery>) -> Result<Response, Failure> {
    let state = s.store.authorization_by_uri(&q.uri).await?.ok_or_else(|| {
        Failure::record_not_found(format!("no charge has been made against {}", q.uri))
    })?;
    let settlements = s
        .store
        .settlements_where(SettlementColumn::Authorization, &q.uri, 0, PAGE_MAX)
        .await?;
    let money = |amount: i64| {
        let mut m = Map::new();
        m.insert("amount".into(), amount.into());
        m.insert("currency".into(), state.currency.clone().into());
        Value::Object(m)
    };
    let mut m = Map::new();
    m.insert("uri".into(), state.authorization_uri.clone().into());
    m.insert("cid".into(), state.authorization_cid.clone().into());
    m.insert("requester".into(), state.requester.clone().into());
    m.insert("scope".into(), state.scope.clone().into());
    // The published terms, from the stored record.
    let terms = s
        .store
        .get_record(&state.authorization_uri)
        .await?
        .and_then(|r| {
            let raw = RawRecord {
                uri: r.uri,
                cid: Some(r.cid),
                value: r.value,
            };
            crate::records::parse_record::<crate::records::PaymentAuthorization>(
                &raw,
                "authorization",
            )
            .ok()
        });
    let published = |money: &crate::records::Money| {
        let mut m = Map::new();
        m.insert("amount".into(), money.amount.into());
        m.insert("currency".into(), money.currency.clone().into());
        Value::Object(m)
    };
    if let Some(t) = &terms {
        m.insert("ceiling".into(), published(&t.data.ceiling));
        if let Some(budget) = &t.data.session_budget {
            m.insert("budget".into(), published(budget));
        }
    }
    m.insert("limit".into(), money(state.limit_minor));
    m.insert("charged".into(), money(state.charged_minor));
    m.insert(
        "remaining".into(),
        money(if state.consumed {
            0
        } else {
            state.limit_minor - state.charged_minor
        }),
    );
    m.insert("charges".into(), state.charges.into());
    m.insert("consumed".into(), state.consumed.into());
    m.insert(
        "expiresAt".into(),
        Datetime::from_unix_nanos(i128::from(state.expires_at) * 1000)
            .to_string()
            .into(),
    );
    m.insert(
        "settlements".into(),
        Value::Array(settlements.iter().map(settlement_json).collect()),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

#[derive(serde::Deserialize)]
struct CurrencyQuery {
    currency: Option<String>,
}

async fn balance_of(s: &Service, id: ledger::Id) -> Result<Value, Failure> {
    let ledger = s.store.ledger();
    let (posted, pending, available) = match ledger.balance(&id).await {
        Ok(b) => (
            b.credits_posted - b.debits_posted,
            b.debits_pending,
            b.available.unwrap_or(0),
        ),
        Err(ledger::Error::AccountNotFound { .. }) => (0, 0, 0),
        Err(e) => return Err(crate::store::StoreError::from(e).into()),
    };
    let mut m = Map::new();
    m.insert("balance".into(), posted.into());
    m.insert("held".into(), pending.into());
    m.insert("available".into(), available.into());
    Ok(Value::Object(m))
}

fn did_param(did: &str) -> Result<(), Failure> {
    if is_did(did) {
        Ok(())
    } else {
        Err(bad("did: must be a DID"))
    }
}

/// The token of `Authorization: Bearer TOKEN`, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

async fn provider_balance(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    Query(q): Query<CurrencyQuery>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    s.authenticate(
        bearer(&headers),
        &did,
        crate::authentic::LXM_PROVIDER_BALANCE,
        s.now(),
    )
    .await?;
    let mut out = Map::new();
    for currency in currencies(&s, q.currency)? {
        let b = balance_of(&s, accounts::provider(&did, &currency)).await?;
        let totals = s.store.payout_totals(&did, &currency).await?;
        let mut m = Map::new();
        // Earned and not yet in a payout.
        m.insert(
            "payable".into(),
            b.get("balance").cloned().unwrap_or(Value::Int(0)),
        );
        // In payouts on their way (planned, signed, submitted), and in
        // confirmed payouts.
        m.insert("pending".into(), totals.in_flight.into());
        m.insert("paid".into(), totals.paid.into());
        out.insert(currency, Value::Object(m));
    }
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

async fn requester_balance(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    Query(q): Query<CurrencyQuery>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    s.authenticate(
        bearer(&headers),
        &did,
        crate::authentic::LXM_REQUESTER_BALANCE,
        s.now(),
    )
    .await?;
    let mut out = Map::new();
    for currency in currencies(&s, q.currency)? {
        out.insert(
            currency.clone(),
            balance_of(&s, accounts::requester(&did, &currency)).await?,
        );
    }
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

/// The currencies a read asks for: one the exchange settles, or all of
/// them. Anything else is refused here, before it could name an account.
fn currencies(s: &Service, one: Option<String>) -> Result<Vec<String>, Failure> {
    match one {
        Some(c) if s.policy.supports(&c) => Ok(vec![c]),
        Some(c) => Err(Failure::new(
            FailureKind::BadRequest,
            "currency-not-supported",
            format!(
                "currency: this exchange settles {}, not {c:?}",
                s.policy.currencies.join(", ")
            ),
        )),
        None => Ok(s.policy.currencies.clone()),
    }
}

#[derive(serde::Deserialize)]
struct ListSettlementsQuery {
    requester: Option<String>,
    receipt: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_settlements(
    State(s): Shared,
    Query(q): Query<ListSettlementsQuery>,
) -> Result<Response, Failure> {
    let (column, value) = match (&q.requester, &q.receipt) {
        (Some(r), None) => (SettlementColumn::Requester, r),
        (None, Some(r)) => (SettlementColumn::Receipt, r),
        _ => return Err(bad("exactly one of requester, receipt is required")),
    };
    let after = match &q.cursor {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .map_err(|_| bad("cursor: must be a cursor from a previous page"))?,
    };
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let rows = s
        .store
        .settlements_where(column, value, after, limit)
        .await?;
    let mut m = Map::new();
    m.insert(
        "settlements".into(),
        Value::Array(
            rows.iter()
                .map(|row| {
                    indexed_record(
                        &row.uri,
                        &row.cid,
                        crate::records::NSID_SETTLEMENT,
                        &row.value,
                        Some(row.created_at),
                    )
                })
                .collect(),
        ),
    );
    if rows.len() as i64 == limit
        && let Some(last) = rows.last()
    {
        m.insert("cursor".into(), last.seq.to_string().into());
    }
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

#[derive(serde::Deserialize)]
struct StatementQuery {
    currency: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// A requester's ledger entries (deposits, charges, fees, holds and their
/// release), oldest first, with a cursor for the next page.
async fn requester_statement(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    s.authenticate(
        bearer(&headers),
        &did,
        crate::authentic::LXM_REQUESTER_STATEMENT,
        s.now(),
    )
    .await?;
    let currency = currencies(&s, q.currency)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Failure::new(
                FailureKind::Internal,
                "internal",
                "no currency is configured",
            )
        })?;
    let after = match &q.cursor {
        None => None,
        Some(c) => Some(
            c.parse::<ledger::Cursor>()
                .map_err(|_| bad("cursor: must be a cursor from a previous page"))?,
        ),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX as u32);
    let account = accounts::requester(&did, &currency);
    let page = match s
        .store
        .ledger()
        .statement(&account, ledger::Page { after, limit })
        .await
    {
        Ok(p) => p,
        Err(ledger::Error::AccountNotFound { .. }) => ledger::TransferPage {
            transfers: Vec::new(),
            next: None,
        },
        Err(e) => return Err(crate::store::StoreError::from(e).into()),
    };
    let entries: Vec<Value> = page
        .transfers
        .iter()
        .map(|t| {
            let mut e = Map::new();
            e.insert("seq".into(), t.seq.into());
            e.insert("kind".into(), t.kind.as_str().into());
            e.insert("code".into(), t.code.as_str().into());
            let mut amount = Map::new();
            amount.insert("amount".into(), t.amount_minor.into());
            amount.insert("currency".into(), t.currency.as_str().into());
            e.insert("amount".into(), Value::Object(amount));
            // Seen from the requester: money leaving is a debit, funds set
            // aside are a hold, a hold given back is a release.
            let side = match t.kind {
                ledger::TransferKind::Pending => "hold",
                ledger::TransferKind::Void | ledger::TransferKind::Expire => "release",
                _ if t.debit_account == account => "debit",
                _ => "credit",
            };
            e.insert("side".into(), side.into());
            if let Some(r) = &t.reference {
                e.insert("reference".into(), r.as_str().into());
            }
            if let Some(x) = t.expires_at_us {
                e.insert(
                    "expiresAt".into(),
                    Datetime::from_unix_nanos(i128::from(x) * 1000)
                        .to_string()
                        .into(),
                );
            }
            e.insert(
                "at".into(),
                Datetime::from_unix_nanos(i128::from(t.timestamp_us) * 1000)
                    .to_string()
                    .into(),
            );
            Value::Object(e)
        })
        .collect();
    let mut m = Map::new();
    m.insert("requester".into(), did.into());
    m.insert("currency".into(), currency.into());
    m.insert("entries".into(), Value::Array(entries));
    if let Some(next) = page.next {
        m.insert("cursor".into(), next.to_string().into());
    }
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

#[derive(serde::Deserialize)]
struct ListReceiptsQuery {
    provider: Option<String>,
    requester: Option<String>,
    job: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn indexed_record(
    uri: &str,
    cid: &str,
    collection: &str,
    body: &Value,
    indexed_at: Option<i64>,
) -> Value {
    let parsed = crate::records::formats::AtUri::parse(uri);
    let mut r = Map::new();
    r.insert("uri".into(), uri.into());
    r.insert("cid".into(), cid.into());
    r.insert("collection".into(), collection.into());
    r.insert(
        "repo".into(),
        parsed
            .as_ref()
            .map(|u| u.did().to_owned())
            .unwrap_or_default()
            .into(),
    );
    r.insert(
        "rkey".into(),
        parsed
            .as_ref()
            .map(|u| u.rkey().to_owned())
            .unwrap_or_default()
            .into(),
    );
    r.insert("body".into(), body.clone());
    if let Some(at) = indexed_at {
        r.insert(
            "indexedAt".into(),
            Datetime::from_unix_nanos(i128::from(at) * 1000)
                .to_string()
                .into(),
        );
    }
    Value::Object(r)
}

async fn list_receipts(
    State(s): Shared,
    Query(q): Query<ListReceiptsQuery>,
) -> Result<Response, Failure> {
    use crate::store::RecordFilter;
    let filter = match (&q.provider, &q.requester, &q.job) {
        (Some(p), None, None) => RecordFilter::Owner {
            collection: crate::records::NSID_RECEIPT,
            did: p,
        },
        (None, Some(r), None) => RecordFilter::ReceiptsOfRequester(r),
        (None, None, Some(j)) => RecordFilter::ReceiptsOfJob(j),
        _ => return Err(bad("exactly one of provider, requester, job is required")),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let after = q.cursor.clone().unwrap_or_default();
    let rows = s.store.list_records(&filter, &after, limit).await?;
    let mut m = Map::new();
    m.insert(
        "receipts".into(),
        Value::Array(
            rows.iter()
                .map(|r| {
                    indexed_record(&r.uri, &r.cid, crate::records::NSID_RECEIPT, &r.value, None)
                })
                .collect(),
        ),
    );
    if rows.len() as i64 == limit
        && let Some(last) = rows.last()
    {
        m.insert("cursor".into(), last.uri.clone().into());
    }
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

fn finding(severity: &str, code: &str, message: &str) -> Value {
    let mut f = Map::new();
    f.insert("severity".into(), severity.into());
    f.insert("code".into(), code.into());
    f.insert("message".into(), message.into());
    Value::Object(f)
}

/// Whether a stored receipt could be charged now, with the reason if not.
async fn verify_receipt(State(s): Shared, Query(q): Query<UriQuery>) -> Result<Response, Failure> {
    let verdict = s.check_receipt(&q.uri, s.now()).await?;
    let findings = match &verdict {
        Ok(_) => vec![finding(
            "info",
            "chargeable",
            "every stateless rule of a charge holds",
        )],
        Err(f) => vec![finding("error", f.code, &f.message)],
    };
    let mut m = Map::new();
    m.insert("ok".into(), verdict.is_ok().into());
    // Hardware attestation chains are not verified yet: every provider
    // counts as self-attested.
    m.insert("trustLevel".into(), "self-attested".into());
    m.insert("findings".into(), Value::Array(findings));
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

/// Re-checks a settlement this exchange wrote, with the same checks a
/// requester's `settlement audit` makes: signature, CID, split, the receipt
/// by content, and the rules of a charge at settledAt.
async fn verify_settlement_query(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let row =
        s.store.settlement_by_uri(&q.uri).await?.ok_or_else(|| {
            Failure::record_not_found(format!("no settlement {} is stored", q.uri))
        })?;
    let found = crate::audit::check_stored_settlement(
        &s.store,
        &s.exchange.did,
        *s.exchange.verifying_key(),
        &row.uri,
        &row.cid,
        &row.value,
    )
    .await
    .map_err(|e| Failure::new(FailureKind::Internal, "internal", e.to_string()))?;
    let findings: Vec<Value> = if found.is_empty() {
        vec![finding("info", "settlement-verified", "every check holds")]
    } else {
        found
            .iter()
            .map(|d| finding("error", d.check, &d.detail))
            .collect()
    };
    let mut m = Map::new();
    m.insert("ok".into(), found.is_empty().into());
    m.insert("findings".into(), Value::Array(findings));
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes
/// in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router_with(service, limits))
        .with_graceful_shutdown(shutdown)
        .await
}
