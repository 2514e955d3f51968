//! `settlement reconcile`: the ledger against the chain. Every line is one
//! check with what the ledger says, what the chain says, and whether they
//! agree; any disagreement is a non-zero exit.
//!
//! - the treasury: the ledger's treasury asset, less what unfinished
//!   payouts already moved on chain, equals the token balance;
//! - in flight: the ledger's in-flight account equals the unfinished
//!   payouts' amounts;
//! - every confirmed payout: its transaction is on the canonical chain,
//!   succeeded, and moved exactly its value from the treasury to its
//!   address; its authorization is used;
//! - every failed payout: its authorization moved nothing (a failed payout
//!   that was paid would be paid twice once its money is paid again).

use alloy::primitives::{Address, B256, U256};

use super::chain::{Chain, TxStatus, payout_nonce};
use super::{PayoutError, to_token_units};
use crate::accounts;
use crate::store::Store;
use crate::store::payouts::{PayoutFilter, PayoutRow, PayoutState};

/// One line of the reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub item: String,
    pub ledger: String,
    pub chain: String,
    pub ok: bool,
}

/// The whole reconciliation.
#[derive(Clone, Debug, Default)]
pub struct Reconciliation {
    pub lines: Vec<Line>,
}

impl Reconciliation {
    pub fn is_clean(&self) -> bool {
        self.lines.iter().all(|l| l.ok)
    }

    pub fn differences(&self) -> usize {
        self.lines.iter().filter(|l| !l.ok).count()
    }

    /// A fixed-width table, one line per check.
    pub fn table(&self) -> String {
        let w0 = self
            .lines
            .iter()
            .map(|l| l.item.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let w1 = self
            .lines
            .iter()
            .map(|l| l.ledger.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let w2 = self
            .lines
            .iter()
            .map(|l| l.chain.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut out = format!(
            "{:w0$}  {:w1$}  {:w2$}  result\n",
            "item", "ledger", "chain"
        );
        for l in &self.lines {
            out.push_str(&format!(
                "{:w0$}  {:w1$}  {:w2$}  {}\n",
                l.item,
                l.ledger,
                l.chain,
                if l.ok { "ok" } else { "DIFFERENCE" }
            ));
        }
        out.push_str(&format!(
            "{} checks, {} differences\n",
            self.lines.len(),
            self.differences()
        ));
        out
    }
}

async fn all_payouts(
    store: &Store,
    filter: PayoutFilter<'_>,
) -> Result<Vec<PayoutRow>, PayoutError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.payouts(&filter, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page);
    }
    Ok(out)
}

async fn balance_minor(store: &Store, id: &ledger::Id) -> Result<i64, PayoutError> {
    match store.ledger().balance(id).await {
        Ok(b) => Ok(b.debits_posted.saturating_sub(b.credits_posted)),
        Err(ledger::Error::AccountNotFound { .. }) => Ok(0),
        Err(e) => Err(crate::store::StoreError::from(e).into()),
    }
}

/// Compares the ledger of `currency` (minor units with
/// `currency_decimals`) with the chain.
pub async fn reconcile(
    store: &Store,
    chain: &Chain,
    currency: &str,
    currency_decimals: u32,
) -> Result<Reconciliation, PayoutError> {
    reconcile_with(store, chain, currency, currency_decimals, 0).await
}

/// [`reconcile`], where `also_moved` minor units left the treasury on
/// chain for other payments the ledger has not confirmed yet (compute
/// contracts, which `contract::reconcile` adds).
pub async fn reconcile_with(
    store: &Store,
    chain: &Chain,
    currency: &str,
    currency_decimals: u32,
    also_moved: i64,
) -> Result<Reconciliation, PayoutError> {
    let token_decimals = u32::from(chain.decimals().await?);
    let units = |minor: i64| -> String {
        to_token_units(minor.max(0), currency_decimals, token_decimals)
            .map(|(u, _)| {
                if minor < 0 {
                    format!("-{u}")
                } else {
                    u.to_string()
                }
            })
            .unwrap_or_else(|| "out of range".into())
    };
    let mut lines = Vec::new();
    let open = all_payouts(store, PayoutFilter::Open).await?;

    // In flight: the ledger account against the unfinished payouts.
    let in_flight = -balance_minor(store, &accounts::in_flight(currency)).await?;
    let open_sum: i64 = open.iter().map(|p| p.amount_minor).sum();
    lines.push(Line {
        item: format!("in flight ({} open payouts)", open.len()),
        ledger: format!("{in_flight} minor"),
        chain: format!("{open_sum} minor in payout rows"),
        ok: in_flight == open_sum,
    });

    // Treasury: what the ledger holds, less what open payouts already paid.
    let mut moved_unconfirmed = also_moved;
    for p in &open {
        if chain.authorization_used(payout_nonce(&p.id)).await?
            && chain.authorization_tx(payout_nonce(&p.id)).await?.is_some()
        {
            moved_unconfirmed += p.amount_minor;
        }
    }
    let treasury_minor = balance_minor(store, &accounts::treasury(currency)).await?;
    let expected = treasury_minor - moved_unconfirmed;
    let on_chain = chain.balance_of(chain.treasury().address()).await?;
    let expected_units = to_token_units(expected.max(0), currency_decimals, token_decimals)
        .map(|(u, _)| u)
        .filter(|_| expected >= 0);
    lines.push(Line {
        item: format!("treasury {}", chain.treasury().address()),
        ledger: if moved_unconfirmed > 0 {
            format!(
                "{} - {} unconfirmed",
                units(treasury_minor),
                units(moved_unconfirmed)
            )
        } else {
            units(treasury_minor)
        },
        chain: on_chain.to_string(),
        ok: expected_units == Some(on_chain),
    });

    for p in all_payouts(store, PayoutFilter::State(PayoutState::Confirmed)).await? {
        lines.push(check_confirmed(chain, &p).await?);
    }
    for p in all_payouts(store, PayoutFilter::State(PayoutState::Failed)).await? {
        let used_by = chain.authorization_tx(payout_nonce(&p.id)).await?;
        lines.push(Line {
            item: format!("failed payout {}", p.id),
            ledger: format!("{} minor payable again", p.amount_minor),
            chain: match used_by {
                Some(tx) => format!("PAID by {tx}"),
                None => "authorization unused".into(),
            },
            ok: used_by.is_none(),
        });
    }
    Ok(Reconciliation { lines })
}

async fn check_confirmed(chain: &Chain, p: &PayoutRow) -> Result<Line, PayoutError> {
    let item = format!("payout {}", p.id);
    let ledger = format!(
        "{} to {} in {}",
        p.token_value,
        p.pay_to.as_deref().unwrap_or("?"),
        p.tx_hash.as_deref().unwrap_or("?")
    );
    let fail = |chain_says: String| Line {
        item: item.clone(),
        ledger: ledger.clone(),
        chain: chain_says,
        ok: false,
    };
    let (Some(tx), Some(pay_to), Ok(value)) = (
        p.tx_hash.as_deref().and_then(|t| t.parse::<B256>().ok()),
        p.pay_to.as_deref().and_then(|a| a.parse::<Address>().ok()),
        U256::from_str_radix(&p.token_value, 10),
    ) else {
        return Ok(fail("the payout row is incomplete".into()));
    };
    match chain.tx_status(tx).await? {
        TxStatus::Mined {
            success: true,
            depth,
            ..
        } => {
            let Some(receipt) = chain.receipt(tx).await? else {
                return Ok(fail("no receipt".into()));
            };
            let transfers = chain.transfers_in(&receipt);
            let expected = (chain.treasury().address(), pay_to, value);
            let used = chain.authorization_used(payout_nonce(&p.id)).await?;
            if transfers == [expected] && used {
                Ok(Line {
                    item,
                    ledger,
                    chain: format!("transferred, {depth} blocks deep"),
                    ok: true,
                })
            } else {
                Ok(fail(format!(
                    "transfers {transfers:?}, authorization used: {used}"
                )))
            }
        }
        TxStatus::Mined { success: false, .. } => Ok(fail("the transaction reverted".into())),
        TxStatus::Pending => Ok(fail("the transaction is not in a block".into())),
        TxStatus::Unknown => Ok(fail("the transaction is not on the chain".into())),
    }
}
