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

use crate::failure::{Failure, FailureKind};
use crate::records::RawRecord;
use crate::records::formats::is_did;
use crate::records::json::{self, Map, Value};
use crate::service::{Service, SettlementView};
use crate::store::{Put, SettlementColumn};

/// Largest request body accepted.
pub const BODY_BYTES_MAX: usize = 256 * 1024;
/// Longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a request body may take to arrive.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Most items one page of a listing returns.
pub const PAGE_MAX: i64 = 1000;

mod balances;
mod contracts;
mod deposits;
mod disputes;
mod edge;
mod inference;
mod listener;
mod network;
mod openapi;
mod payouts;
mod records;
mod settlements;
mod stack;
mod wire;

use balances::*;
pub use deposits::PAYMENTS_PER_CLIENT_MAX;
pub use edge::DEVELOPMENT_HEADER;
use edge::*;
pub use records::CAR_MEDIA_TYPE;
use records::*;
use settlements::*;
pub use stack::COMPRESS_BYTES_MIN;

pub fn router(service: Arc<Service>) -> Router {
    router_with(service, Limits::default())
}

pub fn router_with(service: Arc<Service>, limits: Limits) -> Router {
    // One gate of places in flight, shared by every limited route.
    let gate = tower::limit::GlobalConcurrencyLimitLayer::new(limits.in_flight_max);
    // Proof uploads alone may be larger than any JSON body.
    let uploads = Router::new().route("/v1/inference/proofs", post(inference::upload));
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(stack::limited(
            api(&service),
            BODY_BYTES_MAX,
            &limits,
            &gate,
        ))
        .merge(stack::limited(
            uploads,
            inference::PROOF_BODY_BYTES_MAX,
            &limits,
            &gate,
        ))
        // The limit layer above is the only body limit.
        .layer(DefaultBodyLimit::disable());
    stack::edge(routes, service.clone()).with_state(service)
}

/// Every route behind the limits.
fn api(service: &Arc<Service>) -> Router<Arc<Service>> {
    Router::new()
        .route("/v1/exchange", get(exchange))
        .route("/.well-known/did.json", get(did_json))
        .route("/v1/records", post(post_record).get(get_record))
        .route("/v1/settle", post(settle))
        .route("/v1/revocations", post(post_revocation))
        .route(
            "/v1/disputes",
            post(disputes::open).get(disputes::of_settlement),
        )
        .route("/v1/disputes/{id}", get(disputes::get))
        .route("/v1/admin/disputes/{id}/resolve", post(disputes::resolve))
        .route("/v1/inference/proofs/{cid}", get(inference::download))
        .route("/v1/inference/verdicts", get(inference::verdict))
        .route(
            "/v1/admin/inference/holds",
            post(inference::end_hold).get(inference::held),
        )
        .route(
            "/v1/contracts",
            post(contracts::accept).get(contracts::list),
        )
        .route("/v1/contracts/{id}", get(contracts::get))
        .route(
            "/v1/contracts/policies/{did}",
            get(contracts::get_policy).put(contracts::put_policy),
        )
        .route("/v1/admin/deposits", post(deposit))
        .route("/v1/deposits", deposits::route(service))
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
        .route("/v1/admin/backfill", post(network::backfill))
        .route("/v1/admin/publications", get(network::publication))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .merge(crate::console::routes())
        // Inside the limits, so its body is read too: a connection is
        // never left with a request body half read.
        .fallback(|| async { StatusCode::NOT_FOUND })
}

/// The OpenAPI document of this API.
pub fn openapi_document() -> &'static str {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(openapi::document);
    &DOCUMENT
}

/// Every route this API serves; a test holds the document to it.
pub const ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/v1/exchange",
    "/.well-known/did.json",
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
    "/v1/revocations",
    "/v1/disputes",
    "/v1/disputes/{id}",
    "/v1/admin/disputes/{id}/resolve",
    "/v1/inference/proofs",
    "/v1/inference/proofs/{cid}",
    "/v1/inference/verdicts",
    "/v1/admin/inference/holds",
    "/v1/contracts",
    "/v1/contracts/{id}",
    "/v1/contracts/policies/{did}",
    "/v1/admin/backfill",
    "/v1/admin/publications",
];

/// Bounds on the HTTP edge.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Requests served at once; one more is answered 503 `overloaded`
    /// at once (load shedding), with `Retry-After`.
    pub in_flight_max: usize,
    /// A request still running after this is answered 503 (its database
    /// transaction, if any, rolls back when dropped).
    pub request_timeout: Duration,
    /// A request body must arrive within this, before the request takes a
    /// place in flight (408 `body-timeout` otherwise).
    pub body_read_timeout: Duration,
    /// Open connections from one client address at most; more are closed
    /// as they are accepted.
    pub connections_per_client_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            in_flight_max: 256,
            request_timeout: REQUEST_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            connections_per_client_max: 512,
        }
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "Metrics", body = String, content_type = "text/plain"),
    ),
)]
async fn metrics(State(s): Shared) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let mut scrape = crate::metrics::Scrape::default();
    s.metrics.register(&mut scrape);
    let g = s.group_commit.stats();
    for (name, help, value) in [
        (
            "settlement_group_commit_transactions",
            "Transactions the settle writer committed or tried.",
            &g.groups,
        ),
        (
            "settlement_group_commit_charges",
            "Charges written in those transactions.",
            &g.charges,
        ),
        (
            "settlement_group_commit_busy_microseconds",
            "Time the settle writer spent in them.",
            &g.busy_us,
        ),
    ] {
        scrape.total(name, help, value.load(Relaxed));
    }
    if let Some(c) = s.contracts.get() {
        c.collect_metrics(&mut scrape);
    }
    if let Some(i) = s.ingestion.get() {
        i.collect_metrics(&mut scrape).await;
    }
    if let Some(p) = s.publisher.get() {
        p.collect_metrics(&mut scrape).await;
    }
    let mut r = scrape.encode().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
    );
    r
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    summary = "This document",
    responses(
        (status = 200, description = "OpenAPI document", body = serde_json::Value),
    ),
)]
async fn openapi() -> Response {
    let mut r = openapi_document().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

#[utoipa::path(
    get,
    path = "/healthz",
    summary = "Liveness",
    responses((status = 200, description = "The process answers", body = String, content_type = "text/plain")),
)]
async fn healthz() -> &'static str {
    "ok\n"
}

#[utoipa::path(
    get,
    path = "/readyz",
    summary = "Readiness: the database answers",
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, description = "Database unreachable"),
    ),
)]
async fn readyz(State(s): Shared) -> Response {
    match s.ready().await {
        Ok(()) => "ready\n".into_response(),
        Err(f) => {
            tracing::warn!("readyz: {}", f.message);
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

#[utoipa::path(
    get,
    path = "/v1/exchange",
    summary = "The exchange's DID, settlement key (JWK) and policy (fees, currencies, the models whose receipts need a proof of inference)",
    responses(
        (status = 200, description = "Exchange", body = wire::ExchangeInfo),
    ),
)]
async fn exchange(State(s): Shared) -> Response {
    let models = s
        .proof_gate
        .get()
        .map(|g| g.models.clone())
        .unwrap_or_default();
    json_response(
        StatusCode::OK,
        &wire::exchange(&s.exchange, &s.policy, &models),
    )
}

/// The exchange's DID document, for a did:web exchange (its settlement
/// key and its API); 404 for any other DID method.
#[utoipa::path(
    get,
    path = "/.well-known/did.json",
    summary = "The exchange's DID document (did:web exchanges): its settlement key as the Multikey verification method #settlement, its API as the service #settlement_exchange. Auditors take the settlement key from here (or from the DID's own resolution), never from /v1/exchange",
    responses(
        (status = 200, description = "The DID document", body = serde_json::Value),
        (status = 404, description = "The exchange's DID is not a did:web", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
async fn did_json(State(s): Shared) -> Result<Response, Failure> {
    let did = &s.exchange.did;
    let endpoint = crate::did_document::api_url(did).ok_or_else(|| {
        Failure::new(
            FailureKind::NotFound,
            "not-found",
            "this exchange's DID is not a did:web: its document is where its method keeps it",
        )
    })?;
    let doc = crate::did_document::document(did, s.exchange.verifying_key(), &endpoint);
    Ok(json_response(StatusCode::OK, &wire::Raw(doc)))
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes
/// in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener::PerClient::new(listener, limits.connections_per_client_max);
    axum::serve(
        listener,
        router_with(service, limits).into_make_service_with_connect_info::<listener::ClientAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
