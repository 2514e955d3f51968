//! Proofs of inference over HTTP: a proof's bytes uploaded by content
//! address (once a proof record names them), a receipt's verdict read by
//! anyone, and the operator's release or refund of a held share.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{PAGE_MAX, Shared, bad, body_object, json_response, require_admin, str_field, wire};
use crate::failure::{Failure, FailureKind};
use crate::inference::evidence::Hold;

/// Largest proof upload (as `inference::proof::MAX_PROOF_BYTES`).
pub const PROOF_BODY_BYTES_MAX: usize = crate::inference::proof::MAX_PROOF_BYTES;

/// `POST /v1/inference/proofs` (`application/octet-stream`, a bare
/// FlatBuffers `Proof`): kept under its raw CID, which a stored proof
/// record must name already; 201 (new) or 200 `{cid, size}`.
#[utoipa::path(
    post,
    path = "/v1/inference/proofs",
    summary = "Upload a proof's bytes (a bare FlatBuffers TensorCash Proof), kept under its raw CID once a stored dev.settlement.inferenceProof record names it",
    request_body(content = wire::requests::Binary, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Known already", body = wire::Blob),
        (status = 201, description = "Kept", body = wire::Blob),
        (status = 400, description = "Not application/octet-stream, or empty", body = wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 8 MiB", body = wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No proof record names these bytes (inference-proof-unknown)", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn upload(
    State(s): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let octets = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "application/octet-stream");
    if !octets {
        return Err(Failure::new(
            FailureKind::BadRequest,
            "invalid-request",
            "content-type: must be application/octet-stream (a TensorCash proof)",
        ));
    }
    let (cid, created) = s.upload_proof(&body).await?;
    Ok(json_response(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &wire::blob(&cid.to_string(), body.len()),
    ))
}

/// `GET /v1/inference/proofs/{cid}`: a kept proof's bytes (public, as
/// the blob in its provider's repository is), for anyone re-checking a
/// gated charge.
#[utoipa::path(
    get,
    path = "/v1/inference/proofs/{cid}",
    summary = "A kept proof's bytes (public), for re-checking a gated charge",
    params(
        ("cid" = String, Path),
    ),
    responses(
        (status = 200, description = "The proof (a bare FlatBuffers TensorCash Proof)", body = wire::requests::Binary, content_type = "application/octet-stream"),
        (status = 404, description = "Not kept", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn download(
    State(s): Shared,
    Path(cid): Path<String>,
) -> Result<Response, Failure> {
    let bytes = s.store.blob(&cid).await?.ok_or_else(|| {
        Failure::new(
            FailureKind::NotFound,
            "not-found",
            "no proof is kept under this CID",
        )
    })?;
    let mut r = axum::response::IntoResponse::into_response(bytes);
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/octet-stream"),
    );
    Ok(r)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VerdictQuery {
    receipt: Option<String>,
    settlement: Option<String>,
}

/// `GET /v1/inference/verdicts?receipt=AT-URI` (or `settlement=`): the
/// gate's verdict and where a held share stands (public).
#[utoipa::path(
    get,
    path = "/v1/inference/verdicts",
    summary = "The proof-of-inference gate's verdict of one receipt or settlement (public)",
    params(
        ("receipt" = Option<String>, Query, format = "at-uri"),
        ("settlement" = Option<String>, Query, format = "at-uri"),
    ),
    responses(
        (status = 200, description = "The verdict", body = wire::InferenceVerdict),
        (status = 400, description = "Not exactly one of receipt, settlement", body = wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No verdict", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn verdict(
    State(s): Shared,
    Query(q): Query<VerdictQuery>,
) -> Result<Response, Failure> {
    let row = match (&q.receipt, &q.settlement) {
        (Some(r), None) => s.store.verdict_of_receipt(r).await?,
        (None, Some(u)) => s.store.verdict_of_settlement(u).await?,
        _ => return Err(bad("exactly one of receipt, settlement is required")),
    };
    let row = row.ok_or_else(|| {
        Failure::new(
            FailureKind::NotFound,
            "not-found",
            "no verdict for this receipt",
        )
    })?;
    Ok(json_response(StatusCode::OK, &wire::verdict(&row)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HeldQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

/// `GET /v1/admin/inference/holds` (admin): held shares, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/admin/inference/holds",
    summary = "Held provider shares, a page at a time (admin)",
    params(
        ("cursor" = Option<String>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "A page", body = wire::HoldPage),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn held(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<HeldQuery>,
) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let rows = s
        .store
        .held(q.cursor.as_deref().unwrap_or(""), limit)
        .await?;
    let cursor = rows
        .last()
        .filter(|_| rows.len() as i64 == limit)
        .map(|r| r.evidence.receipt_uri.clone());
    let items = rows.iter().map(wire::verdict).collect();
    Ok(json_response(
        StatusCode::OK,
        &wire::HoldPage {
            holds: items,
            cursor,
        },
    ))
}

/// `POST /v1/admin/inference/holds` `{"settlement": AT-URI, "action":
/// "release" | "refund" | "reverify"}` (admin): ends a hold, or asks the
/// verifier again (a pass releases, a refusal refunds).
#[utoipa::path(
    post,
    path = "/v1/admin/inference/holds",
    summary = "End a hold (admin): release the provider's share, refund the whole charge to the requester, or ask the verifier again (a pass releases, a refusal refunds, anything else leaves it held)",
    request_body(content = wire::requests::HoldRequest),
    responses(
        (status = 200, description = "The verdict with its hold ended", body = wire::InferenceVerdict),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The settlement was not gated", body = wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not held (not-held)", body = wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The verifier did not answer (reverify): nothing changed", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn end_hold(
    State(s): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    let m = body_object(&body)?;
    if let Some(k) = m
        .keys()
        .find(|k| !matches!(k.as_str(), "settlement" | "action"))
    {
        return Err(bad(format!("{k}: unknown field")));
    }
    let settlement = str_field(&m, "settlement")?;
    let row = match str_field(&m, "action")? {
        "release" => s.end_hold(settlement, Hold::Released).await?,
        "refund" => s.end_hold(settlement, Hold::Refunded).await?,
        "reverify" => s.reverify_hold(settlement).await?,
        _ => return Err(bad("action: must be release, refund or reverify")),
    };
    tracing::info!(settlement = %settlement, hold = row.hold.map_or("", |h| h.as_str()), "held share decided");
    Ok(json_response(StatusCode::OK, &wire::verdict(&row)))
}
