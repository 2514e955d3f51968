//! The top floor: the `settlement` command's entry points, as functions
//! from input to (exit code, output) so that they are tested without
//! spawning a process. Nothing in the library imports this module.

pub mod audit;
pub mod bench;
pub mod config;
pub mod demo;
mod demo_console;
mod demo_contract;
mod demo_network;
mod demo_proof;
mod demo_split;
pub mod dispute;
pub mod network;
pub mod payout;
pub mod proof;

use crate::records::RawRecord;
use crate::records::formats::{Datetime, is_did};
use crate::records::json::{self, Map, Value};
use crate::verify::{self, Code, RawBundle};

/// Largest bundle file read, a bound on memory for outside input.
pub const BUNDLE_BYTES_MAX: usize = 4 * 1024 * 1024;

/// What a command printed and how it exits.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
}

fn unusable(message: impl Into<String>) -> Outcome {
    Outcome {
        exit: 2,
        stdout: String::new(),
        stderr: format!("verify-charge: {}\n", message.into()),
    }
}

fn rejected(code: Code, message: String) -> Outcome {
    let mut m = Map::new();
    m.insert("ok".into(), false.into());
    m.insert("code".into(), code.as_str().into());
    m.insert("message".into(), message.into());
    Outcome {
        exit: 1,
        stdout: format!("{}\n", json::to_canonical_string(&Value::Object(m))),
        stderr: String::new(),
    }
}

const RECORDS: [&str; 4] = ["job", "authorization", "attestation", "receipt"];

fn raw_record(bundle: &Map, name: &str) -> Result<RawRecord, String> {
    let r = bundle
        .get(name)
        .and_then(Value::as_object)
        .ok_or(format!("{name}: must be an object {{uri, cid?, value}}"))?;
    let uri = r
        .get("uri")
        .and_then(Value::as_str)
        .ok_or(format!("{name}.uri: must be a string"))?;
    let cid = match r.get("cid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(format!("{name}.cid: must be a string")),
    };
    let value = r.get("value").ok_or(format!("{name}.value: is required"))?;
    Ok(RawRecord {
        uri: uri.to_owned(),
        cid,
        value: value.clone(),
    })
}

/// `settlement verify-charge --bundle FILE`, given the file's bytes.
pub fn verify_charge(bytes: &[u8]) -> Outcome {
    if bytes.len() > BUNDLE_BYTES_MAX {
        return unusable(format!("bundle is larger than {BUNDLE_BYTES_MAX} bytes"));
    }
    let doc = match json::parse(bytes) {
        Ok(doc) => doc,
        Err(e) => {
            // Bad JSON inside a record (a float amount, a duplicated key) is
            // a verdict on that record; anything else is unusable input.
            for name in RECORDS {
                let prefix = format!("{name}.value");
                if let Some(rest) = e.path.strip_prefix(&prefix)
                    && (rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
                {
                    return rejected(Code::InvalidRecord, format!("{name}{rest}: {}", e.kind));
                }
            }
            return unusable(format!("bundle is not acceptable JSON: {e}"));
        }
    };
    let Some(bundle) = doc.as_object() else {
        return unusable("bundle must be a JSON object");
    };
    let Some(exchange) = bundle.get("exchange").and_then(Value::as_str) else {
        return unusable("exchange: must be a string (the exchange's DID)");
    };
    if !is_did(exchange) {
        return unusable("exchange: must be a DID");
    }
    let Some(now) = bundle
        .get("now")
        .and_then(Value::as_str)
        .and_then(Datetime::parse)
    else {
        return unusable("now: must be an RFC 3339 datetime");
    };
    let mut records = Vec::with_capacity(4);
    for name in RECORDS {
        match raw_record(bundle, name) {
            Ok(r) => records.push(r),
            Err(message) => return unusable(message),
        }
    }
    let raw = RawBundle {
        job: &records[0],
        authorization: &records[1],
        attestation: &records[2],
        receipt: &records[3],
    };
    match verify::verify_charge(exchange, now, raw) {
        Ok(charge) => {
            let mut amount = Map::new();
            amount.insert("amount".into(), charge.amount.amount.into());
            amount.insert("currency".into(), charge.amount.currency.into());
            let mut m = Map::new();
            m.insert("ok".into(), true.into());
            m.insert("charge".into(), Value::Object(amount));
            m.insert("provider".into(), charge.provider.into());
            m.insert("requester".into(), charge.requester.into());
            Outcome {
                exit: 0,
                stdout: format!("{}\n", json::to_canonical_string(&Value::Object(m))),
                stderr: String::new(),
            }
        }
        Err(r) => rejected(r.code, r.message),
    }
}

/// POSTs `body` to the exchange's admin route `path` with the admin
/// token: exit 0 with the server's answer (JSON) on stdout, 1 when the
/// server refused (its problem document on stdout), 2 when it could not be
/// asked. `what` names the command in messages.
pub(crate) async fn admin_post(
    what: &str,
    server: &str,
    path: &str,
    body: &crate::records::json::Value,
    token: &str,
) -> Outcome {
    let fail = |m: String| Outcome {
        exit: 2,
        stdout: String::new(),
        stderr: format!("{what}: {m}\n"),
    };
    let url = match reqwest::Url::parse(server).and_then(|u| u.join(path)) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => return fail(format!("--server {server:?} is not an http(s) URL")),
    };
    // The admin token travels with it: never over plain http elsewhere.
    if let Err(e) = crate::tls::require_https("--server", &url) {
        return fail(e);
    }
    let client = match crate::tls::client()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot set up an HTTP client: {e}")),
    };
    let answer = client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(crate::records::json::to_canonical(body))
        .send()
        .await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return fail(format!("cannot reach {server}: {e}")),
    };
    let status = answer.status();
    let text = match crate::egress::read_bounded(answer, 1024 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return fail(format!("reading the answer: {e}")),
    };
    Outcome {
        exit: if status.is_success() { 0 } else { 1 },
        stdout: format!("{text}\n"),
        stderr: if status.is_success() {
            String::new()
        } else {
            format!("{what}: the server answered {status}\n")
        },
    }
}
