//! The store's reads, and records as they are accepted: one statement
//! each, the same SQL on both backends.

use crate::records::NSID_RECEIPT;
use crate::records::formats::AtUri;

macro_rules! reads {
    ($name:ident, $ledger:ty, $pool:ty) => {
        pub(super) mod $name {
            use super::super::*;
            use super::*;
            use sqlx::Row as _;

            pub(in crate::store) async fn get_record(pool: &$pool, uri: &str) -> Result<Option<StoredRecord>, StoreError> {
                let row = sqlx::query("SELECT uri, cid, value FROM settlement_records WHERE uri = $1")
                    .bind(uri)
                    .fetch_optional(pool)
                    .await?;
                row.map(|r| {
                    let text: String = r.try_get("value")?;
                    Ok(StoredRecord {
                        uri: r.try_get("uri")?,
                        cid: r.try_get("cid")?,
                        value: json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .transpose()
            }

            pub(in crate::store) async fn get_receipt(pool: &$pool, uri: &str) -> Result<Option<StoredReceipt>, StoreError> {
                // The job's URI is the receipt's job.uri, copied out at
                // ingestion.
                let row = sqlx::query(
                    "SELECT r.uri, r.cid, r.value, j.uri AS job_uri, j.cid AS job_cid, j.value AS job_value, \
                     s.receipt_cid AS settled_cid FROM settlement_records r \
                     LEFT JOIN settlement_records j ON j.uri = r.job_uri \
                     LEFT JOIN settlement_settlements s ON s.receipt_uri = r.uri \
                     WHERE r.uri = $1",
                )
                .bind(uri)
                .fetch_optional(pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let parse = |text: String| json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()));
                let job = match r.try_get::<Option<String>, _>("job_uri")? {
                    Some(job_uri) => Some(StoredRecord {
                        uri: job_uri,
                        cid: r.try_get("job_cid")?,
                        value: parse(r.try_get("job_value")?)?,
                    }),
                    None => None,
                };
                Ok(Some(StoredReceipt {
                    receipt: StoredRecord {
                        uri: r.try_get("uri")?,
                        cid: r.try_get("cid")?,
                        value: parse(r.try_get("value")?)?,
                    },
                    job,
                    settled: r.try_get::<Option<String>, _>("settled_cid")?.is_some(),
                }))
            }

            pub(in crate::store) async fn put_record(
                ledger: &$ledger,
                uri: &AtUri,
                cid: &str,
                value: &Value,
                now: Micros,
            ) -> Result<Put, StoreError> {
                // Receipts are listed by requester and job: copy both out.
                let is_receipt = uri.collection() == NSID_RECEIPT;
                let requester = value.get("requester").and_then(Value::as_str).filter(|_| is_receipt);
                let job_uri = value.get("job").and_then(|j| j.get("uri")).and_then(Value::as_str).filter(|_| is_receipt);
                let inserted = sqlx::query(
                    "INSERT INTO settlement_records (uri, did, collection, cid, value, created_at, requester, job_uri) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (uri) DO NOTHING",
                )
                .bind(uri.as_str())
                .bind(uri.did())
                .bind(uri.collection())
                .bind(cid)
                .bind(json::to_canonical_string(value))
                .bind(now)
                .bind(requester)
                .bind(job_uri)
                .execute(ledger.pool())
                .await?
                .rows_affected();
                if inserted == 1 {
                    return Ok(Put::Created);
                }
                let existing: String = sqlx::query("SELECT cid FROM settlement_records WHERE uri = $1")
                    .bind(uri.as_str())
                    .fetch_one(ledger.pool())
                    .await?
                    .try_get("cid")?;
                if existing == cid {
                    Ok(Put::Existing)
                } else {
                    Err(StoreError::RecordConflict {
                        uri: uri.to_string(),
                        existing,
                    })
                }
            }

            pub(in crate::store) async fn list_records(
                pool: &$pool,
                filter: &RecordFilter<'_>,
                after_uri: &str,
                limit: i64,
            ) -> Result<Vec<StoredRecord>, StoreError> {
                let (sql, a, b) = match filter {
                    RecordFilter::Owner { collection, did } => (
                        "SELECT uri, cid, value FROM settlement_records WHERE collection = $1 AND did = $2 \
                         AND uri > $3 ORDER BY uri LIMIT $4",
                        *collection,
                        *did,
                    ),
                    RecordFilter::ReceiptsOfRequester(did) => (
                        "SELECT uri, cid, value FROM settlement_records WHERE collection = $1 AND requester = $2 \
                         AND uri > $3 ORDER BY uri LIMIT $4",
                        NSID_RECEIPT,
                        *did,
                    ),
                    RecordFilter::ReceiptsOfJob(job) => (
                        "SELECT uri, cid, value FROM settlement_records WHERE collection = $1 AND job_uri = $2 \
                         AND uri > $3 ORDER BY uri LIMIT $4",
                        NSID_RECEIPT,
                        *job,
                    ),
                };
                let rows = sqlx::query(sql).bind(a).bind(b).bind(after_uri).bind(limit).fetch_all(pool).await?;
                rows.iter()
                    .map(|r| {
                        let text: String = r.try_get("value")?;
                        Ok(StoredRecord {
                            uri: r.try_get("uri")?,
                            cid: r.try_get("cid")?,
                            value: json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        })
                    })
                    .collect()
            }

            pub(in crate::store) async fn settlement_by_uri(pool: &$pool, uri: &str) -> Result<Option<SettlementRow>, StoreError> {
                let sql = concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE uri = $1");
                let row = sqlx::query(sql).bind(uri).fetch_optional(pool).await?;
                row.as_ref().map(settlement_from_row).transpose()
            }

            pub(in crate::store) fn settlement_from_row(r: &<<$pool as PoolDb>::Db as sqlx::Database>::Row) -> Result<SettlementRow, StoreError> {
                let text: String = r.try_get("value")?;
                Ok(SettlementRow {
                    seq: r.try_get("seq")?,
                    receipt_uri: r.try_get("receipt_uri")?,
                    receipt_cid: r.try_get("receipt_cid")?,
                    uri: r.try_get("uri")?,
                    cid: r.try_get("cid")?,
                    value: json::parse_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    requester: r.try_get("requester")?,
                    provider: r.try_get("provider")?,
                    authorization_uri: r.try_get("authorization_uri")?,
                    job_uri: r.try_get("job_uri")?,
                    currency: r.try_get("currency")?,
                    amount_minor: r.try_get("amount_minor")?,
                    fee_minor: r.try_get("fee_minor")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            pub(in crate::store) fn authorization_from_row(r: &<<$pool as PoolDb>::Db as sqlx::Database>::Row) -> Result<AuthorizationState, StoreError> {
                Ok(AuthorizationState {
                    requester: r.try_get("requester")?,
                    nonce: r.try_get("nonce")?,
                    authorization_uri: r.try_get("authorization_uri")?,
                    authorization_cid: r.try_get("authorization_cid")?,
                    scope: r.try_get("scope")?,
                    currency: r.try_get("currency")?,
                    limit_minor: r.try_get("limit_minor")?,
                    charged_minor: r.try_get("charged_minor")?,
                    charges: r.try_get("charges")?,
                    consumed: r.try_get::<i64, _>("consumed")? != 0,
                    hold_id: r.try_get("hold_id")?,
                    expires_at: r.try_get("expires_at")?,
                    revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                })
            }

            pub(in crate::store) async fn settlement_by_receipt<'e, E>(exec: E, receipt_uri: &str) -> Result<Option<SettlementRow>, StoreError>
            where
                E: sqlx::Executor<'e, Database = <$pool as PoolDb>::Db>,
            {
                let sql = concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE receipt_uri = $1");
                let row = sqlx::query(sql).bind(receipt_uri).fetch_optional(exec).await?;
                row.as_ref().map(settlement_from_row).transpose()
            }

            /// Settlements where `column` = `value`, after `after_seq`, oldest first.
            pub(in crate::store) async fn settlements_where(
                pool: &$pool,
                column: SettlementColumn,
                value: &str,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<SettlementRow>, StoreError> {
                macro_rules! by {
                    ($col:literal) => {
                        concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE ", $col,
                            " = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                    };
                }
                let sql = match column {
                    SettlementColumn::Authorization => by!("authorization_uri"),
                    SettlementColumn::Requester => by!("requester"),
                    SettlementColumn::Provider => by!("provider"),
                    SettlementColumn::Job => by!("job_uri"),
                    SettlementColumn::Receipt => by!("receipt_uri"),
                };
                let rows = sqlx::query(sql).bind(value).bind(after_seq).bind(limit).fetch_all(pool).await?;
                rows.iter().map(settlement_from_row).collect()
            }

            pub(in crate::store) async fn authorization_by_uri(pool: &$pool, uri: &str) -> Result<Option<AuthorizationState>, StoreError> {
                let row = sqlx::query("SELECT * FROM settlement_authorizations WHERE authorization_uri = $1")
                    .bind(uri)
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(authorization_from_row).transpose()
            }
        }
    };
}

reads!(sqlite, ledger::SqliteLedger, sqlx::SqlitePool);
reads!(postgres, ledger::PgLedger, sqlx::PgPool);
