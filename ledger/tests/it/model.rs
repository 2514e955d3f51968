//! Property test: random operation sequences against the store and a small
//! in-memory model of the rules, compared after every step.

use crate::harness::*;
use ledger::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Accounts of one case: world (unlimited), two users (no overdraft), a
/// treasury (credits never exceed debits), and one in another currency.
const ACCOUNTS: [(&str, &str, u32); 5] = [
    ("w", "USD", 0),
    ("a", "USD", 1),
    ("b", "USD", 1),
    ("t", "USD", 2),
    ("e", "EUR", 0),
];

#[derive(Clone, Debug)]
enum Simple {
    Transfer {
        from: usize,
        to: usize,
        amount: i64,
    },
    Hold {
        from: usize,
        to: usize,
        amount: i64,
        ttl_us: i64,
    },
    Post {
        hold: usize,
        amount: Option<i64>,
    },
    Void {
        hold: usize,
    },
}

#[derive(Clone, Debug)]
enum Step {
    One(Simple),
    Batch(Vec<Simple>),
    Replay(usize),
    Conflict(usize),
    Advance(i64),
    Sweep,
}

fn simple() -> impl Strategy<Value = Simple> {
    prop_oneof![
        4 => (0..5usize, 0..5usize, 1..150i64).prop_map(|(from, to, amount)| Simple::Transfer { from, to, amount }),
        3 => (0..5usize, 0..5usize, 1..150i64, 1..60i64)
            .prop_map(|(from, to, amount, ttl_us)| Simple::Hold { from, to, amount, ttl_us }),
        2 => (0..8usize, prop::option::of(1..160i64)).prop_map(|(hold, amount)| Simple::Post { hold, amount }),
        1 => (0..8usize).prop_map(|hold| Simple::Void { hold }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => simple().prop_map(Step::One),
        2 => prop::collection::vec(simple(), 2..4).prop_map(Step::Batch),
        2 => (0..64usize).prop_map(Step::Replay),
        1 => (0..64usize).prop_map(Step::Conflict),
        2 => (1..30i64).prop_map(Step::Advance),
        1 => Just(Step::Sweep),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum MState {
    Pending,
    Resolved,
    Swept,
}

#[derive(Clone, Debug)]
struct MHold {
    debit: usize,
    credit: usize,
    amount: i64,
    expires_at: i64,
    state: MState,
}

#[derive(Clone, Debug, Default)]
struct Model {
    posted: [(i64, i64); 5], // (debits, credits)
    holds: BTreeMap<String, MHold>,
    hold_order: Vec<String>,
}

impl Model {
    fn pending(&self, acct: usize, now: i64) -> (i64, i64) {
        let (mut d, mut c) = (0, 0);
        for h in self.holds.values() {
            if h.state == MState::Pending && h.expires_at > now {
                if h.debit == acct {
                    d += h.amount;
                }
                if h.credit == acct {
                    c += h.amount;
                }
            }
        }
        (d, c)
    }

    fn check(&self, acct: usize, now: i64) -> Result<(), &'static str> {
        let (dp, cp) = self.posted[acct];
        let (dpend, cpend) = self.pending(acct, now);
        match ACCOUNTS[acct].2 {
            1 if dp + dpend > cp => Err("insufficient-funds"),
            2 if cp + cpend > dp => Err("credit-limit-exceeded"),
            _ => Ok(()),
        }
    }

    fn hold_id(&self, k: usize, prefix: &str) -> String {
        if self.hold_order.is_empty() {
            format!("{prefix}-nohold")
        } else {
            self.hold_order[k % self.hold_order.len()].clone()
        }
    }

    /// Applies a batch with the ledger's rules and precedence; on error the
    /// model is unchanged.
    fn apply(&mut self, ops: &[(String, Simple)], now: i64) -> Result<(), &'static str> {
        for (_, op) in ops {
            if let Simple::Transfer { from, to, .. } | Simple::Hold { from, to, .. } = op
                && from == to
            {
                return Err("same-account");
            }
        }
        let mut next = self.clone();
        for (id, op) in ops {
            match op {
                Simple::Transfer { from, to, amount }
                | Simple::Hold {
                    from, to, amount, ..
                } => {
                    if *from == 4 || *to == 4 {
                        return Err("currency-mismatch");
                    }
                    let is_hold = matches!(op, Simple::Hold { .. });
                    if is_hold {
                        let Simple::Hold { ttl_us, .. } = op else {
                            unreachable!()
                        };
                        next.holds.insert(
                            id.clone(),
                            MHold {
                                debit: *from,
                                credit: *to,
                                amount: *amount,
                                expires_at: now + ttl_us,
                                state: MState::Pending,
                            },
                        );
                        next.hold_order.push(id.clone());
                    } else {
                        next.posted[*from].0 += amount;
                    }
                    next.check(*from, now)?;
                    if !is_hold {
                        next.posted[*to].1 += amount;
                    }
                    next.check(*to, now)?;
                }
                Simple::Post { .. } | Simple::Void { .. } => unreachable!("resolved by caller"),
            }
        }
        *self = next;
        Ok(())
    }
}

static CASE: AtomicUsize = AtomicUsize::new(0);

async fn run_case<S: LedgerStore>(f: &Fixture<S>, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let s = &f.store;
    let case = CASE.fetch_add(1, Ordering::SeqCst);
    let prefix = format!("c{case}");
    // Start each case in its own stretch of time, with every hold of
    // earlier cases expired and swept, so sweeps count only this case's.
    f.clock.advance(1_000_000_000);
    while s
        .expire_holds(BATCH_MAX as u32)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        > 0
    {}
    let mut accts = Vec::new();
    for (name, cur, flags) in ACCOUNTS {
        accts.push(
            account(
                s,
                &format!("{prefix}-{name}"),
                cur,
                AccountFlags::from_bits(flags).unwrap(),
            )
            .await,
        );
    }
    let cur_of = |i: usize| Currency::new(ACCOUNTS[i].1).unwrap();
    let mut m = Model::default();
    let mut done: Vec<(Op, Transfer)> = Vec::new();
    let mut snapshots: BTreeMap<i64, Vec<(i64, i64, i64, i64)>> = BTreeMap::new();
    let mut n = 0usize;
    for (i, st) in steps.into_iter().enumerate() {
        let now = f.clock.now_us();
        let mut make = |sm: &Simple, m: &Model| -> (String, Op) {
            n += 1;
            let tid = format!("{prefix}-{n}");
            let op = match sm {
                Simple::Transfer { from, to, amount } => {
                    let mut op = transfer(&tid, &accts[*from], &accts[*to], *amount);
                    if let Op::Transfer(t) = &mut op {
                        t.currency = cur_of(*from);
                    }
                    op
                }
                Simple::Hold {
                    from,
                    to,
                    amount,
                    ttl_us,
                } => {
                    let mut op = hold(&tid, &accts[*from], &accts[*to], *amount, now + ttl_us);
                    if let Op::Hold(h) = &mut op {
                        h.currency = cur_of(*from);
                    }
                    op
                }
                Simple::Post { hold, amount } => post(&tid, &m.hold_id(*hold, &prefix), *amount),
                Simple::Void { hold } => void(&tid, &m.hold_id(*hold, &prefix)),
            };
            (tid, op)
        };
        match st {
            Step::One(_) | Step::Batch(_) => {
                let sms: Vec<Simple> = match &st {
                    Step::One(sm) => vec![sm.clone()],
                    Step::Batch(v) => v.clone(),
                    _ => unreachable!(),
                };
                let built: Vec<(String, Op, Simple)> = sms
                    .iter()
                    .map(|sm| {
                        let (t, o) = make(sm, &m);
                        (t, o, sm.clone())
                    })
                    .collect();
                let ops: Vec<Op> = built.iter().map(|(_, o, _)| o.clone()).collect();
                let expected = model_batch(&mut m, &built, now);
                let got = s.submit(&ops).await;
                match (&expected, &got) {
                    (Ok(()), Ok(r)) => {
                        prop_assert_eq!(r.len(), ops.len());
                        for (op, sub) in ops.iter().zip(r) {
                            prop_assert!(!sub.replayed);
                            done.push((op.clone(), sub.transfer.clone()));
                        }
                    }
                    (Err(code), Err(e)) => prop_assert_eq!(*code, e.code(), "step {}: {}", i, e),
                    _ => prop_assert!(false, "step {i}: model {expected:?}, store {got:?}"),
                }
            }
            Step::Replay(k) if !done.is_empty() => {
                let (op, original) = done[k % done.len()].clone();
                let r = s.submit(std::slice::from_ref(&op)).await;
                let r =
                    r.map_err(|e| TestCaseError::fail(format!("step {i}: replay failed: {e}")))?;
                prop_assert!(r[0].replayed);
                prop_assert_eq!(&r[0].transfer, &original);
            }
            Step::Conflict(k) if !done.is_empty() => {
                let (mut op, _) = done[k % done.len()].clone();
                match &mut op {
                    Op::Transfer(t) => t.code = code("other"),
                    Op::Hold(h) => h.code = code("other"),
                    Op::Post(p) => p.code = code("other"),
                    Op::Void(v) => v.code = code("other"),
                }
                let r = s.submit(&[op]).await;
                prop_assert_eq!(
                    r.map(|_| ()).map_err(|e| e.code()),
                    Err("idempotency-conflict")
                );
            }
            Step::Advance(us) => f.clock.advance(us),
            Step::Sweep => {
                let due: Vec<String> = m
                    .holds
                    .iter()
                    .filter(|(_, h)| h.state == MState::Pending && h.expires_at <= now)
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in &due {
                    m.holds.get_mut(k).unwrap().state = MState::Swept;
                }
                let swept = s
                    .expire_holds(BATCH_MAX as u32)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(swept, due.len());
            }
            _ => {}
        }
        // After every step: the store agrees with the model, money is
        // conserved per currency, and no flagged account crossed its limit.
        let now = f.clock.now_us();
        let mut snap = Vec::new();
        let (mut net_posted, mut net_pending) = (0i128, 0i128);
        for (a, acct) in accts.iter().enumerate() {
            let b = s
                .balance(acct)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (dpend, cpend) = m.pending(a, now);
            let got = (
                b.debits_posted,
                b.credits_posted,
                b.debits_pending,
                b.credits_pending,
            );
            prop_assert_eq!(
                got,
                (m.posted[a].0, m.posted[a].1, dpend, cpend),
                "step {}: account {}",
                i,
                acct
            );
            prop_assert!(m.check(a, now).is_ok());
            if ACCOUNTS[a].1 == "USD" {
                net_posted += b.credits_posted as i128 - b.debits_posted as i128;
                net_pending += b.credits_pending as i128 - b.debits_pending as i128;
            }
            snap.push(got);
        }
        prop_assert_eq!(
            (net_posted, net_pending),
            (0, 0),
            "step {}: money not conserved",
            i
        );
        snapshots.insert(now, snap);
        if i % 10 == 9 {
            check_against_entries(s, &accts).await;
        }
    }
    check_against_entries(s, &accts).await;
    // History: the balance as of each past instant is what it was then.
    for (t, snap) in snapshots {
        for (a, acct) in accts.iter().enumerate() {
            let b = s
                .balance_at(acct, t)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got = (
                b.debits_posted,
                b.credits_posted,
                b.debits_pending,
                b.credits_pending,
            );
            prop_assert_eq!(got, snap[a], "balance_at({}) of {}", t, acct);
        }
    }
    Ok(())
}

/// The model's view of one batch, including posts and voids.
fn model_batch(
    m: &mut Model,
    built: &[(String, Op, Simple)],
    now: i64,
) -> Result<(), &'static str> {
    // Validation first, for every operation.
    for (_, _, sm) in built {
        if let Simple::Transfer { from, to, .. } | Simple::Hold { from, to, .. } = sm
            && from == to
        {
            return Err("same-account");
        }
    }
    // Holds must exist (in the store or earlier in the batch).
    let mut batch_holds: Vec<&str> = Vec::new();
    for (id, op, _) in built {
        match op {
            Op::Hold(_) => batch_holds.push(id),
            Op::Post(PostHold { hold_id, .. }) | Op::Void(VoidHold { hold_id, .. })
                if !m.holds.contains_key(hold_id.as_str())
                    && !batch_holds.contains(&hold_id.as_str()) =>
            {
                return Err("hold-not-found");
            }
            _ => {}
        }
    }
    let mut next = m.clone();
    for (id, op, sm) in built {
        match op {
            Op::Transfer(_) | Op::Hold(_) => {
                next.apply(&[(id.clone(), sm.clone())], now)?;
            }
            Op::Post(PostHold { hold_id, .. }) | Op::Void(VoidHold { hold_id, .. }) => {
                let h = next.holds.get(hold_id.as_str()).expect("checked").clone();
                match h.state {
                    MState::Swept => return Err("hold-expired"),
                    MState::Resolved => return Err("hold-already-resolved"),
                    MState::Pending => {}
                }
                if h.expires_at <= now {
                    return Err("hold-expired");
                }
                let posted = match op {
                    Op::Post(p) => {
                        let a = p.amount_minor.unwrap_or(h.amount);
                        if a > h.amount {
                            return Err("post-exceeds-hold");
                        }
                        a
                    }
                    _ => 0,
                };
                next.holds.get_mut(hold_id.as_str()).unwrap().state = MState::Resolved;
                next.posted[h.debit].0 += posted;
                next.posted[h.credit].1 += posted;
            }
        }
    }
    *m = next;
    Ok(())
}

pub fn run<S: LedgerStore>(
    open: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Fixture<S>>>>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fixture = rt.block_on(open());
    let mut runner = TestRunner::new(PtConfig {
        cases: 32,
        max_shrink_iters: 256,
        failure_persistence: None,
        ..PtConfig::default()
    });
    let steps = prop::collection::vec(step(), 1..50);
    let result = runner.run(&steps, |steps| rt.block_on(run_case(&fixture, steps)));
    drop(fixture);
    if let Err(e) = result {
        panic!("{e}");
    }
}
