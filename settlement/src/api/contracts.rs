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
        &wire::page(
            "contracts",
            rows.iter().map(wire::contract).collect(),
            cursor,
        ),
    ))
}

/// `GET /v1/contracts/{id}`: one contract, to its requester or its bidder.
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
