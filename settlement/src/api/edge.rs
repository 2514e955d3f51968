//! The HTTP edge's middleware and helpers: request ids, limits, panic
//! containment, problem+json answers, strict JSON bodies, admin and
//! bearer credentials.

use super::*;

pub(super) struct Edge {
    pub(super) service: Arc<Service>,
    pub(super) limits: Limits,
    pub(super) permits: tokio::sync::Semaphore,
}

/// Longest request id accepted from a client.
pub(super) const REQUEST_ID_MAX: usize = 64;

/// 128 random bits as 32 lowercase hex characters.
pub(super) fn new_request_id() -> String {
    use p256::elliptic_curve::rand_core::RngCore as _;
    let mut bytes = [0u8; 16];
    p256::elliptic_curve::rand_core::OsRng.fill_bytes(&mut bytes);
    crate::records::formats::lower_hex(&bytes)
}

pub(super) fn request_id(headers: &HeaderMap) -> String {
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

/// The request with its body read whole (at most `max` bytes)
/// within `limit`; a body that is too slow is 408, too large 413.
async fn read_body(
    req: axum::extract::Request,
    limit: std::time::Duration,
    max: usize,
) -> Result<axum::extract::Request, Failure> {
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout(limit, axum::body::to_bytes(body, max)).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return Err(Failure::new(
                FailureKind::TooLarge,
                "payload-too-large",
                format!("the body is larger than {max} bytes or broken off"),
            ));
        }
        Err(_) => {
            return Err(Failure::new(
                FailureKind::BodyTimeout,
                "body-timeout",
                format!("the body did not arrive within {} ms", limit.as_millis()),
            ));
        }
    };
    Ok(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
}

/// The header every answer carries in development mode, where records
/// posted as JSON are taken as genuine.
pub const DEVELOPMENT_HEADER: &str = "x-settlement-development-mode";
const DEVELOPMENT_BANNER: &str =
    "records are not proven: this exchange accepts made-up records; never expose it";

/// Every request: an id (the client's `x-request-id` if sane, else a new
/// one) echoed in the response and carried by the span; a place among at
/// most `in_flight_max`; a timeout; latency metrics by route template; and
/// any error answer turned into problem+json.
pub(super) async fn edge(
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
    // Health and readiness answer whatever the load: outside the gate.
    if matches!(route.as_str(), "/healthz" | "/readyz") {
        let mut response = next.run(req).await;
        if let Ok(v) = HeaderValue::from_str(&id) {
            response.headers_mut().insert("x-request-id", v);
        }
        return response;
    }
    // The body is read first, under its own short limit, so a slow client
    // never holds a place in flight.
    // Proof uploads alone may be larger than any JSON body.
    let max = if route == "/v1/inference/proofs" {
        super::inference::PROOF_BODY_BYTES_MAX
    } else {
        BODY_BYTES_MAX
    };
    let req = match read_body(req, e.limits.body_read_timeout, max).await {
        Ok(req) => req,
        Err(f) => {
            let mut r = f.into_response();
            if let Ok(v) = HeaderValue::from_str(&id) {
                r.headers_mut().insert("x-request-id", v);
            }
            e.service
                .metrics
                .request(&route, r.status().as_u16(), start.elapsed());
            return r;
        }
    };
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
    if !e.service.records.is_proven() {
        response.headers_mut().insert(
            DEVELOPMENT_HEADER,
            HeaderValue::from_static(DEVELOPMENT_BANNER),
        );
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
pub(super) async fn problem_for_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    // 402 is the x402 protocol's own answer (PAYMENT-REQUIRED header and
    // its JSON body): clients parse it, so it passes untouched.
    // The console's pages answer their errors as pages.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if status.as_u16() < 400 || is_problem || is_page || status == StatusCode::PAYMENT_REQUIRED {
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

pub(super) type Shared = State<Arc<Service>>;

pub(super) fn json_response(status: StatusCode, v: &Value) -> Response {
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
            FailureKind::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            FailureKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
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

pub(super) fn bad(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::BadRequest, "invalid-request", message)
}

/// Parses a JSON object body strictly.
pub(super) fn body_object(bytes: &[u8]) -> Result<Map, Failure> {
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

pub(super) fn str_field<'a>(m: &'a Map, name: &str) -> Result<&'a str, Failure> {
    m.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{name}: must be a string")))
}

/// Whether the request carries the admin bearer token.
pub(super) fn is_admin(s: &Service, headers: &HeaderMap) -> bool {
    match (&s.admin_token, bearer(headers)) {
        // subtle: the time does not depend on where the first difference
        // is (a length difference is told at once, as anywhere).
        (Some(expected), Some(given)) => {
            subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.as_bytes()).into()
        }
        _ => false,
    }
}

pub(super) fn require_admin(s: &Service, headers: &HeaderMap) -> Result<(), Failure> {
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

pub(super) fn did_param(did: &str) -> Result<(), Failure> {
    if is_did(did) {
        Ok(())
    } else {
        Err(bad("did: must be a DID"))
    }
}

/// The token of `Authorization: Bearer TOKEN`, if any.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// 201 for what a request created, 200 for what was there already.
pub(super) fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}
