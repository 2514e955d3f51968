//! Compute contracts (`seeds/004`): a requester's request for proposal
//! (CCRFP), a bidder's bid (CCB), her accept (CCBA), the payment to the
//! bid's x402 URL named by the accept, and the bidder's receipt (CCR). The
//! exchange is her payment agent: it checks the chain of records, weighs
//! the bidder by her trust policy over vouch and denounce records, checks
//! the bid's terms against her authorization and her funds, pays exactly
//! the bid once, and matches the receipt.
//!
//! - `records`, `links`, `trust`, `terms`: the records and the rules, pure;
//! - `row`, `store`: the contract as a persisted state machine and its
//!   money, in one transaction per move;
//! - `gather`: the records and the vouch graph a decision reads;
//! - `accept`: the checks of an accept, then its money and its payment;
//! - `pay`: the payment over x402 and the chain, safe across crashes;
//! - `close`: the payment recorded, and the receipt that closes it;
//! - `standin`: a bidder's x402 endpoint, for tests and the demo.

mod accept;
mod close;
pub mod fixtures;
pub mod gather;
pub mod graph_store;
pub mod links;
mod pay;
pub mod reconcile;
pub mod records;
pub mod row;
pub mod standin;
pub mod store;
pub mod terms;
#[cfg(test)]
mod tests;
pub mod trust;

use std::sync::{Arc, Mutex};

use crate::authentic::RecordTrust;
use crate::exchange::{Exchange, FeePolicy};
use crate::failure::{Failure, FailureKind};
use crate::payout::Payouts;
use crate::records::formats::Micros;
use crate::records::json::{Map, Value};
use crate::store::Store;
pub use pay::{contract_id, contract_nonce};
use row::ContractRow;
use terms::Clearing;
use trust::{Decision, Policy};

/// The method a requester's service auth token names to accept a bid,
/// to set her trust policy, and to read her contracts (a bidder reads its
/// own with the last one too).
pub const LXM_ACCEPT: &str = "dev.settlement.contract.accept";
pub const LXM_SET_POLICY: &str = "dev.settlement.contract.setTrustPolicy";
pub const LXM_LIST: &str = "dev.settlement.contract.list";

/// Contracts the resumer steps at once.
const STEPS_AT_ONCE: usize = 8;

/// How contracts are cleared.
#[derive(Clone, Debug)]
pub struct ContractConfig {
    /// The currency bids must name (the token's symbol); the ledger
    /// currency and its decimals are the payouts'.
    pub bid_currency: String,
    /// A paid contract without a receipt this long after it was paid is
    /// expired and flagged for a dispute.
    pub receipt_window_secs: u64,
    /// Payment attempts before the authorization is canceled.
    pub max_attempts: i64,
    /// Seconds before the second attempt; each later one waits twice as
    /// long (at most ten minutes).
    pub retry_base_secs: u64,
    /// How long a signed payment authorization stays valid.
    pub validity_secs: u64,
}

impl Default for ContractConfig {
    fn default() -> Self {
        ContractConfig {
            bid_currency: Clearing::default().bid_currency,
            receipt_window_secs: 24 * 3600,
            max_attempts: 8,
            retry_base_secs: 5,
            validity_secs: 3600,
        }
    }
}

/// The contract engine.
pub struct Contracts {
    store: Store,
    payouts: Arc<Payouts>,
    exchange: Exchange,
    fees: FeePolicy,
    records: RecordTrust,
    clock: Arc<dyn ledger::Clock>,
    config: ContractConfig,
    /// What contracts are cleared in: the bid currency, the payouts'.
    clearing: Clearing,
    failpoint: Option<String>,
    /// Contracts being stepped in this process: each by one task at a
    /// time, without holding up the others.
    stepping: Mutex<std::collections::BTreeSet<String>>,
    outcomes: crate::metrics::Counter,
}

/// An accept's answer: the contract, and whether this request made it.
pub struct Accepted {
    pub contract: ContractRow,
    pub created: bool,
}

fn refused(code: &'static str, message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Rejected, code, message)
}

impl Contracts {
    pub fn new(
        store: Store,
        payouts: Arc<Payouts>,
        exchange: Exchange,
        fees: FeePolicy,
        records: RecordTrust,
        clock: Arc<dyn ledger::Clock>,
        config: ContractConfig,
    ) -> Contracts {
        // The requester's money is in the currency payouts pay out.
        let clearing = Clearing {
            bid_currency: config.bid_currency.clone(),
            ledger_currency: payouts.config().currency.clone(),
            ledger_decimals: payouts.config().currency_decimals,
        };
        Contracts {
            store,
            payouts,
            exchange,
            fees,
            records,
            clock,
            config,
            clearing,
            failpoint: None,
            stepping: Mutex::new(std::collections::BTreeSet::new()),
            outcomes: crate::metrics::Counter::new(
                "settlement_contract_outcomes",
                "Compute contract accepts and moves, by outcome (accepted, replayed, paid, receipted, expired, failed, or the refusal's code).",
            ),
        }
    }

    /// Stops the process at a named point (for the crash tests, which kill
    /// it there): `contract-accepted`, once the accept's money and row are
    /// written and before the bidder is paid; `contract-paid`, once the
    /// bidder answered the payment and before anything of it is written.
    pub fn with_failpoint(mut self, name: Option<String>) -> Contracts {
        self.failpoint = name;
        self
    }

    pub fn config(&self) -> &ContractConfig {
        &self.config
    }

    /// The chain contracts are paid on.
    pub fn chain(&self) -> &crate::payout::chain::Chain {
        self.payouts.chain()
    }

    fn now(&self) -> Micros {
        self.clock.now_us()
    }

    fn failpoint(&self, name: &str, id: &str) {
        if self.failpoint.as_deref() == Some(name) {
            eprintln!("failpoint {name} reached by contract {id}");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }

    fn count(&self, outcome: &'static str) {
        self.outcomes.count(outcome);
    }

    /// The outcome counters.
    pub fn collect_metrics(&self, scrape: &mut crate::metrics::Scrape) {
        scrape.counter(&self.outcomes);
    }

    /// Steps contract `id` as far as it goes now; a receipt in the
    /// bidder's answer closes it. Chain trouble leaves it to the resumer.
    async fn drive(&self, id: &str) -> Result<(), Failure> {
        let Some(_turn) = Turn::take(&self.stepping, id) else {
            // Another task is stepping it now.
            return Ok(());
        };
        let Some(c) = store::get(&self.store, id).await? else {
            return Ok(());
        };
        match self.step(&c).await {
            Ok(Some(body)) => {
                if let Err(f) = self.receipt_from_answer(id, &body).await {
                    tracing::warn!(contract = %id, code = f.code, error = %f.message, "the bidder's answer carries no receipt that closes the contract");
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(contract = %id, error = %e, "contract step failed; resumed later")
            }
        }
        Ok(())
    }

    /// Steps every unfinished contract once (after a restart, and on a
    /// schedule): payments followed on chain, deadlines applied.
    pub async fn resume(&self) -> Result<usize, Failure> {
        let mut after = 0;
        let mut stepped = 0;
        loop {
            let due = store::due(&self.store, self.now(), after, 200).await?;
            let Some(last) = due.last() else {
                return Ok(stepped);
            };
            after = last.seq;
            // A few at a time: one bidder's endpoint that hangs holds up
            // its own contract, not everyone's.
            for chunk in due.chunks(STEPS_AT_ONCE) {
                let mut steps = Vec::with_capacity(chunk.len());
                for c in chunk {
                    steps.push(self.drive(&c.id));
                }
                for r in futures_util::future::join_all(steps).await {
                    r?;
                }
            }
            stepped += due.len();
        }
    }
}

/// A contract's turn to be stepped by this task; given back when dropped.
struct Turn<'a> {
    set: &'a Mutex<std::collections::BTreeSet<String>>,
    id: String,
}

impl<'a> Turn<'a> {
    fn take(set: &'a Mutex<std::collections::BTreeSet<String>>, id: &str) -> Option<Turn<'a>> {
        let mut s = set.lock().ok()?;
        s.insert(id.to_owned()).then(|| Turn {
            set,
            id: id.to_owned(),
        })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.lock() {
            s.remove(&self.id);
        }
    }
}

/// Resumes unfinished contracts now (after a restart) and every `every`.
pub fn spawn_resumer(contracts: Arc<Contracts>, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            match contracts.resume().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(open = n, "unfinished contracts stepped"),
                Err(f) => {
                    tracing::warn!(code = f.code, error = %f.message, "contract resume failed")
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// The policy and what it decided, as the contract keeps them.
pub fn decision_value(policy: &Policy, d: &Decision) -> Value {
    let mut p = Map::new();
    p.insert("mode".into(), policy.mode.as_str().into());
    if let trust::Mode::Network { hops } = policy.mode {
        p.insert("hops".into(), Value::Int(i128::from(hops)));
    }
    p.insert("heedVouchees".into(), Value::Bool(policy.heed_vouchees));
    let mut m = Map::new();
    m.insert("policy".into(), Value::Object(p));
    m.insert("allowed".into(), Value::Bool(d.allowed));
    m.insert("code".into(), d.code.into());
    m.insert("explanation".into(), d.explanation.clone().into());
    m.insert(
        "records".into(),
        Value::Array(d.records.iter().map(|u| Value::from(u.as_str())).collect()),
    );
    Value::Object(m)
}
