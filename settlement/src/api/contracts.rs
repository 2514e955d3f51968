//! Compute contracts over HTTP. A requester accepts a bid with a
//! single-use service auth token for `dev.settlement.contract.accept`
//! (or the operator with the admin token); she sets her trust policy with
//! one for `dev.settlement.contract.setTrustPolicy`. Contracts are read by
//! their requester or their bidder (`dev.settlement.contract.list`). Where
//! records are taken as submitted (development), only the operator may
//! accept or set a policy.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{
    PAGE_MAX, Shared, bad, bearer, body_object, created_or_ok, did_param, is_admin, json_response,
    require_admin, str_field, wire,
};
use crate::contract::trust::{HOPS_MAX, Mode, Policy};
use crate::contract::{self, Contracts};
use crate::failure::{Failure, FailureKind};
use crate::records::formats::AtUri;
use crate::records::json::{Map, Value};

fn engine(s: &crate::service::Service) -> Result<&std::sync::Arc<Contracts>, Failure> {
    s.contracts.get().ok_or_else(|| {
        Failure::new(
            FailureKind::Unavailable,
            "contracts-disabled",
            "compute contracts need a chain: start serve with one configured",
        )
    })
}

/// `POST /v1/contracts` `{"ccba": AT-URI, "authorization": AT-URI}`: 201
/// with the contract (200 when it existed).
#[utoipa::path(
    post,
    path = "/v1/contracts",
    summary = "Accept a bid: check the record chain, the requester's trust policy, the bid's terms, her authorization and funds, then pay the bid's x402 URL once and match the bidder's receipt. Her single-use service auth token for dev.settlement.contract.accept, or the admin token",
    request_body(content = wire::requests::AcceptRequest),
    responses(
        (status = 201, description = "Accepted (and paid, receipted as far as it went)", body = wire::Contract),
        (status = 200, description = "The contract of this accept, as it stands", body = wire::Contract),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not the accept's requester, nor the operator", body = wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "A record named is unknown (record-not-found)", body = wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A contract of another version of this accept exists (contract-exists)", body = wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused, nothing moved: bidder-denounced, bidder-not-trusted, contract-link-broken, insufficient-funds, price-over-auth-ceiling, x402-requirements-refused, ...", body = wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No chain configured (contracts-disabled)", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn accept(
    State(s): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let m = body_object(&body)?;
    let ccba = str_field(&m, "ccba")?;
    let authorization = str_field(&m, "authorization")?;
    if let Some(k) = m
        .keys()
        .find(|k| !["ccba", "authorization"].contains(&k.as_str()))
    {
        return Err(bad(format!("{k}: is not a field of an accept")));
    }
    let requester = AtUri::parse(ccba)
        .ok_or_else(|| bad("ccba: must be an AT URI of a record (at://DID/COLLECTION/RKEY)"))?
        .did()
        .to_owned();
    if !is_admin(&s, &headers) {
        if !s.records.is_proven() {
            require_admin(&s, &headers)?;
        }
        s.authenticate_once(bearer(&headers), &requester, contract::LXM_ACCEPT, s.now())
            .await?;
    }
    let a = engine(&s)?.accept(ccba, authorization).await?;
    Ok(json_response(
        created_or_ok(a.created),
        &wire::contract(&a.contract),
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    requester: Option<String>,
    provider: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// `GET /v1/contracts?requester=DID` or `?provider=DID`, paged by `after`.
#[utoipa::path(
    get,
    path = "/v1/contracts",
    summary = "Contracts of a requester or of a bidder (its service auth token for dev.settlement.contract.list, or the admin token)",
    params(
        ("requester" = Option<String>, Query, format = "did"),
        ("provider" = Option<String>, Query, format = "did"),
        ("after" = Option<i64>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "A page of contracts", body = wire::ContractPage),
        (status = 400, description = "Neither or both of requester and provider", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not that party, nor the operator", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn list(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, Failure> {
    let (did, filter) = match (&q.requester, &q.provider) {
        (Some(d), None) => (d.as_str(), contract::store::Filter::Requester(d)),
        (None, Some(d)) => (d.as_str(), contract::store::Filter::Provider(d)),
        _ => return Err(bad("exactly one of requester and provider is required")),
    };
    did_param(did)?;
    if !is_admin(&s, &headers) {
        s.authenticate(bearer(&headers), did, contract::LXM_LIST, s.now())
            .await?;
    }
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let rows = contract::store::list(&s.store, filter, q.after.unwrap_or(0), limit).await?;
    let cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.seq.to_string()))
        .flatten();
    Ok(json_response(
        StatusCode::OK,
        &wire::ContractPage {
            contracts: rows.iter().map(wire::contract).collect(),
            cursor,
        },
    ))
}

/// `GET /v1/contracts/{id}`: one contract, to its requester or its bidder.
#[utoipa::path(
    get,
    path = "/v1/contracts/{id}",
    operation_id = "get_contract",
    summary = "One contract, to its requester or its bidder",
    params(
        ("id" = String, Path),
    ),
    responses(
        (status = 200, description = "The contract", body = wire::Contract),
        (status = 404, description = "No such contract, or not the caller's", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn get(
    State(s): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let not_found = || Failure::new(FailureKind::NotFound, "not-found", "no such contract");
    let c = contract::store::get(&s.store, &id)
        .await?
        .ok_or_else(not_found)?;
    if !is_admin(&s, &headers) {
        let requester = s
            .authenticate(bearer(&headers), &c.requester, contract::LXM_LIST, s.now())
            .await;
        if requester.is_err() {
            s.authenticate(bearer(&headers), &c.provider, contract::LXM_LIST, s.now())
                .await
                .map_err(|_| not_found())?;
        }
    }
    Ok(json_response(StatusCode::OK, &wire::contract(&c)))
}

/// `PUT /v1/contracts/policies/{did}` `{"mode": "vouched" | "network" |
/// "open", "hops"?: 1..4, "heedVouchees"?: bool}`.
#[utoipa::path(
    put,
    path = "/v1/contracts/policies/{did}",
    summary = "Set a requester's trust policy: her single-use service auth token for dev.settlement.contract.setTrustPolicy, or the admin token",
    params(
        ("did" = String, Path, format = "did"),
    ),
    request_body(content = wire::requests::PolicyRequest),
    responses(
        (status = 200, description = "The policy as stored", body = wire::TrustPolicy),
        (status = 400, description = "Malformed policy", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not that requester, nor the operator", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn put_policy(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    did_param(&did)?;
    let m = body_object(&body)?;
    let policy = parse_policy(&m)?;
    if !is_admin(&s, &headers) {
        if !s.records.is_proven() {
            require_admin(&s, &headers)?;
        }
        s.authenticate_once(bearer(&headers), &did, contract::LXM_SET_POLICY, s.now())
            .await?;
    }
    contract::graph_store::set_policy(&s.store, &did, &policy, s.clock.now_us()).await?;
    tracing::info!(mode = policy.mode.as_str(), "trust policy set");
    Ok(json_response(
        StatusCode::OK,
        &wire::trust_policy(&did, &policy, true),
    ))
}

/// `GET /v1/contracts/policies/{did}`: her policy (public).
#[utoipa::path(
    get,
    path = "/v1/contracts/policies/{did}",
    summary = "A requester's trust policy (public)",
    params(
        ("did" = String, Path, format = "did"),
    ),
    responses(
        (status = 200, description = "Her policy", body = wire::TrustPolicy),
        (status = 400, description = "Not a DID", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn get_policy(
    State(s): Shared,
    Path(did): Path<String>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    let (p, set) = contract::graph_store::policy(&s.store, &did).await?;
    Ok(json_response(
        StatusCode::OK,
        &wire::trust_policy(&did, &p, set),
    ))
}

fn parse_policy(m: &Map) -> Result<Policy, Failure> {
    if let Some(k) = m
        .keys()
        .find(|k| !["mode", "hops", "heedVouchees"].contains(&k.as_str()))
    {
        return Err(bad(format!("{k}: is not a field of a trust policy")));
    }
    let hops = match m.get("hops") {
        None => None,
        Some(v) => Some(
            v.as_int()
                .and_then(|h| u32::try_from(h).ok())
                .filter(|h| (1..=HOPS_MAX).contains(h))
                .ok_or_else(|| bad(format!("hops: must be an integer from 1 to {HOPS_MAX}")))?,
        ),
    };
    let mode = match str_field(m, "mode")? {
        "vouched" => Mode::Vouched,
        "open" => Mode::Open,
        "network" => Mode::Network {
            hops: hops.unwrap_or(2),
        },
        _ => return Err(bad("mode: must be \"vouched\", \"network\" or \"open\"")),
    };
    if hops.is_some() && !matches!(mode, Mode::Network { .. }) {
        return Err(bad("hops: only a network policy has hops"));
    }
    let heed_vouchees = match m.get("heedVouchees") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("heedVouchees: must be a boolean")),
    };
    Ok(Policy {
        mode,
        heed_vouchees,
    })
}
