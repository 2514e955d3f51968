//! The treasury's money coming in: tokens an x402 deposit paid to it, and
//! the operator's funding. Each is one idempotent ledger transfer.

use ledger::Currency;

use super::payouts::transfer;
use super::{Store, StoreError};
use crate::accounts::{self, short_hash};

impl Store {
    /// Credits a requester with tokens that came into the treasury (an x402
    /// deposit): treasury -> requester. `id` (the transaction) makes it
    /// idempotent. Returns whether it was new.
    pub async fn credit_from_treasury(
        &self,
        id: &str,
        requester: &str,
        currency: &str,
        amount_minor: i64,
        exchange_did: &str,
    ) -> Result<bool, StoreError> {
        let cur = Currency::new(currency)?;
        let ledger = self.ledger();
        let mut accounts_needed = accounts::payout_accounts(&cur, exchange_did);
        accounts_needed.push(accounts::requester_account(requester, &cur));
        for account in accounts_needed {
            ledger.create_account(&account).await?;
        }
        let op = transfer(
            format!("deposit-onchain:{}", short_hash(&[id])),
            (
                accounts::treasury(currency),
                accounts::requester(requester, currency),
            ),
            amount_minor,
            &cur,
            "deposit-onchain",
            format!("deposit:{id}"),
        )?;
        let out = ledger.submit(&[op]).await?;
        Ok(out.first().is_some_and(|s| !s.replayed))
    }

    /// Records treasury funding (tokens the operator put in): capital ->
    /// treasury. `id` makes it idempotent.
    pub async fn fund_treasury(
        &self,
        id: &str,
        currency: &str,
        amount_minor: i64,
        exchange_did: &str,
    ) -> Result<(), StoreError> {
        let cur = Currency::new(currency)?;
        let ledger = self.ledger();
        for account in accounts::payout_accounts(&cur, exchange_did) {
            ledger.create_account(&account).await?;
        }
        let op = transfer(
            format!("treasury-funding:{}", short_hash(&[id])),
            (accounts::treasury(currency), accounts::capital(currency)),
            amount_minor,
            &cur,
            "treasury-funding",
            format!("treasury-funding:{id}"),
        )?;
        ledger.submit(&[op]).await?;
        Ok(())
    }
}
