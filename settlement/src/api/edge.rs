//! The HTTP edge's helpers: problem+json answers, strict JSON bodies,
//! admin and bearer credentials. The layers are in `stack`.

use super::*;

/// The header every answer carries in development mode, where records
/// posted as JSON are taken as genuine.
pub const DEVELOPMENT_HEADER: &str = "x-settlement-development-mode";
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

/// `v` as the JSON answer: every body the API writes goes through here,
/// from the typed structs of `wire`.
pub(super) fn json_response(status: StatusCode, v: &impl serde::Serialize) -> Response {
    let bytes = match serde_json::to_vec(v) {
        Ok(b) => b,
        Err(e) => {
            return Failure::new(FailureKind::Internal, "internal", format!("answer: {e}"))
                .into_response();
        }
    };
    let mut r = (status, bytes).into_response();
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
        let problem = super::wire::Problem {
            kind: format!("urn:settlement:problem:{}", self.code),
            title: self.code.to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code.to_owned(),
        };
        let mut r = json_response(status, &problem);
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
