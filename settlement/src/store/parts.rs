//! The parts of split charges (see `computation`): written with their
//! settlement, carried by each payee's payouts, reversed part by part by a
//! dispute's verdict. The same SQL on both backends; PostgreSQL locks the
//! rows a resolution reads.

use sqlx::Row as _;

use super::{SettlementRow, StoreError};
use crate::authorize::{SettlePlan, to_i64};
use crate::records::formats::Micros;

/// The `payout_id` of a split settlement's own row: its money is carried
/// by its parts' payouts.
pub const SPLIT: &str = "split";

/// A part as a reversal needs it: whose, how much, and what verdicts
/// took back from it already.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartRow {
    pub idx: i64,
    pub payee: String,
    pub amount_minor: i64,
    pub reversed_minor: i64,
}

/// One part's share of a reversal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReversedPart {
    pub idx: i64,
    pub payee: String,
    pub amount_minor: i64,
    pub from_payable_minor: i64,
}

pub(crate) trait PartRows {
    /// The parts of the split plans among `plans`, whose rows are `rows`
    /// (same order), and their settlements marked carried by parts.
    async fn insert_parts(
        &mut self,
        plans: &[&SettlePlan],
        rows: &[SettlementRow],
    ) -> Result<(), StoreError>;
    /// Tags a payee's mature, undisputed unpaid parts with a payout.
    async fn tag_parts(
        &mut self,
        payout_id: &str,
        payee: &str,
        currency: &str,
        mature_before: Micros,
    ) -> Result<(), StoreError>;
    /// Parts a payout carries whose settlement is under an open dispute.
    async fn disputed_parts(&mut self, payout_id: &str) -> Result<i64, StoreError>;
    /// (settlement URI, index) of the parts a payout carries.
    async fn carried_parts(&mut self, payout_id: &str) -> Result<Vec<(String, i64)>, StoreError>;
    /// A failed payout's parts are unpaid again.
    async fn untag_parts(&mut self, payout_id: &str) -> Result<(), StoreError>;
    /// A settlement's parts in order (locked on PostgreSQL); empty if it
    /// was not split.
    async fn parts_of(&mut self, settlement_uri: &str) -> Result<Vec<PartRow>, StoreError>;
    async fn insert_reversed_parts(
        &mut self,
        dispute_id: &str,
        settlement_uri: &str,
        parts: &[ReversedPart],
    ) -> Result<(), StoreError>;
}

macro_rules! part_rows {
    ($conn:ty, $lock:literal) => {
        impl PartRows for $conn {
            async fn insert_parts(
                &mut self,
                plans: &[&SettlePlan],
                rows: &[SettlementRow],
            ) -> Result<(), StoreError> {
                for (plan, row) in plans.iter().zip(rows).filter(|(p, _)| !p.parts.is_empty()) {
                    for (i, part) in plan.parts.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO settlement_parts (settlement_uri, idx, payee, role, currency, amount_minor, \
                             payout_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
                        )
                        .bind(&row.uri)
                        .bind(i64::try_from(i).unwrap_or(i64::MAX))
                        .bind(&part.did)
                        .bind(part.role.as_str())
                        .bind(&row.currency)
                        .bind(to_i64(part.amount)?)
                        .bind(row.created_at)
                        .execute(&mut *self)
                        .await?;
                    }
                    sqlx::query("UPDATE settlement_settlements SET payout_id = $2 WHERE uri = $1")
                        .bind(&row.uri)
                        .bind(SPLIT)
                        .execute(&mut *self)
                        .await?;
                }
                Ok(())
            }

            async fn tag_parts(
                &mut self,
                payout_id: &str,
                payee: &str,
                currency: &str,
                mature_before: Micros,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE settlement_parts SET payout_id = $1 WHERE payee = $2 AND currency = $3 \
                     AND payout_id IS NULL AND created_at < $4 AND NOT EXISTS (SELECT 1 FROM settlement_disputes d \
                     WHERE d.settlement_uri = settlement_parts.settlement_uri AND d.status = 'open') \
                     AND NOT EXISTS (SELECT 1 FROM settlement_inference_verdicts v \
                     WHERE v.settlement_uri = settlement_parts.settlement_uri AND v.hold IN ('held', 'refunding'))",
                )
                .bind(payout_id)
                .bind(payee)
                .bind(currency)
                .bind(mature_before)
                .execute(&mut *self)
                .await?;
                Ok(())
            }

            async fn disputed_parts(&mut self, payout_id: &str) -> Result<i64, StoreError> {
                Ok(sqlx::query(
                    "SELECT COUNT(*) AS n FROM settlement_parts p JOIN settlement_disputes d \
                     ON d.settlement_uri = p.settlement_uri AND d.status = 'open' WHERE p.payout_id = $1",
                )
                .bind(payout_id)
                .fetch_one(&mut *self)
                .await?
                .try_get("n")?)
            }

            async fn carried_parts(&mut self, payout_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
                let rows = sqlx::query(
                    "SELECT settlement_uri, idx FROM settlement_parts WHERE payout_id = $1 \
                     ORDER BY settlement_uri, idx",
                )
                .bind(payout_id)
                .fetch_all(&mut *self)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("settlement_uri")?, r.try_get("idx")?)))
                    .collect()
            }

            async fn untag_parts(&mut self, payout_id: &str) -> Result<(), StoreError> {
                sqlx::query("UPDATE settlement_parts SET payout_id = NULL WHERE payout_id = $1")
                    .bind(payout_id)
                    .execute(&mut *self)
                    .await?;
                Ok(())
            }

            async fn parts_of(&mut self, settlement_uri: &str) -> Result<Vec<PartRow>, StoreError> {
                let rows = sqlx::query(concat!(
                    "SELECT p.idx, p.payee, p.amount_minor, CAST(COALESCE((SELECT SUM(x.amount_minor) \
                     FROM settlement_reversal_parts x \
                     WHERE x.settlement_uri = p.settlement_uri AND x.idx = p.idx), 0) AS BIGINT) AS reversed \
                     FROM settlement_parts p WHERE p.settlement_uri = $1 ORDER BY p.idx",
                    $lock
                ))
                .bind(settlement_uri)
                .fetch_all(&mut *self)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(PartRow {
                            idx: r.try_get("idx")?,
                            payee: r.try_get("payee")?,
                            amount_minor: r.try_get("amount_minor")?,
                            reversed_minor: r.try_get("reversed")?,
                        })
                    })
                    .collect()
            }

            async fn insert_reversed_parts(
                &mut self,
                dispute_id: &str,
                settlement_uri: &str,
                parts: &[ReversedPart],
            ) -> Result<(), StoreError> {
                for p in parts {
                    sqlx::query(
                        "INSERT INTO settlement_reversal_parts (dispute_id, idx, settlement_uri, payee, amount_minor, \
                         from_payable_minor) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(dispute_id)
                    .bind(p.idx)
                    .bind(settlement_uri)
                    .bind(&p.payee)
                    .bind(p.amount_minor)
                    .bind(p.from_payable_minor)
                    .execute(&mut *self)
                    .await?;
                }
                Ok(())
            }
        }
    };
}

part_rows!(sqlx::SqliteConnection, "");
part_rows!(sqlx::PgConnection, " FOR UPDATE OF p");
