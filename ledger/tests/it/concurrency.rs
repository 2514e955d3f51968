//! Many tasks hammering the same few accounts at once.

use crate::harness::*;
use ledger::*;
use std::sync::Arc;

pub const TASKS: usize = 32;
pub const OPS_PER_TASK: usize = 30;

/// A tiny deterministic generator: each task's sequence is reproducible.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn allowed(e: &Error) -> bool {
    // invalid-expiry: other tasks move the shared clock between a task
    // reading it and its transaction starting.
    matches!(
        e.code(),
        "insufficient-funds" | "hold-expired" | "invalid-expiry"
    )
}

pub async fn hammer<S: LedgerStore + Clone>(f: &Fixture<S>) {
    let s = &f.store;
    let world = account(s, "world", "USD", AccountFlags::NONE).await;
    let mut accts = vec![world.clone()];
    for name in ["u1", "u2", "u3", "shop"] {
        accts.push(account(s, name, "USD", AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS).await);
    }
    for (i, a) in accts[1..4].iter().enumerate() {
        s.submit(&[transfer(&format!("fund{i}"), &world, a, 500)])
            .await
            .unwrap();
    }
    let accts = Arc::new(accts);
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = s.clone();
        let clock = f.clock.clone();
        let accts = accts.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Lcg(task as u64 + 1);
            let mut my_holds: Vec<String> = Vec::new();
            let mut done: Vec<(Op, Transfer)> = Vec::new();
            let (mut ok, mut refused) = (0usize, 0usize);
            for n in 0..OPS_PER_TASK {
                let tid = format!("k{task}-{n}");
                let pick = |rng: &mut Lcg| accts[1 + rng.next(4) as usize].clone();
                let (from, to) = (pick(&mut rng), pick(&mut rng));
                let amount = 1 + rng.next(60) as i64;
                let ops: Vec<Op> = match rng.next(10) {
                    0 | 1 if from != to => vec![transfer(&tid, &from, &to, amount)],
                    2 if from != to => {
                        // Two tasks race to write the same transfer first.
                        let shared = format!("shared-{}-{n}", task % 16);
                        vec![transfer(&shared, &accts[0], &accts[1 + (task % 16) % 4], 7)]
                    }
                    3 | 4 if from != to => {
                        let expires = clock.now_us() + 5 + rng.next(200) as i64;
                        vec![hold(&tid, &from, &to, amount, expires)]
                    }
                    5 if !my_holds.is_empty() => {
                        let h = my_holds.swap_remove(rng.next(my_holds.len() as u64) as usize);
                        vec![post(&tid, &h, Some(1).filter(|_| n % 2 == 0))]
                    }
                    6 if !my_holds.is_empty() => {
                        let h = my_holds.swap_remove(rng.next(my_holds.len() as u64) as usize);
                        vec![void(&tid, &h)]
                    }
                    7 if !done.is_empty() => {
                        let (op, original) = done[rng.next(done.len() as u64) as usize].clone();
                        let r = store
                            .submit(std::slice::from_ref(&op))
                            .await
                            .expect("replay");
                        assert!(r[0].replayed);
                        assert_eq!(r[0].transfer, original, "replay returns the original");
                        continue;
                    }
                    8 => {
                        clock.advance(3);
                        store.expire_holds(100).await.expect("sweep");
                        continue;
                    }
                    _ if from != to => vec![
                        transfer(&format!("{tid}a"), &from, &to, amount),
                        transfer(&format!("{tid}b"), &to, &from, amount / 2 + 1),
                    ],
                    _ => continue,
                };
                match store.submit(&ops).await {
                    Ok(r) => {
                        ok += 1;
                        for (op, sub) in ops.into_iter().zip(r) {
                            if let Op::Hold(h) = &op {
                                my_holds.push(h.id.to_string());
                            }
                            done.push((op, sub.transfer));
                        }
                    }
                    Err(e) if allowed(&e) => refused += 1,
                    Err(e) => panic!("task {task} op {n}: unexpected {} error: {e}", e.code()),
                }
            }
            (ok, refused)
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        let (o, r) = t.await.expect("task panicked");
        ok += o;
        refused += r;
    }
    assert!(
        ok > TASKS * 5,
        "too few operations succeeded: {ok} ok, {refused} refused"
    );
    // Afterwards: balances equal the sum of entries, no limit was crossed,
    // and money is conserved.
    let balances = check_against_entries(s, &accts).await;
    let net: i128 = balances
        .iter()
        .map(|b| {
            b.credits_posted as i128 - b.debits_posted as i128 + b.credits_pending as i128
                - b.debits_pending as i128
        })
        .sum();
    assert_eq!(net, 0, "money created or destroyed");
    // Each shared id was written once.
    for k in 0..16 {
        for n in 0..OPS_PER_TASK {
            let t = s.transfer(&id(&format!("shared-{k}-{n}"))).await.unwrap();
            if let Some(t) = t {
                assert_eq!(t.amount_minor, 7);
            }
        }
    }
}
