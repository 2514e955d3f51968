//! A TensorCash verifier, asked over HTTP to replay a proof with the model
//! (`POST /v1/verify/{quick,quick-smell,full,logits}`, a binary
//! `ValidationRequest`; JSON `{status, hash_id, elapsed_ms, cached}`; 202
//! while pending, polled at `GET /v1/verify/status/{hash_id}`). The
//! verifier is the operator's choice, configured, not named by a provider.
//!
//! Every failure is an [`Unavailable`]: nothing is decided without an
//! answer, and the charge is retried later. Retries here are bounded
//! (429 after its Retry-After, 503, 504, a dropped connection), and the
//! whole exchange has one deadline.

pub mod standin;

use std::time::{Duration, Instant};

use crate::inference::Proof;
use crate::inference::request::{self, Mode, Verdict};

/// Largest answer read from the verifier.
const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// Where the verifier is and how long to wait for it.
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL, e.g. `https://verify.example`; `/v1/verify/...` is added.
    pub url: reqwest::Url,
    pub mode: Mode,
    /// Bearer token, when the verifier asks for one. Never logged.
    pub token: Option<String>,
    /// Time limit of one HTTP exchange.
    pub request_timeout: Duration,
    /// Time limit of the whole verification, polling included.
    pub deadline: Duration,
    /// Pause between polls of a pending verification.
    pub poll: Duration,
    /// Attempts of the submission (429, 503, 504, a transport error).
    pub attempts: u32,
}

impl Config {
    pub fn new(url: reqwest::Url, mode: Mode) -> Config {
        Config {
            url,
            mode,
            token: None,
            request_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            attempts: 3,
        }
    }
}

/// The verifier's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The `ResponseValue` name.
    pub status: String,
    pub verdict: Verdict,
    /// The request's hash id, byte-reversed hex, as the verifier shows it.
    pub hash_id: String,
    pub elapsed_ms: u64,
    pub cached: bool,
}

/// No verdict could be had; the reason is for the operator's log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("proof verifier unavailable: {0}")]
pub struct Unavailable(pub String);

/// Asks the verifier about one proof.
pub struct Verifier {
    config: Config,
    http: reqwest::Client,
}

enum Step {
    Done(Answer),
    Pending,
    Retry(String, Option<Duration>),
}

impl Verifier {
    pub fn new(config: Config) -> Result<Verifier, String> {
        let http = crate::tls::client()
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("proof verifier client: {e}"))?;
        Ok(Verifier { config, http })
    }

    pub fn mode(&self) -> Mode {
        self.config.mode
    }

    /// The verifier's host (and port), to name it in a verdict.
    pub fn host(&self) -> String {
        let url = &self.config.url;
        match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => String::new(),
        }
    }

    fn endpoint(&self, path: &str) -> Result<reqwest::Url, Unavailable> {
        self.config
            .url
            .join(path)
            .map_err(|e| Unavailable(format!("the verifier's URL cannot take {path}: {e}")))
    }

    fn authorised(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.config.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// Submits the proof and waits (polling a 202) for a terminal answer,
    /// within the configured deadline.
    pub async fn verify(&self, proof: &Proof) -> Result<Answer, Unavailable> {
        let started = Instant::now();
        let (body, id) = request::validation_request(proof, self.config.mode);
        let display = request::display_id(&id);
        let submit = self.endpoint(&format!("v1/verify/{}", self.config.mode.path()))?;
        let status = self.endpoint(&format!("v1/verify/status/{display}"))?;
        let mut attempt = 0;
        let mut pending = false;
        loop {
            let left = self.config.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(Unavailable(format!(
                    "no verdict within {} ms",
                    self.config.deadline.as_millis()
                )));
            }
            let req = if pending {
                self.http.get(status.clone())
            } else {
                self.http
                    .post(submit.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .header(reqwest::header::ACCEPT, "application/json")
                    .body(body.clone())
            };
            let step = match tokio::time::timeout(left, self.authorised(req).send()).await {
                Err(_) => Step::Retry("timed out".into(), None),
                Ok(Err(e)) => Step::Retry(
                    format!("transport: {}", crate::secrets::scrub(&e.to_string())),
                    None,
                ),
                Ok(Ok(resp)) => self.read(resp, &display, pending).await?,
            };
            match step {
                Step::Done(a) => return Ok(a),
                Step::Pending => {
                    pending = true;
                    tokio::time::sleep(self.config.poll.min(left)).await;
                }
                Step::Retry(why, after) => {
                    attempt += 1;
                    if attempt >= self.config.attempts {
                        return Err(Unavailable(format!("{why} ({attempt} attempts)")));
                    }
                    pending = false;
                    let pause = after.unwrap_or(self.config.poll * attempt);
                    tokio::time::sleep(pause.min(left)).await;
                }
            }
        }
    }

    async fn read(
        &self,
        resp: reqwest::Response,
        id: &str,
        polling: bool,
    ) -> Result<Step, Unavailable> {
        let code = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(30)));
        let bytes = crate::egress::read_bounded(resp, ANSWER_BYTES_MAX)
            .await
            .map_err(|e| Unavailable(format!("answer {code}: {e}")))?;
        match code {
            200 => {
                let answer = parse_answer(&bytes, self.config.mode)?;
                if answer.status == "pending" {
                    return Ok(Step::Pending);
                }
                if answer.hash_id != id {
                    return Err(Unavailable(format!(
                        "the verifier answered for {}, not {id}",
                        answer.hash_id
                    )));
                }
                Ok(Step::Done(answer))
            }
            202 => Ok(Step::Pending),
            // The verifier lost a pending verification: submit again.
            404 if polling => Ok(Step::Retry(
                "the pending verification was lost".into(),
                None,
            )),
            429 => Ok(Step::Retry("rate limited (429)".into(), retry_after)),
            503 | 504 | 502 => Ok(Step::Retry(
                format!("the verifier answered {code}"),
                retry_after,
            )),
            400 => Err(Unavailable(format!(
                "the verifier refused the request (400): {}",
                detail(&bytes)
            ))),
            401 | 403 => Err(Unavailable(format!(
                "the verifier refused our credentials ({code})"
            ))),
            413 => Err(Unavailable(
                "the verifier refused the request as too large (413)".into(),
            )),
            _ => Err(Unavailable(format!(
                "the verifier answered {code}: {}",
                detail(&bytes)
            ))),
        }
    }
}

/// A FastAPI error's `detail`, bounded, for the operator's log.
fn detail(bytes: &[u8]) -> String {
    let d = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned());
    d.chars().take(200).collect()
}

/// `{status, hash_id, elapsed_ms, cached}`; other members are ignored.
pub fn parse_answer(bytes: &[u8], mode: Mode) -> Result<Answer, Unavailable> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Unavailable(format!("the answer is not JSON: {e}")))?;
    let status = v
        .get("status")
        .and_then(|s| s.as_str())
        .ok_or_else(|| Unavailable("the answer has no string `status`".into()))?
        .to_owned();
    let hash_id = v
        .get("hash_id")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_owned();
    Ok(Answer {
        verdict: request::verdict(&status, mode),
        status,
        hash_id,
        elapsed_ms: v.get("elapsed_ms").and_then(|n| n.as_u64()).unwrap_or(0),
        cached: v.get("cached").and_then(|b| b.as_bool()).unwrap_or(false),
    })
}
