//! What the API reads, as use cases: records, settlements, an
//! authorization's state, balances, statements, payouts. The HTTP edge
//! calls these and never the store or the ledger.

use crate::accounts;
use crate::audit::{Discrepancy, check_stored_settlement};
use crate::authorize::AuthorizationState;
use crate::failure::{Failure, FailureKind};
use crate::records::{PaymentAuthorization, RawRecord, Record, parse_record};
use crate::store::payouts::{Destination, PayoutFilter, PayoutRow};
use crate::store::{RecordFilter, SettlementColumn, SettlementRow, StoreError, StoredRecord};

use super::Service;

/// An authorization as charged so far: its recorded state, its published
/// terms (when the record parses) and its settlements.
pub struct AuthorizationView {
    pub state: AuthorizationState,
    pub terms: Option<Record<PaymentAuthorization>>,
    pub settlements: Vec<SettlementRow>,
}

/// A ledger account's balance, in minor units: posted, held by pending
/// transfers, and what may still be spent. An account never opened is all
/// zeros.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub balance: i64,
    pub held: i64,
    pub available: i64,
}

/// Where a provider's money stands, in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProviderBalance {
    /// Earned, mature, not disputed and not yet in a payout.
    pub payable: i64,
    /// Earned but held back: within the dispute window, or disputed.
    pub maturing: i64,
    /// Refunds the exchange advanced after paying the provider, recovered
    /// from its next payouts.
    pub owed: i64,
    /// In payouts on their way (planned, signed, submitted).
    pub pending: i64,
    /// In confirmed payouts.
    pub paid: i64,
}

/// One page of a requester's ledger entries.
pub struct Statement {
    pub account: ledger::Id,
    pub currency: String,
    pub page: ledger::TransferPage,
}

/// One page of a provider's payouts, with its destination.
pub struct ProviderPayouts {
    pub destination: Option<Destination>,
    pub payouts: Vec<PayoutRow>,
}

impl Service {
    /// Whether the database answers.
    pub async fn ready(&self) -> Result<(), Failure> {
        Ok(self.store.ping().await?)
    }

    /// The record stored at `uri`.
    pub async fn record(&self, uri: &str) -> Result<StoredRecord, Failure> {
        self.store
            .get_record(uri)
            .await?
            .ok_or_else(|| Failure::record_not_found(format!("{uri} is not stored")))
    }

    /// Records matching `filter`, in URI order, after `after_uri`.
    pub async fn records(
        &self,
        filter: &RecordFilter<'_>,
        after_uri: &str,
        limit: i64,
    ) -> Result<Vec<StoredRecord>, Failure> {
        Ok(self.store.list_records(filter, after_uri, limit).await?)
    }

    /// Settlements whose `column` is `value`, after `after_seq`.
    pub async fn settlements(
        &self,
        column: SettlementColumn,
        value: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<SettlementRow>, Failure> {
        Ok(self
            .store
            .settlements_where(column, value, after_seq, limit)
            .await?)
    }

    /// The checks of `settlement audit` on a settlement this exchange
    /// wrote: what failed, empty when it holds.
    pub async fn verify_settlement(&self, uri: &str) -> Result<Vec<Discrepancy>, Failure> {
        let row =
            self.store.settlement_by_uri(uri).await?.ok_or_else(|| {
                Failure::record_not_found(format!("no settlement {uri} is stored"))
            })?;
        check_stored_settlement(
            &self.store,
            &self.exchange.did,
            *self.exchange.verifying_key(),
            &row.uri,
            &row.cid,
            &row.value,
        )
        .await
        .map_err(|e| Failure::new(FailureKind::Internal, "internal", e.to_string()))
    }

    /// An authorization's state, terms and settlements (at most `limit`).
    pub async fn authorization(&self, uri: &str, limit: i64) -> Result<AuthorizationView, Failure> {
        let state = self.store.authorization_by_uri(uri).await?.ok_or_else(|| {
            Failure::record_not_found(format!("no charge has been made against {uri}"))
        })?;
        let settlements = self
            .store
            .settlements_where(SettlementColumn::Authorization, uri, 0, limit)
            .await?;
        let terms = self
            .store
            .get_record(&state.authorization_uri)
            .await?
            .and_then(|r| {
                let raw = RawRecord {
                    uri: r.uri,
                    cid: Some(r.cid),
                    value: r.value,
                };
                parse_record::<PaymentAuthorization>(&raw, "authorization").ok()
            });
        Ok(AuthorizationView {
            state,
            terms,
            settlements,
        })
    }

    /// The currencies a read asks for: one the exchange settles, or all of
    /// them. Anything else is refused here, before it could name an
    /// account.
    pub fn currencies(&self, one: Option<String>) -> Result<Vec<String>, Failure> {
        match one {
            Some(c) if self.policy.supports(&c) => Ok(vec![c]),
            Some(c) => Err(Failure::new(
                FailureKind::BadRequest,
                "currency-not-supported",
                format!(
                    "currency: this exchange settles {}, not {c:?}",
                    self.policy.currencies.join(", ")
                ),
            )),
            None => Ok(self.policy.currencies.clone()),
        }
    }

    async fn balance(&self, id: &ledger::Id) -> Result<Balance, Failure> {
        match self.store.ledger().balance(id).await {
            Ok(b) => Ok(Balance {
                balance: b.credits_posted - b.debits_posted,
                held: b.debits_pending,
                available: b.available.unwrap_or(0),
            }),
            Err(ledger::Error::AccountNotFound { .. }) => Ok(Balance::default()),
            Err(e) => Err(StoreError::from(e).into()),
        }
    }

    pub async fn requester_balance(&self, did: &str, currency: &str) -> Result<Balance, Failure> {
        self.balance(&accounts::requester(did, currency)).await
    }

    pub async fn provider_balance(
        &self,
        did: &str,
        currency: &str,
    ) -> Result<ProviderBalance, Failure> {
        let payable = self.balance(&accounts::provider(did, currency)).await?;
        let totals = self.store.payout_totals(did, currency).await?;
        let mature_before = self.payouts.get().map_or(i64::MAX, |p| p.mature_before());
        let held =
            crate::dispute::store::holdback(&self.store, did, currency, mature_before).await?;
        let maturing = held.min(payable.balance.max(0));
        let owed = match self
            .store
            .ledger()
            .balance(&accounts::receivable(did, currency))
            .await
        {
            Ok(b) => b.available.unwrap_or(0),
            Err(ledger::Error::AccountNotFound { .. }) => 0,
            Err(e) => return Err(StoreError::from(e).into()),
        };
        Ok(ProviderBalance {
            payable: payable.balance - maturing,
            maturing,
            owed,
            pending: totals.in_flight,
            paid: totals.paid,
        })
    }

    /// A requester's ledger entries in `currency`, oldest first.
    pub async fn requester_statement(
        &self,
        did: &str,
        currency: String,
        page: ledger::Page,
    ) -> Result<Statement, Failure> {
        let account = accounts::requester(did, &currency);
        let page = match self.store.ledger().statement(&account, page).await {
            Ok(p) => p,
            Err(ledger::Error::AccountNotFound { .. }) => ledger::TransferPage {
                transfers: Vec::new(),
                next: None,
            },
            Err(e) => return Err(StoreError::from(e).into()),
        };
        Ok(Statement {
            account,
            currency,
            page,
        })
    }

    /// Sets where a provider is paid: by the operator in effect now, by
    /// the provider after the cooling-off period
    /// ([`Service::destination_delay_s`]), so that a stolen credential
    /// cannot redirect money at once. The change is logged.
    pub async fn set_destination(
        &self,
        dest: Destination,
        by_operator: bool,
    ) -> Result<Destination, Failure> {
        let now = self.clock.now_us();
        let delay_us = i64::try_from(
            self.destination_delay_s
                .load(std::sync::atomic::Ordering::Relaxed),
        )
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000);
        let dest = Destination {
            updated_at: now,
            effective_at: if by_operator {
                now
            } else {
                now.saturating_add(delay_us)
            },
            ..dest
        };
        self.store.set_destination(&dest).await?;
        tracing::info!(
            provider = %dest.provider,
            rail = dest.rail.as_str(),
            by = if by_operator { "operator" } else { "provider" },
            effective_at_us = dest.effective_at,
            "payout destination changed"
        );
        Ok(dest)
    }

    /// A provider's payouts after `after_seq`, and its destination.
    pub async fn provider_payouts(
        &self,
        did: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<ProviderPayouts, Failure> {
        let payouts = self
            .store
            .payouts(&PayoutFilter::Provider(did), after_seq, limit)
            .await?;
        let destination = self.store.destination(did).await?;
        Ok(ProviderPayouts {
            destination,
            payouts,
        })
    }

    /// Records an x402 deposit before its payment is settled. A payment
    /// authorization already recorded for another requester is refused:
    /// whoever relays a payment cannot redeem it for another DID once it
    /// was presented.
    pub async fn record_deposit(&self, d: &crate::store::deposits::Deposit) -> Result<(), Failure> {
        let Some(stored) = self.store.record_deposit(d).await? else {
            return Err(Failure::new(
                FailureKind::TooManyRequests,
                "too-many-pending-deposits",
                format!(
                    "the payer {} has {} deposits pending: wait until they settle",
                    d.payer,
                    crate::store::deposits::PENDING_PER_PAYER_MAX
                ),
            ));
        };
        if stored.requester != d.requester {
            return Err(Failure::new(
                FailureKind::Conflict,
                "deposit-bound-elsewhere",
                "this payment authorization was presented for another requester",
            ));
        }
        Ok(())
    }

    /// Credits a requester with tokens paid into the treasury by
    /// transaction `tx`; whether it was credited now (not before).
    pub async fn credit_onchain_deposit(
        &self,
        tx: &str,
        payment: (&str, &str),
        requester: &str,
        currency: &str,
        amount_minor: i64,
    ) -> Result<bool, Failure> {
        if self
            .fail_after_deposit_settlement
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Err(Failure::new(
                FailureKind::Internal,
                "internal",
                "failpoint: after the deposit's settlement",
            ));
        }
        let created = self
            .store
            .credit_from_treasury(tx, requester, currency, amount_minor, &self.exchange.did)
            .await?;
        let (payer, nonce) = payment;
        self.store
            .finish_deposit(payer, nonce, "credited", Some(tx), self.clock.now_us())
            .await?;
        Ok(created)
    }
}
