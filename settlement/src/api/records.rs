//! Records: posted (as JSON or as a CAR proof), read, listed, and
//! checked (`verifyReceipt`, `verifySettlement`).

use super::*;

/// The media type of a record proof (CAR v1) posted to `/v1/records`.
pub const CAR_MEDIA_TYPE: &str = "application/vnd.ipld.car";

#[derive(serde::Deserialize)]
pub(super) struct ProofQuery {
    pub(super) uri: Option<String>,
}

pub(super) async fn post_record(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<ProofQuery>,
    body: Bytes,
) -> Result<Response, Failure> {
    let is_car = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().unwrap_or("").trim() == CAR_MEDIA_TYPE);
    if is_car {
        let uri = q.uri.ok_or_else(|| {
            bad("uri: the query parameter uri (the record's AT URI) is required with a CAR body")
        })?;
        let (put, cid) = s.submit_proof(&uri, &body, s.now()).await?;
        return Ok(record_stored(put, uri, cid));
    }
    let m = body_object(&body)?;
    let uri = str_field(&m, "uri")?.to_owned();
    let cid = match m.get("cid") {
        None => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(_) => return Err(bad("cid: must be a string")),
    };
    let value = m
        .get("value")
        .cloned()
        .ok_or_else(|| bad("value: is required"))?;
    let (put, cid) = s
        .submit(
            RawRecord {
                uri: uri.clone(),
                cid,
                value,
            },
            s.now(),
        )
        .await?;
    Ok(record_stored(put, uri, cid))
}

pub(super) fn record_stored(put: Put, uri: String, cid: crate::records::cid::Cid) -> Response {
    let mut out = Map::new();
    out.insert("uri".into(), uri.into());
    out.insert("cid".into(), cid.to_string().into());
    let status = if put == Put::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json_response(status, &Value::Object(out))
}

#[derive(serde::Deserialize)]
pub(super) struct UriQuery {
    pub(super) uri: String,
}

pub(super) async fn get_record(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let r = s
        .store
        .get_record(&q.uri)
        .await?
        .ok_or_else(|| Failure::record_not_found(format!("{} is not stored", q.uri)))?;
    let mut out = Map::new();
    out.insert("uri".into(), r.uri.into());
    out.insert("cid".into(), r.cid.into());
    out.insert("value".into(), r.value);
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

#[derive(serde::Deserialize)]
pub(super) struct ListReceiptsQuery {
    pub(super) provider: Option<String>,
    pub(super) requester: Option<String>,
    pub(super) job: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) limit: Option<i64>,
}

pub(super) fn indexed_record(
    uri: &str,
    cid: &str,
    collection: &str,
    body: &Value,
    indexed_at: Option<i64>,
) -> Value {
    let parsed = crate::records::formats::AtUri::parse(uri);
    let mut r = Map::new();
    r.insert("uri".into(), uri.into());
    r.insert("cid".into(), cid.into());
    r.insert("collection".into(), collection.into());
    r.insert(
        "repo".into(),
        parsed
            .as_ref()
            .map(|u| u.did().to_owned())
            .unwrap_or_default()
            .into(),
    );
    r.insert(
        "rkey".into(),
        parsed
            .as_ref()
            .map(|u| u.rkey().to_owned())
            .unwrap_or_default()
            .into(),
    );
    r.insert("body".into(), body.clone());
    if let Some(at) = indexed_at {
        r.insert(
            "indexedAt".into(),
            Datetime::from_unix_nanos(i128::from(at) * 1000)
                .to_string()
                .into(),
        );
    }
    Value::Object(r)
}

pub(super) async fn list_receipts(
    State(s): Shared,
    Query(q): Query<ListReceiptsQuery>,
) -> Result<Response, Failure> {
    use crate::store::RecordFilter;
    let filter = match (&q.provider, &q.requester, &q.job) {
        (Some(p), None, None) => RecordFilter::Owner {
            collection: crate::records::NSID_RECEIPT,
            did: p,
        },
        (None, Some(r), None) => RecordFilter::ReceiptsOfRequester(r),
        (None, None, Some(j)) => RecordFilter::ReceiptsOfJob(j),
        _ => return Err(bad("exactly one of provider, requester, job is required")),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let after = q.cursor.clone().unwrap_or_default();
    let rows = s.store.list_records(&filter, &after, limit).await?;
    let mut m = Map::new();
    m.insert(
        "receipts".into(),
        Value::Array(
            rows.iter()
                .map(|r| {
                    indexed_record(&r.uri, &r.cid, crate::records::NSID_RECEIPT, &r.value, None)
                })
                .collect(),
        ),
    );
    if rows.len() as i64 == limit
        && let Some(last) = rows.last()
    {
        m.insert("cursor".into(), last.uri.clone().into());
    }
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

pub(super) fn finding(severity: &str, code: &str, message: &str) -> Value {
    let mut f = Map::new();
    f.insert("severity".into(), severity.into());
    f.insert("code".into(), code.into());
    f.insert("message".into(), message.into());
    Value::Object(f)
}

/// Whether a stored receipt could be charged now, with the reason if not.
pub(super) async fn verify_receipt(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let verdict = s.check_receipt(&q.uri, s.now()).await?;
    let findings = match &verdict {
        Ok(_) => vec![finding(
            "info",
            "chargeable",
            "every stateless rule of a charge holds",
        )],
        Err(f) => vec![finding("error", f.code, &f.message)],
    };
    let mut m = Map::new();
    m.insert("ok".into(), verdict.is_ok().into());
    // Hardware attestation chains are not verified yet: every provider
    // counts as self-attested.
    m.insert("trustLevel".into(), "self-attested".into());
    m.insert("findings".into(), Value::Array(findings));
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

/// Re-checks a settlement this exchange wrote, with the same checks a
/// requester's `settlement audit` makes: signature, CID, split, the receipt
/// by content, and the rules of a charge at settledAt.
pub(super) async fn verify_settlement_query(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let row =
        s.store.settlement_by_uri(&q.uri).await?.ok_or_else(|| {
            Failure::record_not_found(format!("no settlement {} is stored", q.uri))
        })?;
    let found = crate::audit::check_stored_settlement(
        &s.store,
        &s.exchange.did,
        *s.exchange.verifying_key(),
        &row.uri,
        &row.cid,
        &row.value,
    )
    .await
    .map_err(|e| Failure::new(FailureKind::Internal, "internal", e.to_string()))?;
    let findings: Vec<Value> = if found.is_empty() {
        vec![finding("info", "settlement-verified", "every check holds")]
    } else {
        found
            .iter()
            .map(|d| finding("error", d.check, &d.detail))
            .collect()
    };
    let mut m = Map::new();
    m.insert("ok".into(), found.is_empty().into());
    m.insert("findings".into(), Value::Array(findings));
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}
