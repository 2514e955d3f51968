//! The one charge path: a group of charges (one, or a group commit's) in
//! one transaction, in three phases as the ledger's engine runs them:
//! read and lock (authorization keys, their rows, what is settled), decide
//! each charge in memory ([`crate::authorize`]), write (the ledger's
//! `submit_each`, then the rows of what went through, see `rows`).

use std::collections::HashMap;

use ledger::{Currency, LedgerStore, LedgerTx, Op};

use super::inference::VerdictRows;
use super::parts::PartRows;
use super::rows::ChargeRows;
use super::{Settled, SettlementRow, Store, StoreError, pg_list, sqlite_list};
use crate::authorize::{
    AuthorizationState, SettlePlan, charge_accounts, charge_ops, check_consumption,
    unused_authorization,
};
use crate::verify::Charge;

macro_rules! charge_path {
    ($name:ident, $ledger:ty, $pool:ty, $for_update:literal, $in_list:literal, $in_list2:literal, $list:path) => {
        pub(super) mod $name {
            use super::*;
            use super::super::*;
            use crate::store::records::$name::{authorization_from_row, settlement_from_row};
            use sqlx::Row as _;

            /// The row of an authorization whose first charge went
            /// through.
            async fn insert_authorization<'e, E>(exec: E, plan: &SettlePlan) -> Result<(), StoreError>
            where
                E: sqlx::Executor<'e, Database = <$pool as PoolDb>::Db>,
            {
                let state = unused_authorization(plan)?;
                let sql = "INSERT INTO settlement_authorizations (requester, nonce, authorization_uri, \
                     authorization_cid, scope, currency, limit_minor, charged_minor, charges, consumed, hold_id, \
                     expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, NULL, $8, $9)";
                sqlx::query(sql)
                    .bind(state.requester)
                    .bind(state.nonce)
                    .bind(state.authorization_uri)
                    .bind(state.authorization_cid)
                    .bind(state.scope)
                    .bind(state.currency)
                    .bind(state.limit_minor)
                    .bind(state.expires_at)
                    .bind(plan.now)
                    .execute(exec)
                    .await?;
                Ok(())
            }

            /// One attempt at many charges in one transaction (group
            /// commit). The plans name distinct receipts and distinct
            /// authorizations (the caller sees to it), so each is decided on
            /// its own: its checks, then its ledger batch, against the state
            /// the earlier successful ones left. A plan's refusal is its own
            /// result; a database error fails the attempt (roll back, retry).
            pub(in crate::store) async fn settle_group(
                ledger: &$ledger,
                plans: &[&SettlePlan],
                attempt: usize,
            ) -> Result<Vec<Result<Settled, StoreError>>, StoreError> {
                distinct(plans)?;
                let mut tx = ledger.begin().await?;
                let mut out: Vec<Option<Result<Settled, StoreError>>> = plans.iter().map(|_| None).collect();

                // Authorizations first, in key order (nobody locks one
                // after an account): every charge of an authorization in
                // any process is serialized on its key (`lock_keys`), then
                // the rows that exist are locked. A first charge's
                // authorization has no row: it starts empty, and its row is
                // written only if the charge goes through; the key's lock
                // makes a racing first charge elsewhere wait and then see
                // that row.
                let mut keys: Vec<(&str, &str)> = plans
                    .iter()
                    .filter(|p| !p.charge.pro_bono)
                    .map(|p| (p.charge.requester.as_str(), p.charge.nonce.as_str()))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                let mut states: HashMap<(String, String), AuthorizationState> = HashMap::new();
                if !keys.is_empty() {
                    tx.sqlx().lock_keys(&keys).await?;
                    lock_authorizations(&mut tx, &keys, &mut states).await?;
                }
                let mut fresh = std::collections::HashSet::new();
                for (i, p) in plans.iter().enumerate().filter(|(_, p)| !p.charge.pro_bono) {
                    let key = (p.charge.requester.clone(), p.charge.nonce.as_str().to_owned());
                    if states.contains_key(&key) {
                        continue;
                    }
                    match unused_authorization(p) {
                        Ok(state) => {
                            states.insert(key.clone(), state);
                            fresh.insert(key);
                        }
                        Err(e) => out[i] = Some(Err(e.into())),
                    }
                }

                // Holding the authorizations' locks, see what is settled
                // already: a concurrent charge of the same receipt or job may
                // have just committed.
                let receipts: Vec<String> = plans.iter().map(|p| p.charge.receipt.uri.to_string()).collect();
                let mut by_receipt: HashMap<String, SettlementRow> = HashMap::new();
                let sql = concat!("SELECT ", settlement_columns!(), " FROM settlement_settlements WHERE receipt_uri", $in_list);
                for r in sqlx::query(sql).bind($list(&receipts)).fetch_all(&mut **tx.sqlx()).await? {
                    let row = settlement_from_row(&r)?;
                    by_receipt.insert(row.receipt_uri.clone(), row);
                }
                let jobs: Vec<String> = plans.iter().map(|p| p.charge.job.uri.to_string()).collect();
                let mut job_settled: HashMap<String, String> = HashMap::new();
                let sql = concat!("SELECT job_uri, receipt_uri FROM settlement_settlements WHERE job_uri", $in_list);
                for r in sqlx::query(sql).bind($list(&jobs)).fetch_all(&mut **tx.sqlx()).await? {
                    job_settled.insert(r.try_get("job_uri")?, r.try_get("receipt_uri")?);
                }

                // The accounts every charge touches, opened if absent.
                let mut news = Vec::new();
                let mut first_account = Vec::with_capacity(plans.len());
                for p in plans {
                    first_account.push(news.len());
                    match Currency::new(p.charge.amount.currency.as_str()) {
                        Ok(c) => news.extend(charge_accounts(p, &c)),
                        Err(e) => out[first_account.len() - 1] = Some(Err(e.into())),
                    }
                }
                let opened = tx.create_accounts(&news).await?;

                // Each plan's own checks and ledger operations.
                let mut groups: Vec<Vec<Op>> = Vec::new();
                let mut group_of: Vec<Option<usize>> = vec![None; plans.len()];
                let mut new_holds: Vec<Option<String>> = vec![None; plans.len()];
                for (i, p) in plans.iter().enumerate() {
                    if out[i].is_some() {
                        continue;
                    }
                    let ch = &p.charge;
                    if let Some(existing) = by_receipt.remove(ch.receipt.uri.as_str()) {
                        out[i] = Some(existing_or_conflict(existing, p));
                        continue;
                    }
                    if let Some(receipt) = job_settled.get(ch.job.uri.as_str()) {
                        out[i] = Some(Err(StoreError::JobAlreadySettled {
                            job: ch.job.uri.to_string(),
                            receipt: receipt.clone(),
                        }));
                        continue;
                    }
                    let end = first_account.get(i + 1).copied().unwrap_or(news.len());
                    if let Some(e) = opened[first_account[i]..end].iter().find_map(|r| r.as_ref().err()) {
                        out[i] = Some(Err(StoreError::Corrupt(format!("account: {e}"))));
                        continue;
                    }
                    let ops = if ch.pro_bono {
                        Vec::new()
                    } else {
                        let key = (ch.requester.clone(), ch.nonce.as_str().to_owned());
                        let Some(state) = states.get(&key) else {
                            return Err(StoreError::Corrupt(format!("authorization {key:?} was not locked")));
                        };
                        let decided = check_consumption(state, ch).and_then(|()| charge_ops(p, state));
                        match decided {
                            Ok((ops, hold)) => {
                                new_holds[i] = hold;
                                ops
                            }
                            Err(e) => {
                                out[i] = Some(Err(e.into()));
                                continue;
                            }
                        }
                    };
                    // Taken by this plan, if it goes through.
                    job_settled.insert(ch.job.uri.to_string(), ch.receipt.uri.to_string());
                    if !ops.is_empty() {
                        group_of[i] = Some(groups.len());
                        groups.push(ops);
                    }
                }
                let slices: Vec<&[Op]> = groups.iter().map(Vec::as_slice).collect();
                let mut moved = tx.submit_each(&slices).await?.into_iter().map(Some).collect::<Vec<_>>();

                // Write what went through.
                let mut through = Vec::new();
                for i in 0..plans.len() {
                    if out[i].is_some() {
                        continue;
                    }
                    if let Some(g) = group_of[i]
                        && let Some(Err(e)) = moved[g].take()
                    {
                        out[i] = Some(Err(e.into()));
                        continue;
                    }
                    through.push(i);
                }
                for &i in &through {
                    let ch = &plans[i].charge;
                    if !ch.pro_bono && fresh.contains(&(ch.requester.clone(), ch.nonce.as_str().to_owned())) {
                        insert_authorization(&mut **tx.sqlx(), plans[i]).await?;
                    }
                }
                let charges: Vec<(&Charge, Option<String>)> = through
                    .iter()
                    .filter(|&&i| !plans[i].charge.pro_bono)
                    .map(|&i| (&plans[i].charge, new_holds[i].take()))
                    .collect();
                tx.sqlx().record_charges(&charges).await?;
                let written: Vec<&SettlePlan> = through.iter().map(|&i| plans[i]).collect();
                let rows = tx.sqlx().insert_settlements(&written, attempt).await?;
                if written.iter().any(|p| !p.parts.is_empty()) {
                    (**tx.sqlx()).insert_parts(&written, &rows).await?;
                }
                if written.iter().any(|p| p.evidence.is_some()) {
                    (**tx.sqlx()).insert_verdicts(&written, &rows).await?;
                }
                for (&i, row) in through.iter().zip(rows) {
                    out[i] = Some(Ok(Settled::Created(row)));
                }
                tx.commit().await?;
                Ok(out
                    .into_iter()
                    .map(|r| r.unwrap_or_else(|| Err(StoreError::Corrupt("a plan was left undecided".into()))))
                    .collect())
            }

            /// Locks the authorization rows of `keys` (sorted) and reads
            /// them into `states`.
            async fn lock_authorizations(
                tx: &mut <$ledger as LedgerStore>::Tx,
                keys: &[(&str, &str)],
                states: &mut HashMap<(String, String), AuthorizationState>,
            ) -> Result<(), StoreError> {
                let requesters: Vec<String> = keys.iter().map(|k| k.0.to_owned()).collect();
                let nonces: Vec<String> = keys.iter().map(|k| k.1.to_owned()).collect();
                // Both lists, not the pairs: a row matching a requester of
                // one pair and the nonce of another is locked too, and read
                // but not used.
                let sql = concat!(
                    "SELECT * FROM settlement_authorizations WHERE requester", $in_list,
                    " AND nonce", $in_list2, " ORDER BY requester, nonce", $for_update
                );
                let rows = sqlx::query(sql)
                    .bind($list(&requesters))
                    .bind($list(&nonces))
                    .fetch_all(&mut **tx.sqlx())
                    .await?;
                for r in &rows {
                    let state = authorization_from_row(r)?;
                    states.insert((state.requester.clone(), state.nonce.clone()), state);
                }
                Ok(())
            }
        }
    };
}

/// A group commit's plans must name distinct receipts and distinct
/// authorizations: each is decided against the state before the group.
fn distinct(plans: &[&SettlePlan]) -> Result<(), StoreError> {
    let mut receipts = std::collections::HashSet::new();
    let mut authorizations = std::collections::HashSet::new();
    for p in plans {
        let ch = &p.charge;
        if !receipts.insert(ch.receipt.uri.as_str())
            || (!ch.pro_bono && !authorizations.insert((ch.requester.as_str(), ch.nonce.as_str())))
        {
            return Err(StoreError::Batch(format!(
                "receipt {} shares its receipt or authorization with another charge of the group",
                ch.receipt.uri
            )));
        }
    }
    Ok(())
}

fn existing_or_conflict(existing: SettlementRow, plan: &SettlePlan) -> Result<Settled, StoreError> {
    if existing.receipt_cid == plan.charge.receipt.cid.to_string() {
        Ok(Settled::Existing(existing))
    } else {
        Err(StoreError::AlreadySettled {
            uri: existing.receipt_uri,
            existing: existing.receipt_cid,
        })
    }
}

charge_path!(
    sqlite,
    ledger::SqliteLedger,
    sqlx::SqlitePool,
    "",
    " IN (SELECT value FROM json_each($1))",
    " IN (SELECT value FROM json_each($2))",
    sqlite_list
);
charge_path!(
    postgres,
    ledger::PgLedger,
    sqlx::PgPool,
    " FOR UPDATE",
    " = ANY($1)",
    " = ANY($2)",
    pg_list
);

impl Store {
    /// Records a charge atomically: consumes the authorization (rule 9),
    /// moves the money, writes the settlement; or, if the receipt is already
    /// settled, returns that settlement (rule 10). A group of one.
    pub async fn settle(&self, plan: &SettlePlan) -> Result<Settled, StoreError> {
        self.attempts(&[plan])
            .await?
            .pop()
            .unwrap_or_else(|| Err(StoreError::Corrupt("a group of one gave no outcome".into())))
    }

    /// Records many charges in one transaction (group commit), each with
    /// its own outcome, as [`Store::settle`] would give it. The plans must
    /// name distinct receipts and distinct authorizations. A database error
    /// is every plan's error.
    pub async fn settle_many(&self, plans: &[&SettlePlan]) -> Vec<Result<Settled, StoreError>> {
        match self.attempts(plans).await {
            Ok(each) => each,
            Err(e) => {
                let message = e.to_string();
                plans
                    .iter()
                    .map(|_| Err(StoreError::Batch(message.clone())))
                    .collect()
            }
        }
    }

    /// The group's transaction, run again on a transient conflict a
    /// bounded number of times.
    async fn attempts(
        &self,
        plans: &[&SettlePlan],
    ) -> Result<Vec<Result<Settled, StoreError>>, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = dispatch!(self, l => sqlite: sqlite::settle_group(l, plans, attempt).await,
                postgres: postgres::settle_group(l, plans, attempt).await);
            match result {
                Err(e) if e.is_retryable() && attempt < ledger::RETRY_LIMIT => {
                    tokio::time::sleep(std::time::Duration::from_millis(2 * attempt as u64)).await;
                }
                other => return other,
            }
        }
    }
}
