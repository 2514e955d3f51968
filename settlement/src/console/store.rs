//! The console's reads: settlements newest first by cursor, the totals
//! and the hourly volume kept by migration 0016's trigger, payouts per
//! provider, open disputes, the operators' sessions. Every list reads one
//! index range of at most a page; nothing here scans the settlements.

use crate::records::formats::Micros;
use crate::store::{Store, StoreError, on_pool};

/// One line of the explorer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub seq: i64,
    pub uri: String,
    pub receipt_uri: String,
    pub authorization_uri: String,
    pub requester: String,
    pub provider: String,
    pub currency: String,
    pub amount_minor: i64,
    pub fee_minor: i64,
    pub created_at: Micros,
    pub payout_id: Option<String>,
}

type LineTuple = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
);

fn line(t: LineTuple) -> Line {
    Line {
        seq: t.0,
        uri: t.1,
        receipt_uri: t.2,
        authorization_uri: t.3,
        requester: t.4,
        provider: t.5,
        currency: t.6,
        amount_minor: t.7,
        fee_minor: t.8,
        created_at: t.9,
        payout_id: t.10,
    }
}

/// Which settlements a page lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter<'a> {
    All,
    Uri(&'a str),
    Receipt(&'a str),
    Authorization(&'a str),
    Job(&'a str),
    Requester(&'a str),
    Provider(&'a str),
}

macro_rules! line_select {
    ($where:literal) => {
        concat!(
            "SELECT seq, uri, receipt_uri, authorization_uri, requester, provider, currency, \
             amount_minor, fee_minor, created_at, payout_id FROM settlement_settlements WHERE ",
            $where,
            " seq < $2 ORDER BY seq DESC LIMIT $3"
        )
    };
}

/// Settlements matching `filter` with `seq` below `before`, newest first,
/// at most `limit`.
pub async fn lines(
    store: &Store,
    filter: Filter<'_>,
    before: i64,
    limit: i64,
) -> Result<Vec<Line>, StoreError> {
    let (sql, value) = match filter {
        // $1 is bound and compared to itself so every query has the same
        // three parameters.
        Filter::All => (line_select!("$1 = $1 AND"), ""),
        Filter::Uri(v) => (line_select!("uri = $1 AND"), v),
        Filter::Receipt(v) => (line_select!("receipt_uri = $1 AND"), v),
        Filter::Authorization(v) => (line_select!("authorization_uri = $1 AND"), v),
        Filter::Job(v) => (line_select!("job_uri = $1 AND"), v),
        Filter::Requester(v) => (line_select!("requester = $1 AND"), v),
        Filter::Provider(v) => (line_select!("provider = $1 AND"), v),
    };
    let rows: Vec<LineTuple> = on_pool!(store, pool => sqlx::query_as(sql)
        .bind(value)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?);
    Ok(rows.into_iter().map(line).collect())
}

/// Settlements where `did` is the requester or the provider, newest
/// first: two index ranges merged, so a DID with a million settlements
/// costs one page.
pub async fn lines_of_did(
    store: &Store,
    did: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<Line>, StoreError> {
    let mut all = lines(store, Filter::Requester(did), before, limit).await?;
    all.extend(lines(store, Filter::Provider(did), before, limit).await?);
    all.sort_by_key(|l| std::cmp::Reverse(l.seq));
    all.dedup_by_key(|l| l.seq);
    all.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(all)
}

/// What the exchange has settled in one currency, in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub currency: String,
    pub settlements: i64,
    pub amount_minor: i64,
    pub fee_minor: i64,
    pub payouts: i64,
    pub paid_minor: i64,
}

/// The totals per currency: settlements from the hourly volume, payouts
/// confirmed on chain.
pub async fn totals(store: &Store) -> Result<Vec<Totals>, StoreError> {
    let sql = "SELECT currency, CAST(sum(settlements) AS BIGINT), CAST(sum(amount_minor) AS BIGINT), \
               CAST(sum(fee_minor) AS BIGINT) FROM settlement_volume_hourly GROUP BY currency ORDER BY currency";
    let volume: Vec<(String, i64, i64, i64)> =
        on_pool!(store, pool => sqlx::query_as(sql).fetch_all(pool).await?);
    let sql = "SELECT currency, count(*), CAST(sum(amount_minor) AS BIGINT) FROM settlement_payouts \
               WHERE state = 'confirmed' GROUP BY currency";
    let paid: Vec<(String, i64, i64)> =
        on_pool!(store, pool => sqlx::query_as(sql).fetch_all(pool).await?);
    let mut out: Vec<Totals> = volume
        .into_iter()
        .map(|(currency, settlements, amount_minor, fee_minor)| Totals {
            currency,
            settlements,
            amount_minor,
            fee_minor,
            ..Totals::default()
        })
        .collect();
    for (currency, payouts, paid_minor) in paid {
        match out.iter_mut().find(|t| t.currency == currency) {
            Some(t) => {
                t.payouts = payouts;
                t.paid_minor = paid_minor;
            }
            None => out.push(Totals {
                currency,
                payouts,
                paid_minor,
                ..Totals::default()
            }),
        }
    }
    Ok(out)
}

/// One hour of settlements in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hour {
    /// Hours since the Unix epoch.
    pub hour: i64,
    pub settlements: i64,
    pub amount_minor: i64,
    pub fee_minor: i64,
}

/// The hours of `currency` from `from_hour` on, oldest first.
pub async fn hours(store: &Store, currency: &str, from_hour: i64) -> Result<Vec<Hour>, StoreError> {
    let sql = "SELECT hour, settlements, amount_minor, fee_minor FROM settlement_volume_hourly \
               WHERE currency = $1 AND hour >= $2 ORDER BY hour";
    let rows: Vec<(i64, i64, i64, i64)> = on_pool!(store, pool => sqlx::query_as(sql)
        .bind(currency)
        .bind(from_hour)
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(|(hour, settlements, amount_minor, fee_minor)| Hour {
            hour,
            settlements,
            amount_minor,
            fee_minor,
        })
        .collect())
}

/// What each provider was paid on chain (confirmed payouts), the largest
/// first, at most `limit` providers.
pub async fn paid_per_provider(
    store: &Store,
    currency: &str,
    limit: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let sql = "SELECT provider, CAST(sum(amount_minor) AS BIGINT) AS paid FROM settlement_payouts \
               WHERE state = 'confirmed' AND currency = $1 GROUP BY provider ORDER BY paid DESC, provider LIMIT $2";
    Ok(on_pool!(store, pool => sqlx::query_as(sql)
        .bind(currency)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// An open dispute, as the operator's list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenDispute {
    pub id: String,
    pub settlement_uri: String,
    pub raised_by: String,
    pub category: String,
    pub created_at: Micros,
}

/// Open disputes, oldest first, after dispute `after` (by id).
pub async fn open_disputes(
    store: &Store,
    after: &str,
    limit: i64,
) -> Result<Vec<OpenDispute>, StoreError> {
    let sql = "SELECT id, settlement_uri, raised_by, category, created_at FROM settlement_disputes \
               WHERE status = 'open' AND id > $1 ORDER BY id LIMIT $2";
    let rows: Vec<(String, String, String, String, i64)> = on_pool!(store, pool => sqlx::query_as(sql)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(
            |(id, settlement_uri, raised_by, category, created_at)| OpenDispute {
                id,
                settlement_uri,
                raised_by,
                category,
                created_at,
            },
        )
        .collect())
}

/// One payout, as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutLine {
    pub seq: i64,
    pub id: String,
    pub provider: String,
    pub currency: String,
    pub amount_minor: i64,
    pub state: String,
    pub pay_to: Option<String>,
    pub tx_hash: Option<String>,
    pub block_number: Option<i64>,
    pub error: Option<String>,
    pub updated_at: Micros,
}

type PayoutTuple = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

/// Which payouts a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payouts<'a> {
    /// Every payout in every state (the operator).
    All,
    /// One provider's confirmed payouts: what the chain and the
    /// settlements' `processorReference` already make public. An open
    /// payout's amount is the provider's payable balance, and a failure's
    /// text is for the provider: neither is shown to the public.
    ConfirmedOf(&'a str),
}

/// Payouts with `seq` below `before`, newest first.
pub async fn payouts(
    store: &Store,
    which: Payouts<'_>,
    before: i64,
    limit: i64,
) -> Result<Vec<PayoutLine>, StoreError> {
    macro_rules! select {
        ($where:literal) => {
            concat!(
                "SELECT seq, id, provider, currency, amount_minor, state, pay_to, tx_hash, block_number, \
                 error, updated_at FROM settlement_payouts WHERE ",
                $where,
                " seq < $2 ORDER BY seq DESC LIMIT $3"
            )
        };
    }
    let (sql, value) = match which {
        Payouts::ConfirmedOf(p) => (select!("provider = $1 AND state = 'confirmed' AND"), p),
        Payouts::All => (select!("$1 = $1 AND"), ""),
    };
    let rows: Vec<PayoutTuple> = on_pool!(store, pool => sqlx::query_as(sql)
        .bind(value)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?);
    Ok(rows
        .into_iter()
        .map(|t| PayoutLine {
            seq: t.0,
            id: t.1,
            provider: t.2,
            currency: t.3,
            amount_minor: t.4,
            state: t.5,
            pay_to: t.6,
            tx_hash: t.7,
            block_number: t.8,
            error: t.9,
            updated_at: t.10,
        })
        .collect())
}

/// Stores a session: the hash of its secret, its CSRF token, the
/// fingerprint of the admin token it was opened with, its expiry.
/// Expired sessions are removed on the way.
pub async fn put_session(
    store: &Store,
    id_hash: &str,
    csrf: &str,
    operator: &str,
    now: Micros,
    expires_at: Micros,
) -> Result<(), StoreError> {
    let sql = "DELETE FROM console_sessions WHERE expires_at <= $1";
    on_pool!(store, pool => sqlx::query(sql).bind(now).execute(pool).await.map(|_| ())?);
    let sql = "INSERT INTO console_sessions (id_hash, csrf, operator, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5)";
    on_pool!(store, pool => sqlx::query(sql)
        .bind(id_hash)
        .bind(csrf)
        .bind(operator)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ())?);
    Ok(())
}

/// The CSRF token and operator fingerprint of the session whose secret
/// hashes to `id_hash`, if it has not expired at `now`.
pub async fn session(
    store: &Store,
    id_hash: &str,
    now: Micros,
) -> Result<Option<(String, String)>, StoreError> {
    let sql = "SELECT csrf, operator FROM console_sessions WHERE id_hash = $1 AND expires_at > $2";
    Ok(on_pool!(store, pool => sqlx::query_as(sql)
        .bind(id_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?))
}

/// Ends a session.
pub async fn delete_session(store: &Store, id_hash: &str) -> Result<(), StoreError> {
    let sql = "DELETE FROM console_sessions WHERE id_hash = $1";
    on_pool!(store, pool => sqlx::query(sql).bind(id_hash).execute(pool).await.map(|_| ())?);
    Ok(())
}
