//! The rules of the ledger, written once for both backends.
//!
//! A backend supplies [`Conn`]: a handful of plain reads and writes on one
//! connection already inside a transaction. Everything that decides (limits,
//! currencies, holds, idempotency, arithmetic) lives here. An operation runs
//! in three phases: read (and lock, in sorted account order), decide in
//! memory, write. Every domain error is raised before the first write, so a
//! failed call leaves the caller's transaction as it found it.

use crate::error::{Error, Result};
use crate::types::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

/// An account row with its running totals. The `*_pending` totals include
/// holds that have expired but not been swept yet; `expired_*` say how much
/// of each that is, so effective pending = pending - expired.
#[derive(Clone, Debug)]
pub(crate) struct AccountRow {
    pub account: Account,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
    pub expired_debits_pending: i64,
    pub expired_credits_pending: i64,
}

impl AccountRow {
    pub(crate) fn balance(&self, now_us: i64) -> Balance {
        Balance::new(
            self.account.flags,
            self.debits_posted,
            self.credits_posted,
            self.debits_pending - self.expired_debits_pending,
            self.credits_pending - self.expired_credits_pending,
            now_us,
        )
    }
}

/// The primitive queries a backend provides. Ids passed to
/// `lock_accounts` are sorted and distinct; the backend locks them in that
/// order (PostgreSQL) or already holds the database's write lock (SQLite).
pub(crate) trait Conn: Send {
    fn find_transfers(&mut self, ids: &[Id]) -> impl Future<Output = Result<Vec<Transfer>>> + Send;
    fn find_holds(&mut self, ids: &[Id]) -> impl Future<Output = Result<Vec<Hold>>> + Send;
    fn lock_accounts(
        &mut self,
        ids: &[Id],
        now_us: i64,
    ) -> impl Future<Output = Result<Vec<AccountRow>>> + Send;
    fn get_account(
        &mut self,
        id: &Id,
        now_us: i64,
    ) -> impl Future<Output = Result<Option<AccountRow>>> + Send;
    /// The rows of those of `ids` that exist (sorted and distinct ids).
    fn get_accounts(
        &mut self,
        ids: &[Id],
        now_us: i64,
    ) -> impl Future<Output = Result<Vec<AccountRow>>> + Send;
    fn insert_account(&mut self, account: &Account) -> impl Future<Output = Result<()>> + Send;
    /// Inserts the transfers in order and returns their `seq`s.
    fn insert_transfers(
        &mut self,
        transfers: &[Transfer],
    ) -> impl Future<Output = Result<Vec<i64>>> + Send;
    fn insert_holds(&mut self, holds: &[Hold]) -> impl Future<Output = Result<()>> + Send;
    fn resolve_holds(&mut self, holds: &[Hold]) -> impl Future<Output = Result<()>> + Send;
    fn update_balances(&mut self, rows: &[AccountRow]) -> impl Future<Output = Result<()>> + Send;
    fn expired_hold_ids(
        &mut self,
        now_us: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Id>>> + Send;
    /// (debits_posted, credits_posted, debits_pending, credits_pending) as
    /// of `at_us`, from the transfer history alone.
    fn history_totals(
        &mut self,
        id: &Id,
        at_us: i64,
    ) -> impl Future<Output = Result<[i64; 4]>> + Send;
    fn statement(
        &mut self,
        id: &Id,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Transfer>>> + Send;
    fn by_reference(
        &mut self,
        reference: &Reference,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Transfer>>> + Send;
}

pub(crate) async fn create_account<C: Conn>(
    c: &mut C,
    now_us: i64,
    new: &NewAccount,
) -> Result<Account> {
    AccountFlags::from_bits(new.flags.bits())?;
    if let Some(row) = c.get_account(&new.id, now_us).await? {
        let a = row.account;
        let same = a.currency == new.currency
            && a.kind == new.kind
            && a.owner == new.owner
            && a.flags == new.flags;
        return if same {
            Ok(a)
        } else {
            Err(Error::AccountExists {
                account: new.id.to_string(),
            })
        };
    }
    let account = Account {
        id: new.id.clone(),
        currency: new.currency.clone(),
        kind: new.kind.clone(),
        owner: new.owner.clone(),
        flags: new.flags,
        created_at_us: now_us,
    };
    c.insert_account(&account).await?;
    Ok(account)
}

/// Opens many accounts: one read of those that exist, one insert per
/// missing one. Each account has its own result, as
/// [`create_account`] would give it.
pub(crate) async fn create_accounts<C: Conn>(
    c: &mut C,
    now_us: i64,
    news: &[NewAccount],
) -> Result<Vec<Result<Account>>> {
    let mut ids: Vec<Id> = news.iter().map(|n| n.id.clone()).collect();
    ids.sort();
    ids.dedup();
    let mut found: HashMap<Id, Account> = c
        .get_accounts(&ids, now_us)
        .await?
        .into_iter()
        .map(|r| (r.account.id.clone(), r.account))
        .collect();
    let mut out = Vec::with_capacity(news.len());
    for new in news {
        if let Err(e) = AccountFlags::from_bits(new.flags.bits()) {
            out.push(Err(e));
            continue;
        }
        if let Some(a) = found.get(&new.id) {
            let same = a.currency == new.currency
                && a.kind == new.kind
                && a.owner == new.owner
                && a.flags == new.flags;
            out.push(if same {
                Ok(a.clone())
            } else {
                Err(Error::AccountExists {
                    account: new.id.to_string(),
                })
            });
            continue;
        }
        let account = Account {
            id: new.id.clone(),
            currency: new.currency.clone(),
            kind: new.kind.clone(),
            owner: new.owner.clone(),
            flags: new.flags,
            created_at_us: now_us,
        };
        c.insert_account(&account).await?;
        found.insert(account.id.clone(), account.clone());
        out.push(Ok(account));
    }
    Ok(out)
}

pub(crate) async fn account<C: Conn>(c: &mut C, id: &Id, now_us: i64) -> Result<Account> {
    Ok(get_row(c, id, now_us).await?.account)
}

pub(crate) async fn balance<C: Conn>(c: &mut C, id: &Id, now_us: i64) -> Result<Balance> {
    Ok(get_row(c, id, now_us).await?.balance(now_us))
}

async fn get_row<C: Conn>(c: &mut C, id: &Id, now_us: i64) -> Result<AccountRow> {
    c.get_account(id, now_us)
        .await?
        .ok_or_else(|| Error::AccountNotFound {
            account: id.to_string(),
        })
}

pub(crate) async fn balance_at<C: Conn>(c: &mut C, id: &Id, at_us: i64) -> Result<Balance> {
    let row = get_row(c, id, at_us).await?;
    let [dp, cp, dpend, cpend] = c.history_totals(id, at_us).await?;
    Ok(Balance::new(row.account.flags, dp, cp, dpend, cpend, at_us))
}

pub(crate) async fn statement<C: Conn>(c: &mut C, id: &Id, page: Page) -> Result<TransferPage> {
    let (after, limit) = page.checked()?;
    get_row(c, id, 0).await?;
    let transfers = c.statement(id, after, limit).await?;
    Ok(paged(transfers, limit))
}

pub(crate) async fn by_reference<C: Conn>(
    c: &mut C,
    reference: &Reference,
    page: Page,
) -> Result<TransferPage> {
    let (after, limit) = page.checked()?;
    let transfers = c.by_reference(reference, after, limit).await?;
    Ok(paged(transfers, limit))
}

fn paged(transfers: Vec<Transfer>, limit: i64) -> TransferPage {
    let full = transfers.len() as i64 == limit;
    let next = if full {
        transfers.last().map(|t| Cursor(t.seq))
    } else {
        None
    };
    TransferPage { transfers, next }
}

/// Checked arithmetic on a running total, naming the account on overflow.
fn add(total: &mut i64, delta: i64, account: &Id, transfer: &Id) -> Result<()> {
    *total = total.checked_add(delta).ok_or_else(|| Error::Overflow {
        account: account.to_string(),
        transfer: transfer.to_string(),
    })?;
    // Totals only ever hold sums of positive amounts.
    if *total < 0 {
        return Err(Error::Overflow {
            account: account.to_string(),
            transfer: transfer.to_string(),
        });
    }
    Ok(())
}

/// An overflow on the side of an account its limit bounds is that limit
/// crossed: the other side holds at most 2^63 - 1, so a sum beyond it can
/// never be covered. Other errors pass through.
fn as_limit(e: Error, flags: AccountFlags, debit_side: bool) -> Error {
    match e {
        Error::Overflow { account, transfer }
            if debit_side && flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS) =>
        {
            Error::InsufficientFunds { account, transfer }
        }
        Error::Overflow { account, transfer }
            if !debit_side && flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS) =>
        {
            Error::CreditLimitExceeded { account, transfer }
        }
        other => other,
    }
}

fn check_limits(row: &AccountRow, transfer: &Id) -> Result<()> {
    let flags = row.account.flags;
    let account = || row.account.id.to_string();
    let overflow = || Error::Overflow {
        account: account(),
        transfer: transfer.to_string(),
    };
    if flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS) {
        let pending = row.debits_pending - row.expired_debits_pending;
        let debits = row
            .debits_posted
            .checked_add(pending)
            .ok_or_else(|| as_limit(overflow(), flags, true))?;
        if debits > row.credits_posted {
            return Err(Error::InsufficientFunds {
                account: account(),
                transfer: transfer.to_string(),
            });
        }
    }
    if flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS) {
        let pending = row.credits_pending - row.expired_credits_pending;
        let credits = row
            .credits_posted
            .checked_add(pending)
            .ok_or_else(|| as_limit(overflow(), flags, false))?;
        if credits > row.debits_posted {
            return Err(Error::CreditLimitExceeded {
                account: account(),
                transfer: transfer.to_string(),
            });
        }
    }
    Ok(())
}

fn check_currency(row: &AccountRow, currency: &Currency, transfer: &Id) -> Result<()> {
    if &row.account.currency != currency {
        return Err(Error::CurrencyMismatch {
            transfer: transfer.to_string(),
            account: row.account.id.to_string(),
            account_currency: row.account.currency.to_string(),
            currency: currency.to_string(),
        });
    }
    Ok(())
}

/// Checks that need no database: amounts, distinct accounts, expiry.
fn validate(op: &Op) -> Result<()> {
    let (id, debit, credit, amount) = match op {
        Op::Transfer(t) => (&t.id, &t.debit_account, &t.credit_account, t.amount_minor),
        // Expiry is checked only for new holds: a replay may come later.
        Op::Hold(h) => (&h.id, &h.debit_account, &h.credit_account, h.amount_minor),
        Op::Post(p) => {
            if let Some(a) = p.amount_minor
                && a <= 0
            {
                return Err(Error::InvalidAmount {
                    transfer: p.id.to_string(),
                    amount_minor: a,
                });
            }
            return Ok(());
        }
        Op::Void(_) => return Ok(()),
    };
    if amount <= 0 {
        return Err(Error::InvalidAmount {
            transfer: id.to_string(),
            amount_minor: amount,
        });
    }
    if debit == credit {
        return Err(Error::SameAccount {
            transfer: id.to_string(),
        });
    }
    Ok(())
}

/// Whether a recorded transfer is what `op` asks for (idempotent replay).
/// `hold_amount` is the amount of the hold a `Post` names, if known.
fn same_content(op: &Op, t: &Transfer, hold_amount: Option<i64>) -> bool {
    match op {
        Op::Transfer(n) => {
            t.kind == TransferKind::Posted
                && t.debit_account == n.debit_account
                && t.credit_account == n.credit_account
                && t.amount_minor == n.amount_minor
                && t.currency == n.currency
                && t.code == n.code
                && t.reference == n.reference
        }
        Op::Hold(n) => {
            t.kind == TransferKind::Pending
                && t.debit_account == n.debit_account
                && t.credit_account == n.credit_account
                && t.amount_minor == n.amount_minor
                && t.currency == n.currency
                && t.code == n.code
                && t.reference == n.reference
                && t.expires_at_us == Some(n.expires_at_us)
        }
        Op::Post(p) => {
            let amount_same = match p.amount_minor {
                Some(a) => a == t.amount_minor,
                None => hold_amount == Some(t.amount_minor),
            };
            t.kind == TransferKind::Post
                && t.pending_id.as_ref() == Some(&p.hold_id)
                && amount_same
                && t.code == p.code
                && t.reference == p.reference
        }
        Op::Void(v) => {
            t.kind == TransferKind::Void
                && t.pending_id.as_ref() == Some(&v.hold_id)
                && t.code == v.code
                && t.reference == v.reference
        }
    }
}

fn hold_id(op: &Op) -> Option<&Id> {
    match op {
        Op::Post(p) => Some(&p.hold_id),
        Op::Void(v) => Some(&v.hold_id),
        _ => None,
    }
}

/// The accounts `ops` change, two per operation in order: none for a
/// replay; a post's or void's are its hold's, from `holds` or from a hold
/// made earlier in `ops`. A post or void whose hold is in neither is
/// `hold-not-found` when `strict`, and skipped otherwise (its batch fails
/// when it is decided).
fn accounts_changed<'a>(
    ops: impl Iterator<Item = &'a Op>,
    is_replay: impl Fn(&Id) -> bool,
    holds: &'a HashMap<Id, Hold>,
    strict: bool,
) -> Result<Vec<&'a Id>> {
    let mut made: HashMap<&Id, (&Id, &Id)> = HashMap::new();
    let mut out = Vec::new();
    for op in ops {
        let replay = is_replay(op.id());
        match op {
            Op::Transfer(t) if !replay => out.extend([&t.debit_account, &t.credit_account]),
            Op::Hold(h) => {
                made.insert(&h.id, (&h.debit_account, &h.credit_account));
                if !replay {
                    out.extend([&h.debit_account, &h.credit_account]);
                }
            }
            Op::Post(_) | Op::Void(_) if !replay => {
                let hid = hold_id(op).expect("post and void name a hold");
                if let Some(h) = holds.get(hid) {
                    out.extend([&h.debit_account, &h.credit_account]);
                } else if let Some((d, cr)) = made.get(hid) {
                    out.extend([*d, *cr]);
                } else if strict {
                    return Err(Error::HoldNotFound {
                        hold: hid.to_string(),
                        transfer: op.id().to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Applies a batch atomically: all operations or, on any error, none.
pub(crate) async fn submit<C: Conn>(c: &mut C, now_us: i64, ops: &[Op]) -> Result<Vec<Submitted>> {
    check_batch(ops)?;
    let mut state = Prepared::read(c, now_us, std::slice::from_ref(&ops)).await?;
    let mut results = state.decide(ops)?;
    let seqs = state.write(c).await?;
    number(&mut results, &seqs);
    Ok(results)
}

/// Applies several batches in one transaction, each all-or-nothing on its
/// own: a batch that fails leaves no trace and does not stop the others.
/// The batches are decided in order, each against the balances the
/// earlier successful ones left; every account any of them changes is
/// locked once, up front, in id order, and everything is written at the
/// end in one pass. The outer error is a database error (nothing written;
/// roll back).
pub(crate) async fn submit_each<C: Conn>(
    c: &mut C,
    now_us: i64,
    batches: &[&[Op]],
) -> Result<Vec<Result<Vec<Submitted>>>> {
    let valid: Vec<&[Op]> = batches
        .iter()
        .copied()
        .filter(|ops| check_batch(ops).is_ok())
        .collect();
    let mut state = Prepared::read(c, now_us, &valid).await?;
    let mut results: Vec<Result<Vec<Submitted>>> = batches
        .iter()
        .map(|ops| check_batch(ops).and_then(|()| state.decide(ops)))
        .collect();
    let seqs = state.write(c).await?;
    for r in results.iter_mut().flatten() {
        number(r, &seqs);
    }
    Ok(results)
}

/// Gives the transfers written now their `seq`s (a replay inside the batch
/// that first wrote the transfer shares it).
fn number(results: &mut [Submitted], seqs: &HashMap<Id, i64>) {
    for r in results.iter_mut().filter(|r| !r.replayed) {
        if let Some(seq) = seqs.get(&r.transfer.id) {
            r.transfer.seq = *seq;
        }
    }
}

fn check_batch(ops: &[Op]) -> Result<()> {
    if ops.is_empty() || ops.len() > BATCH_MAX {
        return Err(Error::InvalidBatch {
            len: ops.len(),
            max: BATCH_MAX,
        });
    }
    for op in ops {
        validate(op)?;
    }
    Ok(())
}

/// What the batches read and locked, and what the successful ones decided
/// so far.
struct Prepared {
    now_us: i64,
    /// Transfers already recorded, by id (replays).
    existing: HashMap<Id, Transfer>,
    holds: HashMap<Id, Hold>,
    /// The locked accounts, with their totals as decided so far.
    accounts: BTreeMap<Id, AccountRow>,
    new_transfers: Vec<Transfer>,
    new_by_id: HashMap<Id, usize>,
    new_holds: Vec<Id>,
    resolved: Vec<Id>,
    touched: BTreeSet<Id>,
}

impl Prepared {
    /// Phase 1, read. Recorded transfers are immutable, so replays need no
    /// lock; a concurrent first write of the same id loses on the unique
    /// key and the whole transaction is retried. A hold or account that
    /// cannot be found is not an error here: the batch naming it fails
    /// when it is decided.
    async fn read<C: Conn>(c: &mut C, now_us: i64, batches: &[&[Op]]) -> Result<Prepared> {
        let all = || batches.iter().flat_map(|ops| ops.iter());
        let ids: Vec<Id> = all().map(|op| op.id().clone()).collect();
        let existing: HashMap<Id, Transfer> = c
            .find_transfers(&ids)
            .await?
            .into_iter()
            .map(|t| (t.id.clone(), t))
            .collect();
        let hold_ids: Vec<Id> = all().filter_map(hold_id).cloned().collect();
        // A hold's accounts never change: safe to learn them before locking.
        let mut holds: HashMap<Id, Hold> = HashMap::new();
        if !hold_ids.is_empty() {
            for h in c.find_holds(&hold_ids).await? {
                holds.insert(h.id.clone(), h);
            }
        }
        let lock_set: BTreeSet<Id> =
            accounts_changed(all(), |id| existing.contains_key(id), &holds, false)?
                .into_iter()
                .cloned()
                .collect();
        let lock_list: Vec<Id> = lock_set.into_iter().collect();
        let mut accounts: BTreeMap<Id, AccountRow> = BTreeMap::new();
        if !lock_list.is_empty() {
            for row in c.lock_accounts(&lock_list, now_us).await? {
                accounts.insert(row.account.id.clone(), row);
            }
            // Hold states may have changed while we waited for the locks;
            // every change to a hold happens under its accounts' locks, so
            // this read is final.
            if !hold_ids.is_empty() {
                for h in c.find_holds(&hold_ids).await? {
                    holds.insert(h.id.clone(), h);
                }
            }
        }
        Ok(Prepared {
            now_us,
            existing,
            holds,
            accounts,
            new_transfers: Vec::new(),
            new_by_id: HashMap::new(),
            new_holds: Vec::new(),
            resolved: Vec::new(),
            touched: BTreeSet::new(),
        })
    }

    /// Phase 2 for one batch: decide it in memory against the state the
    /// earlier batches left. On error, the state is as it was before.
    fn decide(&mut self, ops: &[Op]) -> Result<Vec<Submitted>> {
        // The accounts and holds this batch may change, to restore them.
        let mut hold_ids: Vec<Id> = Vec::new();
        let mut account_ids: BTreeSet<Id> = BTreeSet::new();
        for op in ops {
            match op {
                Op::Transfer(t) => {
                    account_ids.insert(t.debit_account.clone());
                    account_ids.insert(t.credit_account.clone());
                }
                Op::Hold(h) => {
                    hold_ids.push(h.id.clone());
                    account_ids.insert(h.debit_account.clone());
                    account_ids.insert(h.credit_account.clone());
                }
                Op::Post(_) | Op::Void(_) => {
                    let hid = hold_id(op).expect("post and void name a hold");
                    hold_ids.push(hid.clone());
                    if let Some(h) = self.holds.get(hid) {
                        account_ids.insert(h.debit_account.clone());
                        account_ids.insert(h.credit_account.clone());
                    }
                }
            }
        }
        let saved_accounts: Vec<(Id, AccountRow)> = account_ids
            .iter()
            .filter_map(|id| self.accounts.get(id).map(|r| (id.clone(), r.clone())))
            .collect();
        let saved_holds: Vec<(Id, Option<Hold>)> = hold_ids
            .iter()
            .map(|id| (id.clone(), self.holds.get(id).cloned()))
            .collect();
        let marks = (
            self.new_transfers.len(),
            self.new_holds.len(),
            self.resolved.len(),
        );
        let mut touched = BTreeSet::new();
        match self.decide_ops(ops, &mut touched) {
            Ok(results) => {
                self.touched.extend(touched);
                Ok(results)
            }
            Err(e) => {
                for (id, row) in saved_accounts {
                    self.accounts.insert(id, row);
                }
                for (id, hold) in saved_holds {
                    match hold {
                        Some(h) => self.holds.insert(id, h),
                        None => self.holds.remove(&id),
                    };
                }
                for t in self.new_transfers.drain(marks.0..) {
                    self.new_by_id.remove(&t.id);
                }
                self.new_holds.truncate(marks.1);
                self.resolved.truncate(marks.2);
                Err(e)
            }
        }
    }

    /// The account rows a batch needs, checked to be locked, in the order
    /// the batch's operations name them.
    fn check_locked(&self, ops: &[Op]) -> Result<()> {
        let is_replay = |id: &Id| self.existing.contains_key(id) || self.new_by_id.contains_key(id);
        let needed = accounts_changed(ops.iter(), is_replay, &self.holds, true)?;
        let mut sorted: Vec<&Id> = needed;
        sorted.sort();
        match sorted
            .into_iter()
            .find(|id| !self.accounts.contains_key(*id))
        {
            Some(missing) => Err(Error::AccountNotFound {
                account: missing.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn decide_ops(&mut self, ops: &[Op], touched: &mut BTreeSet<Id>) -> Result<Vec<Submitted>> {
        self.check_locked(ops)?;
        let now_us = self.now_us;
        let Prepared {
            existing,
            holds,
            accounts,
            new_transfers,
            new_by_id,
            new_holds,
            resolved,
            ..
        } = self;
        let mut results: Vec<Submitted> = Vec::with_capacity(ops.len());
        for op in ops {
            let id = op.id();
            let prior = existing
                .get(id)
                .or_else(|| new_by_id.get(id).map(|&i| &new_transfers[i]));
            if let Some(prior) = prior {
                let hold_amount = hold_id(op)
                    .and_then(|h| holds.get(h))
                    .map(|h| h.amount_minor);
                if !same_content(op, prior, hold_amount) {
                    return Err(Error::IdempotencyConflict {
                        transfer: id.to_string(),
                    });
                }
                // A replay inside the batch that first wrote it is reported
                // as new, like the first occurrence.
                let replayed = existing.contains_key(id);
                results.push(Submitted {
                    transfer: prior.clone(),
                    replayed,
                });
                continue;
            }
            let transfer = match op {
                Op::Transfer(t) => {
                    for acc in [&t.debit_account, &t.credit_account] {
                        check_currency(&accounts[acc], &t.currency, id)?;
                    }
                    let d = accounts.get_mut(&t.debit_account).expect("locked");
                    let flags = d.account.flags;
                    add(&mut d.debits_posted, t.amount_minor, &t.debit_account, id)
                        .map_err(|e| as_limit(e, flags, true))?;
                    check_limits(d, id)?;
                    let cr = accounts.get_mut(&t.credit_account).expect("locked");
                    let flags = cr.account.flags;
                    add(
                        &mut cr.credits_posted,
                        t.amount_minor,
                        &t.credit_account,
                        id,
                    )
                    .map_err(|e| as_limit(e, flags, false))?;
                    check_limits(cr, id)?;
                    Transfer {
                        seq: 0,
                        id: id.clone(),
                        kind: TransferKind::Posted,
                        debit_account: t.debit_account.clone(),
                        credit_account: t.credit_account.clone(),
                        amount_minor: t.amount_minor,
                        currency: t.currency.clone(),
                        code: t.code.clone(),
                        reference: t.reference.clone(),
                        pending_id: None,
                        expires_at_us: None,
                        timestamp_us: now_us,
                    }
                }
                Op::Hold(h) => {
                    if h.expires_at_us <= now_us {
                        return Err(Error::InvalidExpiry {
                            transfer: h.id.to_string(),
                            expires_at_us: h.expires_at_us,
                            now_us,
                        });
                    }
                    for acc in [&h.debit_account, &h.credit_account] {
                        check_currency(&accounts[acc], &h.currency, id)?;
                    }
                    let d = accounts.get_mut(&h.debit_account).expect("locked");
                    let flags = d.account.flags;
                    add(&mut d.debits_pending, h.amount_minor, &h.debit_account, id)
                        .map_err(|e| as_limit(e, flags, true))?;
                    check_limits(d, id)?;
                    let cr = accounts.get_mut(&h.credit_account).expect("locked");
                    let flags = cr.account.flags;
                    add(
                        &mut cr.credits_pending,
                        h.amount_minor,
                        &h.credit_account,
                        id,
                    )
                    .map_err(|e| as_limit(e, flags, false))?;
                    check_limits(cr, id)?;
                    holds.insert(
                        id.clone(),
                        Hold {
                            id: id.clone(),
                            debit_account: h.debit_account.clone(),
                            credit_account: h.credit_account.clone(),
                            amount_minor: h.amount_minor,
                            currency: h.currency.clone(),
                            expires_at_us: h.expires_at_us,
                            state: HoldState::Pending,
                            resolved_by: None,
                        },
                    );
                    new_holds.push(id.clone());
                    Transfer {
                        seq: 0,
                        id: id.clone(),
                        kind: TransferKind::Pending,
                        debit_account: h.debit_account.clone(),
                        credit_account: h.credit_account.clone(),
                        amount_minor: h.amount_minor,
                        currency: h.currency.clone(),
                        code: h.code.clone(),
                        reference: h.reference.clone(),
                        pending_id: None,
                        expires_at_us: Some(h.expires_at_us),
                        timestamp_us: now_us,
                    }
                }
                Op::Post(_) | Op::Void(_) => {
                    let hid = hold_id(op).expect("post and void name a hold");
                    let hold = holds.get_mut(hid).ok_or_else(|| Error::HoldNotFound {
                        hold: hid.to_string(),
                        transfer: id.to_string(),
                    })?;
                    match hold.state {
                        HoldState::Pending => {}
                        HoldState::Expired => {
                            return Err(Error::HoldExpired {
                                hold: hid.to_string(),
                                transfer: id.to_string(),
                            });
                        }
                        HoldState::Posted | HoldState::Voided => {
                            return Err(Error::HoldAlreadyResolved {
                                hold: hid.to_string(),
                                transfer: id.to_string(),
                            });
                        }
                    }
                    if hold.expires_at_us <= now_us {
                        return Err(Error::HoldExpired {
                            hold: hid.to_string(),
                            transfer: id.to_string(),
                        });
                    }
                    let (kind, code, reference, posted) = match op {
                        Op::Post(p) => {
                            let amount = p.amount_minor.unwrap_or(hold.amount_minor);
                            if amount > hold.amount_minor {
                                return Err(Error::PostExceedsHold {
                                    transfer: id.to_string(),
                                    hold: hid.to_string(),
                                    amount_minor: amount,
                                    hold_amount_minor: hold.amount_minor,
                                });
                            }
                            (TransferKind::Post, &p.code, &p.reference, amount)
                        }
                        Op::Void(v) => (TransferKind::Void, &v.code, &v.reference, 0),
                        _ => unreachable!("matched above"),
                    };
                    let d = accounts.get_mut(&hold.debit_account).expect("locked");
                    add(
                        &mut d.debits_pending,
                        -hold.amount_minor,
                        &hold.debit_account,
                        id,
                    )?;
                    add(&mut d.debits_posted, posted, &hold.debit_account, id)?;
                    check_limits(d, id)?;
                    let cr = accounts.get_mut(&hold.credit_account).expect("locked");
                    add(
                        &mut cr.credits_pending,
                        -hold.amount_minor,
                        &hold.credit_account,
                        id,
                    )?;
                    add(&mut cr.credits_posted, posted, &hold.credit_account, id)?;
                    check_limits(cr, id)?;
                    hold.state = if kind == TransferKind::Post {
                        HoldState::Posted
                    } else {
                        HoldState::Voided
                    };
                    hold.resolved_by = Some(id.clone());
                    resolved.push(hid.clone());
                    Transfer {
                        seq: 0,
                        id: id.clone(),
                        kind,
                        debit_account: hold.debit_account.clone(),
                        credit_account: hold.credit_account.clone(),
                        amount_minor: if kind == TransferKind::Post {
                            posted
                        } else {
                            hold.amount_minor
                        },
                        currency: hold.currency.clone(),
                        code: code.clone(),
                        reference: reference.clone(),
                        pending_id: Some(hid.clone()),
                        expires_at_us: None,
                        timestamp_us: now_us,
                    }
                }
            };
            touched.insert(transfer.debit_account.clone());
            touched.insert(transfer.credit_account.clone());
            new_by_id.insert(id.clone(), new_transfers.len());
            new_transfers.push(transfer.clone());
            results.push(Submitted {
                transfer,
                replayed: false,
            });
        }
        Ok(results)
    }

    /// Phase 3, write everything the successful batches decided. Only
    /// database errors can happen here.
    async fn write<C: Conn>(mut self, c: &mut C) -> Result<HashMap<Id, i64>> {
        if self.new_transfers.is_empty() {
            return Ok(HashMap::new());
        }
        let seqs = c.insert_transfers(&self.new_transfers).await?;
        assert_eq!(
            seqs.len(),
            self.new_transfers.len(),
            "one seq per inserted transfer"
        );
        for (t, seq) in self.new_transfers.iter_mut().zip(seqs) {
            t.seq = seq;
        }
        let inserted: Vec<Hold> = self
            .new_holds
            .iter()
            .map(|h| self.holds[h].clone())
            .collect();
        // A hold created and resolved in the same batch is inserted in its
        // final state.
        let fresh: BTreeSet<&Id> = self.new_holds.iter().collect();
        let later: Vec<&Id> = self
            .resolved
            .iter()
            .filter(|h| !fresh.contains(h))
            .collect();
        if !inserted.is_empty() {
            c.insert_holds(&inserted).await?;
        }
        let resolved_rows: Vec<Hold> = later.iter().map(|h| self.holds[*h].clone()).collect();
        if !resolved_rows.is_empty() {
            c.resolve_holds(&resolved_rows).await?;
        }
        let rows: Vec<AccountRow> = self
            .touched
            .iter()
            .map(|id| self.accounts[id].clone())
            .collect();
        c.update_balances(&rows).await?;
        Ok(self
            .new_transfers
            .into_iter()
            .map(|t| (t.id, t.seq))
            .collect())
    }
}

/// Records the release of up to `limit` holds that expired at or before
/// `now_us`. Returns how many were released. Expired holds already count as
/// released in balances; this makes the release explicit in the history.
pub(crate) async fn expire_holds<C: Conn>(c: &mut C, now_us: i64, limit: u32) -> Result<usize> {
    let limit = i64::from(limit.clamp(1, BATCH_MAX as u32));
    let ids = c.expired_hold_ids(now_us, limit).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let holds = c.find_holds(&ids).await?;
    let lock_set: BTreeSet<Id> = holds
        .iter()
        .flat_map(|h| [h.debit_account.clone(), h.credit_account.clone()])
        .collect();
    let lock_list: Vec<Id> = lock_set.into_iter().collect();
    let mut accounts: BTreeMap<Id, AccountRow> = c
        .lock_accounts(&lock_list, now_us)
        .await?
        .into_iter()
        .map(|r| (r.account.id.clone(), r))
        .collect();
    // Re-read under the locks: a post or void may have won the race.
    let holds: Vec<Hold> = c
        .find_holds(&ids)
        .await?
        .into_iter()
        .filter(|h| h.state == HoldState::Pending && h.expires_at_us <= now_us)
        .collect();
    let mut transfers = Vec::with_capacity(holds.len());
    let mut resolved = Vec::with_capacity(holds.len());
    for h in holds {
        let tid = Id::expiry_of(&h.id);
        let d = accounts.get_mut(&h.debit_account).expect("locked");
        add(
            &mut d.debits_pending,
            -h.amount_minor,
            &h.debit_account,
            &tid,
        )?;
        let cr = accounts.get_mut(&h.credit_account).expect("locked");
        add(
            &mut cr.credits_pending,
            -h.amount_minor,
            &h.credit_account,
            &tid,
        )?;
        transfers.push(Transfer {
            seq: 0,
            id: tid.clone(),
            kind: TransferKind::Expire,
            debit_account: h.debit_account.clone(),
            credit_account: h.credit_account.clone(),
            amount_minor: h.amount_minor,
            currency: h.currency.clone(),
            code: Code::trusted("expired".to_owned()),
            reference: None,
            pending_id: Some(h.id.clone()),
            expires_at_us: None,
            timestamp_us: now_us,
        });
        resolved.push(Hold {
            state: HoldState::Expired,
            resolved_by: Some(tid),
            ..h
        });
    }
    if transfers.is_empty() {
        return Ok(0);
    }
    c.insert_transfers(&transfers).await?;
    c.resolve_holds(&resolved).await?;
    let rows: Vec<AccountRow> = accounts.into_values().collect();
    c.update_balances(&rows).await?;
    Ok(transfers.len())
}
