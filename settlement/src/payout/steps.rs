//! The steps of a payout's state machine (see the module above): sign,
//! send, follow what the chain did, confirm, or give up safely.

use alloy::primitives::{Address, B256, Bytes, U256};

use super::chain::{ChainError, NonceEvent, TxStatus, payout_nonce};
use super::{PayoutError, Payouts, Step, data, parse_address, processor_reference, x402};
use crate::records::cid::Cid;
use crate::records::json::Value;
use crate::store::payouts::{Advance, PayoutRow, PayoutState, Rail};

/// What the provider is told of an x402 failure (the payout row's error,
/// which its reads show): a short code, never the endpoint's own text or
/// an address it led to. The whole error goes to the operator's log.
fn x402_failed(p: &PayoutRow, e: &x402::X402Error) -> String {
    tracing::warn!(payout = %p.id, error = %e, "x402 payout attempt failed");
    e.code().to_owned()
}

impl Payouts {
    /// planned -> signed. On the x402 rail, the provider's 402 answer says
    /// where to pay; it must match this chain, this token and this amount.
    pub(super) async fn sign(&self, p: &PayoutRow) -> Result<Step, PayoutError> {
        let pay_to = match p.rail {
            Rail::Direct => parse_address(p, p.pay_to.as_deref())?,
            Rail::X402 => {
                let url = p.url.as_deref().ok_or_else(|| data(&p.id, "no x402 URL"))?;
                match x402::request_requirements(&self.config.egress, url, p, &self.chain.config)
                    .await
                {
                    Ok(req) => req.pay_to,
                    Err(e) => return self.note_attempt(p, x402_failed(p, &e)).await,
                }
            }
        };
        let auth = self.authorization(p, pay_to)?;
        let sig = auth.sign(self.chain.treasury(), &self.chain.config.domain());
        let advance = Advance {
            signature: Some(sig.to_string()),
            pay_to: Some(pay_to.to_string()),
            ..Advance::default()
        };
        if self
            .store
            .advance_payout(
                &p.id,
                PayoutState::Planned,
                PayoutState::Signed,
                &advance,
                self.now(),
            )
            .await?
        {
            self.failpoint("signed", &p.id);
        }
        Ok(Step::Moved)
    }

    /// A transient failure: counted, kept, retried next round; after
    /// `max_attempts` on the x402 rail the payout is given up safely.
    pub(super) async fn note_attempt(
        &self,
        p: &PayoutRow,
        error: String,
    ) -> Result<Step, PayoutError> {
        if p.rail == Rail::X402 && p.attempts + 1 >= self.config.max_attempts {
            return self.fail_safely(p, &format!("x402 rail: {error}")).await;
        }
        let advance = Advance {
            error: Some(error),
            count_attempt: true,
            ..Advance::default()
        };
        self.store
            .advance_payout(&p.id, p.state, p.state, &advance, self.now())
            .await?;
        Ok(Step::Waiting)
    }

    /// signed -> submitted, after asking the chain whether the
    /// authorization was already used (then only its transaction is
    /// learned, nothing is sent).
    pub(super) async fn send(&self, p: &PayoutRow) -> Result<Step, PayoutError> {
        let nonce = self.authorization(p, Address::ZERO)?.nonce;
        if self.chain.authorization_used(nonce).await? {
            return self.adopt_used(p).await;
        }
        if self
            .chain
            .expired_deep(u64::try_from(p.valid_before).unwrap_or(0))
            .await?
        {
            // Expired unused, `confirmations` deep: no transaction can use
            // it any more.
            return self
                .fail_now(p, "authorization expired before it was used")
                .await;
        }
        let pay_to = parse_address(p, p.pay_to.as_deref())?;
        let auth = self.authorization(p, pay_to)?;
        let signature: Bytes = p
            .signature
            .as_deref()
            .ok_or_else(|| data(&p.id, "signed without a signature"))?
            .parse()
            .map_err(|_| data(&p.id, "signature is not hex"))?;
        let sent = match p.rail {
            Rail::Direct => self.chain.send_authorization(&auth, &signature).await,
            Rail::X402 => {
                let url = p.url.as_deref().ok_or_else(|| data(&p.id, "no x402 URL"))?;
                match x402::pay(
                    &self.config.egress,
                    url,
                    p,
                    &auth,
                    &signature,
                    &self.chain.config,
                )
                .await
                {
                    Ok(tx) => Ok(tx),
                    Err(e) => return self.note_attempt(p, x402_failed(p, &e)).await,
                }
            }
        };
        let tx = match sent {
            Ok(tx) => tx,
            Err(ChainError::Revert(reason)) if reason.contains("used or canceled") => {
                return Ok(Step::Moved);
            }
            Err(ChainError::Revert(reason)) => {
                return self
                    .fail_safely(p, &format!("the token refused the payout: {reason}"))
                    .await;
            }
            Err(e) => return self.note_attempt(p, e.to_string()).await,
        };
        self.failpoint("sent", &p.id);
        let advance = Advance {
            tx_hash: Some(tx.to_string()),
            count_attempt: true,
            ..Advance::default()
        };
        if self
            .store
            .advance_payout(
                &p.id,
                PayoutState::Signed,
                PayoutState::Submitted,
                &advance,
                self.now(),
            )
            .await?
        {
            self.failpoint("submitted", &p.id);
        }
        Ok(Step::Moved)
    }

    /// The authorization is used on chain (`authorizationState`): follow
    /// the transaction that used it, or fail the payout once its
    /// cancellation is `confirmations` deep. Anything less certain (the
    /// node shows no event for it yet, or the cancel is shallow) leaves the
    /// payout in flight, to be looked at again: it is never made payable
    /// again without evidence that it can no longer move money.
    pub(super) async fn adopt_used(&self, p: &PayoutRow) -> Result<Step, PayoutError> {
        let nonce = payout_nonce(&p.id);
        match self.chain.nonce_event(nonce).await? {
            Some(NonceEvent::Used { tx, .. }) => {
                let advance = Advance {
                    tx_hash: Some(tx.to_string()),
                    ..Advance::default()
                };
                self.store
                    .advance_payout(&p.id, p.state, PayoutState::Submitted, &advance, self.now())
                    .await?;
                Ok(Step::Moved)
            }
            Some(NonceEvent::Canceled { block_number, .. }) => {
                if self.chain.depth(block_number).await? >= self.chain.config.confirmations {
                    let reason = match p.error.as_deref() {
                        Some(why) => format!("authorization canceled on chain after: {why}"),
                        None => "authorization canceled on chain".to_owned(),
                    };
                    self.fail_now(p, &reason).await
                } else {
                    Ok(Step::Waiting)
                }
            }
            None => {
                tracing::warn!(payout = %p.id, "the chain says the authorization is used but shows no event for it; left in flight");
                let advance = Advance {
                    error: Some(
                        "used on chain, but no AuthorizationUsed or AuthorizationCanceled event is visible yet"
                            .into(),
                    ),
                    ..Advance::default()
                };
                self.store
                    .advance_payout(&p.id, p.state, p.state, &advance, self.now())
                    .await?;
                Ok(Step::Waiting)
            }
        }
    }

    /// Gives a payout up without ever risking a double payment: a signed
    /// authorization is canceled on chain first, and the payout fails only
    /// once that cancellation is deep enough (see [`Payouts::adopt_used`]);
    /// if the cancel finds it used, it was paid after all and is followed
    /// instead. An unsigned payout can move no money and fails at once.
    pub(super) async fn fail_safely(
        &self,
        p: &PayoutRow,
        reason: &str,
    ) -> Result<Step, PayoutError> {
        if p.signature.is_none() {
            return self.fail_now(p, reason).await;
        }
        let nonce = payout_nonce(&p.id);
        match self.chain.cancel_authorization(nonce).await {
            Ok(_) => {}
            Err(ChainError::Revert(r)) if r.contains("used or canceled") => {}
            Err(e) => return Err(e.into()),
        }
        tracing::warn!(payout = %p.id, reason, "payout given up; its authorization is canceled on chain");
        let advance = Advance {
            error: Some(reason.to_owned()),
            ..Advance::default()
        };
        self.store
            .advance_payout(&p.id, p.state, p.state, &advance, self.now())
            .await?;
        let noted = PayoutRow {
            error: Some(reason.to_owned()),
            ..p.clone()
        };
        self.adopt_used(&noted).await
    }

    /// The payout fails now and its amount is payable again: only where
    /// its authorization can never move money.
    pub(super) async fn fail_now(&self, p: &PayoutRow, reason: &str) -> Result<Step, PayoutError> {
        tracing::warn!(payout = %p.id, reason, "payout failed; its amount is payable again");
        self.store.fail_payout(p, reason, self.now()).await?;
        Ok(Step::Done)
    }

    /// submitted -> confirmed once deep enough; back to signed (re-sent with
    /// the same authorization) if a reorg dropped the transaction.
    pub(super) async fn watch(&self, p: &PayoutRow) -> Result<Step, PayoutError> {
        let tx: B256 = p
            .tx_hash
            .as_deref()
            .ok_or_else(|| data(&p.id, "submitted without a transaction"))?
            .parse()
            .map_err(|_| data(&p.id, "tx_hash is not 32 bytes of hex"))?;
        match self.chain.tx_status(tx).await? {
            TxStatus::Pending => Ok(Step::Waiting),
            TxStatus::Mined {
                block_number,
                block_hash,
                depth,
                success: true,
            } => {
                if !self.pays(p, tx).await? {
                    return self.not_this_payment(p, tx).await;
                }
                if depth < self.chain.config.confirmations {
                    let number = i64::try_from(block_number).unwrap_or(i64::MAX);
                    if p.block_number != Some(number)
                        || p.block_hash.as_deref() != Some(&block_hash.to_string())
                    {
                        let advance = Advance {
                            block_number: Some(number),
                            block_hash: Some(block_hash.to_string()),
                            ..Advance::default()
                        };
                        self.store
                            .advance_payout(&p.id, p.state, p.state, &advance, self.now())
                            .await?;
                    }
                    return Ok(Step::Waiting);
                }
                self.confirm(p, tx, block_number, block_hash).await
            }
            TxStatus::Mined { success: false, .. } | TxStatus::Unknown => {
                if self.chain.authorization_used(payout_nonce(&p.id)).await? {
                    // Used by another transaction (a resend, or the
                    // provider's facilitator) or canceled: follow that.
                    let event = self.chain.nonce_event(payout_nonce(&p.id)).await?;
                    return match event {
                        Some(NonceEvent::Used { tx: used, .. }) if used == tx => Ok(Step::Waiting),
                        Some(_) => self.adopt_used(p).await,
                        None => Ok(Step::Waiting),
                    };
                }
                tracing::warn!(payout = %p.id, tx = %tx, "payout transaction dropped or reverted; sending the authorization again");
                let advance = Advance {
                    clear_tx: true,
                    error: Some(format!("transaction {tx} was dropped or reverted")),
                    ..Advance::default()
                };
                self.store
                    .advance_payout(
                        &p.id,
                        PayoutState::Submitted,
                        PayoutState::Signed,
                        &advance,
                        self.now(),
                    )
                    .await?;
                Ok(Step::Moved)
            }
        }
    }

    /// Whether mined transaction `tx` pays this payout: its nonce, its
    /// recipient, its value.
    pub(super) async fn pays(&self, p: &PayoutRow, tx: B256) -> Result<bool, PayoutError> {
        let to = parse_address(p, p.pay_to.as_deref())?;
        let value = U256::from_str_radix(&p.token_value, 10)
            .map_err(|_| data(&p.id, "token_value is not a decimal integer"))?;
        Ok(self.chain.pays(tx, payout_nonce(&p.id), to, value).await?)
    }

    /// A mined transaction that is not this payout's payment (a hash an
    /// x402 endpoint reported, say): it is forgotten, and the payout goes
    /// back to `signed`, where the chain is asked again whether its
    /// authorization was used. On the x402 rail, after `max_attempts` the
    /// payout is given up safely.
    pub(super) async fn not_this_payment(
        &self,
        p: &PayoutRow,
        tx: B256,
    ) -> Result<Step, PayoutError> {
        let error = format!("transaction {tx} does not pay this payout's authorization");
        tracing::warn!(payout = %p.id, tx = %tx, "reported transaction does not pay the payout");
        if p.rail == Rail::X402 && p.attempts + 1 >= self.config.max_attempts {
            return self.fail_safely(p, &error).await;
        }
        let advance = Advance {
            clear_tx: true,
            error: Some(error),
            count_attempt: true,
            ..Advance::default()
        };
        self.store
            .advance_payout(
                &p.id,
                PayoutState::Submitted,
                PayoutState::Signed,
                &advance,
                self.now(),
            )
            .await?;
        // Looked at again in the next round, not in a loop now.
        Ok(Step::Waiting)
    }

    pub(super) async fn confirm(
        &self,
        p: &PayoutRow,
        tx: B256,
        block_number: u64,
        block_hash: B256,
    ) -> Result<Step, PayoutError> {
        let reference = processor_reference(self.chain.config.chain_id, tx);
        let exchange = &self.exchange;
        let resign = |stored: &Value, parts: &[i64]| -> Result<(String, Value), String> {
            let Value::Object(mut m) = stored.clone() else {
                return Err("a carried settlement is not an object".into());
            };
            if parts.is_empty() {
                m.insert("processorReference".into(), reference.clone().into());
            }
            for &i in parts {
                let index = usize::try_from(i).map_err(|_| format!("part {i}"))?;
                if !crate::computation::settled::set_part_reference(&mut m, index, &reference) {
                    return Err(format!("a carried settlement has no part {i}"));
                }
            }
            exchange.sign_settlement(&mut m);
            let value = Value::Object(m);
            let cid = Cid::for_record(&value).map_err(|e| format!("settlement CID: {e}"))?;
            Ok((cid.to_string(), value))
        };
        if self
            .store
            .confirm_payout(
                p,
                i64::try_from(block_number).unwrap_or(i64::MAX),
                &block_hash.to_string(),
                &resign,
                self.now(),
            )
            .await?
        {
            self.failpoint("confirmed", &p.id);
        }
        Ok(Step::Done)
    }
}
