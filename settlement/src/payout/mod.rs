//! Payouts: providers' payable balances leave the exchange as EIP-3009
//! token transfers, exactly once, whatever crashes in between.
//!
//! A payout is a row that only moves forward:
//!
//! ```text
//! planned --sign--> signed --send--> submitted --depth--> confirmed
//!    \                 \                 |  ^
//!     `-----------------`---> failed     `--' reorg/drop: back to signed, re-sent
//! ```
//!
//! - **planned**: the provider's payable balance (netted: every settlement
//!   since the last payout) moved to "in flight" in the ledger.
//! - **signed**: the treasury signed `transferWithAuthorization` with a
//!   nonce derived from the payout id. Signing is deterministic, so signing
//!   again gives the same authorization.
//! - **submitted**: a transaction carrying it was accepted (by our node on
//!   the direct rail, by the provider's facilitator on the x402 rail).
//! - **confirmed**: its block is `confirmations` deep on the canonical
//!   chain; the ledger moves in flight -> treasury and the settlements get
//!   their `processorReference`.
//! - **failed**: the authorization can never move money (canceled on chain,
//!   or expired unused); the money is payable again.
//!
//! After a crash, every unfinished payout is resumed from its row, and the
//! chain is asked before anything is sent: `authorizationState` says
//! whether the nonce was used, `AuthorizationUsed` events say by which
//! transaction. The same nonce can only be used once, so a resend is safe.

pub mod binding;
pub mod chain;
pub mod deposits;
pub mod facilitator;
pub mod local;
pub mod reconcile;
mod steps;
mod units;
pub mod x402;

pub use units::{from_token_units, to_token_units};

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use base64::Engine as _;

use crate::accounts;
use crate::exchange::Exchange;
use crate::store::payouts::{NewPayout, PayoutFilter, PayoutRow, PayoutState};
use crate::store::{Store, StoreError};
use chain::{Authorization, Chain, ChainError, payout_nonce};

/// What is paid out, in what units, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutConfig {
    /// The ledger currency paid out in the token (e.g. "USD").
    pub currency: String,
    /// Decimals of the ledger currency's minor unit (USD cents: 2).
    pub currency_decimals: u32,
    /// Payable balances below this (minor units) wait for the next cycle.
    pub min_payout_minor: i64,
    /// How long a signed authorization stays valid (`validBefore`).
    pub validity_secs: u64,
    /// Attempts at the x402 rail before the payout is failed (and its
    /// authorization canceled).
    pub max_attempts: i64,
    /// Which x402 payout URLs may be reached: public https only, unless
    /// development allows loopback.
    pub egress: crate::egress::Egress,
    /// Seconds a charge waits before it is paid out (the dispute window):
    /// a dispute within it never needs a clawback. 0 pays at once.
    pub maturity_secs: u64,
}

impl Default for PayoutConfig {
    fn default() -> Self {
        PayoutConfig {
            currency: "USD".into(),
            currency_decimals: 2,
            min_payout_minor: 1,
            validity_secs: 24 * 3600,
            max_attempts: 5,
            egress: crate::egress::Egress::default(),
            maturity_secs: 24 * 3600,
        }
    }
}

/// Why a payout step could not be taken. Transient errors leave the payout
/// where it is, to be retried.
#[derive(Debug, thiserror::Error)]
pub enum PayoutError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("payout {id}: {message}")]
    Data { id: String, message: String },
}

/// What one cycle did.
#[derive(Clone, Debug, Default)]
pub struct CycleReport {
    pub planned: Vec<String>,
    pub confirmed: Vec<String>,
    pub failed: Vec<String>,
    /// Still planned, signed or submitted when the cycle stopped waiting.
    pub open: Vec<String>,
    /// Transient errors met on the way (payout id, error).
    pub errors: Vec<(String, String)>,
}

/// The payout engine: the store, the chain, and the rules above.
pub struct Payouts {
    store: Store,
    chain: Chain,
    config: PayoutConfig,
    token_decimals: u32,
    exchange: Exchange,
    clock: Arc<dyn ledger::Clock>,
    failpoint: Option<String>,
    /// One cycle at a time in this process (a scheduled cycle and an
    /// operator's "pay now" would only race each other).
    cycle: tokio::sync::Mutex<()>,
}

/// What a step did to one payout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Moved to another state: step again.
    Moved,
    /// Nothing to do until the chain moves (pending, not deep enough).
    Waiting,
    /// Confirmed or failed.
    Done,
}

impl Payouts {
    pub async fn new(
        store: Store,
        chain: Chain,
        config: PayoutConfig,
        exchange: Exchange,
        clock: Arc<dyn ledger::Clock>,
    ) -> Result<Payouts, PayoutError> {
        let token_decimals = u32::from(chain.decimals().await?);
        Ok(Payouts {
            store,
            chain,
            config,
            token_decimals,
            exchange,
            clock,
            failpoint: None,
            cycle: tokio::sync::Mutex::new(()),
        })
    }

    /// Stops the process at a named point of the state machine (for the
    /// crash tests: the harness kills it there). Points: `planned`,
    /// `signed`, `sent`, `submitted`, `confirmed`.
    pub fn with_failpoint(mut self, name: Option<String>) -> Payouts {
        self.failpoint = name;
        self
    }

    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    pub fn config(&self) -> &PayoutConfig {
        &self.config
    }

    pub fn token_decimals(&self) -> u32 {
        self.token_decimals
    }

    fn now(&self) -> i64 {
        self.clock.now_us()
    }

    /// Settlements made before this are mature (past the dispute window);
    /// with no window, every settlement is.
    pub fn mature_before(&self) -> i64 {
        if self.config.maturity_secs == 0 {
            return i64::MAX;
        }
        let window = i64::try_from(self.config.maturity_secs)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000);
        self.now().saturating_sub(window)
    }

    fn failpoint(&self, name: &str, id: &str) {
        if self.failpoint.as_deref() == Some(name) {
            eprintln!("failpoint {name} reached by payout {id}");
            // Frozen until killed: nothing after this point runs.
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    }

    /// One cycle: resume every unfinished payout, plan new ones, and drive
    /// all of them until they are final or `wait` has passed. One cycle
    /// runs at a time in this process and across every process on the
    /// database (see `store::CycleLock`).
    pub async fn run_cycle(&self, wait: Duration) -> Result<CycleReport, PayoutError> {
        let _one = self.cycle.lock().await;
        let mut report = CycleReport::default();
        // And one at a time across processes on this database: another
        // replica (or `payout run`) running one makes this one a no-op.
        let Some(_everywhere) = self.store.try_payout_cycle_lock().await? else {
            tracing::info!("another process is running a payout cycle; this one is skipped");
            return Ok(report);
        };
        let deadline = tokio::time::Instant::now() + wait;
        // Deposits whose requests did not finish are credited from the
        // chain first: the treasury's books then match what came in.
        if let Err(e) = self.recover_deposits().await {
            tracing::warn!(error = %e, "deposit recovery failed; will retry");
        }
        // Resume first: a provider with an unfinished payout gets no new one.
        self.drive_open(&mut report, None).await?;
        for p in self.plan().await? {
            report.planned.push(p.id);
        }
        self.drive_open(&mut report, Some(deadline)).await?;
        report.open = self
            .store
            .payouts(&PayoutFilter::Open, 0, 10_000)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        Ok(report)
    }

    /// Steps every open payout until none is open, or, with a deadline,
    /// until it passes (without one: until nothing moves).
    async fn drive_open(
        &self,
        report: &mut CycleReport,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<(), PayoutError> {
        loop {
            let open = self.store.payouts(&PayoutFilter::Open, 0, 10_000).await?;
            if open.is_empty() {
                return Ok(());
            }
            let mut moved = false;
            for p in open {
                match self.drive(&p).await {
                    Ok(Step::Done) => {
                        moved = true;
                        let done = self.store.payout(&p.id).await?;
                        match done.map(|d| d.state) {
                            Some(PayoutState::Confirmed) => report.confirmed.push(p.id),
                            Some(PayoutState::Failed) => report.failed.push(p.id),
                            _ => {}
                        }
                    }
                    Ok(Step::Moved) => moved = true,
                    Ok(Step::Waiting) => {}
                    Err(e) => {
                        tracing::warn!(payout = %p.id, error = %e, "payout step failed; will retry");
                        report.errors.push((p.id.clone(), e.to_string()));
                    }
                }
            }
            match deadline {
                None if !moved => return Ok(()),
                Some(d) if tokio::time::Instant::now() >= d => return Ok(()),
                _ if !moved => tokio::time::sleep(Duration::from_millis(200)).await,
                _ => {}
            }
        }
    }

    /// Plans one payout per provider with a destination and a payable
    /// balance of at least the minimum (in what the token can pay exactly).
    pub async fn plan(&self) -> Result<Vec<PayoutRow>, PayoutError> {
        let currency = self.config.currency.clone();
        let mut planned = Vec::new();
        let mut start: Option<u64> = None;
        for dest in self.store.destinations().await? {
            if dest.effective_at > self.now() {
                // A new destination waits out its cooling-off period; so
                // does the money.
                continue;
            }
            // What the provider owes (refunds advanced after it was paid)
            // is recovered first; what is not mature or is disputed stays.
            if let Err(e) =
                crate::dispute::recover_debt(&self.store, &dest.provider, &currency).await
            {
                // A balance moved between the reads and the transfer: this
                // provider waits for the next cycle; the others go on.
                tracing::warn!(provider = %dest.provider, error = %e, "debt recovery failed; planned next cycle");
                continue;
            }
            let account = accounts::provider(&dest.provider, &currency);
            let balance = match self.store.ledger().balance(&account).await {
                Ok(b) => b,
                Err(ledger::Error::AccountNotFound { .. }) => continue,
                Err(e) => return Err(StoreError::from(e).into()),
            };
            let mature_before = self.mature_before();
            let held = crate::dispute::store::holdback(
                &self.store,
                &dest.provider,
                &currency,
                mature_before,
            )
            .await?;
            let payable = balance.available.unwrap_or(0) - held;
            let Some((value, paid_minor)) =
                to_token_units(payable, self.config.currency_decimals, self.token_decimals)
            else {
                continue;
            };
            if paid_minor < self.config.min_payout_minor.max(1) {
                continue;
            }
            let id = new_payout_id();
            // Validity starts from the later of the chain's clock and ours,
            // read once per cycle (only when something is to be paid).
            let start = match start {
                Some(t) => t,
                None => {
                    let (_, chain_now) = self.chain.latest_block().await?;
                    let wall = u64::try_from(self.now() / 1_000_000).unwrap_or(0);
                    *start.insert(chain_now.max(wall))
                }
            };
            let new = NewPayout {
                nonce: payout_nonce(&id).to_string(),
                id,
                provider: dest.provider.clone(),
                currency: currency.clone(),
                amount_minor: paid_minor,
                token_value: value.to_string(),
                rail: dest.rail,
                pay_to: dest.address.clone(),
                url: dest.url.clone(),
                chain_id: i64::try_from(self.chain.config.chain_id).unwrap_or(i64::MAX),
                token: self.chain.config.token.to_string(),
                treasury: self.chain.treasury().address().to_string(),
                valid_after: 0,
                valid_before: i64::try_from(start + self.config.validity_secs).unwrap_or(i64::MAX),
                exchange_did: self.exchange.did.clone(),
                now: self.now(),
                mature_before,
            };
            match self.store.plan_payout(&new).await {
                Ok(Some(row)) => {
                    self.failpoint("planned", &row.id);
                    planned.push(row);
                }
                Ok(None) => {}
                // Rolled back whole (a balance moved, a deadlock): this
                // provider waits for the next cycle; the others go on.
                Err(e) => {
                    tracing::warn!(provider = %dest.provider, error = %e, "planning a payout failed; planned next cycle");
                }
            }
        }
        Ok(planned)
    }

    /// Drives one payout as far as it can go now.
    async fn drive(&self, p: &PayoutRow) -> Result<Step, PayoutError> {
        let mut current = p.clone();
        loop {
            let step = match current.state {
                PayoutState::Planned => self.sign(&current).await?,
                PayoutState::Signed => self.send(&current).await?,
                PayoutState::Submitted => self.watch(&current).await?,
                PayoutState::Confirmed | PayoutState::Failed => Step::Done,
            };
            if step != Step::Moved {
                return Ok(step);
            }
            current = self
                .store
                .payout(&current.id)
                .await?
                .ok_or_else(|| data(&current.id, "vanished"))?;
        }
    }

    fn authorization(&self, p: &PayoutRow, to: Address) -> Result<Authorization, PayoutError> {
        let value = U256::from_str_radix(&p.token_value, 10)
            .map_err(|_| data(&p.id, "token_value is not a decimal integer"))?;
        let nonce: B256 = p
            .nonce
            .parse()
            .map_err(|_| data(&p.id, "nonce is not 32 bytes of hex"))?;
        if nonce != payout_nonce(&p.id) {
            return Err(data(&p.id, "nonce is not derived from the payout id"));
        }
        Ok(Authorization {
            from: self.chain.treasury().address(),
            to,
            value,
            valid_after: u64::try_from(p.valid_after).unwrap_or(0),
            valid_before: u64::try_from(p.valid_before).unwrap_or(0),
            nonce,
        })
    }
}

/// A settlement's `processorReference` once paid: standard base64 of
/// `eip155:<chain id>:<transaction hash>`.
pub fn processor_reference(chain_id: u64, tx: B256) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("eip155:{chain_id}:{tx}"))
}

fn new_payout_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom(&mut bytes);
    format!("po_{}", alloy::hex::encode(bytes))
}

fn getrandom(buf: &mut [u8]) {
    use p256::elliptic_curve::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(buf);
}

fn parse_address(p: &PayoutRow, s: Option<&str>) -> Result<Address, PayoutError> {
    s.ok_or_else(|| data(&p.id, "no address to pay"))?
        .parse()
        .map_err(|_| data(&p.id, "pay_to is not an address"))
}

fn data(id: &str, message: &str) -> PayoutError {
    PayoutError::Data {
        id: id.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_derived_from_ids() {
        assert_eq!(payout_nonce("po_a"), payout_nonce("po_a"));
        assert_ne!(payout_nonce("po_a"), payout_nonce("po_b"));
        let id = new_payout_id();
        assert_eq!(id.len(), 35);
        assert_ne!(id, new_payout_id());
    }

    #[test]
    fn processor_reference_names_chain_and_transaction() {
        let r = processor_reference(31337, B256::repeat_byte(0xab));
        let plain = base64::engine::general_purpose::STANDARD.decode(r).unwrap();
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            format!("eip155:31337:0x{}", "ab".repeat(32))
        );
    }
}
