//! Charging a receipt, listing settlements, and the operator's
//! deposits.

use super::*;

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
        &wire::deposit(
            &[("id", id), ("requester", requester)],
            Value::Object(amount.clone()),
        ),
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct ListSettlementsQuery {
    pub(super) requester: Option<String>,
    pub(super) receipt: Option<String>,
    pub(super) cursor: Option<String>,
    pub(super) limit: Option<i64>,
}

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
        &wire::page("settlements", items, cursor),
    ))
}
