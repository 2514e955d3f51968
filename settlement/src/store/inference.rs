//! Proofs of inference in the database: proof bytes by CID, which proof
//! record is a receipt's evidence, and the gate's verdicts. A pass or a
//! hold is written by the settle transaction ([`VerdictRows`]); a refusal
//! alone. A held share is left out of payouts by the payout queries
//! (`hold` held or refunding), as a share under an open dispute is.

use sqlx::Row as _;

use super::{SettlementRow, Store, StoreError};
use crate::authorize::SettlePlan;
use crate::inference::Verdict;
use crate::inference::evidence::{Evidence, Hold};
use crate::records::formats::Micros;

/// A stored verdict, with where its hold stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictRow {
    pub evidence: Evidence,
    pub settlement_uri: Option<String>,
    pub hold: Option<Hold>,
    pub decided_at: Option<Micros>,
}

/// A receipt's proof record, as indexed at ingestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofIndex {
    pub proof_uri: String,
    pub proof_cid: String,
    pub blob_cid: String,
}

/// A verdict row read back, on either backend.
macro_rules! verdict_from_row {
    ($r:expr) => {{
        let r = $r;
        let verdict: String = r.try_get("verdict")?;
        let hold: Option<String> = r.try_get("hold")?;
        Ok::<VerdictRow, StoreError>(VerdictRow {
            evidence: Evidence {
                receipt_uri: r.try_get("receipt_uri")?,
                proof_uri: r.try_get("proof_uri")?,
                proof_cid: r.try_get("proof_cid")?,
                verifier: r.try_get("verifier")?,
                hash_id: r.try_get("hash_id")?,
                status: r.try_get("status")?,
                verdict: Verdict::parse(&verdict)
                    .ok_or_else(|| StoreError::Corrupt(format!("verdict {verdict:?}")))?,
                checked_at: r.try_get("checked_at")?,
            },
            settlement_uri: r.try_get("settlement_uri")?,
            hold: match hold {
                None => None,
                Some(h) => Some(
                    Hold::parse(&h).ok_or_else(|| StoreError::Corrupt(format!("hold {h:?}")))?,
                ),
            },
            decided_at: r.try_get("decided_at")?,
        })
    }};
}

/// `INSERT` of one verdict row, the conflict clause after it.
macro_rules! insert_verdict {
    ($on_conflict:literal) => {
        concat!(
            "INSERT INTO settlement_inference_verdicts (receipt_uri, proof_uri, proof_cid, \
             settlement_uri, verifier, hash_id, status, verdict, hold, checked_at, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL) ",
            $on_conflict
        )
    };
}

/// A pass or a hold, with its settlement. It takes the place of a refusal
/// stored for the same receipt by a concurrent attempt (the charge that
/// went through is the one its verdict must describe); another charge's
/// verdict it never replaces (a receipt settles once).
const INSERT_VERDICT: &str = insert_verdict!(
    "ON CONFLICT (receipt_uri) DO UPDATE SET proof_uri = excluded.proof_uri, proof_cid = excluded.proof_cid, \
     settlement_uri = excluded.settlement_uri, verifier = excluded.verifier, hash_id = excluded.hash_id, \
     status = excluded.status, verdict = excluded.verdict, hold = excluded.hold, checked_at = excluded.checked_at \
     WHERE settlement_inference_verdicts.settlement_uri IS NULL"
);

/// A refusal: the first verdict of a receipt stands.
const INSERT_REFUSAL: &str = insert_verdict!("ON CONFLICT (receipt_uri) DO NOTHING");

pub(crate) trait VerdictRows {
    /// The verdicts of the gated plans among `plans`, whose settlement
    /// rows are `rows` (same order), in the settle transaction.
    async fn insert_verdicts(
        &mut self,
        plans: &[&SettlePlan],
        rows: &[SettlementRow],
    ) -> Result<(), StoreError>;
}

macro_rules! verdict_rows {
    ($conn:ty) => {
        impl VerdictRows for $conn {
            async fn insert_verdicts(
                &mut self,
                plans: &[&SettlePlan],
                rows: &[SettlementRow],
            ) -> Result<(), StoreError> {
                for (plan, row) in plans.iter().zip(rows) {
                    let Some(e) = &plan.evidence else { continue };
                    let hold = (e.verdict == Verdict::Hold).then_some(Hold::Held.as_str());
                    let written = sqlx::query(INSERT_VERDICT)
                        .bind(&e.receipt_uri)
                        .bind(&e.proof_uri)
                        .bind(&e.proof_cid)
                        .bind(&row.uri)
                        .bind(&e.verifier)
                        .bind(&e.hash_id)
                        .bind(&e.status)
                        .bind(e.verdict.as_str())
                        .bind(hold)
                        .bind(e.checked_at)
                        .execute(&mut *self)
                        .await?
                        .rows_affected();
                    // Without its verdict a hold would not be enforced: the
                    // whole transaction rolls back rather than that.
                    if written != 1 {
                        return Err(StoreError::Corrupt(format!(
                            "the verdict of {} was not written with its settlement",
                            e.receipt_uri
                        )));
                    }
                }
                Ok(())
            }
        }
    };
}

verdict_rows!(sqlx::SqliteConnection);
verdict_rows!(sqlx::PgConnection);

impl Store {
    /// Keeps a blob's bytes under their CID; whether they were new.
    pub async fn put_blob(&self, cid: &str, bytes: &[u8], now: Micros) -> Result<bool, StoreError> {
        let sql = "INSERT INTO settlement_blobs (cid, bytes, created_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (cid) DO NOTHING";
        let n = on_pool!(self, pool => sqlx::query(sql).bind(cid).bind(bytes).bind(now).execute(pool).await?.rows_affected());
        Ok(n == 1)
    }

    /// Whether a stored proof record names this blob.
    pub async fn blob_named(&self, cid: &str) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) AS n FROM settlement_inference_proofs WHERE blob_cid = $1";
        let n: i64 =
            on_pool!(self, pool => sqlx::query(sql).bind(cid).fetch_one(pool).await?.try_get("n")?);
        Ok(n > 0)
    }

    pub async fn blob(&self, cid: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = "SELECT bytes FROM settlement_blobs WHERE cid = $1";
        Ok(
            on_pool!(self, pool => match sqlx::query(sql).bind(cid).fetch_optional(pool).await? {
                Some(r) => Some(r.try_get::<Vec<u8>, _>("bytes")?),
                None => None,
            }),
        )
    }

    /// Names `proof` the evidence of `receipt_uri`. A receipt has one
    /// proof: another proof record for it is refused (`Err` with the one
    /// it has); the same one again is fine.
    pub async fn index_proof(
        &self,
        receipt_uri: &str,
        proof: &ProofIndex,
        now: Micros,
    ) -> Result<Result<(), String>, StoreError> {
        let insert = "INSERT INTO settlement_inference_proofs (receipt_uri, proof_uri, proof_cid, blob_cid, created_at) \
                      VALUES ($1, $2, $3, $4, $5) ON CONFLICT (receipt_uri) DO NOTHING";
        on_pool!(self, pool => {
            sqlx::query(insert)
                .bind(receipt_uri)
                .bind(&proof.proof_uri)
                .bind(&proof.proof_cid)
                .bind(&proof.blob_cid)
                .bind(now)
                .execute(pool)
                .await?;
        });
        match self.proof_of(receipt_uri).await? {
            Some(p) if p.proof_uri == proof.proof_uri => Ok(Ok(())),
            Some(p) => Ok(Err(p.proof_uri)),
            None => Err(StoreError::Corrupt(format!(
                "the proof of {receipt_uri} was not indexed"
            ))),
        }
    }

    pub async fn proof_of(&self, receipt_uri: &str) -> Result<Option<ProofIndex>, StoreError> {
        let sql = "SELECT proof_uri, proof_cid, blob_cid FROM settlement_inference_proofs WHERE receipt_uri = $1";
        Ok(
            on_pool!(self, pool => match sqlx::query(sql).bind(receipt_uri).fetch_optional(pool).await? {
                Some(r) => Some(ProofIndex {
                    proof_uri: r.try_get("proof_uri")?,
                    proof_cid: r.try_get("proof_cid")?,
                    blob_cid: r.try_get("blob_cid")?,
                }),
                None => None,
            }),
        )
    }

    /// Claims a proof (by its final hash) for a receipt: the receipt that
    /// holds the claim, this one if it was free.
    pub async fn claim_proof(
        &self,
        proof_hash: &str,
        receipt_uri: &str,
    ) -> Result<String, StoreError> {
        let claim = "INSERT INTO settlement_proof_claims (proof_hash, receipt_uri) VALUES ($1, $2) \
                     ON CONFLICT (proof_hash) DO NOTHING";
        let read = "SELECT receipt_uri FROM settlement_proof_claims WHERE proof_hash = $1";
        Ok(on_pool!(self, pool => {
            sqlx::query(claim).bind(proof_hash).bind(receipt_uri).execute(pool).await?;
            sqlx::query(read).bind(proof_hash).fetch_one(pool).await?.try_get::<String, _>("receipt_uri")?
        }))
    }

    /// A refusal, kept so that the same proof is not sent again; the
    /// first verdict of a receipt stands.
    pub async fn insert_refusal(&self, e: &Evidence) -> Result<(), StoreError> {
        let sql = INSERT_REFUSAL;
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(&e.receipt_uri)
                .bind(&e.proof_uri)
                .bind(&e.proof_cid)
                .bind(None::<String>)
                .bind(&e.verifier)
                .bind(&e.hash_id)
                .bind(&e.status)
                .bind(Verdict::Refuse.as_str())
                .bind(None::<String>)
                .bind(e.checked_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The verdict of a receipt, if the gate decided one.
    pub async fn verdict_of_receipt(
        &self,
        receipt_uri: &str,
    ) -> Result<Option<VerdictRow>, StoreError> {
        self.verdict_where(
            "SELECT * FROM settlement_inference_verdicts WHERE receipt_uri = $1",
            receipt_uri,
        )
        .await
    }

    /// The verdict behind a settlement, if it was gated.
    pub async fn verdict_of_settlement(
        &self,
        settlement_uri: &str,
    ) -> Result<Option<VerdictRow>, StoreError> {
        self.verdict_where(
            "SELECT * FROM settlement_inference_verdicts WHERE settlement_uri = $1",
            settlement_uri,
        )
        .await
    }

    async fn verdict_where(
        &self,
        sql: &'static str,
        key: &str,
    ) -> Result<Option<VerdictRow>, StoreError> {
        Ok(
            on_pool!(self, pool => match sqlx::query(sql).bind(key).fetch_optional(pool).await? {
                Some(r) => Some(verdict_from_row!(&r)?),
                None => None,
            }),
        )
    }

    /// Held shares (a refund under way included), by receipt URI, after
    /// `after` (a receipt URI cursor).
    pub async fn held(&self, after: &str, limit: i64) -> Result<Vec<VerdictRow>, StoreError> {
        let sql = "SELECT * FROM settlement_inference_verdicts WHERE hold IN ('held', 'refunding') AND receipt_uri > $1 \
                   ORDER BY receipt_uri LIMIT $2";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(after).bind(limit).fetch_all(pool).await?;
            rows.iter().map(|r| verdict_from_row!(r)).collect()
        })
    }

    /// Moves a settlement's hold from one of `from` to `to`; whether it
    /// was in one of them.
    pub async fn move_hold(
        &self,
        settlement_uri: &str,
        from: &[Hold],
        to: Hold,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE settlement_inference_verdicts SET hold = $2, decided_at = $3 \
                   WHERE settlement_uri = $1 AND (hold = $4 OR hold = $5)";
        let (a, b) = match from {
            [a] => (*a, *a),
            [a, b] => (*a, *b),
            _ => {
                return Err(StoreError::Corrupt(
                    "a hold moves from one or two states".into(),
                ));
            }
        };
        let n = on_pool!(self, pool => sqlx::query(sql)
            .bind(settlement_uri)
            .bind(to.as_str())
            .bind(now)
            .bind(a.as_str())
            .bind(b.as_str())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
