//! Records: posted (as JSON or as a CAR proof), read, listed, and
//! checked (`verifyReceipt`, `verifySettlement`).

use super::*;

/// The media type of a record proof (CAR v1) posted to `/v1/records`.
pub const CAR_MEDIA_TYPE: &str = "application/vnd.ipld.car";

#[derive(serde::Deserialize)]
pub(super) struct ProofQuery {
    pub(super) uri: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/records",
    summary = "Submit a record (job, paymentAuthorization, attestation, receipt), as JSON or as its proof (a CAR)",
    description = "A record is stored only once it is proven to be in its owner's repository: posted as JSON, it is fetched with its proof from the owner's PDS (com.atproto.sync.getRecord) and must be the same record; posted as a CAR (application/vnd.ipld.car, with the record's AT URI in the query parameter uri), the proof is checked: the commit's signature against the #atproto key of the owner's DID document, the commit's DID, the path through the repository's tree and the record's CID. A server started with --insecure-trust-submitted-records (development, loopback only) takes JSON records as genuine.",
    params(
        ("uri" = Option<String>, Query, description = "The record's AT URI; required with a CAR body."),
    ),
    request_body(content((wire::requests::RecordPost = "application/json"), (wire::requests::Binary = "application/vnd.ipld.car"))),
    responses(
        (status = 201, description = "Stored", body = wire::Record),
        (status = 200, description = "Already stored with the same content"),
        (status = 400, description = "Malformed request (invalid-request), or a CAR posted to a server that cannot resolve DIDs (proofs-unsupported)", body = wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "record-conflict: the URI holds other content", body = wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large"),
        (status = 422, description = "invalid-record, cid-mismatch, no-signature; and for proofs: did-unresolvable, record-unavailable, invalid-proof, commit-did-mismatch, commit-signature-invalid, record-not-in-commit", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
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
#[utoipa::path(
    post,
    path = "/v1/revocations",
    summary = "Revoke an authorization its requester deleted: a CAR proving it absent from the requester's repository at a commit no older than any seen",
    params(
        ("uri" = String, Query, format = "at-uri"),
    ),
    request_body(content((wire::requests::Binary = "application/vnd.ipld.car"), (wire::requests::Binary = "application/octet-stream")), description = "The CAR proving the authorization absent (application/vnd.ipld.car; any binary content type is read the same)"),
    responses(
        (status = 200, description = "Revoked: no more charges, its hold released", body = wire::Revocation),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The authorization is not stored", body = wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid proof of absence, or a stale one; code names why", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn post_revocation(
    State(s): Shared,
    Query(q): Query<UriQuery>,
    body: Bytes,
) -> Result<Response, Failure> {
    let revoked = s.revoke(&q.uri, &body, s.now()).await?;
    Ok(json_response(
        StatusCode::OK,
        &wire::Revocation {
            uri: q.uri.clone(),
            revoked,
        },
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct UriQuery {
    pub(super) uri: String,
}

#[utoipa::path(
    get,
    path = "/v1/records",
    summary = "Read a stored record",
    params(
        ("uri" = String, Query),
    ),
    responses(
        (status = 200, description = "Record", body = wire::Record),
        (status = 404, description = "Not stored", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
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

#[utoipa::path(
    get,
    path = "/xrpc/dev.cocore.compute.listReceipts",
    summary = "Receipts by provider, requester or job",
    params(
        ("provider" = Option<String>, Query),
        ("requester" = Option<String>, Query),
        ("job" = Option<String>, Query),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "Receipts", body = wire::ReceiptPage),
        (status = 400, description = "Exactly one filter is required", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
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
        &wire::ReceiptPage {
            receipts: items,
            cursor,
        },
    ))
}

/// Whether a stored receipt could be charged now, with the reason if not.
#[utoipa::path(
    get,
    path = "/xrpc/dev.cocore.compute.verifyReceipt",
    summary = "Whether a stored receipt could be charged now",
    params(
        ("uri" = String, Query),
    ),
    responses(
        (status = 200, description = "Verdict", body = wire::ReceiptCheck),
        (status = 404, description = "Receipt not stored", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
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
#[utoipa::path(
    get,
    path = "/xrpc/dev.cocore.compute.verifySettlement",
    summary = "Re-check a settlement this exchange wrote (signature, CID, split, receipt, rules at settledAt)",
    params(
        ("uri" = String, Query),
    ),
    responses(
        (status = 200, description = "Verdict", body = wire::SettlementCheck),
        (status = 404, description = "No such settlement", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn verify_settlement_query(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let found = s.verify_settlement(&q.uri).await?;
    Ok(json_response(StatusCode::OK, &wire::verified(&found)))
}
