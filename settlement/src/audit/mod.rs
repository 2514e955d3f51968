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
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

mod checks;
mod client;
pub mod disputes;
mod inference;
mod key;
mod split;

pub use checks::check_stored_settlement;
use checks::*;
use client::*;
pub use key::KeySource;
use key::settlement_key;

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

/// Audits every charge the server at `server` (e.g. `http://127.0.0.1:8080`)
/// lists against the authorization at AT URI `authorization`, with the
/// settlement key from the exchange's DID document (`key`).
pub async fn audit(
    server: &str,
    authorization: &str,
    key: &KeySource,
) -> Result<Report, AuditError> {
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
    if let Some(expected) = &key.exchange
        && expected != &exchange_did
    {
        return Err(AuditError::Server(format!(
            "the server says it is {exchange_did}, not the exchange {expected} the audit is of"
        )));
    }
    let served = ex.get("jwk").and_then(key_from_jwk);
    let key = settlement_key(&api, &exchange_did, key).await?;

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

    // The key the server shows must be the one its DID document states.
    if served != Some(key) {
        let subject = a.subject.clone();
        a.note(
            &subject,
            "exchange-key-mismatch",
            format!(
                "GET /v1/exchange shows another key than #settlement of {}'s DID document (whose key every signature is checked with)",
                a.exchange
            ),
        );
    }

    // The authorization record itself, and its CID recomputed.
    let stated_cid = state.get("cid").and_then(Value::as_str).unwrap_or("");
    let authorization = a
        .record::<PaymentAuthorization>(auth_uri.as_str(), "authorization")
        .await?;
    let subject = a.subject.clone();
    let (auth_cid, scope, limit) = match &authorization {
        Ok(rec) => {
            // The exchange she authorized is the one whose key was used.
            if rec.data.exchange != a.exchange {
                a.note(
                    &subject,
                    "authorization-exchange-mismatch",
                    format!(
                        "the authorization names {}, but the server is {} (whose DID document gave the key)",
                        rec.data.exchange, a.exchange
                    ),
                );
            }
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
        let mut row = row;
        row.failed.extend(a.disputes(item).await?);
        row.failed.extend(a.inference(item).await?);
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

impl Auditor {
    /// The disputes and refunds of one listed settlement
    /// ([`disputes::check`]): the names of the checks that failed.
    async fn disputes(&mut self, item: &Value) -> Result<Vec<&'static str>, AuditError> {
        let (Some(uri), Some(value)) = (item.get("uri").and_then(Value::as_str), item.get("value"))
        else {
            return Ok(Vec::new());
        };
        let Source::Api(api) = &self.source else {
            return Ok(Vec::new());
        };
        let reply = api
            .get_with("/v1/disputes", Some(("settlement", uri)), LISTING_BYTES_MAX)
            .await?;
        let found = match (reply.status, reply.body) {
            (200, Ok(listing)) => disputes::check(uri, value, &listing, &self.exchange, &self.key),
            (status, _) => vec![Discrepancy {
                subject: uri.to_owned(),
                check: "dispute-invalid",
                detail: format!("GET /v1/disputes answered {status} without a usable listing"),
            }],
        };
        let names = found.iter().map(|d| d.check).collect();
        self.discrepancies.extend(found);
        Ok(names)
    }
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
                "http://exchange.example",
                "at://did:plc:x/dev.cocore.compute.paymentAuthorization/3abc",
            ),
            (
                "not a url",
                "at://did:plc:x/dev.cocore.compute.paymentAuthorization/3abc",
            ),
        ] {
            let e = audit(server, auth, &KeySource::default())
                .await
                .unwrap_err();
            assert!(matches!(e, AuditError::Input(_)), "{server} {auth}: {e}");
        }
    }
}
