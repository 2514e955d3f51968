//! Charging a receipt, listing settlements, and the operator's
//! deposits.

use super::*;

pub(super) fn settlement_json(row: &SettlementRow) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), row.uri.clone().into());
    m.insert("cid".into(), row.cid.clone().into());
    m.insert("value".into(), row.value.clone());
    Value::Object(m)
}

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
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_response(status, &settlement_json(&row)))
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
    let mut out = Map::new();
    out.insert("id".into(), id.into());
    out.insert("requester".into(), requester.into());
    out.insert("amount".into(), Value::Object(amount.clone()));
    Ok(json_response(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &Value::Object(out),
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
    let rows = s
        .store
        .settlements_where(column, value, after, limit)
        .await?;
    let mut m = Map::new();
    m.insert(
        "settlements".into(),
        Value::Array(
            rows.iter()
                .map(|row| {
                    indexed_record(
                        &row.uri,
                        &row.cid,
                        crate::records::NSID_SETTLEMENT,
                        &row.value,
                        Some(row.created_at),
                    )
                })
                .collect(),
        ),
    );
    if rows.len() as i64 == limit
        && let Some(last) = rows.last()
    {
        m.insert("cursor".into(), last.seq.to_string().into());
    }
    Ok(json_response(StatusCode::OK, &Value::Object(m)))
}
