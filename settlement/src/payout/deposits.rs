//! x402 deposits the HTTP request did not see through: a payment the
//! facilitator settled on chain while the request was dropped (its time
//! limit, a crash, any error after settlement). Each pending deposit is
//! looked up on chain by its payer's EIP-3009 nonce and credited once from
//! the chain's evidence, `confirmations` deep: the transaction that used
//! the nonce and moved exactly its value from the payer to the treasury.
//! The ledger's transfer is keyed by that transaction, so the request's
//! own credit, if it ever comes, is the same one. A deposit never used is
//! void once its authorization expired in a block that deep.

use alloy::primitives::{Address, B256, U256};

use super::chain::NonceEvent;
use super::{PayoutError, Payouts};
use crate::store::deposits::Deposit;

/// What one pass over the pending deposits did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DepositRecovery {
    /// Credited from the chain's evidence, by transaction.
    pub credited: Vec<String>,
    /// Void: never used, and expired.
    pub void: usize,
    /// Still waiting for evidence.
    pub pending: usize,
}

impl Payouts {
    /// Credits (or voids) every pending deposit the chain has settled (or
    /// can no longer settle).
    pub async fn recover_deposits(&self) -> Result<DepositRecovery, PayoutError> {
        let mut out = DepositRecovery::default();
        for d in self.store.pending_deposits(1000).await? {
            match self.recover(&d).await? {
                Recovered::Credited(tx) => out.credited.push(tx),
                Recovered::Void => out.void += 1,
                Recovered::Pending => out.pending += 1,
            }
        }
        Ok(out)
    }

    async fn recover(&self, d: &Deposit) -> Result<Recovered, PayoutError> {
        let (Ok(payer), Ok(nonce), Ok(value)) = (
            d.payer.parse::<Address>(),
            d.nonce.parse::<B256>(),
            U256::from_str_radix(&d.token_value, 10),
        ) else {
            // Not a payment any chain can hold: nothing to wait for.
            return self.void(d).await;
        };
        let treasury = self.chain.treasury().address();
        match self.chain.nonce_event_of(payer, nonce).await? {
            Some(NonceEvent::Used { tx, block_number }) => {
                if self.chain.depth(block_number).await? < self.chain.config.confirmations {
                    return Ok(Recovered::Pending);
                }
                if !self
                    .chain
                    .pays_from(tx, payer, nonce, treasury, value)
                    .await?
                {
                    // The nonce paid someone else, or another amount: this
                    // deposit's payment never reached the treasury.
                    self.store
                        .finish_deposit(
                            &d.payer,
                            &d.nonce,
                            "void",
                            Some(&tx.to_string()),
                            self.now(),
                        )
                        .await?;
                    return Ok(Recovered::Void);
                }
                let tx = tx.to_string();
                let credited = self
                    .store
                    .credit_from_treasury(
                        &tx,
                        &d.requester,
                        &d.currency,
                        d.amount_minor,
                        &self.exchange.did,
                    )
                    .await?;
                self.store
                    .finish_deposit(&d.payer, &d.nonce, "credited", Some(&tx), self.now())
                    .await?;
                if credited {
                    tracing::warn!(requester = %d.requester, transaction = %tx, amount = d.amount_minor,
                        "x402 deposit credited from the chain: its request did not finish");
                }
                Ok(Recovered::Credited(tx))
            }
            Some(NonceEvent::Canceled { block_number, .. })
                if self.chain.depth(block_number).await? >= self.chain.config.confirmations =>
            {
                self.void(d).await
            }
            Some(NonceEvent::Canceled { .. }) => Ok(Recovered::Pending),
            None => {
                let expired = self
                    .chain
                    .expired_deep(u64::try_from(d.valid_before).unwrap_or(0))
                    .await?;
                if expired && !self.chain.authorization_used_by(payer, nonce).await? {
                    self.void(d).await
                } else {
                    Ok(Recovered::Pending)
                }
            }
        }
    }

    async fn void(&self, d: &Deposit) -> Result<Recovered, PayoutError> {
        self.store
            .finish_deposit(&d.payer, &d.nonce, "void", None, self.now())
            .await?;
        Ok(Recovered::Void)
    }
}

enum Recovered {
    Credited(String),
    Void,
    Pending,
}
