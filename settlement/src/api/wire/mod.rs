//! The API's answers as typed structs: the only code that turns domain
//! values into response bodies. serde writes them; utoipa derives their
//! schemas for `/openapi.json` from the same structs, so the document
//! cannot drift from what is served. Requests are parsed by the strict
//! parser in the handlers; the shapes in `requests` only describe them.

mod cases;
mod reads;
pub(super) mod requests;

pub(super) use cases::*;
pub(super) use reads::*;

use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::audit::Discrepancy;
use crate::records::formats::{AtUri, Datetime, Micros};
use crate::records::json::Value;

/// A value of our strict JSON (a record's value, a JWK, a decision),
/// written as it is: integers stay integers, keys stay sorted.
#[derive(Clone, Debug)]
pub(super) struct Raw(pub(super) Value);

struct RawRef<'a>(&'a Value);

impl Serialize for Raw {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawRef(&self.0).serialize(s)
    }
}

impl Serialize for RawRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i128(*i),
            Value::String(v) => s.serialize_str(v),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(&RawRef(v))?;
                }
                seq.end()
            }
            Value::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, &RawRef(v))?;
                }
                map.end()
            }
        }
    }
}

/// An amount in minor units and its currency.
#[derive(Serialize, ToSchema)]
pub(super) struct Money {
    pub amount: i128,
    #[schema(min_length = 3, max_length = 8)]
    pub currency: String,
}

pub(super) fn money(amount: impl Into<i128>, currency: &str) -> Money {
    Money {
        amount: amount.into(),
        currency: currency.to_owned(),
    }
}

/// An RFC 9457 problem document; `code` is stable.
#[derive(Serialize, ToSchema)]
pub(super) struct Problem {
    /// `urn:settlement:problem:CODE`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
}

/// A record: where it lives, its CID, and its value when shown.
#[derive(Serialize, ToSchema)]
pub(super) struct Record {
    #[schema(format = "at-uri")]
    pub uri: String,
    pub cid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub value: Option<Raw>,
}

pub(super) fn record(uri: &str, cid: &str, value: Option<&Value>) -> Record {
    Record {
        uri: uri.to_owned(),
        cid: cid.to_owned(),
        value: value.cloned().map(Raw),
    }
}

pub(super) fn settlement(row: &crate::store::SettlementRow) -> Record {
    record(&row.uri, &row.cid, Some(&row.value))
}

fn datetime(us: Micros) -> String {
    Datetime::from_unix_micros(us).to_string()
}

/// A record in a listing, with where it lives.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct IndexedRecord {
    #[schema(format = "at-uri")]
    pub uri: String,
    pub cid: String,
    pub collection: String,
    pub repo: String,
    pub rkey: String,
    #[schema(value_type = Object)]
    pub body: Raw,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed_at: Option<String>,
}

pub(super) fn indexed_record(
    uri: &str,
    cid: &str,
    collection: &str,
    body: &Value,
    indexed_at: Option<Micros>,
) -> IndexedRecord {
    let parsed = AtUri::parse(uri);
    IndexedRecord {
        uri: uri.to_owned(),
        cid: cid.to_owned(),
        collection: collection.to_owned(),
        repo: parsed.as_ref().map_or("", |u| u.did()).to_owned(),
        rkey: parsed.as_ref().map_or("", |u| u.rkey()).to_owned(),
        body: Raw(body.clone()),
        indexed_at: indexed_at.map(datetime),
    }
}

/// A page of `listSettlements`.
#[derive(Serialize, ToSchema)]
pub(super) struct SettlementPage {
    pub settlements: Vec<IndexedRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of `listReceipts`.
#[derive(Serialize, ToSchema)]
pub(super) struct ReceiptPage {
    pub receipts: Vec<IndexedRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct Finding {
    /// `info` or `error`.
    pub severity: String,
    pub code: String,
    pub message: String,
}

fn finding(severity: &str, code: &str, message: &str) -> Finding {
    Finding {
        severity: severity.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The answer of `verifySettlement`.
#[derive(Serialize, ToSchema)]
pub(super) struct SettlementCheck {
    pub ok: bool,
    pub findings: Vec<Finding>,
}

pub(super) fn verified(found: &[Discrepancy]) -> SettlementCheck {
    let findings = if found.is_empty() {
        vec![finding("info", "settlement-verified", "every check holds")]
    } else {
        found
            .iter()
            .map(|d| finding("error", d.check, &d.detail))
            .collect()
    };
    SettlementCheck {
        ok: found.is_empty(),
        findings,
    }
}

/// The answer of `verifyReceipt`. Hardware attestation chains are not
/// verified yet: every provider counts as self-attested.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReceiptCheck {
    pub ok: bool,
    pub trust_level: String,
    pub findings: Vec<Finding>,
}

pub(super) fn chargeable(verdict: Result<(), (&str, &str)>) -> ReceiptCheck {
    let f = match verdict {
        Ok(()) => finding(
            "info",
            "chargeable",
            "every stateless rule of a charge holds",
        ),
        Err((code, message)) => finding("error", code, message),
    };
    ReceiptCheck {
        ok: verdict.is_ok(),
        trust_level: "self-attested".to_owned(),
        findings: vec![f],
    }
}

/// An uploaded blob.
#[derive(Serialize, ToSchema)]
pub(super) struct Blob {
    pub cid: String,
    pub size: u64,
}

pub(super) fn blob(cid: &str, size: usize) -> Blob {
    Blob {
        cid: cid.to_owned(),
        size: size as u64,
    }
}

/// The answer of a revocation.
#[derive(Serialize, ToSchema)]
pub(super) struct Revocation {
    #[schema(format = "at-uri")]
    pub uri: String,
    pub revoked: bool,
}

/// A backfill begun.
#[derive(Serialize, ToSchema)]
pub(super) struct Backfill {
    pub did: String,
    pub started: bool,
}
