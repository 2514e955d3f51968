//! Private reads of a requester or provider: an authorization's state,
//! balances and a requester's statement.

use super::*;

pub(super) async fn authorization(
    State(s): Shared,
    Query(q): Query<UriQuery>,
) -> Result<Response, Failure> {
    let state = s.store.authorization_by_uri(&q.uri).await?.ok_or_else(|| {
        Failure::record_not_found(format!("no charge has been made against {}", q.uri))
    })?;
    let settlements = s
        .store
        .settlements_where(SettlementColumn::Authorization, &q.uri, 0, PAGE_MAX)
        .await?;
    let money = |amount: i64| {
        let mut m = Map::new();
        m.insert("amount".into(), amount.into());
        m.insert("currency".into(), state.currency.clone().into());
        Value::Object(m)
    };
    let mut m = Map::new();
    m.insert("uri".into(), state.authorization_uri.clone().into());
    m.insert("cid".into(), state.authorization_cid.clone().into());
    m.insert("requester".into(), state.requester.clone().into());
    m.insert("scope".into(), state.scope.clone().into());
    // The published terms, from the stored record.
    let terms = s
        .store
        .get_record(&state.authorization_uri)
        .await?
        .and_then(|r| {
            let raw = RawRecord {
                uri: r.uri,
                cid: Some(r.cid),
                value: r.value,
            };
            crate::records::parse_record::<crate::records::PaymentAuthorization>(
                &raw,
                "authorization",
            )
            .ok()
        });
    let published = |money: &crate::records::Money| {
        let mut m = Map::new();
        m.insert("amount".into(), money.amount.into());
        m.insert("currency".into(), money.currency.clone().into());
        Value::Object(m)
    };
    if let Some(t) = &terms {
        m.insert("ceiling".into(), published(&t.data.ceiling));
        if let Some(budget) = &t.data.session_budget {
            m.insert("budget".into(), published(budget));
        }
    }
    m.insert("limit".into(), money(state.limit_minor));
    m.insert("charged".into(), money(state.charged_minor));
    m.insert(
        "remaining".into(),
        money(if state.consumed {
            0
        } else {
            state.limit_minor - state.charged_minor
        }),
    );
    m.insert("charges".into(), state.charges.into());
    m.insert("consumed".into(), state.consumed.into());
    m.insert(
        "expiresAt".into(),
        Datetime::from_unix_nanos(i128::from(state.expires_at) * 1000)
            .to_string()
            .into(),
    );
    m.insert(
        "settlements".into(),
        Value::Array(settlements.iter().map(settlement_json).collect()),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}

#[derive(serde::Deserialize)]
pub(super) struct CurrencyQuery {
    pub(super) currency: Option<String>,
}

pub(super) async fn balance_of(s: &Service, id: ledger::Id) -> Result<Value, Failure> {
    let ledger = s.store.ledger();
    let (posted, pending, available) = match ledger.balance(&id).await {
        Ok(b) => (
            b.credits_posted - b.debits_posted,
            b.debits_pending,
            b.available.unwrap_or(0),
        ),
        Err(ledger::Error::AccountNotFound { .. }) => (0, 0, 0),
        Err(e) => return Err(crate::store::StoreError::from(e).into()),
    };
    let mut m = Map::new();
    m.insert("balance".into(), posted.into());
    m.insert("held".into(), pending.into());
    m.insert("available".into(), available.into());
    Ok(Value::Object(m))
}

pub(super) async fn provider_balance(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    Query(q): Query<CurrencyQuery>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    s.authenticate(
        bearer(&headers),
        &did,
        crate::authentic::LXM_PROVIDER_BALANCE,
        s.now(),
    )
    .await?;
    let mut out = Map::new();
    for currency in currencies(&s, q.currency)? {
        let b = balance_of(&s, accounts::provider(&did, &currency)).await?;
        let totals = s.store.payout_totals(&did, &currency).await?;
        let mut m = Map::new();
        // Earned and not yet in a payout.
        m.insert(
            "payable".into(),
            b.get("balance").cloned().unwrap_or(Value::Int(0)),
        );
        // In payouts on their way (planned, signed, submitted), and in
        // confirmed payouts.
        m.insert("pending".into(), totals.in_flight.into());
        m.insert("paid".into(), totals.paid.into());
        out.insert(currency, Value::Object(m));
    }
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

pub(super) async fn requester_balance(
    State(s): Shared,
    headers: HeaderMap,
    Path(did): Path<String>,
    Query(q): Query<CurrencyQuery>,
) -> Result<Response, Failure> {
    did_param(&did)?;
    s.authenticate(
        bearer(&headers),
        &did,
        crate::authentic::LXM_REQUESTER_BALANCE,
        s.now(),
    )
    .await?;
    let mut out = Map::new();
    for currency in currencies(&s, q.currency)? {
        out.insert(
            currency.clone(),
            balance_of(&s, accounts::requester(&did, &currency)).await?,
        );
    }
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

/// The currencies a read asks for: one the exchange settles, or all of
/// them. Anything else is refused here, before it could name an account.
pub(super) fn currencies(s: &Service, one: Option<String>) -> Result<Vec<String>, Failure> {
    match one {
        Some(c) if s.policy.supports(&c) => Ok(vec![c]),
        Some(c) => Err(Failure::new(
            FailureKind::BadRequest,
            "currency-not-supported",
            format!(
                "currency: this exchange settles {}, not {c:?}",
                s.policy.currencies.join(", ")
            ),
        )),
        None => Ok(s.policy.currencies.clone()),
    }
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
    let currency = currencies(&s, q.currency)?
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
    let account = accounts::requester(&did, &currency);
    let page = match s
        .store
        .ledger()
        .statement(&account, ledger::Page { after, limit })
        .await
    {
        Ok(p) => p,
        Err(ledger::Error::AccountNotFound { .. }) => ledger::TransferPage {
            transfers: Vec::new(),
            next: None,
        },
        Err(e) => return Err(crate::store::StoreError::from(e).into()),
    };
    let entries: Vec<Value> = page
        .transfers
        .iter()
        .map(|t| {
            let mut e = Map::new();
            e.insert("seq".into(), t.seq.into());
            e.insert("kind".into(), t.kind.as_str().into());
            e.insert("code".into(), t.code.as_str().into());
            let mut amount = Map::new();
            amount.insert("amount".into(), t.amount_minor.into());
            amount.insert("currency".into(), t.currency.as_str().into());
            e.insert("amount".into(), Value::Object(amount));
            // Seen from the requester: money leaving is a debit, funds set
            // aside are a hold, a hold given back is a release.
            let side = match t.kind {
                ledger::TransferKind::Pending => "hold",
                ledger::TransferKind::Void | ledger::TransferKind::Expire => "release",
                _ if t.debit_account == account => "debit",
                _ => "credit",
            };
            e.insert("side".into(), side.into());
            if let Some(r) = &t.reference {
                e.insert("reference".into(), r.as_str().into());
            }
            if let Some(x) = t.expires_at_us {
                e.insert(
                    "expiresAt".into(),
                    Datetime::from_unix_nanos(i128::from(x) * 1000)
                        .to_string()
                        .into(),
                );
            }
            e.insert(
                "at".into(),
                Datetime::from_unix_nanos(i128::from(t.timestamp_us) * 1000)
                    .to_string()
                    .into(),
            );
            Value::Object(e)
        })
        .collect();
    let mut m = Map::new();
    m.insert("requester".into(), did.into());
    m.insert("currency".into(), currency.into());
    m.insert("entries".into(), Value::Array(entries));
    if let Some(next) = page.next {
        m.insert("cursor".into(), next.to_string().into());
    }
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}
