//! SQL shared by both backends. Both accept `$N` placeholders, `RETURNING`,
//! partial indexes and `CAST(... AS BIGINT)`, so one text serves both; the
//! macro below instantiates the shared queries for one connection type.
//! What differs (locking, and the reads and writes of many rows in one
//! statement) is written in `sqlite.rs` and `postgres.rs`.

/// An account row plus how much of its pending totals belongs to holds
/// expired at `$2` but not swept yet. One statement: one snapshot. The
/// caller adds which accounts (`WHERE a.id ...`).
macro_rules! select_accounts {
    () => {
        "SELECT a.id, a.currency, a.kind, a.owner, a.flags, a.created_at, \
    a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, \
    COALESCE((SELECT CAST(SUM(h.amount) AS BIGINT) FROM ledger_holds h \
        WHERE h.debit_account = a.id AND h.state = 'pending' AND h.expires_at <= $2), 0) AS expired_debits, \
    COALESCE((SELECT CAST(SUM(h.amount) AS BIGINT) FROM ledger_holds h \
        WHERE h.credit_account = a.id AND h.state = 'pending' AND h.expires_at <= $2), 0) AS expired_credits \
    FROM ledger_accounts a"
    };
}
pub(crate) use select_accounts;

pub(crate) const SELECT_ACCOUNT_BY_ID: &str = concat!(select_accounts!(), " WHERE a.id = $1");

pub(crate) const INSERT_ACCOUNT: &str = "INSERT INTO ledger_accounts \
    (id, currency, kind, owner, flags, created_at, debits_posted, credits_posted, debits_pending, credits_pending) \
    VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0)";

pub(crate) const SELECT_EXPIRED_HOLDS: &str = "SELECT transfer_id FROM ledger_holds \
    WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at, transfer_id LIMIT $2";

/// Posted and pending totals of account `$1` as of time `$2`, from the
/// append-only transfers alone: a hold counts as pending at `$2` if it was
/// created by then, had not expired, and no post/void/expire of it had
/// been recorded by then.
pub(crate) const SELECT_HISTORY_TOTALS: &str = "SELECT \
    COALESCE((SELECT CAST(SUM(amount) AS BIGINT) FROM ledger_transfers \
        WHERE debit_account = $1 AND kind IN ('posted', 'post') AND created_at <= $2), 0), \
    COALESCE((SELECT CAST(SUM(amount) AS BIGINT) FROM ledger_transfers \
        WHERE credit_account = $1 AND kind IN ('posted', 'post') AND created_at <= $2), 0), \
    COALESCE((SELECT CAST(SUM(p.amount) AS BIGINT) FROM ledger_transfers p \
        WHERE p.debit_account = $1 AND p.kind = 'pending' AND p.created_at <= $2 AND p.expires_at > $2 \
        AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id AND r.created_at <= $2)), 0), \
    COALESCE((SELECT CAST(SUM(p.amount) AS BIGINT) FROM ledger_transfers p \
        WHERE p.credit_account = $1 AND p.kind = 'pending' AND p.created_at <= $2 AND p.expires_at > $2 \
        AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id AND r.created_at <= $2)), 0)";

pub(crate) const SELECT_STATEMENT: &str = "SELECT * FROM ( \
    SELECT * FROM (SELECT seq, id, kind, debit_account, credit_account, amount, currency, code, reference, pending_id, expires_at, created_at \
        FROM ledger_transfers WHERE debit_account = $1 AND seq > $2 ORDER BY seq LIMIT $3) AS d \
    UNION ALL \
    SELECT * FROM (SELECT seq, id, kind, debit_account, credit_account, amount, currency, code, reference, pending_id, expires_at, created_at \
        FROM ledger_transfers WHERE credit_account = $1 AND seq > $2 ORDER BY seq LIMIT $3) AS c \
    ) AS s ORDER BY seq LIMIT $3";

pub(crate) const SELECT_BY_REFERENCE: &str = "SELECT seq, id, kind, debit_account, credit_account, amount, currency, code, reference, pending_id, expires_at, created_at \
    FROM ledger_transfers WHERE reference = $1 AND seq > $2 ORDER BY seq LIMIT $3";

/// Implements the shared part of `engine::Conn` for `$conn`; `$($rest)*`
/// supplies the backend's own methods (locking).
/// `$in_ids` is the backend's "is in the list `$1`" clause and `$ids` the
/// function that turns ids into that parameter.
macro_rules! impl_conn {
    ($conn:ty, $row:ty, $in_ids:literal, $ids:path, { $($rest:tt)* }) => {
        fn transfer_from_row(row: &$row) -> $crate::error::Result<$crate::types::Transfer> {
            use sqlx::Row;
            use $crate::types::*;
            let kind: String = row.try_get("kind")?;
            let kind = TransferKind::parse(&kind).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown transfer kind {kind:?}").into())
            })?;
            Ok(Transfer {
                seq: row.try_get("seq")?,
                id: Id::trusted(row.try_get("id")?),
                kind,
                debit_account: Id::trusted(row.try_get("debit_account")?),
                credit_account: Id::trusted(row.try_get("credit_account")?),
                amount_minor: row.try_get("amount")?,
                currency: Currency::trusted(row.try_get("currency")?),
                code: Code::trusted(row.try_get("code")?),
                reference: row.try_get::<Option<String>, _>("reference")?.map(Reference::trusted),
                pending_id: row.try_get::<Option<String>, _>("pending_id")?.map(Id::trusted),
                expires_at_us: row.try_get("expires_at")?,
                timestamp_us: row.try_get("created_at")?,
            })
        }

        fn hold_from_row(row: &$row) -> $crate::error::Result<$crate::types::Hold> {
            use sqlx::Row;
            use $crate::types::*;
            let state: String = row.try_get("state")?;
            let state = HoldState::parse(&state).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown hold state {state:?}").into())
            })?;
            Ok(Hold {
                id: Id::trusted(row.try_get("transfer_id")?),
                debit_account: Id::trusted(row.try_get("debit_account")?),
                credit_account: Id::trusted(row.try_get("credit_account")?),
                amount_minor: row.try_get("amount")?,
                currency: Currency::trusted(row.try_get("currency")?),
                expires_at_us: row.try_get("expires_at")?,
                state,
                resolved_by: row.try_get::<Option<String>, _>("resolved_by")?.map(Id::trusted),
            })
        }

        fn account_from_row(row: &$row) -> $crate::error::Result<$crate::engine::AccountRow> {
            use sqlx::Row;
            use $crate::types::*;
            let flags: i64 = row.try_get("flags")?;
            let flags = u32::try_from(flags)
                .ok()
                .and_then(|f| AccountFlags::from_bits(f).ok())
                .ok_or_else(|| sqlx::Error::Decode(format!("bad account flags {flags}").into()))?;
            Ok($crate::engine::AccountRow {
                account: Account {
                    id: Id::trusted(row.try_get("id")?),
                    currency: Currency::trusted(row.try_get("currency")?),
                    kind: Code::trusted(row.try_get("kind")?),
                    owner: Owner::trusted(row.try_get("owner")?),
                    flags,
                    created_at_us: row.try_get("created_at")?,
                },
                debits_posted: row.try_get("debits_posted")?,
                credits_posted: row.try_get("credits_posted")?,
                debits_pending: row.try_get("debits_pending")?,
                credits_pending: row.try_get("credits_pending")?,
                expired_debits_pending: row.try_get("expired_debits")?,
                expired_credits_pending: row.try_get("expired_credits")?,
            })
        }

        impl $crate::engine::Conn for $conn {

            async fn get_account(
                &mut self,
                id: &$crate::types::Id,
                now_us: i64,
            ) -> $crate::error::Result<Option<$crate::engine::AccountRow>> {
                let row = sqlx::query($crate::sql::SELECT_ACCOUNT_BY_ID)
                    .bind(id.as_str())
                    .bind(now_us)
                    .fetch_optional(&mut *self)
                    .await?;
                row.as_ref().map(account_from_row).transpose()
            }

            async fn get_accounts(
                &mut self,
                ids: &[$crate::types::Id],
                now_us: i64,
            ) -> $crate::error::Result<Vec<$crate::engine::AccountRow>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query(concat!(
                    $crate::sql::select_accounts!(),
                    " WHERE a.id",
                    $in_ids,
                    " ORDER BY a.id"
                ))
                .bind($ids(ids))
                .bind(now_us)
                .fetch_all(&mut *self)
                .await?;
                rows.iter().map(account_from_row).collect()
            }

            async fn find_transfers(
                &mut self,
                ids: &[$crate::types::Id],
            ) -> $crate::error::Result<Vec<$crate::types::Transfer>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query(concat!(
                    "SELECT seq, id, kind, debit_account, credit_account, amount, currency, code, \
                     reference, pending_id, expires_at, created_at FROM ledger_transfers WHERE id",
                    $in_ids
                ))
                .bind($ids(ids))
                .fetch_all(&mut *self)
                .await?;
                rows.iter().map(transfer_from_row).collect()
            }

            async fn find_holds(
                &mut self,
                ids: &[$crate::types::Id],
            ) -> $crate::error::Result<Vec<$crate::types::Hold>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query(concat!(
                    "SELECT transfer_id, debit_account, credit_account, amount, currency, \
                     expires_at, state, resolved_by FROM ledger_holds WHERE transfer_id",
                    $in_ids
                ))
                .bind($ids(ids))
                .fetch_all(&mut *self)
                .await?;
                rows.iter().map(hold_from_row).collect()
            }

            async fn insert_account(
                &mut self,
                a: &$crate::types::Account,
            ) -> $crate::error::Result<()> {
                sqlx::query($crate::sql::INSERT_ACCOUNT)
                    .bind(a.id.as_str())
                    .bind(a.currency.as_str())
                    .bind(a.kind.as_str())
                    .bind(a.owner.as_str())
                    .bind(i64::from(a.flags.bits()))
                    .bind(a.created_at_us)
                    .execute(&mut *self)
                    .await?;
                Ok(())
            }

            async fn expired_hold_ids(
                &mut self,
                now_us: i64,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::types::Id>> {
                let ids: Vec<String> = sqlx::query_scalar($crate::sql::SELECT_EXPIRED_HOLDS)
                    .bind(now_us)
                    .bind(limit)
                    .fetch_all(&mut *self)
                    .await?;
                Ok(ids.into_iter().map($crate::types::Id::trusted).collect())
            }

            async fn history_totals(
                &mut self,
                id: &$crate::types::Id,
                at_us: i64,
            ) -> $crate::error::Result<[i64; 4]> {
                let (a, b, c, d): (i64, i64, i64, i64) =
                    sqlx::query_as($crate::sql::SELECT_HISTORY_TOTALS)
                        .bind(id.as_str())
                        .bind(at_us)
                        .fetch_one(&mut *self)
                        .await?;
                Ok([a, b, c, d])
            }

            async fn statement(
                &mut self,
                id: &$crate::types::Id,
                after: i64,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::types::Transfer>> {
                let rows = sqlx::query($crate::sql::SELECT_STATEMENT)
                    .bind(id.as_str())
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&mut *self)
                    .await?;
                rows.iter().map(transfer_from_row).collect()
            }

            async fn by_reference(
                &mut self,
                reference: &$crate::types::Reference,
                after: i64,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::types::Transfer>> {
                let rows = sqlx::query($crate::sql::SELECT_BY_REFERENCE)
                    .bind(reference.as_str())
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&mut *self)
                    .await?;
                rows.iter().map(transfer_from_row).collect()
            }

            $($rest)*
        }
    };
}
pub(crate) use impl_conn;
