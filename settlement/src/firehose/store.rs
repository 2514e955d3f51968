//! The firehose's rows: the cursor of each relay (the last event durably
//! applied) and the accounts the relay said are not active.

use crate::records::formats::Micros;
use crate::store::{Store, StoreError, on_pool};

/// The sequence number of the last event applied from `relay`.
pub async fn cursor(store: &Store, relay: &str) -> Result<Option<i64>, StoreError> {
    let sql = "SELECT seq FROM settlement_firehose_cursors WHERE relay = $1";
    Ok(on_pool!(store, pool => sqlx::query_scalar(sql).bind(relay).fetch_optional(pool).await?))
}

/// Records that every event of `relay` up to `seq` is applied. A cursor
/// never moves back (two writers, or a replay, cannot undo progress).
pub async fn set_cursor(
    store: &Store,
    relay: &str,
    seq: i64,
    now: Micros,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO settlement_firehose_cursors (relay, seq, updated_at) VALUES ($1, $2, $3) \
               ON CONFLICT (relay) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at \
               WHERE settlement_firehose_cursors.seq < excluded.seq";
    on_pool!(store, pool => sqlx::query(sql).bind(relay).bind(seq).bind(now).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// Why `did`'s commits are not acted on (its account's status), if so.
pub async fn inactive(store: &Store, did: &str) -> Result<Option<String>, StoreError> {
    let sql = "SELECT status FROM settlement_inactive_repos WHERE did = $1";
    Ok(on_pool!(store, pool => sqlx::query_scalar(sql).bind(did).fetch_optional(pool).await?))
}

/// The relay's word on `did`'s account at event `seq`: active, or not
/// with a status. An older event than the one already applied changes
/// nothing.
pub async fn set_account(
    store: &Store,
    did: &str,
    active: bool,
    status: &str,
    seq: i64,
    now: Micros,
) -> Result<(), StoreError> {
    if active {
        let sql = "DELETE FROM settlement_inactive_repos WHERE did = $1 AND seq < $2";
        on_pool!(store, pool => sqlx::query(sql).bind(did).bind(seq).execute(pool).await.map(|_| ())?);
    } else {
        let sql = "INSERT INTO settlement_inactive_repos (did, status, seq, updated_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (did) DO UPDATE SET status = excluded.status, seq = excluded.seq, \
                   updated_at = excluded.updated_at WHERE settlement_inactive_repos.seq < excluded.seq";
        on_pool!(store, pool => sqlx::query(sql).bind(did).bind(status).bind(seq).bind(now).execute(pool).await.map(|_| ())?);
    }
    Ok(())
}

/// What the relay named that waits for a third party: a record to fetch,
/// or a deletion with its proof.
#[derive(Clone, Debug)]
pub struct Deferred {
    pub uri: String,
    /// `record` or `deletion`.
    pub action: String,
    pub blocks: Option<Vec<u8>>,
    pub attempts: i64,
}

/// Defers `uri`'s `action` to `next_at`; a deferral already there keeps
/// its attempts and takes the newer blocks.
pub async fn defer(
    store: &Store,
    d: &Deferred,
    error: &str,
    next_at: Micros,
    now: Micros,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO settlement_firehose_deferred (uri, action, blocks, attempts, next_at, last_error, created_at) \
               VALUES ($1, $2, $3, 0, $4, $5, $6) ON CONFLICT (uri, action) DO UPDATE SET \
               blocks = excluded.blocks, last_error = excluded.last_error";
    on_pool!(store, pool => sqlx::query(sql)
        .bind(&d.uri)
        .bind(&d.action)
        .bind(d.blocks.as_deref())
        .bind(next_at)
        .bind(error)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Deferrals due at `now`, oldest first.
pub async fn due(store: &Store, now: Micros, limit: i64) -> Result<Vec<Deferred>, StoreError> {
    let sql = "SELECT uri, action, blocks, attempts FROM settlement_firehose_deferred \
               WHERE next_at <= $1 ORDER BY next_at LIMIT $2";
    let rows: Vec<(String, String, Option<Vec<u8>>, i64)> =
        on_pool!(store, pool => sqlx::query_as(sql).bind(now).bind(limit).fetch_all(pool).await?);
    Ok(rows
        .into_iter()
        .map(|(uri, action, blocks, attempts)| Deferred {
            uri,
            action,
            blocks,
            attempts,
        })
        .collect())
}

/// Tries `d` again at `next_at`.
pub async fn retry(
    store: &Store,
    d: &Deferred,
    next_at: Micros,
    error: &str,
) -> Result<(), StoreError> {
    let sql = "UPDATE settlement_firehose_deferred SET attempts = attempts + 1, next_at = $3, last_error = $4 \
               WHERE uri = $1 AND action = $2";
    on_pool!(store, pool => sqlx::query(sql).bind(&d.uri).bind(&d.action).bind(next_at).bind(error).execute(pool).await.map(|_| ())?);
    Ok(())
}

/// `d` is settled one way or the other.
pub async fn done(store: &Store, d: &Deferred) -> Result<(), StoreError> {
    let sql = "DELETE FROM settlement_firehose_deferred WHERE uri = $1 AND action = $2";
    on_pool!(store, pool => sqlx::query(sql).bind(&d.uri).bind(&d.action).execute(pool).await.map(|_| ())?);
    Ok(())
}
