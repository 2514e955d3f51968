//! Compute contracts (`seeds/004`): a requester's request for proposal
//! (CCRFP), a bidder's bid (CCB), her accept (CCBA), the payment to the
//! bid's x402 URL named by the accept, and the bidder's receipt (CCR). The
//! exchange is her payment agent: it checks the chain of records, weighs
//! the bidder by her trust policy over vouch and denounce records, checks
//! the bid's terms against her authorization and her funds, pays exactly
//! the bid once, and matches the receipt.
//!
//! - `records`, `links`, `trust`, `terms`: the records and the rules, pure;
//! - `row`, `store`: the contract as a persisted state machine and its
//!   money, in one transaction per move;
//! - `gather`: the records and the vouch graph a decision reads;
//! - `pay`: the payment over x402 and the chain, safe across crashes;
//! - `standin`: a bidder's x402 endpoint, for tests and the demo.

pub mod fixtures;
pub mod gather;
pub mod links;
mod pay;
pub mod records;
pub mod row;
pub mod standin;
pub mod store;
pub mod terms;
#[cfg(test)]
mod tests;
pub mod trust;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alloy::primitives::B256;

use crate::authentic::RecordTrust;
use crate::exchange::{Exchange, FeePolicy};
use crate::failure::{Failure, FailureKind};
use crate::payout::Payouts;
use crate::records::cid::Cid;
use crate::records::formats::{Micros, tid};
use crate::records::json::{Map, Value};
use crate::records::{PaymentAuthorization, RawRecord, Record, parse_record};
use crate::store::Store;
pub use pay::contract_nonce;
use records::{Ccb, Ccba, Ccr, Ccrfp, NSID_CCBAP};
use row::{ContractRow, State};
use store::{Consumed, ContractStoreError};
use terms::Clearing;
use trust::{Decision, Policy};

/// The method a requester's service auth token names to accept a bid,
/// to set her trust policy, and to read her contracts (a bidder reads its
/// own with the last one too).
pub const LXM_ACCEPT: &str = "dev.settlement.contract.accept";
pub const LXM_SET_POLICY: &str = "dev.settlement.contract.setTrustPolicy";
pub const LXM_LIST: &str = "dev.settlement.contract.list";

/// How contracts are cleared.
#[derive(Clone, Debug)]
pub struct ContractConfig {
    pub clearing: Clearing,
    /// A paid contract without a receipt this long after it was accepted
    /// is expired and flagged for a dispute.
    pub receipt_window_secs: u64,
    /// Payment attempts before the authorization is canceled.
    pub max_attempts: i64,
    /// How long a signed payment authorization stays valid.
    pub validity_secs: u64,
}

impl Default for ContractConfig {
    fn default() -> Self {
        ContractConfig {
            clearing: Clearing::default(),
            receipt_window_secs: 24 * 3600,
            max_attempts: 5,
            validity_secs: 3600,
        }
    }
}

/// The contract engine.
pub struct Contracts {
    store: Store,
    payouts: Arc<Payouts>,
    exchange: Exchange,
    fees: FeePolicy,
    records: RecordTrust,
    clock: Arc<dyn ledger::Clock>,
    config: ContractConfig,
    failpoint: Option<String>,
    /// One stepper at a time in this process.
    steps: tokio::sync::Mutex<()>,
    outcomes: Mutex<BTreeMap<&'static str, u64>>,
}

/// An accept's answer: the contract, and whether this request made it.
pub struct Accepted {
    pub contract: ContractRow,
    pub created: bool,
}

fn refused(code: &'static str, message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Rejected, code, message)
}

impl Contracts {
    pub fn new(
        store: Store,
        payouts: Arc<Payouts>,
        exchange: Exchange,
        fees: FeePolicy,
        records: RecordTrust,
        clock: Arc<dyn ledger::Clock>,
        config: ContractConfig,
    ) -> Contracts {
        Contracts {
            store,
            payouts,
            exchange,
            fees,
            records,
            clock,
            config,
            failpoint: None,
            steps: tokio::sync::Mutex::new(()),
            outcomes: Mutex::new(BTreeMap::new()),
        }
    }

    /// Stops the process at a named point (for the crash tests, which kill
    /// it there): `contract-paid`, once the bidder answered the payment and
    /// before anything of it is written.
    pub fn with_failpoint(mut self, name: Option<String>) -> Contracts {
        self.failpoint = name;
        self
    }

    pub fn config(&self) -> &ContractConfig {
        &self.config
    }

    /// The chain contracts are paid on.
    pub fn chain(&self) -> &crate::payout::chain::Chain {
        self.payouts.chain()
    }

    fn now(&self) -> Micros {
        self.clock.now_us()
    }

    fn failpoint(&self, name: &str, id: &str) {
        if self.failpoint.as_deref() == Some(name) {
            eprintln!("failpoint {name} reached by contract {id}");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }

    fn count(&self, outcome: &'static str) {
        if let Ok(mut m) = self.outcomes.lock() {
            *m.entry(outcome).or_insert(0) += 1;
        }
    }

    /// The outcome counters in Prometheus text.
    pub fn render_metrics(&self) -> String {
        let mut out = String::from(
            "# HELP settlement_contract_outcomes_total Compute contract accepts and moves, by outcome (accepted, replayed, paid, receipted, expired, failed, or the refusal's code).\n# TYPE settlement_contract_outcomes_total counter\n",
        );
        if let Ok(m) = self.outcomes.lock() {
            for (k, n) in m.iter() {
                out.push_str(&format!(
                    "settlement_contract_outcomes_total{{outcome=\"{k}\"}} {n}\n"
                ));
            }
        }
        out
    }

    /// The policy of `requester`, and whether she set it.
    pub async fn policy(&self, requester: &str) -> Result<(Policy, bool), Failure> {
        Ok(store::policy(&self.store, requester).await?)
    }

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

        let (policy, _) = store::policy(s, &requester).await?;
        let graph = gather::graph(s, &requester, &policy).await?;
        let decision = trust::decide(&policy, &requester, &bidder, &graph);
        if !decision.allowed {
            let mut m = format!("policy {}: {}", policy.mode.as_str(), decision.explanation);
            if !decision.records.is_empty() {
                m.push_str(&format!(" (records: {})", decision.records.join(", ")));
            }
            return Err(refused(decision.code, m));
        }

        let clearing = &self.config.clearing;
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
            refused(e.code(), format!("ccb.bid.x402.base_url: {e}"))
        })?;

        // Validity starts from the later of the chain's clock and ours.
        let (_, chain_now) = self.payouts.chain().latest_block().await.map_err(|e| {
            Failure::new(FailureKind::Unavailable, "chain-unavailable", e.to_string())
        })?;
        let start = chain_now.max(u64::try_from(now / 1_000_000).unwrap_or(0));
        let valid_before =
            i64::try_from(start.saturating_add(self.config.validity_secs)).unwrap_or(i64::MAX);
        let id = format!(
            "cc_{}",
            crate::accounts::short_hash(&["contract", ccba_uri])
        );
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
                let existing = store::by_ccba(s, ccba_uri).await?.ok_or_else(|| {
                    Failure::new(
                        FailureKind::Conflict,
                        "contract-exists",
                        "the contract's id or nonce is taken",
                    )
                })?;
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
        let id = crate::accounts::requester(requester, &self.config.clearing.ledger_currency);
        match self.store.ledger().balance(&id).await {
            Ok(b) => Ok(b.available.unwrap_or(0)),
            Err(ledger::Error::AccountNotFound { .. }) => Ok(0),
            Err(e) => Err(crate::store::StoreError::from(e).into()),
        }
    }

    /// Steps contract `id` as far as it goes now; a receipt in the
    /// bidder's answer closes it. Chain trouble leaves it to the resumer.
    async fn drive(&self, id: &str) -> Result<(), Failure> {
        let _one = self.steps.lock().await;
        let Some(c) = store::get(&self.store, id).await? else {
            return Ok(());
        };
        match self.step(&c).await {
            Ok(Some(body)) => {
                if let Err(f) = self.receipt_from_answer(id, &body).await {
                    tracing::warn!(contract = %id, code = f.code, error = %f.message, "the bidder's answer carries no receipt that closes the contract");
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(contract = %id, error = %e, "contract step failed; resumed later")
            }
        }
        Ok(())
    }

    /// Steps every unfinished contract once (after a restart, and on a
    /// schedule): payments followed on chain, deadlines applied.
    pub async fn resume(&self) -> Result<usize, Failure> {
        let open = store::list(&self.store, store::Filter::Unfinished, 0, 1000).await?;
        for c in &open {
            self.drive(&c.id).await?;
        }
        Ok(open.len())
    }

    /// Paid by `tx`: the payment record, and the money leaves in the
    /// ledger.
    async fn mark_paid(&self, c: &ContractRow, tx: B256) -> Result<(), pay::StepError> {
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
        if store::paid(
            &self.store,
            c,
            &tx.to_string(),
            (&uri, &cid, &value),
            &self.exchange.did,
            self.now(),
        )
        .await?
        {
            tracing::info!(contract = %c.id, tx = %tx, "contract paid");
            self.count("paid");
        }
        Ok(())
    }

    /// The receipt in the bidder's paid answer: `{uri, cid?, value}`.
    async fn receipt_from_answer(&self, id: &str, body: &[u8]) -> Result<(), Failure> {
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
        let c = self.close(&ccr).await?;
        if c.id != id {
            return Err(refused(
                "contract-link-broken",
                "ccr.ccba: names another contract",
            ));
        }
        Ok(())
    }

    /// A receipt (`ccr`) closes its contract: stored, checked against the
    /// contract's three records and its bidder, and the contract
    /// receipted once paid.
    pub async fn close(&self, ccr: &Record<Ccr>) -> Result<ContractRow, Failure> {
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
        if store::receipted(
            &self.store,
            &c.id,
            &ccr.uri.to_string(),
            &ccr.cid.to_string(),
            self.now(),
        )
        .await?
        {
            tracing::info!(contract = %c.id, "contract receipted");
            self.count("receipted");
        } else if c.state.unpaid() {
            // Kept: it closes the contract once the payment is confirmed.
            return Err(Failure::new(
                FailureKind::Conflict,
                "contract-unpaid",
                "ccr: the contract's payment is not confirmed yet; post the receipt again once it is",
            ));
        }
        Ok(store::get(&self.store, &c.id).await?.unwrap_or(c))
    }
}

/// Resumes unfinished contracts now (after a restart) and every `every`.
pub fn spawn_resumer(contracts: Arc<Contracts>, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            match contracts.resume().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(open = n, "unfinished contracts stepped"),
                Err(f) => {
                    tracing::warn!(code = f.code, error = %f.message, "contract resume failed")
                }
            }
            tokio::time::sleep(every).await;
        }
    });
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

/// The policy and what it decided, as the contract keeps them.
pub fn decision_value(policy: &Policy, d: &Decision) -> Value {
    let mut p = Map::new();
    p.insert("mode".into(), policy.mode.as_str().into());
    if let trust::Mode::Network { hops } = policy.mode {
        p.insert("hops".into(), Value::Int(i128::from(hops)));
    }
    p.insert("heedVouchees".into(), Value::Bool(policy.heed_vouchees));
    let mut m = Map::new();
    m.insert("policy".into(), Value::Object(p));
    m.insert("allowed".into(), Value::Bool(d.allowed));
    m.insert("code".into(), d.code.into());
    m.insert("explanation".into(), d.explanation.clone().into());
    m.insert(
        "records".into(),
        Value::Array(d.records.iter().map(|u| Value::from(u.as_str())).collect()),
    );
    Value::Object(m)
}
