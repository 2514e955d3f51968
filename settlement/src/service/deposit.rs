//! Funding a requester: a deposit credited once per id.

use super::*;

impl Service {
    /// Credits `requester` with a deposit; `id` makes it idempotent.
    pub async fn deposit(
        &self,
        id: &str,
        requester: &str,
        currency: &str,
        amount_minor: u64,
    ) -> Result<bool, Failure> {
        let amount = i64::try_from(amount_minor)
            .ok()
            .filter(|a| *a > 0)
            .ok_or_else(|| {
                Failure::new(
                    FailureKind::BadRequest,
                    "invalid-request",
                    "amount.amount: must be an integer in 1..=2^63-1",
                )
            })?;
        if !self.policy.supports(currency) {
            return Err(Failure::new(
                FailureKind::BadRequest,
                "currency-not-supported",
                format!("this exchange does not settle {currency}"),
            ));
        }
        let submitted = self
            .store
            .deposit(id, requester, currency, amount, &self.exchange.did)
            .await?;
        Ok(!submitted.replayed)
    }
}
