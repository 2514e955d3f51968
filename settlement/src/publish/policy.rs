//! The exchange's `dev.cocore.compute.exchangePolicy` record: its fee and
//! the currencies it settles, published to its repository. A new record
//! (a new TID) is written only when the terms change; the same terms on
//! the next start write nothing.

use crate::exchange::FeePolicy;
use crate::records::cid::Cid;
use crate::records::formats::{Datetime, tid};
use crate::records::json::{self, Map, Value};
use crate::store::{Store, StoreError, on_pool};

pub const NSID_EXCHANGE_POLICY: &str = "dev.cocore.compute.exchangePolicy";

/// The policy record, at `created_at`. The fee's `minMinor` is in minor
/// units of the charge's currency; `fee.currency` names the first one
/// settled (the lexicon asks for one).
pub fn record(exchange_did: &str, policy: &FeePolicy, created_at: Datetime) -> Value {
    let mut fee = Map::new();
    fee.insert("bps".into(), i64::from(policy.bps).into());
    fee.insert("minMinor".into(), policy.min_minor.into());
    fee.insert(
        "currency".into(),
        policy
            .currencies
            .first()
            .map_or("USD", String::as_str)
            .into(),
    );
    let mut self_loop = Map::new();
    self_loop.insert("feeWaived".into(), policy.self_loop_fee_waived.into());
    let mut m = Map::new();
    m.insert("$type".into(), NSID_EXCHANGE_POLICY.into());
    m.insert("exchange".into(), exchange_did.into());
    m.insert("fee".into(), Value::Object(fee));
    m.insert(
        "supportedCurrencies".into(),
        Value::Array(
            policy
                .currencies
                .iter()
                .map(|c| c.as_str().into())
                .collect(),
        ),
    );
    m.insert("selfLoop".into(), Value::Object(self_loop));
    m.insert("active".into(), true.into());
    m.insert("createdAt".into(), created_at.to_string().into());
    Value::Object(m)
}

/// The terms of a policy record: all but `createdAt`.
fn terms(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut m = m.clone();
            m.remove("createdAt");
            Value::Object(m)
        }
        other => other.clone(),
    }
}

/// Queues the policy for publishing unless the latest one has the same
/// terms. The record's URI, new or not.
pub async fn queue(
    store: &Store,
    exchange_did: &str,
    policy: &FeePolicy,
    now: Datetime,
) -> Result<String, StoreError> {
    let value = record(exchange_did, policy, now);
    crate::records::lexicon::Lexicons::builtin()
        .validate_record(NSID_EXCHANGE_POLICY, &value, "exchangePolicy")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let prefix = format!("at://{exchange_did}/{NSID_EXCHANGE_POLICY}/");
    let sql = "SELECT uri, value FROM settlement_own_records WHERE uri >= $1 AND uri < $2 \
               ORDER BY created_at DESC, uri DESC LIMIT 1";
    let upper = format!("{}0", prefix.trim_end_matches('/'));
    let latest: Option<(String, String)> = on_pool!(store, pool => sqlx::query_as(sql)
        .bind(&prefix)
        .bind(&upper)
        .fetch_optional(pool)
        .await?);
    if let Some((uri, text)) = latest
        && json::parse(text.as_bytes()).is_ok_and(|v| terms(&v) == terms(&value))
    {
        return Ok(uri);
    }
    let uri = format!("{prefix}{}", tid(now.unix_micros(), exchange_did));
    let cid = Cid::for_record(&value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    super::outbox::put_own(store, &uri, &cid.to_string(), &value, now.unix_micros()).await?;
    Ok(uri)
}
