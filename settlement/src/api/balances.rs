//! Private reads of a requester or provider: an authorization's state,
//! balances and a requester's statement.

use super::*;

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

pub(super) async fn provider_balance(
    s: Shared,
    headers: HeaderMap,
    did: Path<String>,
    q: Query<CurrencyQuery>,
) -> Result<Response, Failure> {
    balances(s, headers, did, q, Party::Provider).await
}

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
    let mut out = Map::new();
    for currency in s.currencies(q.currency)? {
        let b = match party {
            Party::Provider => wire::provider_balance(&s.provider_balance(&did, &currency).await?),
            Party::Requester => wire::balance(&s.requester_balance(&did, &currency).await?),
        };
        out.insert(currency, b);
    }
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

#[derive(serde::Deserialize)]
pub(super) struct StatementQuery {
    pub(super) currency: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) limit: Option<u32>,
}

/// A requester's ledger entries (deposits, charges, fees, holds and their
/// release), oldest first, with a cursor for the next page.
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
