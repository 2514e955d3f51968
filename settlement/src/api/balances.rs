//! Private reads of a requester or provider: an authorization's state,
//! balances and a requester's statement.

use super::*;

#[utoipa::path(
    get,
    path = "/v1/authorizations",
    summary = "Where an authorization stands: charged, remaining, its settlements",
    params(
        ("uri" = String, Query),
    ),
    responses(
        (status = 200, description = "Authorization state", body = wire::Authorization),
        (status = 404, description = "No charge made against it", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn authorization(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let view = s.authorization(&q.uri, PAGE_MAX).await?;
    Ok(json_response(StatusCode::OK, &wire::authorization(&view)))
}

#[derive(serde::Deserialize)]
pub(super) struct CurrencyQuery {
    pub(super) currency: Option<String>,
}

/// Who reads a balance, which lxm their token must name.
#[derive(Clone, Copy)]
enum Party {
    Provider,
    Requester,
}

#[utoipa::path(
    get,
    path = "/v1/providers/{did}/balance",
    summary = "A provider's payable balance per currency",
    description = "Needs an AT Protocol service auth token from the provider (Authorization: Bearer JWT, ES256 or ES256K, signed with the #atproto key of the provider's DID document; iss = the provider's DID, aud = this exchange's DID, lxm = dev.cocore.compute.getProviderBalance, exp at most 300 s ahead), except on a server in development mode.",
    params(
        ("did" = String, Path, description = "A DID."),
        ("currency" = Option<String>, Query, description = "One currency (default: all this exchange settles)."),
    ),
    responses(
        (status = 200, description = "Balances", body = std::collections::BTreeMap<String, wire::ProviderMoney>),
        (status = 400, description = "Not a DID", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "unauthorized: no token, or one for another issuer, audience or method, expired, or badly signed", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn provider_balance(
    s: Shared,
    headers: HeaderMap,
    did: Path<String>,
    q: Query<CurrencyQuery>,
) -> Result<Response, Failure> {
    balances(s, headers, did, q, Party::Provider).await
}

#[utoipa::path(
    get,
    path = "/v1/requesters/{did}/balance",
    summary = "A requester's balance, held and available funds per currency",
    description = "Needs an AT Protocol service auth token from the requester (Authorization: Bearer JWT, ES256 or ES256K, signed with the #atproto key of the requester's DID document; iss = the requester's DID, aud = this exchange's DID, lxm = dev.cocore.compute.getRequesterBalance, exp at most 300 s ahead), except on a server in development mode.",
    params(
        ("did" = String, Path, description = "A DID."),
        ("currency" = Option<String>, Query, description = "One currency (default: all this exchange settles)."),
    ),
    responses(
        (status = 200, description = "Balances", body = std::collections::BTreeMap<String, wire::RequesterBalance>),
        (status = 400, description = "Not a DID", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "unauthorized: no token, or one for another issuer, audience or method, expired, or badly signed", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn requester_balance(
    s: Shared,
    headers: HeaderMap,
    did: Path<String>,
    q: Query<CurrencyQuery>,
) -> Result<Response, Failure> {
    balances(s, headers, did, q, Party::Requester).await
}

/// A party's balance in each currency asked for, keyed by currency.
async fn balances(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    Query(q): Query<CurrencyQuery>,
    party: Party,
) -> Result<Response, Failure> {
    did_param(&did)?;
    let lxm = match party {
        Party::Provider => crate::authentic::LXM_PROVIDER_BALANCE,
        Party::Requester => crate::authentic::LXM_REQUESTER_BALANCE,
    };
    s.authenticate(bearer(&headers), &did, lxm, s.now()).await?;
    let currencies = s.currencies(q.currency)?;
    Ok(match party {
        Party::Provider => {
            let mut out = std::collections::BTreeMap::new();
            for currency in currencies {
                let b = s.provider_balance(&did, &currency).await?;
                out.insert(currency, wire::provider_balance(&b));
            }
            json_response(StatusCode::OK, &out)
        }
        Party::Requester => {
            let mut out = std::collections::BTreeMap::new();
            for currency in currencies {
                let b = s.requester_balance(&did, &currency).await?;
                out.insert(currency, wire::balance(&b));
            }
            json_response(StatusCode::OK, &out)
        }
    })
}

#[derive(serde::Deserialize)]
pub(super) struct StatementQuery {
    pub(super) currency: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) limit: Option<u32>,
}

/// A requester's ledger entries (deposits, charges, fees, holds and their
/// release), oldest first, with a cursor for the next page.
#[utoipa::path(
    get,
    path = "/v1/requesters/{did}/statement",
    summary = "A requester's ledger entries, oldest first",
    description = "Needs an AT Protocol service auth token from the requester (Authorization: Bearer JWT, ES256 or ES256K, signed with the #atproto key of the requester's DID document; iss = the requester's DID, aud = this exchange's DID, lxm = dev.cocore.compute.getRequesterStatement, exp at most 300 s ahead), except on a server in development mode.",
    params(
        ("did" = String, Path, description = "A DID."),
        ("currency" = Option<String>, Query, description = "One currency (default: all this exchange settles)."),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "Statement page", body = wire::StatementPage),
        (status = 400, description = "Bad DID or cursor", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "unauthorized: no token, or one for another issuer, audience or method, expired, or badly signed", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn requester_statement(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    s.authenticate(
        bearer(&headers),
        &did,
        crate::authentic::LXM_REQUESTER_STATEMENT,
        s.now(),
    )
    .await?;
    let currency = s
        .currencies(q.currency)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Failure::new(
                FailureKind::Internal,
                "internal",
                "no currency is configured",
            )
        })?;
    let after = match &q.cursor {
        None => None,
        Some(c) => Some(
            c.parse::<ledger::Cursor>()
                .map_err(|_| bad("cursor: must be a cursor from a previous page"))?,
        ),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX as u32);
    let statement = s
        .requester_statement(&did, currency, ledger::Page { after, limit })
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &wire::statement(&did, &statement),
    ))
}
