//! Paying a bid over x402, and following the payment on chain until it is
//! deep enough, whatever crashes in between.
//!
//! The treasury signs one EIP-3009 authorization per contract, to the
//! address the bidder's 402 names, for exactly the bid's price, under a
//! nonce that is a hash of the contract id: sending it again (after a
//! crash, a timeout) can never pay twice. Before anything is sent again,
//! the chain is asked whether the nonce was used and by which transaction.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};

use super::Contracts;
use super::row::{Advance, ContractRow, State};
use crate::payout::chain::{Authorization, ChainError, NonceEvent, TxStatus};
use crate::payout::x402::{self, Accepted, X402Error};
use crate::store::StoreError;

/// The id of the contract an accept makes: `cc_` and a hash of the
/// accept's AT URI (see `accounts::short_hash`), so one accept is one
/// contract whoever asks and however often.
pub fn contract_id(ccba_uri: &str) -> String {
    format!(
        "cc_{}",
        crate::accounts::short_hash(&["contract", ccba_uri])
    )
}

/// The nonce of a contract's payment.
pub fn contract_nonce(contract_id: &str) -> B256 {
    keccak256(format!("dev.settlement/contract/{contract_id}").as_bytes())
}

/// A step could not be taken; the contract stays where it is.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("contract {id}: {message}")]
    Data { id: String, message: String },
}

fn data(c: &ContractRow, message: &str) -> StepError {
    StepError::Data {
        id: c.id.clone(),
        message: message.to_owned(),
    }
}

/// The bid's price, as errors name it.
const WHOSE: &str = "the bid's price,";

fn parse_url(url: &str) -> Result<reqwest::Url, X402Error> {
    reqwest::Url::parse(url).map_err(|e| X402Error::Http {
        url: url.to_owned(),
        message: format!("not a URL: {e}"),
    })
}

impl Contracts {
    /// The bidder's 402 for `url`: a requirement exact on this chain, in
    /// this token, for exactly `token_value`, to a non-zero address.
    pub(super) async fn ask(&self, url: &str, token_value: &str) -> Result<Accepted, X402Error> {
        let egress = &self.payouts.config().egress;
        x402::requirements_at(
            egress,
            &parse_url(url)?,
            token_value,
            WHOSE,
            &self.payouts.chain().config,
        )
        .await
    }

    pub(super) fn authorization(&self, c: &ContractRow) -> Result<Authorization, StepError> {
        let to: Address = c
            .pay_to
            .parse()
            .map_err(|_| data(c, "pay_to is not an address"))?;
        let value = U256::from_str_radix(&c.token_value, 10)
            .map_err(|_| data(c, "token_value is not a decimal integer"))?;
        Ok(Authorization {
            from: self.payouts.chain().treasury().address(),
            to,
            value,
            valid_after: 0,
            valid_before: u64::try_from(c.valid_before).unwrap_or(0),
            nonce: contract_nonce(&c.id),
        })
    }

    /// Sends the signed payment to the bidder's URL (asking its 402 again:
    /// it must still name the address signed to).
    pub(super) async fn send(&self, c: &ContractRow) -> Result<x402::Paid, X402Error> {
        let auth = self
            .authorization(c)
            .map_err(|e| X402Error::Mismatch(e.to_string()))?;
        let signature: Bytes = c
            .signature
            .parse()
            .map_err(|_| X402Error::Mismatch("the stored signature is not hex".into()))?;
        x402::pay_at(
            &self.payouts.config().egress,
            &parse_url(&c.url)?,
            &c.token_value,
            WHOSE,
            &auth,
            &signature,
            &self.payouts.chain().config,
        )
        .await
    }

    /// One step of an unfinished contract. Returns the answer's body when
    /// this step sent the payment and the bidder answered.
    pub(super) async fn step(&self, c: &ContractRow) -> Result<Option<Vec<u8>>, StepError> {
        match c.state {
            State::Accepted => self.step_accepted(c).await,
            State::Submitted => {
                self.step_submitted(c).await?;
                Ok(None)
            }
            State::Paid => {
                if c.receipt_due <= self.now()
                    && super::store::expire(&self.store, &c.id, self.now()).await?
                {
                    tracing::warn!(contract = %c.id, "paid contract has no receipt by its deadline: flagged for a dispute");
                    self.count("expired");
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    async fn step_accepted(&self, c: &ContractRow) -> Result<Option<Vec<u8>>, StepError> {
        let nonce = contract_nonce(&c.id);
        let chain = self.payouts.chain();
        // Expiry first, use second: once the expiry is deep no use can be
        // mined any more, so a use seen after it is every use there is (the
        // other order could miss one mined between the two questions).
        let expired = chain
            .expired_deep(u64::try_from(c.valid_before).unwrap_or(0))
            .await?;
        if chain.authorization_used(nonce).await? {
            return self.adopt_used(c).await.map(|_| None);
        }
        if expired {
            self.fail(c, "the payment authorization expired unused")
                .await?;
            return Ok(None);
        }
        if c.attempts > 0 && self.now() < c.updated_at.saturating_add(self.backoff_us(c.attempts)) {
            // Waits out its backoff: a bidder that is down for a while is
            // not given up on (and the treasury pays no cancel) at once.
            return Ok(None);
        }
        if c.attempts >= self.config.max_attempts {
            // Given up: canceled on chain first, failed once that is deep
            // (or followed, if it was used after all).
            match chain.cancel_authorization(nonce).await {
                Ok(_) => {}
                Err(ChainError::Revert(r)) if r.contains("used or canceled") => {}
                Err(e) => return Err(e.into()),
            }
            return self.adopt_used(c).await.map(|_| None);
        }
        match self.send(c).await {
            Ok(answer) => {
                self.failpoint("contract-paid", &c.id);
                let advance = Advance {
                    tx_hash: Some(answer.tx.to_string()),
                    count_attempt: true,
                    ..Advance::default()
                };
                let moved = super::store::advance(
                    &self.store,
                    &c.id,
                    State::Accepted,
                    State::Submitted,
                    &advance,
                    self.now(),
                )
                .await?;
                if moved {
                    let mut now = c.clone();
                    now.state = State::Submitted;
                    now.tx_hash = Some(answer.tx.to_string());
                    // The receipt in the answer is kept whatever this step
                    // meets; the payment is followed again later.
                    if let Err(e) = self.step_submitted(&now).await {
                        tracing::warn!(contract = %c.id, error = %e, "following the payment failed; resumed later");
                    }
                }
                tracing::debug!(contract = %c.id, status = answer.status, "the bidder answered the payment");
                Ok(Some(answer.body))
            }
            Err(e) => {
                tracing::warn!(contract = %c.id, error = %e, "contract payment attempt failed");
                let advance = Advance {
                    error: Some(e.code().to_owned()),
                    count_attempt: true,
                    ..Advance::default()
                };
                super::store::advance(
                    &self.store,
                    &c.id,
                    State::Accepted,
                    State::Accepted,
                    &advance,
                    self.now(),
                )
                .await?;
                Ok(None)
            }
        }
    }

    /// The nonce is used (or canceled) on chain: follow the transaction
    /// that used it, or fail the contract once the cancel is deep.
    async fn adopt_used(&self, c: &ContractRow) -> Result<(), StepError> {
        let chain = self.payouts.chain();
        match chain.nonce_event(contract_nonce(&c.id)).await? {
            Some(NonceEvent::Used { tx, .. }) => {
                let advance = Advance {
                    tx_hash: Some(tx.to_string()),
                    ..Advance::default()
                };
                if super::store::advance(
                    &self.store,
                    &c.id,
                    c.state,
                    State::Submitted,
                    &advance,
                    self.now(),
                )
                .await?
                {
                    let mut now = c.clone();
                    now.state = State::Submitted;
                    now.tx_hash = Some(tx.to_string());
                    self.step_submitted(&now).await?;
                }
                Ok(())
            }
            Some(NonceEvent::Canceled { block_number, .. }) => {
                if chain.depth(block_number).await? >= chain.config.confirmations {
                    self.fail(c, "the payment authorization was canceled unused")
                        .await?;
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// A known transaction: paid once it is deep enough and pays exactly
    /// this contract; forgotten if it does not.
    pub(super) async fn step_submitted(&self, c: &ContractRow) -> Result<(), StepError> {
        let tx: B256 = c
            .tx_hash
            .as_deref()
            .ok_or_else(|| data(c, "submitted without a transaction"))?
            .parse()
            .map_err(|_| data(c, "tx_hash is not 32 bytes of hex"))?;
        let chain = self.payouts.chain();
        match chain.tx_status(tx).await? {
            TxStatus::Pending => self.pending(c, tx).await,
            TxStatus::Mined {
                depth,
                success: true,
                ..
            } => {
                let auth = self.authorization(c)?;
                if !chain.pays(tx, auth.nonce, auth.to, auth.value).await? {
                    tracing::warn!(contract = %c.id, tx = %tx, "reported transaction does not pay the contract");
                    return self
                        .forget(
                            c,
                            tx,
                            &format!("transaction {tx} does not pay this contract"),
                        )
                        .await;
                }
                if depth < chain.config.confirmations {
                    return Ok(());
                }
                self.mark_paid(c, tx).await
            }
            TxStatus::Mined { success: false, .. } | TxStatus::Unknown => {
                self.forget(c, tx, &format!("transaction {tx} was dropped or reverted"))
                    .await
            }
        }
    }

    /// Back to `accepted`, where the chain is asked again whether the
    /// nonce was used: only if the row still names `tx` (another stepper
    /// may have moved it since).
    async fn forget(&self, c: &ContractRow, tx: B256, why: &str) -> Result<(), StepError> {
        super::store::forget_tx(&self.store, &c.id, &tx.to_string(), why, self.now()).await?;
        Ok(())
    }

    /// A pending transaction past the authorization's validity can never
    /// be mined usefully: back to `accepted`, which follows whatever did
    /// use the nonce, or fails the contract once it is expired deep.
    async fn pending(&self, c: &ContractRow, tx: B256) -> Result<(), StepError> {
        let chain = self.payouts.chain();
        if chain.authorization_used(contract_nonce(&c.id)).await?
            || chain
                .expired_deep(u64::try_from(c.valid_before).unwrap_or(0))
                .await?
        {
            return self
                .forget(c, tx, &format!("transaction {tx} stayed pending"))
                .await;
        }
        Ok(())
    }

    /// How long attempt `n + 1` waits after attempt `n`: doubling from the
    /// configured base, at most ten minutes.
    fn backoff_us(&self, attempts: i64) -> i64 {
        let base = i64::try_from(self.config.retry_base_secs)
            .unwrap_or(60)
            .saturating_mul(1_000_000);
        let shift = u32::try_from(attempts.clamp(1, 16) - 1).unwrap_or(0);
        base.saturating_mul(1i64 << shift).min(600_000_000)
    }

    async fn fail(&self, c: &ContractRow, reason: &str) -> Result<(), StepError> {
        if super::store::fail(&self.store, c, reason, self.now()).await? {
            tracing::warn!(contract = %c.id, reason, "contract never paid; the requester's money is back");
            self.count("failed");
        }
        Ok(())
    }
}
