//! Disputes over HTTP. A requester disputes one of its settlements with a
//! single-use service auth token for `dev.cocore.compute.openDispute`; the
//! operator (admin token) may open one too, and alone resolves them.
//! Dispute records are public, as the lexicon has them.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{Shared, bearer, body_object, is_admin, json_response, require_admin, wire};
use crate::dispute::{self, OpenRequest, Raiser, ResolveRequest};
use crate::failure::{Failure, FailureKind};

/// `POST /v1/disputes` `{"settlement": AT-URI, "reason": {"category",
/// "detail"?}, "evidenceCid"?}`: 201 with the signed dispute record.
#[utoipa::path(
    post,
    path = "/v1/disputes",
    summary = "Dispute a settlement: its requester (single-use service auth token for dev.cocore.compute.openDispute) or the operator (admin token)",
    request_body(content = wire::requests::DisputeRequest),
    responses(
        (status = 201, description = "Opened: the signed dispute record; the settlement's new version says disputed", body = wire::Dispute),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not the settlement's requester, nor the operator", body = wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such settlement", body = wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A dispute of this settlement is open already (dispute-open)", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn open(
    State(s): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let req = OpenRequest::parse(&body_object(&body)?)?;
    let raiser = if is_admin(&s, &headers) {
        Raiser::Operator
    } else {
        // Without proofs anybody could claim to be the requester.
        if !s.records.is_proven() {
            require_admin(&s, &headers)?;
        }
        let settlement = dispute::settlement(&s.store, &req.settlement_uri).await?;
        s.authenticate_once(
            bearer(&headers),
            &settlement.requester,
            crate::authentic::LXM_OPEN_DISPUTE,
            s.now(),
        )
        .await?;
        Raiser::Requester(settlement.requester)
    };
    let row = dispute::open(&s.store, &s.exchange, s.clock.now_us(), &raiser, &req).await?;
    tracing::info!(dispute = %row.id, settlement = %row.settlement_uri, category = %row.category, "dispute opened");
    Ok(json_response(StatusCode::CREATED, &wire::dispute(&row)))
}

/// `POST /v1/admin/disputes/{id}/resolve` `{"verdict", "amount"?,
/// "rationale"?}` (admin): the resolved dispute and what moved.
#[utoipa::path(
    post,
    path = "/v1/admin/disputes/{id}/resolve",
    summary = "Resolve an open dispute (admin): the verdict's money, the refund settlement record and the resolved dispute record, in one transaction",
    params(
        ("id" = String, Path),
    ),
    request_body(content = wire::requests::ResolveRequest),
    responses(
        (status = 200, description = "Resolved", body = wire::Resolution),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dispute", body = wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved already (dispute-resolved)", body = wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The verdict cannot be carried out: refund-exceeds-charge, nothing-to-reverse, settlement-forfeited", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn resolve(
    State(s): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    let req = ResolveRequest::parse(&body_object(&body)?)?;
    let (row, reversal) =
        dispute::resolve(&s.store, &s.exchange, s.clock.now_us(), &id, &req).await?;
    tracing::info!(dispute = %row.id, verdict = req.verdict.as_str(), "dispute resolved");
    let resolution = wire::Resolution {
        dispute: wire::dispute(&row),
        reversal: reversal.as_ref().map(wire::reversal),
    };
    Ok(json_response(StatusCode::OK, &resolution))
}

/// `GET /v1/disputes/{id}`: the dispute (public).
#[utoipa::path(
    get,
    path = "/v1/disputes/{id}",
    operation_id = "get_dispute",
    summary = "One dispute (public)",
    params(
        ("id" = String, Path),
    ),
    responses(
        (status = 200, description = "The dispute", body = wire::Dispute),
        (status = 404, description = "No such dispute", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn get(State(s): Shared, Path(id): Path<String>) -> Result<Response, Failure> {
    let row = dispute::store::get(&s.store, &id)
        .await?
        .ok_or_else(|| Failure::new(FailureKind::NotFound, "not-found", "no such dispute"))?;
    Ok(json_response(StatusCode::OK, &wire::dispute(&row)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SettlementQuery {
    settlement: String,
}

/// `GET /v1/disputes?settlement=AT-URI`: a settlement's disputes and what
/// their verdicts moved back (public).
#[utoipa::path(
    get,
    path = "/v1/disputes",
    summary = "A settlement's disputes and what their verdicts moved back",
    params(
        ("settlement" = String, Query, format = "at-uri"),
    ),
    responses(
        (status = 200, description = "Disputes and reversals, oldest first", body = wire::DisputeList),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn of_settlement(
    State(s): Shared,
    Query(q): Query<SettlementQuery>,
) -> Result<Response, Failure> {
    let disputes = dispute::store::of_settlement(&s.store, &q.settlement).await?;
    let reversals = dispute::store::reversals(&s.store, &q.settlement).await?;
    let list = wire::DisputeList {
        disputes: disputes.iter().map(wire::dispute).collect(),
        reversals: reversals.iter().map(wire::reversal).collect(),
    };
    Ok(json_response(StatusCode::OK, &list))
}
