//! The exchange on the AT Protocol network, for its operator: a DID's
//! records fetched on demand (`POST /v1/admin/backfill?did=`), and where a
//! record of the exchange's own stands in its repository
//! (`GET /v1/admin/publications?uri=`). Both take the admin token.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{Shared, did_param, json_response, require_admin, wire};
use crate::failure::{Failure, FailureKind};

#[derive(serde::Deserialize)]
pub(super) struct DidQuery {
    did: String,
}

/// 202: the backfill runs in the background; its summary is logged and its
/// records counted in `settlement_firehose_ops_total`.
#[utoipa::path(
    post,
    path = "/v1/admin/backfill",
    summary = "Fetch a DID's records from its PDS, each proven, and charge its receipts, in the background (admin)",
    params(
        ("did" = String, Query, format = "did"),
    ),
    responses(
        (status = 202, description = "Begun; the summary is logged and each record counted in settlement_firehose_ops_total", body = wire::Backfill),
        (status = 400, description = "Malformed DID", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "ingestion-disabled: serve runs without --relay", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn backfill(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<DidQuery>,
) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    did_param(&q.did)?;
    let ingestion = s.ingestion.get().ok_or_else(|| {
        Failure::new(
            FailureKind::Unavailable,
            "ingestion-disabled",
            "backfill needs ingestion: start serve with --relay",
        )
    })?;
    ingestion.backfill(q.did.clone());
    Ok(json_response(
        StatusCode::ACCEPTED,
        &wire::Backfill {
            did: q.did.clone(),
            started: true,
        },
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct UriQuery {
    uri: String,
}

#[utoipa::path(
    get,
    path = "/v1/admin/publications",
    summary = "Where a record of the exchange's own stands in its repository: the current version, the one the PDS holds and the commit that wrote it (admin)",
    params(
        ("uri" = String, Query, format = "at-uri"),
    ),
    responses(
        (status = 200, description = "The record's publication", body = wire::Publication),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "record-not-found: nothing of the exchange's under this URI", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn publication(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    let found = crate::publish::outbox::publication(&s.store, &q.uri).await?;
    let p = found.ok_or_else(|| {
        Failure::record_not_found(format!(
            "{}: no record of this exchange's is queued under this URI",
            q.uri
        ))
    })?;
    Ok(json_response(StatusCode::OK, &wire::publication(&p)))
}
