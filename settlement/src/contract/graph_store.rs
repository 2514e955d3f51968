//! The trust graph's rows: each requester's policy, and the latest vouch
//! or denounce of each owner on each subject.

use ledger::LedgerStore as _;
use sqlx::Row as _;

use super::records::Kind;
use super::trust::{Edge, Mode, Policy};
use crate::records::formats::Micros;
use crate::records::json::{self, Value};
use crate::store::{Store, StoreError};

macro_rules! graph_rows {
    ($name:ident, $pool:ty) => {
        mod $name {
            use super::*;

            type Db = <$pool as crate::store::PoolDb>::Db;
            type DbRow = <Db as sqlx::Database>::Row;

            pub(super) async fn word_on(pool: &$pool, owner: &str, subject: &str) -> Result<Option<Edge>, StoreError> {
                let r = sqlx::query("SELECT subject, kind, uri FROM settlement_vouches WHERE owner = $1 AND subject = $2")
                    .bind(owner).bind(subject)
                    .fetch_optional(pool)
                    .await?;
                r.as_ref().map(edge).transpose()
            }

            pub(super) async fn heeded_denounce(pool: &$pool, requester: &str, subject: &str) -> Result<Option<(Edge, Edge)>, StoreError> {
                let r = sqlx::query(
                    "SELECT v.subject AS vouchee, v.uri AS vouch_uri, d.uri AS denounce_uri \
                     FROM settlement_vouches v JOIN settlement_vouches d ON d.owner = v.subject \
                     WHERE v.owner = $1 AND v.kind = 'vouch' AND d.subject = $2 AND d.kind = 'denounce' \
                     ORDER BY v.subject LIMIT 1",
                )
                .bind(requester).bind(subject)
                .fetch_optional(pool)
                .await?;
                let Some(r) = r else { return Ok(None) };
                let vouchee: String = r.try_get("vouchee")?;
                Ok(Some((
                    Edge { subject: vouchee, kind: Kind::Vouch, uri: r.try_get("vouch_uri")? },
                    Edge { subject: subject.to_owned(), kind: Kind::Denounce, uri: r.try_get("denounce_uri")? },
                )))
            }

            pub(super) async fn delete_vouch(pool: &$pool, uri: &str) -> Result<bool, StoreError> {
                let done = sqlx::query("DELETE FROM settlement_vouches WHERE uri = $1")
                    .bind(uri)
                    .execute(pool)
                    .await?
                    .rows_affected();
                Ok(done > 0)
            }

            pub(super) async fn policy(pool: &$pool, requester: &str) -> Result<Option<Policy>, StoreError> {
                let Some(r) = sqlx::query("SELECT mode, hops, heed_vouchees FROM settlement_trust_policies WHERE requester = $1")
                    .bind(requester)
                    .fetch_optional(pool)
                    .await?
                else {
                    return Ok(None);
                };
                let mode: String = r.try_get("mode")?;
                let hops: i64 = r.try_get("hops")?;
                let mode = match mode.as_str() {
                    "vouched" => Mode::Vouched,
                    "open" => Mode::Open,
                    "network" => Mode::Network { hops: u32::try_from(hops).unwrap_or(1) },
                    other => return Err(StoreError::Corrupt(format!("trust mode {other:?}"))),
                };
                Ok(Some(Policy { mode, heed_vouchees: r.try_get::<i64, _>("heed_vouchees")? == 1 }))
            }

            pub(super) async fn set_policy(pool: &$pool, requester: &str, p: &Policy, now: Micros) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO settlement_trust_policies (requester, mode, hops, heed_vouchees, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (requester) DO UPDATE SET mode = excluded.mode, \
                     hops = excluded.hops, heed_vouchees = excluded.heed_vouchees, updated_at = excluded.updated_at",
                )
                .bind(requester).bind(p.mode.as_str()).bind(i64::from(p.mode.depth()))
                .bind(i64::from(p.heed_vouchees)).bind(now)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub(super) async fn put_vouch(pool: &$pool, owner: &str, e: &Edge, cid: &str, value: &Value, rev: Option<&str>, now: Micros) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO settlement_vouches (owner, subject, kind, uri, cid, value, rev, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (owner, subject) DO UPDATE SET kind = excluded.kind, \
                     uri = excluded.uri, cid = excluded.cid, value = excluded.value, rev = excluded.rev, \
                     updated_at = excluded.updated_at \
                     WHERE settlement_vouches.rev IS NULL OR excluded.rev IS NULL OR settlement_vouches.rev <= excluded.rev",
                )
                .bind(owner).bind(&e.subject).bind(e.kind.as_str()).bind(&e.uri).bind(cid)
                .bind(json::to_canonical_string(value)).bind(rev).bind(now)
                .execute(pool)
                .await?;
                Ok(())
            }

            fn edge(r: &DbRow) -> Result<Edge, StoreError> {
                let kind: String = r.try_get("kind")?;
                Ok(Edge {
                    subject: r.try_get("subject")?,
                    kind: Kind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("vouch kind {kind:?}")))?,
                    uri: r.try_get("uri")?,
                })
            }

            pub(super) async fn vouches_of(pool: &$pool, owner: &str, limit: i64) -> Result<Vec<Edge>, StoreError> {
                let rows = sqlx::query("SELECT subject, kind, uri FROM settlement_vouches WHERE owner = $1 ORDER BY subject LIMIT $2")
                    .bind(owner).bind(limit)
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(edge).collect()
            }
        }
    };
}

graph_rows!(sqlite_graph, sqlx::SqlitePool);
graph_rows!(postgres_graph, sqlx::PgPool);

macro_rules! on_backend {
    ($store:expr, $l:ident => $f:ident ( $($arg:expr),* )) => {
        match $store {
            Store::Sqlite($l) => sqlite_graph::$f($($arg),*).await,
            Store::Postgres($l) => postgres_graph::$f($($arg),*).await,
        }
    };
}

/// What `owner` says of `subject`, if anything.
pub async fn word_on(
    store: &Store,
    owner: &str,
    subject: &str,
) -> Result<Option<Edge>, StoreError> {
    on_backend!(store, l => word_on(l.pool(), owner, subject))
}

/// A denounce of `subject` by someone `requester` vouches for: her vouch
/// and their denounce.
pub async fn heeded_denounce(
    store: &Store,
    requester: &str,
    subject: &str,
) -> Result<Option<(Edge, Edge)>, StoreError> {
    on_backend!(store, l => heeded_denounce(l.pool(), requester, subject))
}

/// Forgets the vouch or denounce at `uri` (deleted by its owner).
pub async fn delete_vouch(store: &Store, uri: &str) -> Result<bool, StoreError> {
    on_backend!(store, l => delete_vouch(l.pool(), uri))
}

/// The requester's policy, or the default where she set none.
pub async fn policy(store: &Store, requester: &str) -> Result<(Policy, bool), StoreError> {
    let set: Option<Policy> = on_backend!(store, l => policy(l.pool(), requester))?;
    Ok(match set {
        Some(p) => (p, true),
        None => (Policy::default(), false),
    })
}

pub async fn set_policy(
    store: &Store,
    requester: &str,
    p: &Policy,
    now: Micros,
) -> Result<(), StoreError> {
    on_backend!(store, l => set_policy(l.pool(), requester, p, now))
}

/// Stores the latest vouch or denounce of `owner` on `e.subject`: one
/// proven at commit `rev` never replaces one proven at a later commit.
pub async fn put_vouch(
    store: &Store,
    owner: &str,
    e: &Edge,
    cid: &str,
    value: &Value,
    rev: Option<&str>,
    now: Micros,
) -> Result<(), StoreError> {
    on_backend!(store, l => put_vouch(l.pool(), owner, e, cid, value, rev, now))
}

/// What `owner` says of others, at most `limit` records.
pub async fn vouches_of(store: &Store, owner: &str, limit: i64) -> Result<Vec<Edge>, StoreError> {
    on_backend!(store, l => vouches_of(l.pool(), owner, limit))
}
