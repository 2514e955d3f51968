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
use crate::records::json::{Map, Value};

/// `POST /v1/disputes` `{"settlement": AT-URI, "reason": {"category",
/// "detail"?}, "evidenceCid"?}`: 201 with the signed dispute record.
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
    let mut m = Map::new();
    m.insert("dispute".into(), wire::dispute(&row));
    if let Some(r) = &reversal {
        m.insert("reversal".into(), wire::reversal(r));
    }
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

/// `GET /v1/disputes/{id}`: the dispute (public).
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
pub(super) async fn of_settlement(
    State(s): Shared,
    Query(q): Query<SettlementQuery>,
) -> Result<Response, Failure> {
    let disputes = dispute::store::of_settlement(&s.store, &q.settlement).await?;
    let reversals = dispute::store::reversals(&s.store, &q.settlement).await?;
    let mut m = Map::new();
    m.insert(
        "disputes".into(),
        Value::Array(disputes.iter().map(wire::dispute).collect()),
    );
    m.insert(
        "reversals".into(),
        Value::Array(reversals.iter().map(wire::reversal).collect()),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}
