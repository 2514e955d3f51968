//! Accepting a bid: the records and their chain, the requester's policy,
//! the bid's terms against her authorization and funds, the bidder's 402,
//! then the money and the contract in one transaction, and the payment.

use super::records::{Ccb, Ccba, Ccrfp};
use super::row::{ContractRow, State};
use super::store::{Consumed, ContractStoreError};
use super::{
    Accepted, Contracts, contract_nonce, decision_value, gather, links, refused, store, terms,
    trust,
};
use crate::failure::{Failure, FailureKind};
use crate::records::PaymentAuthorization;

impl Contracts {
    /// The accept at `ccba_uri`, under `authorization_uri`: checked, paid
    /// and, when the bidder answers with its receipt, closed. A replay
    /// returns the contract as it stands.
    pub async fn accept(
        &self,
        ccba_uri: &str,
        authorization_uri: &str,
    ) -> Result<Accepted, Failure> {
        let out = self.accept_inner(ccba_uri, authorization_uri).await;
        match &out {
            Ok(a) if a.created => self.count("accepted"),
            Ok(_) => self.count("replayed"),
            Err(f) => self.count(f.code),
        }
        out
    }

    async fn accept_inner(
        &self,
        ccba_uri: &str,
        authorization_uri: &str,
    ) -> Result<Accepted, Failure> {
        let now = self.now();
        let s = &self.store;
        let ccba = gather::record::<Ccba>(s, &self.records, ccba_uri, "ccba", now).await?;
        if let Some(existing) = store::by_ccba(s, ccba_uri).await? {
            if existing.ccba_cid != ccba.cid.to_string() {
                return Err(Failure::new(
                    FailureKind::Conflict,
                    "contract-exists",
                    format!(
                        "ccba: a contract for {ccba_uri} exists with CID {}, not {}",
                        existing.ccba_cid, ccba.cid
                    ),
                ));
            }
            return Ok(Accepted {
                contract: existing,
                created: false,
            });
        }
        if let Some(p) = &ccba.data.payment {
            return Err(refused(
                "contract-paid-elsewhere",
                format!(
                    "ccba.payment: this accept names a payment already made ({}); the exchange pays only accepts not yet paid",
                    p.uri
                ),
            ));
        }
        let rfp = gather::record::<Ccrfp>(
            s,
            &self.records,
            &ccba.data.embed.uri.to_string(),
            "ccrfp",
            now,
        )
        .await?;
        let bid =
            gather::record::<Ccb>(s, &self.records, &ccba.data.bid.uri.to_string(), "ccb", now)
                .await?;
        links::check_accept(&rfp, &bid, &ccba)
            .map_err(|e| refused("contract-link-broken", e.to_string()))?;
        let requester = ccba.owner().to_owned();
        let bidder = bid.owner().to_owned();

        let (policy, _) = super::graph_store::policy(s, &requester).await?;
        let graph = gather::graph(s, &requester, &bidder, &policy).await?;
        let decision = trust::decide(&policy, &requester, &bidder, &graph);
        if !decision.allowed {
            let mut m = format!("policy {}: {}", policy.mode.as_str(), decision.explanation);
            if !decision.records.is_empty() {
                m.push_str(&format!(" (records: {})", decision.records.join(", ")));
            }
            return Err(refused(decision.code, m));
        }

        let clearing = &self.clearing;
        let price = terms::price_minor(&bid.data.terms, clearing)
            .map_err(|e| refused(e.code, e.message))?;
        let fee = i64::try_from(self.fees.fee(price.unsigned_abs(), false)).unwrap_or(i64::MAX);
        let charge = price.checked_add(fee).ok_or_else(|| {
            refused(
                "amount-out-of-range",
                "ccb.bid.cost: the price and the fee overflow",
            )
        })?;
        let authorization = gather::record::<PaymentAuthorization>(
            s,
            &self.records,
            authorization_uri,
            "authorization",
            now,
        )
        .await?;
        terms::check_authorization(
            &authorization,
            &requester,
            &self.exchange.did,
            now,
            charge,
            clearing,
        )
        .map_err(|e| refused(e.code, e.message))?;
        if let Some(state) = s.authorization_by_uri(authorization_uri).await?
            && (state.consumed || state.revoked)
        {
            return Err(refused(
                "authorization-consumed",
                "authorization: already charged or revoked; a contract needs an unused singleJob authorization",
            ));
        }
        let available = self.available(&requester).await?;
        if available < charge {
            return Err(refused(
                "insufficient-funds",
                format!(
                    "the requester's available funds ({available}) do not cover the price {price} and the fee {fee}"
                ),
            ));
        }
        let (token_value, _) = crate::payout::to_token_units(
            price,
            self.payouts.config().currency_decimals,
            self.payouts.token_decimals(),
        )
        .ok_or_else(|| {
            refused(
                "amount-out-of-range",
                "ccb.bid.cost: beyond the token's range",
            )
        })?;
        let token_value = token_value.to_string();
        let url = terms::payment_url(&bid.data.terms.base_url, ccba_uri, &ccba.cid.to_string())
            .map_err(|e| refused(e.code, e.message))?;
        let asked = self.ask(&url, &token_value).await.map_err(|e| {
            tracing::warn!(error = %e, "a bid's x402 endpoint was refused");
            refused(
                e.code(),
                format!("ccb.bid.x402.base_url: {}", caller_safe(&e)),
            )
        })?;

        // Validity starts from the later of the chain's clock and ours.
        let (_, chain_now) = self.payouts.chain().latest_block().await.map_err(|e| {
            // The node's URL (an API key in it, often) stays in the log.
            tracing::warn!(error = %e, "the chain node did not answer an accept");
            Failure::new(
                FailureKind::Unavailable,
                "chain-unavailable",
                "the chain node did not answer; nothing moved, try again",
            )
        })?;
        let start = chain_now.max(u64::try_from(now / 1_000_000).unwrap_or(0));
        let valid_before =
            i64::try_from(start.saturating_add(self.config.validity_secs)).unwrap_or(i64::MAX);
        let id = super::pay::contract_id(ccba_uri);
        let mut row = ContractRow {
            seq: 0,
            id: id.clone(),
            ccba_uri: ccba_uri.to_owned(),
            ccba_cid: ccba.cid.to_string(),
            rfp_uri: rfp.uri.to_string(),
            rfp_cid: rfp.cid.to_string(),
            bid_uri: bid.uri.to_string(),
            bid_cid: bid.cid.to_string(),
            requester: requester.clone(),
            provider: bidder,
            authorization_uri: authorization_uri.to_owned(),
            currency: clearing.ledger_currency.clone(),
            amount_minor: price,
            fee_minor: fee,
            frequency: bid.data.terms.frequency.clone(),
            token_value,
            url,
            pay_to: asked.pay_to.to_string(),
            nonce: contract_nonce(&id).to_string(),
            valid_before,
            signature: String::new(),
            decision: decision_value(&policy, &decision),
            state: State::Accepted,
            tx_hash: None,
            payment_uri: None,
            payment_cid: None,
            payment_value: None,
            ccr_uri: None,
            ccr_cid: None,
            receipt_due: now.saturating_add(
                i64::try_from(self.config.receipt_window_secs)
                    .unwrap_or(i64::MAX / 1_000_000)
                    .saturating_mul(1_000_000),
            ),
            attempts: 0,
            error: None,
            created_at: now,
            updated_at: now,
        };
        let auth = self
            .authorization(&row)
            .map_err(|e| Failure::new(FailureKind::Internal, "internal", e.to_string()))?;
        row.signature = auth
            .sign(
                self.payouts.chain().treasury(),
                &self.payouts.chain().config.domain(),
            )
            .to_string();
        let consumed = Consumed {
            nonce: authorization.data.nonce.as_str(),
            cid: &authorization.cid.to_string(),
            limit_minor: i64::try_from(authorization.data.ceiling.amount).unwrap_or(i64::MAX),
            expires_at: authorization.data.expires_at.unix_micros(),
        };
        match store::accept(s, &row, &consumed, &self.exchange.did).await {
            Ok(()) => {}
            Err(ContractStoreError::Exists) => {
                // Not this accept's: another accept of a one-time bid.
                let existing = store::by_ccba(s, ccba_uri).await?.ok_or_else(|| {
                    Failure::new(
                        FailureKind::Conflict,
                        "bid-accepted-already",
                        "ccba.bid: a one-time bid is paid once, and another accept of it is under way or done",
                    )
                })?;
                if existing.ccba_cid != row.ccba_cid {
                    return Err(Failure::new(
                        FailureKind::Conflict,
                        "contract-exists",
                        format!(
                            "ccba: a contract for {ccba_uri} exists with CID {}, not {}",
                            existing.ccba_cid, row.ccba_cid
                        ),
                    ));
                }
                return Ok(Accepted {
                    contract: existing,
                    created: false,
                });
            }
            Err(ContractStoreError::InsufficientFunds) => {
                return Err(refused(
                    "insufficient-funds",
                    "the requester's available funds do not cover the price and the fee",
                ));
            }
            Err(ContractStoreError::AuthorizationConsumed) => {
                return Err(refused(
                    "authorization-consumed",
                    "authorization: already charged, or its nonce is bound to another authorization of the requester",
                ));
            }
            Err(ContractStoreError::Store(e)) => return Err(e.into()),
        }
        tracing::info!(contract = %id, "contract accepted; paying the bid");
        self.failpoint("contract-accepted", &id);
        self.drive(&id).await?;
        let contract = store::get(s, &id).await?.ok_or_else(|| {
            Failure::new(FailureKind::Internal, "internal", "the contract vanished")
        })?;
        Ok(Accepted {
            contract,
            created: true,
        })
    }

    async fn available(&self, requester: &str) -> Result<i64, Failure> {
        let id = crate::accounts::requester(requester, &self.clearing.ledger_currency);
        match self.store.ledger().balance(&id).await {
            Ok(b) => Ok(b.available.unwrap_or(0)),
            Err(ledger::Error::AccountNotFound { .. }) => Ok(0),
            Err(e) => Err(crate::store::StoreError::from(e).into()),
        }
    }
}

/// What the caller is told of a bid's endpoint that was refused: what its
/// 402 asked, but nothing of where its name led or what the connection met
/// (an address inside the exchange's network, say). The rest is logged.
fn caller_safe(e: &crate::payout::x402::X402Error) -> String {
    use crate::payout::x402::X402Error;
    match e {
        X402Error::Mismatch(_) | X402Error::Wire { .. } => e.to_string(),
        X402Error::Egress(_) => "not an https URL on a public address".into(),
        X402Error::Http { .. } => "the endpoint did not answer with a usable 402".into(),
    }
}
