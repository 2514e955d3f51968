//! Group commit: concurrent charges written in one transaction, each with
//! its own outcome, by one writer on a thread of its own.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use crate::authorize::SettlePlan;
use crate::store::{Settled, Store, StoreError};

/// Group commit: charges that arrive while a transaction is being written
/// wait, and the next transaction writes up to `max` of them together, each
/// with its own outcome (see [`Store::settle_many`]). One writer task per
/// service; charges of one authorization (or one receipt) go in separate
/// transactions, in the order they came. `max` 1 writes each charge in its
/// own transaction.
pub struct GroupCommit {
    max: std::sync::atomic::AtomicUsize,
    queue: std::sync::Mutex<Option<tokio::sync::mpsc::Sender<Waiting>>>,
    stats: Arc<GroupStats>,
}

/// What the writer has done so far.
#[derive(Default, Debug)]
pub struct GroupStats {
    /// Charges handed to the writer.
    pub queued: AtomicU64,
    /// Transactions written, and the charges in them.
    pub groups: AtomicU64,
    pub charges: AtomicU64,
    /// Most charges in one transaction.
    pub largest: AtomicU64,
    /// Microseconds spent writing them.
    pub busy_us: AtomicU64,
}

/// Default for [`GroupCommit`]'s `max`.
pub const GROUP_COMMIT_MAX: usize = 64;

/// Charges handed to the writer and not yet written, at most: beyond it a
/// charge waits to be handed over (the request's own time limit bounds
/// that wait). The HTTP edge admits fewer requests than this at once.
pub const WAITING_MAX: usize = 4096;

struct Waiting {
    plan: SettlePlan,
    reply: tokio::sync::oneshot::Sender<Result<Settled, StoreError>>,
}

impl Default for GroupCommit {
    fn default() -> Self {
        GroupCommit {
            max: std::sync::atomic::AtomicUsize::new(GROUP_COMMIT_MAX),
            queue: std::sync::Mutex::new(None),
            stats: Arc::default(),
        }
    }
}

impl GroupCommit {
    /// Charges per transaction from now on (at least 1).
    pub fn set_max(&self, max: usize) {
        self.max
            .store(max.max(1), std::sync::atomic::Ordering::Relaxed);
        // The writer reads `max` when it starts: start a new one.
        *self.queue.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn max(&self) -> usize {
        self.max.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn stats(&self) -> &GroupStats {
        &self.stats
    }

    pub(super) async fn settle(
        &self,
        store: &Store,
        plan: SettlePlan,
    ) -> Result<Settled, StoreError> {
        let max = self.max();
        if max <= 1 {
            return store.settle(&plan).await;
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sender = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue
                .get_or_insert_with(|| {
                    let (tx, rx) = tokio::sync::mpsc::channel(WAITING_MAX);
                    start_writer(store.clone(), rx, max, self.stats.clone());
                    tx
                })
                .clone()
        };
        let sent = match sender.send(Waiting { plan, reply }).await {
            Ok(()) => {
                self.stats.queued.fetch_add(1, Relaxed);
                Ok(())
            }
            Err(e) => {
                // The writer is gone (its runtime ended): start another
                // next time, write this one alone.
                let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                if queue.as_ref().is_some_and(|q| q.same_channel(&sender)) {
                    *queue = None;
                }
                Err(e.0.plan)
            }
        };
        match sent {
            Ok(()) => answer.await.unwrap_or_else(|_| {
                Err(StoreError::Batch(
                    "the writer stopped before answering".into(),
                ))
            }),
            Err(plan) => store.settle(&plan).await,
        }
    }
}

/// Starts the writer on a thread of its own, with its own runtime and its
/// own connections: a busy request runtime would otherwise make each of
/// its statements wait its turn behind every request (and the commit
/// with them). Where that is not possible, on the caller's runtime.
fn start_writer(
    store: Store,
    queue: tokio::sync::mpsc::Receiver<Waiting>,
    max: usize,
    stats: Arc<GroupStats>,
) {
    let (give_back, taken_back) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("settle-writer".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::warn!(error = %e, "no runtime for the settle writer");
                    let _ = give_back.send((store, queue, stats));
                    return;
                }
            };
            // Started: the caller stops waiting.
            drop(give_back);
            runtime.block_on(async move {
                match store.fork().await {
                    Ok(Some(own)) => {
                        write_groups(own.clone(), queue, max, stats).await;
                        own.close().await;
                    }
                    Ok(None) => write_groups(store, queue, max, stats).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "the settle writer shares the request pool");
                        write_groups(store, queue, max, stats).await;
                    }
                }
            });
        });
    match spawned {
        Ok(_) => {
            if let Ok((store, queue, stats)) = taken_back.recv() {
                tokio::spawn(write_groups(store, queue, max, stats));
            }
        }
        Err(e) => tracing::warn!(error = %e, "no thread for the settle writer"),
    }
}

/// The writer: takes what is waiting, oldest first, up to `max` charges
/// with distinct receipts and authorizations; the rest waits for the next
/// transaction.
async fn write_groups(
    store: Store,
    mut queue: tokio::sync::mpsc::Receiver<Waiting>,
    max: usize,
    stats: Arc<GroupStats>,
) {
    let mut waiting: std::collections::VecDeque<Waiting> = std::collections::VecDeque::new();
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(w) => waiting.push_back(w),
                None => return,
            }
        }
        while waiting.len() < WAITING_MAX
            && let Ok(w) = queue.try_recv()
        {
            waiting.push_back(w);
        }
        let mut group = Vec::with_capacity(max.min(waiting.len()));
        let mut later = std::collections::VecDeque::new();
        let mut receipts = std::collections::HashSet::new();
        let mut authorizations = std::collections::HashSet::new();
        while let Some(w) = waiting.pop_front() {
            let ch = &w.plan.charge;
            let receipt = ch.receipt.uri.to_string();
            let authorization = (ch.requester.clone(), ch.nonce.as_str().to_owned());
            let free = !receipts.contains(&receipt)
                && (ch.pro_bono || !authorizations.contains(&authorization));
            if group.len() < max && free {
                receipts.insert(receipt);
                if !ch.pro_bono {
                    authorizations.insert(authorization);
                }
                group.push(w);
            } else {
                // Keeps its place: charges of one authorization stay in
                // the order they came.
                receipts.insert(receipt);
                authorizations.insert(authorization);
                later.push_back(w);
            }
        }
        waiting = later;
        let plans: Vec<&SettlePlan> = group.iter().map(|w| &w.plan).collect();
        let started = std::time::Instant::now();
        let results = store.settle_many(&plans).await;
        let busy = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.busy_us.fetch_add(busy, Relaxed);
        let n = plans.len() as u64;
        stats.groups.fetch_add(1, Relaxed);
        stats.charges.fetch_add(n, Relaxed);
        stats.largest.fetch_max(n, Relaxed);
        for (w, result) in group.into_iter().zip(results) {
            // The caller may have gone (timeout); the charge stands.
            let _ = w.reply.send(result);
        }
    }
}
