//! A paid contract's money and payment record, and the bidder's receipt
//! that closes it.

use alloy::primitives::B256;

use super::records::{Ccr, NSID_CCBAP};
use super::row::{ContractRow, State};
use super::{Contracts, gather, links, pay, refused, store};
use crate::failure::{Failure, FailureKind};
use crate::records::cid::Cid;
use crate::records::formats::tid;
use crate::records::json::{Map, Value};
use crate::records::{RawRecord, Record, parse_record};

impl Contracts {
    /// Paid by `tx`: the payment record, and the money leaves in the
    /// ledger.
    pub(super) async fn mark_paid(&self, c: &ContractRow, tx: B256) -> Result<(), pay::StepError> {
        let chain_id = self.payouts.chain().config.chain_id;
        let mut bid = Map::new();
        bid.insert("uri".into(), c.bid_uri.clone().into());
        bid.insert("cid".into(), c.bid_cid.clone().into());
        let mut m = Map::new();
        m.insert("$type".into(), NSID_CCBAP.into());
        m.insert("embed".into(), Value::Object(bid));
        m.insert("txid".into(), format!("eip155:{chain_id}:{tx}").into());
        let value = Value::Object(m);
        let cid = Cid::for_record(&value)
            .map_err(|e| pay::StepError::Data {
                id: c.id.clone(),
                message: e.to_string(),
            })?
            .to_string();
        let uri = format!(
            "at://{}/{NSID_CCBAP}/{}",
            self.exchange.did,
            tid(self.now(), &c.id)
        );
        // The receipt is due a window after the payment, not the accept.
        let window = i64::try_from(self.config.receipt_window_secs)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000);
        let moved = store::paid(
            &self.store,
            c,
            &tx.to_string(),
            (&uri, &cid, &value),
            &self.exchange.did,
            self.now().saturating_add(window),
            self.now(),
        )
        .await?;
        if let Some(state) = moved {
            tracing::info!(contract = %c.id, tx = %tx, state = state.as_str(), "contract paid");
            self.count("paid");
            if state == State::Receipted {
                self.count("receipted");
            }
        }
        Ok(())
    }

    /// The receipt in the bidder's paid answer: `{uri, cid?, value}`.
    pub(super) async fn receipt_from_answer(&self, id: &str, body: &[u8]) -> Result<(), Failure> {
        let v = crate::records::json::parse(body).map_err(|e| {
            refused(
                "invalid-record",
                format!("the bidder's answer is not JSON: {e}"),
            )
        })?;
        let uri = v
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| refused("invalid-record", "answer.uri: must be a string"))?;
        let raw = RawRecord {
            uri: uri.to_owned(),
            cid: v.get("cid").and_then(Value::as_str).map(str::to_owned),
            value: v
                .get("value")
                .cloned()
                .ok_or_else(|| refused("invalid-record", "answer.value: is required"))?,
        };
        let accepted = self.records.posted(raw).await?;
        let ccr = parse_record::<Ccr>(&accepted.raw, "ccr").map_err(gather::record_failure)?;
        let (c, _) = self.close(&ccr).await?;
        if c.id != id {
            return Err(refused(
                "contract-link-broken",
                "ccr.ccba: names another contract",
            ));
        }
        Ok(())
    }

    /// A receipt (`ccr`) closes its contract: checked against the
    /// contract's three records and its bidder, stored, and kept on the
    /// row in one statement (receipted now if paid, else when paid). The
    /// contract, and whether this receipt changed it.
    pub async fn close(&self, ccr: &Record<Ccr>) -> Result<(ContractRow, bool), Failure> {
        let ccba_uri = ccr.data.ccba.uri.to_string();
        let c = store::by_ccba(&self.store, &ccba_uri)
            .await?
            .ok_or_else(|| {
                Failure::new(
                    FailureKind::NotFound,
                    "contract-not-found",
                    format!("ccr.ccba: no contract for {ccba_uri}"),
                )
            })?;
        close_check(&c, ccr)?;
        self.store
            .put_record(&ccr.uri, &ccr.cid.to_string(), &ccr.value, self.now())
            .await?;
        let moved = store::attach_receipt(
            &self.store,
            &c.id,
            &ccr.uri.to_string(),
            &ccr.cid.to_string(),
            self.now(),
        )
        .await?;
        match moved {
            Some(State::Receipted) => {
                tracing::info!(contract = %c.id, "contract receipted");
                self.count("receipted");
            }
            Some(_) => {
                tracing::info!(contract = %c.id, "receipt before the payment is confirmed; kept")
            }
            None => {}
        }
        let now = store::get(&self.store, &c.id).await?.unwrap_or(c);
        Ok((now, moved.is_some()))
    }
}

/// The receipt names exactly this contract's records and comes from its
/// bidder.
fn close_check(c: &ContractRow, ccr: &Record<Ccr>) -> Result<(), Failure> {
    let sref = |uri: &str, cid: &str| -> Result<crate::records::StrongRef, Failure> {
        Ok(crate::records::StrongRef {
            uri: crate::records::formats::AtUri::parse(uri).ok_or_else(|| {
                Failure::new(
                    FailureKind::Internal,
                    "internal",
                    "a stored URI is not an AT URI",
                )
            })?,
            cid: Cid::parse(cid)
                .map_err(|e| Failure::new(FailureKind::Internal, "internal", e.to_string()))?,
        })
    };
    links::check_receipt(
        ccr,
        &sref(&c.rfp_uri, &c.rfp_cid)?,
        &sref(&c.bid_uri, &c.bid_cid)?,
        &sref(&c.ccba_uri, &c.ccba_cid)?,
        &c.provider,
    )
    .map_err(|e| refused("contract-link-broken", e.to_string()))
}
