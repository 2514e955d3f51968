//! `settlement audit`: a requester's independent check of every charge made
//! against one of its authorizations.
//!
//! It uses only what the exchange publishes over HTTP (`GET /v1/exchange`,
//! `/v1/authorizations`, `/v1/records`) and the pure code of `records`,
//! `verify` and `exchange`; never the database. Nothing the server states
//! is taken on trust: every CID is recomputed from content, every
//! settlement's `sig` is checked against the exchange's published key, every
//! charge is re-decided by `verify_records` at its `settledAt`, and the
//! totals are summed here and compared with what the server reports.
//!
//! Outcome: a [`Report`] (clean, or with each [`Discrepancy`]) when the
//! audit could be carried out; an [`AuditError`] when it could not (bad
//! input, server unreachable, answers too unusable to audit anything).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use crate::cli::Outcome;
use crate::exchange::{key_from_jwk, verify_settlement};
use crate::records::cid::Cid;
use crate::records::formats::{AtUri, Datetime, is_did};
use crate::records::json::{self, Value};
use crate::records::lexicon::Lexicons;
use crate::records::{
    Attestation, Job, Money, NSID_AUTHORIZATION, NSID_SETTLEMENT, Obj, PaymentAuthorization,
    RawRecord, Receipt, Record, RecordType, parse_record,
};
use crate::verify::{Bundle, verify_records};

/// Most settlements one audit checks. The server lists at most this many
/// (`api::PAGE_MAX`); a longer listing is refused rather than half-audited.
pub const SETTLEMENTS_MAX: usize = 1000;
/// Largest response body read for one record or the exchange's identity.
pub const RECORD_BYTES_MAX: usize = 1024 * 1024;
/// Largest response body read for an authorization and its settlements.
pub const LISTING_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Time to establish a connection to the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for one whole request, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why no audit could be carried out (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The flags themselves are unusable.
    #[error("{0}")]
    Input(String),
    /// No answer from the server (connection, timeout, transport).
    #[error("cannot reach {server}: {detail}")]
    Unreachable { server: String, detail: String },
    /// The server answered, but not with anything that can be audited.
    #[error("{0}")]
    Server(String),
    /// The server knows of no charge against the authorization (404).
    #[error("the server reports no charge against {0}")]
    NoCharges(String),
}

/// One failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discrepancy {
    /// What it is about: a settlement's URI, or the authorization's.
    pub subject: String,
    /// Stable name of the check, e.g. `settlement-sig-invalid`.
    pub check: &'static str,
    /// What was expected and what was found.
    pub detail: String,
}

/// One settlement listed against the authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub settlement: String,
    /// As stated in the settlement (empty when unreadable).
    pub settled_at: String,
    pub receipt: String,
    /// `amountCharged` as stated.
    pub amount: Option<Money>,
    /// `exchangeFee` as stated.
    pub fee: Option<Money>,
    /// `providerPayout` as stated.
    pub payout: Option<Money>,
    /// From the receipt: pro-bono work consumes nothing.
    pub pro_bono: bool,
    /// Names of the checks this settlement failed; empty when all hold.
    pub failed: Vec<&'static str>,
}

/// Sums over the listed settlements, next to what the server reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// The authorization's currency (of its ceiling or session budget).
    pub currency: String,
    /// Session budget (session) or ceiling (singleJob), from the record.
    pub limit: u64,
    /// Sum of `amountCharged` in `currency`.
    pub charged: u128,
    /// Sums of `exchangeFee` and `providerPayout` in `currency`.
    pub fees: u128,
    pub payouts: u128,
    /// Settlements listed.
    pub settlements: usize,
    /// Of which not pro-bono (those consume the authorization).
    pub charges: usize,
    /// What the server reports as charged and the number of charges.
    pub reported_charged: Option<Money>,
    pub reported_charges: Option<u64>,
}

/// The result of an audit that could be carried out.
#[derive(Clone, Debug)]
pub struct Report {
    pub server: String,
    pub exchange: String,
    pub authorization: String,
    /// Recomputed from the record when it could be fetched, else as stated.
    pub authorization_cid: String,
    pub scope: String,
    pub rows: Vec<Row>,
    pub discrepancies: Vec<Discrepancy>,
    pub totals: Totals,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.discrepancies.is_empty()
    }

    /// 0 when every check holds, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.is_clean() { 0 } else { 1 }
    }

    /// The table (one row per settlement), the discrepancies and a summary
    /// line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "authorization {} (cid {})",
            self.authorization, self.authorization_cid
        );
        let _ = writeln!(
            out,
            "exchange {} at {}; scope {}, {} {}",
            self.exchange,
            self.server,
            self.scope,
            if self.scope == "session" {
                "budget"
            } else {
                "ceiling"
            },
            money_text(u128::from(self.totals.limit), &self.totals.currency)
        );
        out.push('\n');
        let header = ["SETTLED AT", "RECEIPT", "AMOUNT", "FEE", "CHECKS"];
        let cells: Vec<[String; 5]> = self
            .rows
            .iter()
            .map(|r| {
                let m = |x: &Option<Money>| {
                    x.as_ref()
                        .map(|m| money_text(u128::from(m.amount), &m.currency))
                        .unwrap_or_else(|| "?".into())
                };
                let checks = match r.failed.as_slice() {
                    [] if r.pro_bono => "OK (pro bono)".to_owned(),
                    [] => "OK".to_owned(),
                    [one] => format!("FAILED {one}"),
                    [first, rest @ ..] => format!("FAILED {first} (+{} more)", rest.len()),
                };
                [
                    if r.settled_at.is_empty() {
                        "?".into()
                    } else {
                        r.settled_at.clone()
                    },
                    if r.receipt.is_empty() {
                        "?".into()
                    } else {
                        r.receipt.clone()
                    },
                    m(&r.amount),
                    m(&r.fee),
                    checks,
                ]
            })
            .collect();
        let mut width = header.map(|h| h.chars().count());
        for row in &cells {
            for (w, c) in width.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |out: &mut String, row: [&str; 5]| {
            let _ = writeln!(
                out,
                "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                w0 = width[0],
                w1 = width[1],
                w2 = width[2],
                w3 = width[3],
            );
        };
        line(&mut out, header);
        for row in &cells {
            line(&mut out, [&row[0], &row[1], &row[2], &row[3], &row[4]]);
        }
        if !self.discrepancies.is_empty() {
            let _ = writeln!(out, "\ndiscrepancies:");
            for d in &self.discrepancies {
                let _ = writeln!(out, "  {} {}: {}", d.subject, d.check, d.detail);
            }
        }
        let t = &self.totals;
        let reported = t
            .reported_charged
            .as_ref()
            .map(|m| money_text(u128::from(m.amount), &m.currency))
            .unwrap_or_else(|| "nothing readable".into());
        let _ = writeln!(
            out,
            "\n{}: {} settlements ({} charges), charged {} of {} (server reports {}), fees {}, payouts {}{}",
            if self.is_clean() { "OK" } else { "FAILED" },
            t.settlements,
            t.charges,
            money_text(t.charged, &t.currency),
            money_text(u128::from(t.limit), &t.currency),
            reported,
            money_text(t.fees, &t.currency),
            money_text(t.payouts, &t.currency),
            if self.is_clean() {
                String::new()
            } else {
                format!("; {} discrepancies", self.discrepancies.len())
            }
        );
        out
    }
}

fn money_text(amount: u128, currency: &str) -> String {
    format!("{amount} {currency}")
}

/// Runs an audit as the `settlement audit` command does: exit 0 (clean),
/// 1 (discrepancies, each listed on stdout) or 2 (no audit possible; the
/// reason on stderr).
pub async fn run(server: &str, authorization: &str) -> Outcome {
    match audit(server, authorization).await {
        Ok(report) => Outcome {
            exit: report.exit_code(),
            stdout: report.render(),
            stderr: String::new(),
        },
        Err(e) => Outcome {
            exit: 2,
            stdout: String::new(),
            stderr: format!("audit: {e}\n"),
        },
    }
}

/// Audits every charge the server at `server` (e.g. `http://127.0.0.1:8080`)
/// lists against the authorization at AT URI `authorization`.
pub async fn audit(server: &str, authorization: &str) -> Result<Report, AuditError> {
    let auth_uri = AtUri::parse(authorization)
        .filter(|u| u.collection() == NSID_AUTHORIZATION)
        .ok_or_else(|| {
            AuditError::Input(format!(
                "--authorization must be the AT URI of a {NSID_AUTHORIZATION} record, not {authorization:?}"
            ))
        })?;
    let api = Api::new(server)?;

    // The exchange: who it is, the key its settlements are signed with.
    let ex = api.get("/v1/exchange", None, RECORD_BYTES_MAX).await?;
    if ex.status != 200 {
        return Err(AuditError::Server(format!(
            "GET /v1/exchange answered {}",
            ex.status
        )));
    }
    let ex = ex
        .body
        .map_err(|e| AuditError::Server(format!("GET /v1/exchange: {e}")))?;
    let exchange_did = ex
        .get("did")
        .and_then(Value::as_str)
        .filter(|d| is_did(d))
        .ok_or_else(|| AuditError::Server("GET /v1/exchange: did is not a DID".into()))?
        .to_owned();
    let key = ex.get("jwk").and_then(key_from_jwk).ok_or_else(|| {
        AuditError::Server("GET /v1/exchange: jwk is not a P-256 public key".into())
    })?;

    // What the server says about the authorization.
    let state = api
        .get(
            "/v1/authorizations",
            Some(auth_uri.as_str()),
            LISTING_BYTES_MAX,
        )
        .await?;
    match state.status {
        200 => {}
        404 => return Err(AuditError::NoCharges(auth_uri.to_string())),
        s => {
            return Err(AuditError::Server(format!(
                "GET /v1/authorizations answered {s}"
            )));
        }
    }
    let state = state
        .body
        .map_err(|e| AuditError::Server(format!("GET /v1/authorizations: {e}")))?;
    let listed = match state.get("settlements") {
        Some(Value::Array(items)) => items,
        _ => {
            return Err(AuditError::Server(
                "GET /v1/authorizations: settlements is not an array".into(),
            ));
        }
    };
    if listed.len() > SETTLEMENTS_MAX {
        return Err(AuditError::Server(format!(
            "the server lists {} settlements; this auditor checks at most {SETTLEMENTS_MAX}",
            listed.len()
        )));
    }

    let server_text = api.base.to_string();
    let mut a = Auditor {
        source: Source::Api(api),
        exchange: exchange_did,
        key,
        auth_uri: auth_uri.clone(),
        subject: auth_uri.to_string(),
        discrepancies: Vec::new(),
        cache: HashMap::new(),
    };

    // The authorization record itself, and its CID recomputed.
    let stated_cid = state.get("cid").and_then(Value::as_str).unwrap_or("");
    let authorization = a
        .record::<PaymentAuthorization>(auth_uri.as_str(), "authorization")
        .await?;
    let subject = a.subject.clone();
    let (auth_cid, scope, limit) = match &authorization {
        Ok(rec) => {
            if Cid::parse(stated_cid).ok() != Some(rec.cid) {
                a.note(
                    &subject,
                    "authorization-cid-mismatch",
                    format!(
                        "the server states cid {stated_cid:?}; the record's content has CID {}",
                        rec.cid
                    ),
                );
            }
            let limit = match rec.data.scope.as_str() {
                "session" => rec.data.session_budget.clone(),
                _ => Some(rec.data.ceiling.clone()),
            };
            (rec.cid.to_string(), rec.data.scope.clone(), limit)
        }
        Err(d) => {
            a.discrepancies.push(d.clone());
            (
                stated_cid.to_owned(),
                state
                    .get("scope")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                None,
            )
        }
    };
    // Without the record (already a discrepancy), the server's word for
    // the promise is all there is to sum against.
    let limit = limit.or_else(|| {
        ["limit", "budget", "ceiling"]
            .iter()
            .find_map(|k| state.get(k).and_then(money_of))
    });
    let authorization = authorization.ok();
    if let Some(rec) = &authorization {
        a.compare_state(&state, rec);
    }
    let auth_ref = AuthRef {
        uri: auth_uri.to_string(),
        cid: auth_cid.clone(),
    };

    let mut totals = Totals {
        currency: limit
            .as_ref()
            .map(|m| m.currency.clone())
            .unwrap_or_default(),
        limit: limit.as_ref().map_or(0, |m| m.amount),
        settlements: listed.len(),
        ..Totals::default()
    };
    let mut rows = Vec::with_capacity(listed.len());
    let mut receipts_seen = BTreeSet::new();
    for (i, item) in listed.iter().enumerate() {
        let row = a
            .settlement(
                i,
                item,
                &auth_ref,
                authorization.as_ref(),
                &totals.currency,
                &mut receipts_seen,
            )
            .await?;
        // Stated amounts, each in the authorization's currency (any other
        // currency is already a discrepancy).
        for (sum, money) in [
            (&mut totals.charged, &row.amount),
            (&mut totals.fees, &row.fee),
            (&mut totals.payouts, &row.payout),
        ] {
            if let Some(m) = money
                && m.currency == totals.currency
            {
                *sum += u128::from(m.amount);
            }
        }
        if !row.pro_bono {
            totals.charges += 1;
        }
        rows.push(row);
    }

    // The sums against the promise, and against what the server reports.
    let subject = a.subject.clone();
    match scope.as_str() {
        "session" => {
            if totals.charged > u128::from(totals.limit) {
                a.note(
                    &subject,
                    "budget-exceeded",
                    format!(
                        "charges sum to {} but the session budget is {}",
                        money_text(totals.charged, &totals.currency),
                        money_text(u128::from(totals.limit), &totals.currency)
                    ),
                );
            }
        }
        "singleJob" => {
            if totals.charges > 1 {
                a.note(
                    &subject,
                    "single-job-charged-twice",
                    format!(
                        "a singleJob authorization was charged {} times",
                        totals.charges
                    ),
                );
            }
            if totals.charged > u128::from(totals.limit) {
                a.note(
                    &subject,
                    "ceiling-exceeded",
                    format!(
                        "charges sum to {} but the ceiling is {}",
                        money_text(totals.charged, &totals.currency),
                        money_text(u128::from(totals.limit), &totals.currency)
                    ),
                );
            }
        }
        other => a.note(
            &subject,
            "scope-unknown",
            format!("scope {other:?} is neither session nor singleJob"),
        ),
    }
    totals.reported_charged = state.get("charged").and_then(money_of);
    match &totals.reported_charged {
        Some(m) if u128::from(m.amount) == totals.charged && m.currency == totals.currency => {}
        Some(m) => a.note(
            &subject,
            "charged-mismatch",
            format!(
                "the server reports {} charged; the settlements it lists sum to {}",
                money_text(u128::from(m.amount), &m.currency),
                money_text(totals.charged, &totals.currency)
            ),
        ),
        None => a.note(
            &subject,
            "charged-mismatch",
            "the server's charged is not {amount, currency}".into(),
        ),
    }
    totals.reported_charges = state
        .get("charges")
        .and_then(Value::as_int)
        .and_then(|n| u64::try_from(n).ok());
    if totals.reported_charges != Some(totals.charges as u64) {
        a.note(
            &subject,
            "charges-mismatch",
            format!(
                "the server reports {} charges; it lists {} settlements that are not pro bono",
                totals
                    .reported_charges
                    .map_or_else(|| "an unreadable number of".into(), |n| n.to_string()),
                totals.charges
            ),
        );
    }

    Ok(Report {
        server: server_text,
        exchange: a.exchange,
        authorization: auth_uri.to_string(),
        authorization_cid: auth_cid,
        scope,
        rows,
        discrepancies: a.discrepancies,
        totals,
    })
}

/// `{amount, currency}` with an amount in u64.
fn money_of(v: &Value) -> Option<Money> {
    Some(Money {
        amount: u64::try_from(v.get("amount")?.as_int()?).ok()?,
        currency: v.get("currency")?.as_str()?.to_owned(),
    })
}

/// The authorization as every settlement must name it.
struct AuthRef {
    uri: String,
    cid: String,
}

/// A record as the server returned it: parsed JSON (`{uri, cid, value}`),
/// or why not.
#[derive(Clone)]
enum Fetched {
    Found { cid: String, value: Value },
    Missing,
    Unreadable(String),
}

/// Checks one stored settlement exactly as `audit` checks each listed one
/// (signature, CID, split, receipt by content, the rules of a charge at
/// settledAt), reading records from the exchange's own store. Returns what
/// failed; empty when the settlement holds.
pub async fn check_stored_settlement(
    store: &crate::store::Store,
    exchange_did: &str,
    key: p256::ecdsa::VerifyingKey,
    uri: &str,
    cid: &str,
    value: &Value,
) -> Result<Vec<Discrepancy>, AuditError> {
    let named = value.get("requesterAuthorization");
    let auth = AuthRef {
        uri: named
            .and_then(|a| a.get("uri"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        cid: named
            .and_then(|a| a.get("cid"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    };
    let currency = value
        .get("amountCharged")
        .and_then(|m| m.get("currency"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let auth_uri = AtUri::parse(&auth.uri).ok_or_else(|| {
        AuditError::Input(format!(
            "{uri}: requesterAuthorization.uri is not a record URI"
        ))
    })?;
    let mut a = Auditor {
        source: Source::Store(store.clone()),
        exchange: exchange_did.to_owned(),
        key,
        auth_uri: auth_uri.clone(),
        subject: uri.to_owned(),
        discrepancies: Vec::new(),
        cache: HashMap::new(),
    };
    let authorization = match a
        .record::<PaymentAuthorization>(auth_uri.as_str(), "authorization")
        .await?
    {
        Ok(r) => Some(r),
        Err(d) => {
            a.discrepancies.push(d);
            None
        }
    };
    let mut item = crate::records::json::Map::new();
    item.insert("uri".into(), uri.into());
    item.insert("cid".into(), cid.into());
    item.insert("value".into(), value.clone());
    a.settlement(
        0,
        &Value::Object(item),
        &auth,
        authorization.as_ref(),
        &currency,
        &mut BTreeSet::new(),
    )
    .await?;
    Ok(a.discrepancies)
}

/// Where the auditor reads records: the exchange's public API (a
/// requester's audit) or, inside the exchange, its own store
/// (`verifySettlement`). The checks are the same.
enum Source {
    Api(Api),
    Store(crate::store::Store),
}

struct Auditor {
    source: Source,
    exchange: String,
    key: p256::ecdsa::VerifyingKey,
    auth_uri: AtUri,
    subject: String,
    discrepancies: Vec<Discrepancy>,
    /// Records by URI (jobs and attestations are often shared); at most
    /// two per settlement plus the authorization.
    cache: HashMap<String, Fetched>,
}

impl Auditor {
    fn note(&mut self, subject: &str, check: &'static str, detail: String) {
        self.discrepancies.push(Discrepancy {
            subject: subject.to_owned(),
            check,
            detail,
        });
    }

    async fn fetch(&mut self, uri: &str) -> Result<Fetched, AuditError> {
        if let Some(f) = self.cache.get(uri) {
            return Ok(f.clone());
        }
        let api = match &self.source {
            Source::Api(api) => api,
            Source::Store(store) => {
                let fetched = match store.get_record(uri).await {
                    Ok(Some(r)) => Fetched::Found {
                        cid: r.cid,
                        value: r.value,
                    },
                    Ok(None) => Fetched::Missing,
                    Err(e) => return Err(AuditError::Server(format!("reading {uri}: {e}"))),
                };
                self.cache.insert(uri.to_owned(), fetched.clone());
                return Ok(fetched);
            }
        };
        let reply = api.get("/v1/records", Some(uri), RECORD_BYTES_MAX).await?;
        let fetched = match (reply.status, reply.body) {
            (404, _) => Fetched::Missing,
            (200, Ok(body)) => {
                match (
                    body.get("uri").and_then(Value::as_str),
                    body.get("cid").and_then(Value::as_str),
                    body.get("value"),
                ) {
                    (Some(u), Some(cid), Some(value)) if u == uri => Fetched::Found {
                        cid: cid.to_owned(),
                        value: value.clone(),
                    },
                    (Some(u), _, _) if u != uri => {
                        Fetched::Unreadable(format!("asked for {uri}, the server answered {u}"))
                    }
                    _ => Fetched::Unreadable("the answer is not {uri, cid, value}".into()),
                }
            }
            (200, Err(e)) => Fetched::Unreadable(e),
            (s, _) if s >= 500 => {
                return Err(AuditError::Server(format!(
                    "GET /v1/records?uri={uri} answered {s}"
                )));
            }
            (s, _) => Fetched::Unreadable(format!("the server answered {s}")),
        };
        self.cache.insert(uri.to_owned(), fetched.clone());
        Ok(fetched)
    }

    /// Fetches and parses a record of type `T`; its CID is recomputed and
    /// must equal the one the server states. `kind` names it in checks
    /// (`receipt-not-found`, ...).
    async fn record<T: RecordType>(
        &mut self,
        uri: &str,
        kind: &'static str,
    ) -> Result<Result<Record<T>, Discrepancy>, AuditError> {
        let d = |check: &'static str, detail: String| Discrepancy {
            subject: uri.to_owned(),
            check,
            detail,
        };
        let (cid, value) = match self.fetch(uri).await? {
            Fetched::Found { cid, value } => (cid, value),
            Fetched::Missing => {
                return Ok(Err(d(
                    check_name(kind, "not-found"),
                    format!("the server does not serve the {kind} {uri}"),
                )));
            }
            Fetched::Unreadable(why) => {
                return Ok(Err(d(
                    check_name(kind, "unreadable"),
                    format!("GET /v1/records: {why}"),
                )));
            }
        };
        let raw = RawRecord {
            uri: uri.to_owned(),
            cid: None,
            value,
        };
        let rec = match parse_record::<T>(&raw, kind) {
            Ok(r) => r,
            Err(e) => return Ok(Err(d(check_name(kind, "invalid"), e.to_string()))),
        };
        if Cid::parse(&cid).ok() != Some(rec.cid) {
            return Ok(Err(d(
                check_name(kind, "cid-mismatch"),
                format!(
                    "the server states cid {cid:?}; the record's content has CID {}",
                    rec.cid
                ),
            )));
        }
        Ok(Ok(rec))
    }

    /// What the server reports about the authorization agrees with the
    /// record.
    fn compare_state(&mut self, state: &Value, rec: &Record<PaymentAuthorization>) {
        let subject = self.subject.clone();
        let mut differ = |field: &str, stated: String, record: String| {
            if stated != record {
                self.discrepancies.push(Discrepancy {
                    subject: subject.clone(),
                    check: "authorization-state-mismatch",
                    detail: format!(
                        "the server reports {field} {stated}; the record says {record}"
                    ),
                });
            }
        };
        let text = |k: &str| {
            state
                .get(k)
                .map(json::to_canonical_string)
                .unwrap_or_else(|| "nothing".into())
        };
        let quoted = |s: &str| json::to_canonical_string(&Value::from(s));
        differ("uri", text("uri"), quoted(self.auth_uri.as_str()));
        differ("requester", text("requester"), quoted(rec.owner()));
        differ("scope", text("scope"), quoted(&rec.data.scope));
        let money = |m: &Money| {
            let mut o = json::Map::new();
            o.insert("amount".into(), m.amount.into());
            o.insert("currency".into(), m.currency.clone().into());
            json::to_canonical_string(&Value::Object(o))
        };
        // The terms as the server restates them, and the limit it enforces
        // (session budget or ceiling), each where it states one.
        let limit = match rec.data.scope.as_str() {
            "session" => rec.data.session_budget.as_ref(),
            _ => Some(&rec.data.ceiling),
        };
        for (field, record) in [
            ("ceiling", Some(&rec.data.ceiling)),
            ("budget", rec.data.session_budget.as_ref()),
            ("limit", limit),
        ] {
            if state.get(field).is_some() {
                differ(
                    field,
                    text(field),
                    record.map_or_else(|| "nothing".into(), money),
                );
            }
        }
        let stated_expiry = state
            .get("expiresAt")
            .and_then(Value::as_str)
            .and_then(Datetime::parse);
        if stated_expiry != Some(rec.data.expires_at) {
            differ(
                "expiresAt",
                text("expiresAt"),
                quoted(&rec.data.expires_at.to_string()),
            );
        }
    }

    /// Checks one listed settlement; every failure is recorded as a
    /// discrepancy and named in the row.
    async fn settlement(
        &mut self,
        index: usize,
        item: &Value,
        auth: &AuthRef,
        authorization: Option<&Record<PaymentAuthorization>>,
        currency: &str,
        receipts_seen: &mut BTreeSet<String>,
    ) -> Result<Row, AuditError> {
        let start = self.discrepancies.len();
        let mut row = Row {
            settlement: item
                .get("uri")
                .and_then(Value::as_str)
                .map_or_else(|| format!("settlements[{index}]"), str::to_owned),
            settled_at: String::new(),
            receipt: String::new(),
            amount: None,
            fee: None,
            payout: None,
            pro_bono: false,
            failed: Vec::new(),
        };
        self.check_settlement(&mut row, item, auth, authorization, currency, receipts_seen)
            .await?;
        row.failed = self.discrepancies[start..]
            .iter()
            .map(|d| d.check)
            .collect();
        Ok(row)
    }

    async fn check_settlement(
        &mut self,
        row: &mut Row,
        item: &Value,
        auth: &AuthRef,
        authorization: Option<&Record<PaymentAuthorization>>,
        currency: &str,
        receipts_seen: &mut BTreeSet<String>,
    ) -> Result<(), AuditError> {
        let subject = row.settlement.clone();
        let (Some(listed_cid), Some(Value::Object(map))) =
            (item.get("cid").and_then(Value::as_str), item.get("value"))
        else {
            self.note(
                &subject,
                "settlement-unreadable",
                "the listing's entry is not {uri, cid, value}".into(),
            );
            return Ok(());
        };
        let value = Value::Object(map.clone());

        // Issued by this exchange, signed by its key, identified by content.
        match AtUri::parse(&subject) {
            Some(u) if u.did() == self.exchange && u.collection() == NSID_SETTLEMENT => {}
            _ => self.note(
                &subject,
                "settlement-issuer",
                format!(
                    "not a {NSID_SETTLEMENT} record in the repository of {}",
                    self.exchange
                ),
            ),
        }
        if !verify_settlement(map, &self.key) {
            self.note(
                &subject,
                "settlement-sig-invalid",
                "sig does not verify against the exchange's published key".into(),
            );
        }
        match Cid::for_record(&value) {
            Ok(cid) if Cid::parse(listed_cid).ok() == Some(cid) => {}
            Ok(cid) => self.note(
                &subject,
                "settlement-cid-mismatch",
                format!("listed with cid {listed_cid:?}; its content has CID {cid}"),
            ),
            Err(e) => self.note(&subject, "settlement-cid-mismatch", e.to_string()),
        }
        if let Err(e) = Lexicons::builtin().validate_record(NSID_SETTLEMENT, &value, "settlement") {
            self.note(&subject, "settlement-invalid", e.to_string());
            return Ok(());
        }
        let fields = (|| {
            let o = Obj::new(&value, "settlement".into())?;
            Ok::<_, crate::records::lexicon::ValidationError>((
                o.strong_ref("receipt")?,
                o.strong_ref("requesterAuthorization")?,
                o.money("amountCharged")?,
                o.money("providerPayout")?,
                o.money("exchangeFee")?,
                o.str("status")?.to_owned(),
                o.datetime("settledAt")?,
            ))
        })();
        let (receipt_ref, auth_named, charged, payout, fee, status, settled_at) = match fields {
            Ok(f) => f,
            Err(e) => {
                self.note(&subject, "settlement-invalid", e.to_string());
                return Ok(());
            }
        };
        row.settled_at = settled_at.to_string();
        row.receipt = receipt_ref.uri.to_string();
        row.amount = Some(charged.clone());
        row.fee = Some(fee.clone());
        row.payout = Some(payout.clone());

        if status != "settled" {
            self.note(
                &subject,
                "status-unsupported",
                format!("status {status:?}: this auditor checks settled charges only"),
            );
        }
        if auth_named.uri.as_str() != auth.uri || auth_named.cid.to_string() != auth.cid {
            self.note(
                &subject,
                "authorization-ref-mismatch",
                format!(
                    "requesterAuthorization is {{{}, {}}}, not {{{}, {}}}",
                    auth_named.uri, auth_named.cid, auth.uri, auth.cid
                ),
            );
        }
        if !receipts_seen.insert(receipt_ref.uri.to_string()) {
            self.note(
                &subject,
                "receipt-settled-twice",
                format!("the receipt {} is settled more than once", receipt_ref.uri),
            );
        }
        if charged.currency != payout.currency || charged.currency != fee.currency {
            self.note(
                &subject,
                "currency-mismatch",
                format!(
                    "amountCharged in {}, providerPayout in {}, exchangeFee in {}",
                    charged.currency, payout.currency, fee.currency
                ),
            );
        } else if u128::from(payout.amount) + u128::from(fee.amount) != u128::from(charged.amount) {
            self.note(
                &subject,
                "split-mismatch",
                format!(
                    "providerPayout {} + exchangeFee {} != amountCharged {}",
                    payout.amount, fee.amount, charged.amount
                ),
            );
        }
        if charged.currency != currency {
            self.note(
                &subject,
                "currency-mismatch",
                format!(
                    "charged in {} but the authorization is in {currency:?}",
                    charged.currency
                ),
            );
        }

        // The receipt: the one the settlement names, by content.
        let receipt = match self
            .record::<Receipt>(receipt_ref.uri.as_str(), "receipt")
            .await?
        {
            Ok(r) => r,
            Err(d) => {
                self.note(&subject, d.check, d.detail);
                return Ok(());
            }
        };
        if receipt.cid != receipt_ref.cid {
            self.note(
                &subject,
                "receipt-cid-mismatch",
                format!(
                    "receipt.cid is {} but the receipt served has CID {}",
                    receipt_ref.cid, receipt.cid
                ),
            );
        }
        row.pro_bono = receipt.data.pro_bono;
        let expected = if receipt.data.pro_bono {
            0
        } else {
            receipt.data.price.amount
        };
        if charged.amount != expected || charged.currency != receipt.data.price.currency {
            self.note(
                &subject,
                "amount-mismatch",
                format!(
                    "amountCharged is {} but the receipt's price is {}{}",
                    money_text(u128::from(charged.amount), &charged.currency),
                    money_text(u128::from(expected), &receipt.data.price.currency),
                    if receipt.data.pro_bono {
                        " (pro bono)"
                    } else {
                        ""
                    }
                ),
            );
        }

        // The charge itself, re-decided under the rules at settledAt.
        let job = self
            .record::<Job>(receipt.data.job.uri.as_str(), "job")
            .await?;
        let attestation = self
            .record::<Attestation>(receipt.data.attestation.uri.as_str(), "attestation")
            .await?;
        let (job, attestation) = match (job, attestation) {
            (Ok(j), Ok(a)) => (j, a),
            (j, a) => {
                for d in [j.err(), a.err()].into_iter().flatten() {
                    self.note(&subject, d.check, d.detail);
                }
                return Ok(());
            }
        };
        let Some(authorization) = authorization else {
            self.note(
                &subject,
                "charge-rules",
                "cannot be re-decided without the authorization record".into(),
            );
            return Ok(());
        };
        if let Err(r) = verify_records(
            &self.exchange,
            settled_at,
            Bundle {
                job: &job,
                authorization,
                attestation: &attestation,
                receipt: &receipt,
            },
        ) {
            self.note(&subject, "charge-rules", r.to_string());
        }
        Ok(())
    }
}

/// `receipt` + `not-found` -> `receipt-not-found`, as a static name.
fn check_name(kind: &str, what: &str) -> &'static str {
    macro_rules! names {
        ($($k:literal),*) => {
            match (kind, what) {
                $(
                    ($k, "not-found") => concat!($k, "-not-found"),
                    ($k, "unreadable") => concat!($k, "-unreadable"),
                    ($k, "invalid") => concat!($k, "-invalid"),
                    ($k, "cid-mismatch") => concat!($k, "-cid-mismatch"),
                )*
                _ => "record-unusable",
            }
        };
    }
    names!("authorization", "receipt", "job", "attestation")
}

/// The server's HTTP API, with bounded bodies and timeouts.
struct Api {
    base: reqwest::Url,
    client: reqwest::Client,
}

/// An answer: its status and its body parsed by the strict JSON parser.
struct Reply {
    status: u16,
    body: Result<Value, String>,
}

impl Api {
    fn new(server: &str) -> Result<Api, AuditError> {
        let base = reqwest::Url::parse(server)
            .map_err(|e| AuditError::Input(format!("--server {server:?} is not a URL: {e}")))?;
        match base.scheme() {
            "http" => {}
            "https" => {
                return Err(AuditError::Input(
                    "--server: https is not supported by this build (plain HTTP only)".into(),
                ));
            }
            other => {
                return Err(AuditError::Input(format!(
                    "--server: scheme {other:?} is not http"
                )));
            }
        }
        if base.host_str().is_none() || base.query().is_some() || base.fragment().is_some() {
            return Err(AuditError::Input(format!(
                "--server {server:?} must be http://HOST[:PORT][/PATH] without query or fragment"
            )));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("settlement-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AuditError::Input(format!("cannot set up an HTTP client: {e}")))?;
        Ok(Api { base, client })
    }

    fn url(&self, path: &str, uri: Option<&str>) -> reqwest::Url {
        let mut url = self.base.clone();
        let prefix = self.base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        if let Some(uri) = uri {
            url.query_pairs_mut().append_pair("uri", uri);
        }
        url
    }

    async fn get(&self, path: &str, uri: Option<&str>, limit: usize) -> Result<Reply, AuditError> {
        let unreachable = |e: reqwest::Error| AuditError::Unreachable {
            server: self.base.to_string(),
            detail: error_chain(&e),
        };
        let mut resp = self
            .client
            .get(self.url(path, uri))
            .header("accept", "application/json")
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status().as_u16();
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Ok(Reply {
                status,
                body: Err(format!("the answer is larger than {limit} bytes")),
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > limit {
                return Ok(Reply {
                    status,
                    body: Err(format!("the answer is larger than {limit} bytes")),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            body: json::parse(&bytes).map_err(|e| format!("the answer is not usable JSON: {e}")),
        })
    }
}

/// An error and its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    // Bounded: error chains are short, but nothing promises it.
    for _ in 0..8 {
        let Some(c) = cause else { break };
        let _ = write!(text, ": {c}");
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_are_static_and_total() {
        assert_eq!(check_name("receipt", "not-found"), "receipt-not-found");
        assert_eq!(check_name("job", "cid-mismatch"), "job-cid-mismatch");
        assert_eq!(check_name("attestation", "invalid"), "attestation-invalid");
        assert_eq!(check_name("other", "invalid"), "record-unusable");
    }

    #[test]
    fn urls_keep_a_path_prefix_and_encode_the_uri() {
        let api = Api::new("http://127.0.0.1:9/prefix/").unwrap();
        let u = api.url("/v1/records", Some("at://did:plc:x/a.b.c/1?&"));
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:9/prefix/v1/records?uri=at%3A%2F%2Fdid%3Aplc%3Ax%2Fa.b.c%2F1%3F%26"
        );
        let api = Api::new("http://127.0.0.1:9").unwrap();
        assert_eq!(
            api.url("/v1/exchange", None).as_str(),
            "http://127.0.0.1:9/v1/exchange"
        );
    }

    #[tokio::test]
    async fn unusable_input_is_refused_before_any_request() {
        for (server, auth) in [
            (
                "http://127.0.0.1:9",
                "at://did:plc:x/dev.cocore.compute.job/3abc",
            ),
            ("http://127.0.0.1:9", "not a uri"),
            (
                "ftp://127.0.0.1:9",
                "at://did:plc:x/dev.cocore.compute.paymentAuthorization/3abc",
            ),
            (
                "https://exchange.example",
                "at://did:plc:x/dev.cocore.compute.paymentAuthorization/3abc",
            ),
            (
                "not a url",
                "at://did:plc:x/dev.cocore.compute.paymentAuthorization/3abc",
            ),
        ] {
            let e = audit(server, auth).await.unwrap_err();
            assert!(matches!(e, AuditError::Input(_)), "{server} {auth}: {e}");
        }
    }
}
