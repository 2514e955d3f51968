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
    let status = created_or_ok(put == Put::Created);
    json_response(status, &wire::record(&uri, &cid.to_string(), None))
}

/// `POST /v1/revocations?uri=AT-URI`, a CAR body: the requester deleted
/// the authorization; a proof of its absence revokes it.
pub(super) async fn post_revocation(
    State(s): Shared,
    Query(q): Query<UriQuery>,
    body: Bytes,
) -> Result<Response, Failure> {
    let revoked = s.revoke(&q.uri, &body, s.now()).await?;
    Ok(json_response(
        StatusCode::OK,
        &wire::revocation(&q.uri, revoked),
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct UriQuery {
    pub(super) uri: String,
}

pub(super) async fn get_record(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let r = s.record(&q.uri).await?;
    Ok(json_response(
        StatusCode::OK,
        &wire::record(&r.uri, &r.cid, Some(&r.value)),
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct ListReceiptsQuery {
    pub(super) provider: Option<String>,
    pub(super) requester: Option<String>,
    pub(super) job: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) limit: Option<i64>,
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
    let rows = s.records(&filter, &after, limit).await?;
    let cursor = rows
        .last()
        .filter(|_| rows.len() as i64 == limit)
        .map(|last| last.uri.clone());
    let items = rows
        .iter()
        .map(|r| wire::indexed_record(&r.uri, &r.cid, crate::records::NSID_RECEIPT, &r.value, None))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &wire::page("receipts", items, cursor),
    ))
}

/// Whether a stored receipt could be charged now, with the reason if not.
pub(super) async fn verify_receipt(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let verdict = s.check_receipt(&q.uri, s.now()).await?;
    let verdict = match &verdict {
        Ok(_) => Ok(()),
        Err(f) => Err((f.code, f.message.as_str())),
    };
    Ok(json_response(StatusCode::OK, &wire::chargeable(verdict)))
}

/// Re-checks a settlement this exchange wrote, with the same checks a
/// requester's `settlement audit` makes: signature, CID, split, the receipt
/// by content, and the rules of a charge at settledAt.
pub(super) async fn verify_settlement_query(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let found = s.verify_settlement(&q.uri).await?;
    Ok(json_response(StatusCode::OK, &wire::verified(&found)))
}
