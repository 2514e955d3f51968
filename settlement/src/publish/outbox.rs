//! The outbox's rows (queued by triggers, migration 0015): what is due,
//! and what the PDS answered.

use sqlx::Row as _;

use crate::records::json::{self, Value};
use crate::store::{Store, StoreError, on_pool};

/// A record to write to the exchange's repository: its current version
/// (or why it cannot be read).
#[derive(Clone, Debug)]
pub struct Pending {
    pub uri: String,
    pub cid: String,
    pub value: Result<Value, String>,
    pub attempts: i64,
}

/// Where a record stands in the exchange's repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    pub uri: String,
    /// The record's current version.
    pub cid: String,
    /// The version the PDS holds, and the commit that wrote it.
    pub published_cid: Option<String>,
    pub commit: Option<String>,
    pub rev: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

const DUE: &str = "SELECT o.uri, o.cid, o.attempts, \
     COALESCE(s.value, d.value, r.value, w.value, c.payment_value) AS value \
     FROM settlement_outbox o \
     LEFT JOIN settlement_settlements s ON o.kind = 'settlement' AND s.uri = o.uri \
     LEFT JOIN settlement_disputes d ON o.kind = 'dispute' AND d.uri = o.uri \
     LEFT JOIN settlement_reversals r ON o.kind = 'refund' AND r.uri = o.uri \
     LEFT JOIN settlement_own_records w ON o.kind = 'own' AND w.uri = o.uri \
     LEFT JOIN settlement_contracts c ON o.kind = 'payment' AND c.payment_uri = o.uri \
     WHERE (o.published_cid IS NULL OR o.published_cid <> o.cid) AND o.next_at <= $1 \
     ORDER BY o.next_at, o.enqueued_at LIMIT $2";

/// Records due at `now` (wall-clock microseconds), oldest first.
pub async fn due(store: &Store, now: i64, limit: i64) -> Result<Vec<Pending>, StoreError> {
    let rows = on_pool!(store, pool => {
        let rows = sqlx::query(DUE).bind(now).bind(limit).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                let value: Option<String> = r.try_get("value")?;
                Ok::<_, StoreError>((r.try_get::<String, _>("uri")?, r.try_get::<String, _>("cid")?, value, r.try_get::<i64, _>("attempts")?))
            })
            .collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows
        .into_iter()
        .map(|(uri, cid, value, attempts)| {
            let value = value
                .ok_or_else(|| "its record is gone".to_owned())
                .and_then(|v| json::parse(v.as_bytes()).map_err(|e| format!("its record: {e}")));
            Pending {
                uri,
                cid,
                value,
                attempts,
            }
        })
        .collect())
}

/// The PDS holds version `cid` of `uri`, written by `commit` at `rev`.
/// A newer version queued meanwhile stays due.
pub async fn published(
    store: &Store,
    uri: &str,
    cid: &str,
    commit: &str,
    rev: &str,
    now: i64,
) -> Result<(), StoreError> {
    let sql = "UPDATE settlement_outbox SET published_cid = $2, published_commit = $3, published_rev = $4, \
               published_at = $5, attempts = 0, next_at = 0, last_error = NULL WHERE uri = $1 AND cid = $2";
    on_pool!(store, pool => sqlx::query(sql).bind(uri).bind(cid).bind(commit).bind(rev).bind(now).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// A write that failed: tried again from `next_at`.
pub async fn failed(
    store: &Store,
    uri: &str,
    cid: &str,
    next_at: i64,
    error: &str,
) -> Result<(), StoreError> {
    let sql = "UPDATE settlement_outbox SET attempts = attempts + 1, next_at = $3, last_error = $4 \
               WHERE uri = $1 AND cid = $2";
    on_pool!(store, pool => sqlx::query(sql).bind(uri).bind(cid).bind(next_at).bind(error).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// How many records wait, and since when the oldest (wall-clock
/// microseconds).
pub async fn backlog(store: &Store) -> Result<(i64, Option<i64>), StoreError> {
    let sql = "SELECT COUNT(*) AS n, MIN(enqueued_at) AS oldest FROM settlement_outbox \
               WHERE published_cid IS NULL OR published_cid <> cid";
    on_pool!(store, pool => {
        let r = sqlx::query(sql).fetch_one(pool).await?;
        Ok((r.try_get::<i64, _>("n")?, r.try_get::<Option<i64>, _>("oldest")?))
    })
}

/// Where `uri` stands.
pub async fn publication(store: &Store, uri: &str) -> Result<Option<Publication>, StoreError> {
    let sql = "SELECT uri, cid, published_cid, published_commit, published_rev, attempts, last_error \
               FROM settlement_outbox WHERE uri = $1";
    on_pool!(store, pool => {
        let Some(r) = sqlx::query(sql).bind(uri).fetch_optional(pool).await? else {
            return Ok(None);
        };
        Ok(Some(Publication {
            uri: r.try_get("uri")?,
            cid: r.try_get("cid")?,
            published_cid: r.try_get("published_cid")?,
            commit: r.try_get("published_commit")?,
            rev: r.try_get("published_rev")?,
            attempts: r.try_get("attempts")?,
            last_error: r.try_get("last_error")?,
        }))
    })
}

/// Stores (or replaces) a record of the exchange's own that no other
/// table holds; the trigger queues it.
pub async fn put_own(
    store: &Store,
    uri: &str,
    cid: &str,
    value: &Value,
    now: i64,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO settlement_own_records (uri, cid, value, created_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, value = excluded.value \
               WHERE settlement_own_records.cid <> excluded.cid";
    let text = json::to_canonical_string(value);
    on_pool!(store, pool => sqlx::query(sql).bind(uri).bind(cid).bind(text).bind(now).execute(pool).await.map(|_| ())?);
    Ok(())
}
