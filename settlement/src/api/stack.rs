//! The HTTP edge as a stack of tower and tower-http layers.
//!
//! Every request, outermost first: a sane request id (the client's
//! `x-request-id` if it is short and plain, else 128 random bits), set on
//! the request and echoed on the answer; a tracing span; gzip for large
//! reads; metrics, the development banner and problem+json for errors
//! answered outside our handlers; a panic caught into a 500 problem.
//!
//! Every route but health and readiness, inside that: the body limit; the
//! whole body read within its own time limit *before* the request takes a
//! place in flight (a slow client holds a connection, never a place); a
//! place among `in_flight_max` or 503 `overloaded` at once; the request
//! time limit. Health and readiness answer whatever the load.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate as _, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use super::Limits;
use super::edge::{DEVELOPMENT_HEADER, problem_for_errors};
use crate::failure::{Failure, FailureKind};
use crate::service::Service;

type Routes = Router<Arc<Service>>;

/// Longest request id accepted from a client.
pub(super) const REQUEST_ID_MAX: usize = 64;

/// Answers smaller than this are sent as they are.
pub const COMPRESS_BYTES_MIN: u16 = 1024;

const DEVELOPMENT_BANNER: &str =
    "records are not proven: this exchange accepts made-up records; never expose it";

/// `routes` behind the body limit `body_max`, the body read first, the
/// shared `gate` of places in flight and the request time limit.
pub(super) fn limited(
    routes: Routes,
    body_max: usize,
    limits: &Limits,
    gate: &GlobalConcurrencyLimitLayer,
) -> Routes {
    routes.layer(
        ServiceBuilder::new()
            .layer(RequestBodyLimitLayer::new(body_max))
            .layer(MapRequestBodyLayer::new(Body::new))
            .layer(middleware::from_fn_with_state(
                (limits.body_read_timeout, body_max),
                body_first,
            ))
            .layer(HandleErrorLayer::new(refused))
            .layer(LoadShedLayer::new())
            .layer(gate.clone())
            .layer(tower::timeout::TimeoutLayer::new(limits.request_timeout)),
    )
}

/// The layers every request passes, health included.
pub(super) fn edge(routes: Routes, service: Arc<Service>) -> Routes {
    // Pages are never compressed: they carry the operator's CSRF token next
    // to text a visitor chose, which is what BREACH needs.
    let large_reads =
        SizeAbove::new(COMPRESS_BYTES_MIN).and(NotForContentType::const_new("text/html"));
    routes.layer(
        ServiceBuilder::new()
            .layer(middleware::map_request(sane_request_id))
            .layer(SetRequestIdLayer::x_request_id(NewRequestId))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(span_of)
                    .on_request(())
                    .on_response(answered)
                    .on_failure(()),
            )
            .layer(CompressionLayer::new().compress_when(large_reads))
            .layer(middleware::from_fn_with_state(service, observe))
            .layer(CatchPanicLayer::custom(panicked)),
    )
}

/// 128 random bits as 32 lowercase hex characters.
fn new_request_id() -> String {
    crate::records::formats::lower_hex(&crate::secrets::random_bytes::<16>())
}

/// Whether a client's request id may be echoed and logged as it is.
fn is_sane_request_id(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= REQUEST_ID_MAX
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
}

/// Drops a client's request id that is not sane: a new one is made.
async fn sane_request_id(mut req: Request) -> Request {
    if req
        .headers()
        .get("x-request-id")
        .is_some_and(|v| !is_sane_request_id(v.as_bytes()))
    {
        req.headers_mut().remove("x-request-id");
    }
    req
}

#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&new_request_id())
            .ok()
            .map(RequestId::new)
    }
}

fn route_of<B>(req: &axum::http::Request<B>) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
}

/// The request's span, by route template (never the raw path, which
/// would carry DIDs).
fn span_of<B>(req: &axum::http::Request<B>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "http.request",
        request_id = %id,
        http.method = %req.method(),
        http.route = %route_of(req),
        http.status = tracing::field::Empty,
        latency_us = tracing::field::Empty,
    )
}

fn answered<B>(response: &axum::http::Response<B>, elapsed: Duration, span: &tracing::Span) {
    let status = response.status().as_u16();
    span.record("http.status", status);
    span.record(
        "latency_us",
        u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
    );
    if status >= 500 {
        tracing::warn!(parent: span, status, "request failed");
    }
}

/// Latency by route template and status class; the development banner;
/// error answers from outside our handlers rewritten as problems.
async fn observe(State(s): State<Arc<Service>>, req: Request, next: Next) -> Response {
    let route = route_of(&req).to_owned();
    let start = Instant::now();
    let mut response = problem_for_errors(next.run(req).await).await;
    // A body refused unread (too large, too slow) leaves the connection
    // with bytes no one will read: it closes after this answer, and says
    // so, so no client sends its next request into it.
    if matches!(response.status().as_u16(), 408 | 413) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if !s.records.is_proven() {
        response.headers_mut().insert(
            DEVELOPMENT_HEADER,
            HeaderValue::from_static(DEVELOPMENT_BANNER),
        );
    }
    if !matches!(route.as_str(), "/healthz" | "/readyz") {
        s.metrics
            .request(&route, response.status().as_u16(), start.elapsed());
    }
    response
}

/// The whole body, at most `max` bytes (the limit layer above makes a
/// longer body fail), within `limit`: 413 if too large or broken off, 408
/// if too slow. Only then does the request go on to wait for a place.
async fn body_first(
    State((limit, max)): State<(Duration, usize)>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(limit, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(_)) => Failure::new(
            FailureKind::TooLarge,
            "payload-too-large",
            format!("the body is larger than {max} bytes or broken off"),
        )
        .into_response(),
        Err(_) => Failure::new(
            FailureKind::BodyTimeout,
            "body-timeout",
            format!("the body did not arrive within {} ms", limit.as_millis()),
        )
        .into_response(),
    }
}

/// What the load shedder and the time limit refuse, as problems.
async fn refused(err: tower::BoxError) -> Response {
    if err.is::<tower::load_shed::error::Overloaded>() {
        let mut r = Failure::new(
            FailureKind::Unavailable,
            "overloaded",
            "too many requests in flight; retry shortly",
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        r
    } else if err.is::<tower::timeout::error::Elapsed>() {
        Failure::new(
            FailureKind::Unavailable,
            "timeout",
            "the request took too long and was abandoned",
        )
        .into_response()
    } else {
        Failure::new(FailureKind::Internal, "internal", format!("edge: {err}")).into_response()
    }
}

/// A panic is a bug: contained to its request (500, logged at ERROR),
/// never taking the connection down silently. Its message stays out of
/// the log: it may quote any value.
fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    Failure::new(FailureKind::Internal, "internal", "handler panicked").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt as _;

    async fn service() -> Arc<Service> {
        use crate::testkit;
        let now = crate::records::formats::Datetime::parse(testkit::NOW).expect("constant");
        let clock: Arc<dyn ledger::Clock> = Arc::new(ledger::ManualClock::new(now.unix_micros()));
        let store = crate::store::Store::open("sqlite::memory:", clock.clone())
            .await
            .expect("store");
        Service::new(
            crate::exchange::Exchange::new(testkit::EXCHANGE, testkit::key("exchange")),
            crate::exchange::FeePolicy::default(),
            store,
            None,
            clock,
        )
    }

    fn get_(path: &str) -> Request {
        axum::http::Request::get(path)
            .header("x-request-id", "panic-1")
            .body(Body::empty())
            .expect("request")
    }

    /// A handler that panics answers 500 `internal` (the panic's text
    /// withheld), and gives its place in flight back: with one place, the
    /// next request is served.
    #[tokio::test]
    async fn a_panic_is_contained_to_its_request() {
        let s = service().await;
        let routes = Router::new()
            .route(
                "/boom",
                get(|| async {
                    if true {
                        panic!("secret 4111")
                    }
                    "never"
                }),
            )
            .route("/ok", get(|| async { "ok" }));
        let limits = Limits {
            in_flight_max: 1,
            ..Limits::default()
        };
        let gate = GlobalConcurrencyLimitLayer::new(limits.in_flight_max);
        let app = edge(limited(routes, 1024, &limits, &gate), s.clone()).with_state(s);
        for _ in 0..3 {
            let r = app.clone().oneshot(get_("/boom")).await.expect("answer");
            assert_eq!(r.status().as_u16(), 500);
            assert_eq!(r.headers()["x-request-id"], "panic-1");
            let body = axum::body::to_bytes(r.into_body(), 4096)
                .await
                .expect("body");
            let text = String::from_utf8(body.to_vec()).expect("utf-8");
            assert!(text.contains("\"code\":\"internal\""), "{text}");
            assert!(!text.contains("4111"), "{text}");
        }
        let r = app.oneshot(get_("/ok")).await.expect("answer");
        assert_eq!(r.status().as_u16(), 200);
    }

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(is_sane_request_id(b"abc.123:x-y_z"));
        assert!(is_sane_request_id(&[b'a'; 64]));
        assert!(!is_sane_request_id(&[b'a'; 65]));
        assert!(!is_sane_request_id(b""));
        assert!(!is_sane_request_id(b"bad id with spaces"));
        assert!(!is_sane_request_id(b"a\nb"));
    }
}
