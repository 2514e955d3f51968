//! A stand-in TensorCash verifier for tests, the bench and the demo: the
//! real one replays the model (PyTorch and the weights) and cannot run
//! here. It speaks the real wire format: it decodes the binary
//! `ValidationRequest`, requires the endpoint's `ValidationType`, the
//! content type, the bearer token when set and a `hash_id` that binds the
//! proof (as the verifier's precheck does), and answers the JSON and 202
//! protocol. Each test tells it which `ResponseValue` to give.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tensorcash_fbs::planus::ReadAsRoot;
use tensorcash_fbs::{ValidationRequestRef, ValidationType, ValidationUnionRef};

use crate::inference::proof::from_ref;
use crate::inference::request::{Mode, display_id, hash_id, pow_blob_hash};

/// What the stand-in answers, changed by the test as it goes.
#[derive(Debug, Clone)]
pub struct Script {
    /// The `ResponseValue` name answered once a verification is done.
    pub status: String,
    /// Polls answered 202 before the verdict.
    pub pending_polls: u32,
    /// Answer 503 to everything (the verifier is down).
    pub down: bool,
    /// Require `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Statuses answered to the next submissions, one each, before any
    /// verification (400, 413, 429 with Retry-After 0, 503, 504: the
    /// verifier's errors).
    pub errors: Vec<u16>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            status: "Full_Green".into(),
            pending_polls: 0,
            down: false,
            token: None,
            errors: Vec::new(),
        }
    }
}

#[derive(Default)]
struct Inner {
    script: Script,
    /// Hash ids (display form) of accepted submissions, in order.
    submitted: Vec<String>,
    /// hash id -> polls left before the verdict.
    waiting: std::collections::BTreeMap<String, u32>,
}

/// A running stand-in.
#[derive(Clone)]
pub struct StandIn {
    inner: Arc<Mutex<Inner>>,
    pub addr: SocketAddr,
}

impl StandIn {
    /// Serves on a free loopback port until the runtime ends.
    pub async fn start(script: Script) -> std::io::Result<StandIn> {
        let inner = Arc::new(Mutex::new(Inner {
            script,
            ..Inner::default()
        }));
        let app = axum::Router::new()
            .route("/v1/verify/{mode}", post(submit))
            .route("/v1/verify/status/{id}", get(status))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StandIn { inner, addr })
    }

    pub fn url(&self) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://{}/", self.addr)).expect("a loopback URL")
    }

    /// Changes what it answers from now on.
    pub fn script(&self, f: impl FnOnce(&mut Script)) {
        f(&mut self.inner.lock().expect("stand-in state").script);
    }

    /// Hash ids of the submissions it accepted.
    pub fn submitted(&self) -> Vec<String> {
        self.inner.lock().expect("stand-in state").submitted.clone()
    }
}

type Shared = Arc<Mutex<Inner>>;

fn answer(code: StatusCode, body: serde_json::Value) -> Response {
    (
        code,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn problem(code: StatusCode, detail: &str) -> Response {
    answer(code, json!({ "detail": detail }))
}

fn verdict(s: &Script, id: &str) -> Response {
    answer(
        StatusCode::OK,
        json!({"status": s.status, "hash_id": id, "elapsed_ms": 7, "cached": false}),
    )
}

fn authorised(s: &Script, headers: &HeaderMap) -> bool {
    match &s.token {
        None => true,
        Some(t) => headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {t}")),
    }
}

async fn submit(
    State(inner): State<Shared>,
    Path(mode): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let script = {
        let mut g = inner.lock().expect("stand-in state");
        if !g.script.errors.is_empty() {
            let code = g.script.errors.remove(0);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = problem(status, &format!("scripted {code}"));
            if code == 429 {
                r.headers_mut()
                    .insert("retry-after", axum::http::HeaderValue::from_static("0"));
            }
            return r;
        }
        g.script.clone()
    };
    if script.down {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Verification engine error: down",
        );
    }
    if !authorised(&script, &headers) {
        return problem(StatusCode::UNAUTHORIZED, "Invalid or missing API key");
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/octet-stream")
    {
        return problem(
            StatusCode::BAD_REQUEST,
            "Content-Type must be application/octet-stream",
        );
    }
    if body.len() > 50 << 20 {
        return problem(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
    }
    let Some(expected) = Mode::parse(&mode).map(Mode::wire) else {
        return problem(StatusCode::NOT_FOUND, "Not Found");
    };
    let id = match read_request(&body, expected) {
        Ok(id) => id,
        Err(why) => return problem(StatusCode::BAD_REQUEST, &why),
    };
    let mut g = inner.lock().expect("stand-in state");
    g.submitted.push(id.clone());
    if script.pending_polls > 0 {
        g.waiting.insert(id.clone(), script.pending_polls);
        let pending = json!({"status": "pending", "hash_id": id, "verification_type": mode, "state": "computing", "accepted_at": 1.5});
        return answer(StatusCode::ACCEPTED, pending);
    }
    verdict(&script, &id)
}

/// The request's display hash id, when it is a BlockValidation of the
/// endpoint's type whose ids bind its proof.
fn read_request(body: &[u8], expected: ValidationType) -> Result<String, String> {
    let vr = ValidationRequestRef::read_as_root(body)
        .map_err(|e| format!("Invalid ValidationRequest: {e}"))?;
    let vt = vr
        .validation_type()
        .map_err(|e| format!("Invalid ValidationRequest: {e}"))?;
    if vt != expected {
        return Err("ValidationType does not match the endpoint".into());
    }
    let Some(ValidationUnionRef::BlockValidation(block)) =
        vr.request().map_err(|e| e.to_string())?
    else {
        return Err("Request must be BlockValidation".into());
    };
    let proof = block
        .pow_blob()
        .map_err(|e| e.to_string())?
        .ok_or("BlockValidation has no pow_blob")?;
    let proof = from_ref(proof).map_err(|e| e.to_string())?;
    let blob = pow_blob_hash(&proof);
    let stated_blob = block
        .pow_blob_hash()
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let stated_id = vr.hash_id().map_err(|e| e.to_string())?.unwrap_or_default();
    let id = hash_id(&proof, &blob);
    if stated_blob != blob || stated_id != id {
        return Err("ValidationRequest hash mismatch".into());
    }
    Ok(display_id(&id))
}

async fn status(
    State(inner): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut g = inner.lock().expect("stand-in state");
    let script = g.script.clone();
    if script.down {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Verification engine error: down",
        );
    }
    if !authorised(&script, &headers) {
        return problem(StatusCode::UNAUTHORIZED, "Invalid or missing API key");
    }
    match g.waiting.get_mut(&id) {
        None => problem(
            StatusCode::NOT_FOUND,
            "No cached result found for this hash_id",
        ),
        Some(0) => verdict(&script, &id),
        Some(left) => {
            *left -= 1;
            let pending = json!({"status": "pending", "hash_id": id, "verification_type": "full", "state": "computing"});
            answer(StatusCode::ACCEPTED, pending)
        }
    }
}
