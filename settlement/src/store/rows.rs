//! The rows of many charges, one statement for all of them: the rows are
//! one JSON array read by `jsonb_each` on SQLite, arrays read by `UNNEST`
//! on PostgreSQL.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{SettlementRow, StoreError};
use crate::authorize::{SettlePlan, to_i64};
use crate::records::json::{self, Value};
use crate::verify::{Charge, Scope};

/// The advisory lock key of an authorization: 64 bits of SHA-256 over the
/// requester and the nonce. Two keys sharing one only wait for each other.
fn advisory_key(requester: &str, nonce: &str) -> i64 {
    let mut h = Sha256::new();
    h.update((requester.len() as u64).to_be_bytes());
    h.update(requester.as_bytes());
    h.update(nonce.as_bytes());
    let d = h.finalize();
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

pub(super) trait ChargeRows {
    /// Serializes, across processes, the charges of each authorization
    /// key (requester, nonce), sorted: held until the transaction ends.
    async fn lock_keys(&mut self, keys: &[(&str, &str)]) -> Result<(), StoreError>;
    /// Adds each charge to its authorization's row (distinct rows).
    async fn record_charges(
        &mut self,
        charges: &[(&Charge, Option<String>)],
    ) -> Result<(), StoreError>;
    /// Writes the settlements, in the order of `plans`.
    async fn insert_settlements(
        &mut self,
        plans: &[&SettlePlan],
        attempt: usize,
    ) -> Result<Vec<SettlementRow>, StoreError>;
}

impl ChargeRows for sqlx::Transaction<'static, sqlx::Sqlite> {
    /// SQLite's writers are serialized already (`BEGIN IMMEDIATE`).
    async fn lock_keys(&mut self, _keys: &[(&str, &str)]) -> Result<(), StoreError> {
        Ok(())
    }

    async fn record_charges(
        &mut self,
        charges: &[(&Charge, Option<String>)],
    ) -> Result<(), StoreError> {
        if charges.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(charges.len());
        for (ch, hold) in charges {
            rows.push(Value::Array(vec![
                ch.requester.as_str().into(),
                ch.nonce.as_str().into(),
                to_i64(ch.amount.amount)?.into(),
                i64::from(matches!(ch.scope, Scope::SingleJob)).into(),
                hold.as_deref().map_or(Value::Null, Value::from),
            ]));
        }
        let done = sqlx::query(
            "UPDATE settlement_authorizations SET \
             charged_minor = settlement_authorizations.charged_minor + (u.value ->> 2), \
             charges = settlement_authorizations.charges + 1, consumed = u.value ->> 3, hold_id = u.value ->> 4 \
             FROM jsonb_each($1) AS u \
             WHERE settlement_authorizations.requester = u.value ->> 0 \
             AND settlement_authorizations.nonce = u.value ->> 1",
        )
        .bind(json::to_canonical_string(&Value::Array(rows)))
        .execute(&mut **self)
        .await?;
        all_updated(done.rows_affected(), charges.len())
    }

    async fn insert_settlements(
        &mut self,
        plans: &[&SettlePlan],
        attempt: usize,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = Vec::with_capacity(plans.len());
        for p in plans {
            let ch = &p.charge;
            rows.push(Value::Array(vec![
                ch.receipt.uri.as_str().into(),
                ch.receipt.cid.to_string().into(),
                p.uri_for_attempt(attempt).into(),
                p.settlement_cid.as_str().into(),
                json::to_canonical_string(&p.settlement_value).into(),
                ch.requester.as_str().into(),
                ch.provider.as_str().into(),
                ch.authorization.uri.as_str().into(),
                ch.job.uri.as_str().into(),
                ch.amount.currency.as_str().into(),
                to_i64(ch.amount.amount)?.into(),
                to_i64(p.fee_minor)?.into(),
                p.now.into(),
            ]));
        }
        let sql = concat!(
            "INSERT INTO settlement_settlements (receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
             authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at) \
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
                 value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12 \
             FROM jsonb_each($1) ORDER BY key RETURNING ",
            settlement_columns!()
        );
        let found = sqlx::query(sql)
            .bind(json::to_canonical_string(&Value::Array(rows)))
            .fetch_all(&mut **self)
            .await?;
        let mut by_receipt: HashMap<String, SettlementRow> = HashMap::with_capacity(found.len());
        for r in &found {
            let row = super::records::sqlite::settlement_from_row(r)?;
            by_receipt.insert(row.receipt_uri.clone(), row);
        }
        in_plan_order(plans, by_receipt)
    }
}

impl ChargeRows for sqlx::Transaction<'static, sqlx::Postgres> {
    /// A transaction-scoped advisory lock per key, taken in the keys'
    /// order. A first charge has no authorization row to lock yet: without
    /// this, two first charges of one authorization in two processes would
    /// each hold the whole promise, and the second would be refused for
    /// funds the first one's hold already covers.
    async fn lock_keys(&mut self, keys: &[(&str, &str)]) -> Result<(), StoreError> {
        let mut ids: Vec<i64> = keys.iter().map(|(r, n)| advisory_key(r, n)).collect();
        ids.sort_unstable();
        ids.dedup();
        sqlx::query("SELECT pg_advisory_xact_lock(k) FROM UNNEST($1::bigint[]) WITH ORDINALITY AS u(k, i) ORDER BY i")
            .bind(ids)
            .execute(&mut **self)
            .await?;
        Ok(())
    }

    async fn record_charges(
        &mut self,
        charges: &[(&Charge, Option<String>)],
    ) -> Result<(), StoreError> {
        if charges.is_empty() {
            return Ok(());
        }
        let mut amounts = Vec::with_capacity(charges.len());
        for (ch, _) in charges {
            amounts.push(to_i64(ch.amount.amount)?);
        }
        let done = sqlx::query(
            "UPDATE settlement_authorizations a SET charged_minor = a.charged_minor + u.amount, \
             charges = a.charges + 1, consumed = u.consumed, hold_id = u.hold_id \
             FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) \
                 AS u(requester, nonce, amount, consumed, hold_id) \
             WHERE a.requester = u.requester AND a.nonce = u.nonce",
        )
        .bind(
            charges
                .iter()
                .map(|(c, _)| c.requester.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            charges
                .iter()
                .map(|(c, _)| c.nonce.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(amounts)
        .bind(
            charges
                .iter()
                .map(|(c, _)| i64::from(matches!(c.scope, Scope::SingleJob)))
                .collect::<Vec<_>>(),
        )
        .bind(
            charges
                .iter()
                .map(|(_, h)| h.as_deref())
                .collect::<Vec<_>>(),
        )
        .execute(&mut **self)
        .await?;
        all_updated(done.rows_affected(), charges.len())
    }

    async fn insert_settlements(
        &mut self,
        plans: &[&SettlePlan],
        attempt: usize,
    ) -> Result<Vec<SettlementRow>, StoreError> {
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let col =
            |f: &dyn Fn(&SettlePlan) -> String| plans.iter().map(|p| f(p)).collect::<Vec<String>>();
        let mut amounts = Vec::with_capacity(plans.len());
        let mut fees = Vec::with_capacity(plans.len());
        for p in plans {
            amounts.push(to_i64(p.charge.amount.amount)?);
            fees.push(to_i64(p.fee_minor)?);
        }
        let sql = concat!(
            "INSERT INTO settlement_settlements (receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
             authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                 $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[]) \
             RETURNING ",
            settlement_columns!()
        );
        let rows = sqlx::query(sql)
            .bind(col(&|p| p.charge.receipt.uri.to_string()))
            .bind(col(&|p| p.charge.receipt.cid.to_string()))
            .bind(col(&|p| p.uri_for_attempt(attempt)))
            .bind(col(&|p| p.settlement_cid.clone()))
            .bind(col(&|p| json::to_canonical_string(&p.settlement_value)))
            .bind(col(&|p| p.charge.requester.clone()))
            .bind(col(&|p| p.charge.provider.clone()))
            .bind(col(&|p| p.charge.authorization.uri.to_string()))
            .bind(col(&|p| p.charge.job.uri.to_string()))
            .bind(col(&|p| p.charge.amount.currency.clone()))
            .bind(amounts)
            .bind(fees)
            .bind(plans.iter().map(|p| p.now).collect::<Vec<i64>>())
            .fetch_all(&mut **self)
            .await?;
        let mut by_receipt: HashMap<String, SettlementRow> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let row = super::records::postgres::settlement_from_row(r)?;
            by_receipt.insert(row.receipt_uri.clone(), row);
        }
        in_plan_order(plans, by_receipt)
    }
}

/// Every charge's authorization row was updated: each was locked (or
/// written) earlier in the transaction.
pub(super) fn all_updated(updated: u64, charges: usize) -> Result<(), StoreError> {
    if updated == charges as u64 {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{updated} of {charges} authorization rows were updated"
        )))
    }
}

/// The inserted rows, in the order of `plans`.
pub(super) fn in_plan_order(
    plans: &[&SettlePlan],
    mut by_receipt: HashMap<String, SettlementRow>,
) -> Result<Vec<SettlementRow>, StoreError> {
    plans
        .iter()
        .map(|p| {
            by_receipt
                .remove(p.charge.receipt.uri.as_str())
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "no settlement row came back for {}",
                        p.charge.receipt.uri
                    ))
                })
        })
        .collect()
}
