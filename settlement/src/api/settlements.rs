//! Charging a receipt, listing settlements, and the operator's
//! deposits.

use super::*;

#[utoipa::path(
    post,
    path = "/v1/settle",
    summary = "Charge a stored receipt, exactly once",
    request_body(content = wire::requests::SettleRequest),
    responses(
        (status = 201, description = "Settled", body = wire::Record),
        (status = 200, description = "Already settled: the original settlement", body = wire::Record),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rule of a charge refuses it; code names the rule", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn settle(State(s): Shared, body: Bytes) -> Result<Response, Failure> {
    let m = body_object(&body)?;
    let receipt = str_field(&m, "receipt")?;
    let result = s.settle(receipt, s.now()).await;
    s.metrics.settle_outcome(match &result {
        Ok(v) if v.created => "created",
        Ok(_) => "replayed",
        Err(f) => f.code,
    });
    let SettlementView { created, row } = result?;
    Ok(json_response(
        created_or_ok(created),
        &wire::settlement(&row),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/admin/deposits",
    operation_id = "admin_deposit",
    summary = "Credit a requester (admin)",
    request_body(content = wire::requests::DepositRequest),
    responses(
        (status = 201, description = "Credited", body = wire::Deposit),
        (status = 200, description = "Already credited (same id)", body = wire::Deposit),
        (status = 400, description = "Malformed request", body = wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong token", body = wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "idempotency-conflict", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn deposit(
    State(s): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    require_admin(&s, &headers)?;
    let m = body_object(&body)?;
    let id = str_field(&m, "id")?;
    if id.is_empty() || id.len() > 256 || id.chars().any(char::is_control) {
        return Err(bad("id: must be 1..=256 bytes without control characters"));
    }
    let requester = str_field(&m, "requester")?;
    if !is_did(requester) {
        return Err(bad("requester: must be a DID"));
    }
    let amount = m
        .get("amount")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("amount: must be {amount, currency}"))?;
    let minor = amount
        .get("amount")
        .and_then(Value::as_int)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| bad("amount.amount: must be an integer >= 1"))?;
    let currency = amount
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("amount.currency: must be a string"))?;
    let created = s.deposit(id, requester, currency, minor).await?;
    Ok(json_response(
        created_or_ok(created),
        &wire::Deposit {
            id: Some(id.to_owned()),
            requester: requester.to_owned(),
            transaction: None,
            payer: None,
            amount: wire::money(minor, currency),
        },
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct ListSettlementsQuery {
    pub(super) requester: Option<String>,
    pub(super) receipt: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/xrpc/dev.cocore.compute.listSettlements",
    summary = "Settlements by requester or receipt",
    params(
        ("requester" = Option<String>, Query),
        ("receipt" = Option<String>, Query),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "Settlements", body = wire::SettlementPage),
        (status = 400, description = "Exactly one filter is required", body = wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn list_settlements(
    State(s): Shared,
    Query(q): Query<ListSettlementsQuery>,
) -> Result<Response, Failure> {
    let (column, value) = match (&q.requester, &q.receipt) {
        (Some(r), None) => (SettlementColumn::Requester, r),
        (None, Some(r)) => (SettlementColumn::Receipt, r),
        _ => return Err(bad("exactly one of requester, receipt is required")),
    };
    let after = match &q.cursor {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .map_err(|_| bad("cursor: must be a cursor from a previous page"))?,
    };
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    let rows = s.settlements(column, value, after, limit).await?;
    let cursor = rows
        .last()
        .filter(|_| rows.len() as i64 == limit)
        .map(|last| last.seq.to_string());
    let items = rows
        .iter()
        .map(|row| {
            wire::indexed_record(
                &row.uri,
                &row.cid,
                crate::records::NSID_SETTLEMENT,
                &row.value,
                Some(row.created_at),
            )
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &wire::SettlementPage {
            settlements: items,
            cursor,
        },
    ))
}
