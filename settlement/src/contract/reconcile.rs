//! Contracts in the reconciliation of the ledger with the chain: the
//! money in flight against the unpaid contracts, each paid contract's
//! transaction, and each failed contract's authorization unused. Payments
//! already on chain but not yet recorded as paid are told to the treasury
//! check, as unconfirmed payouts are.

use alloy::primitives::{Address, B256, U256};

use super::contract_nonce;
use super::row::{ContractRow, State};
use crate::accounts;
use crate::payout::PayoutError;
use crate::payout::chain::Chain;
use crate::payout::reconcile::{Line, Reconciliation, reconcile_with};
use crate::store::Store;

async fn all(store: &Store) -> Result<Vec<ContractRow>, PayoutError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = super::store::all(store, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page);
    }
    Ok(out)
}

/// The whole reconciliation: payouts' and contracts' lines.
pub async fn reconcile(
    store: &Store,
    chain: &Chain,
    currency: &str,
    currency_decimals: u32,
) -> Result<Reconciliation, PayoutError> {
    let contracts: Vec<ContractRow> = all(store)
        .await?
        .into_iter()
        .filter(|c| c.currency == currency)
        .collect();
    let mut lines = Vec::new();
    let unpaid: Vec<&ContractRow> = contracts.iter().filter(|c| c.state.unpaid()).collect();
    let in_flight = match store.ledger().balance(&accounts::contracts(currency)).await {
        Ok(b) => b.credits_posted - b.debits_posted,
        Err(ledger::Error::AccountNotFound { .. }) => 0,
        Err(e) => return Err(crate::store::StoreError::from(e).into()),
    };
    let unpaid_sum: i64 = unpaid.iter().map(|c| c.amount_minor).sum();
    lines.push(Line {
        item: format!("contracts in flight ({} unpaid)", unpaid.len()),
        ledger: format!("{in_flight} minor"),
        chain: format!("{unpaid_sum} minor in contract rows"),
        ok: in_flight == unpaid_sum,
    });
    let mut moved = 0i64;
    for c in &unpaid {
        if chain
            .authorization_tx(contract_nonce(&c.id))
            .await?
            .is_some()
        {
            moved += c.amount_minor;
        }
    }
    for c in &contracts {
        match c.state {
            State::Paid | State::Receipted | State::Expired => {
                lines.push(check_paid(chain, c).await?)
            }
            State::Failed => {
                let used_by = chain.authorization_tx(contract_nonce(&c.id)).await?;
                lines.push(Line {
                    item: format!("failed contract {}", c.id),
                    ledger: format!(
                        "{} minor back to the requester",
                        c.amount_minor + c.fee_minor
                    ),
                    chain: match used_by {
                        Some(tx) => format!("PAID by {tx}"),
                        None => "authorization unused".into(),
                    },
                    ok: used_by.is_none(),
                });
            }
            _ => {}
        }
    }
    let mut r = reconcile_with(store, chain, currency, currency_decimals, moved).await?;
    r.lines.extend(lines);
    Ok(r)
}

/// A paid contract's transaction pays exactly its authorization.
async fn check_paid(chain: &Chain, c: &ContractRow) -> Result<Line, PayoutError> {
    let item = format!("contract {}", c.id);
    let ledger = format!(
        "{} to {} in {}",
        c.token_value,
        c.pay_to,
        c.tx_hash.as_deref().unwrap_or("?")
    );
    let parsed = (
        c.tx_hash.as_deref().and_then(|t| t.parse::<B256>().ok()),
        c.pay_to.parse::<Address>().ok(),
        U256::from_str_radix(&c.token_value, 10).ok(),
    );
    let ok = match parsed {
        (Some(tx), Some(to), Some(value)) => {
            chain.pays(tx, contract_nonce(&c.id), to, value).await?
        }
        _ => false,
    };
    Ok(Line {
        item,
        ledger,
        chain: if ok {
            "transferred".into()
        } else {
            "NOT this payment".into()
        },
        ok,
    })
}
