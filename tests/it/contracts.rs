//! Compute contracts over real HTTP on both databases, paid on a real
//! anvil: the bidder's endpoint is the x402-rs paywall middleware with the
//! x402-rs `exact` facilitator in process (`contract::standin`), which
//! settles the exchange's payment on chain and answers the bidder's
//! receipt.

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use settlement::contract::fixtures;
use settlement::contract::records::Kind;
use settlement::contract::standin::{self, Bidder, Endpoint};
use settlement::contract::{ContractConfig, Contracts, contract_nonce};
use settlement::payout::chain::{Chain, Treasury};
use settlement::payout::{PayoutConfig, Payouts};
use settlement::records::RawRecord;
use settlement::records::json::{self, Value};
use settlement::service::Service;
use settlement::testkit::{EXCHANGE, PROVIDER, REQUESTER};

use crate::app::{ADMIN_TOKEN, Backend, Reply};
use crate::payouts::{World, world};

const EVE: &str = "did:plc:eveeveeveeveeveeveeveeve";
const CAROL: &str = "did:plc:carolcarolcarolcarolcaro";
const DAVE: &str = "did:plc:davedavedavedavedavedave";
/// 4 USDC in the token's units (6 decimals).
const FOUR_USDC: u64 = 4_000_000;

struct Market {
    w: World,
    contracts: Arc<Contracts>,
}

async fn market(b: Backend) -> Market {
    market_with(b, 1, ContractConfig::default()).await
}

async fn market_with(b: Backend, confirmations: u64, config: ContractConfig) -> Market {
    let w = world(b, 1_000_000, confirmations).await;
    let contracts = engine(
        &w.app.service,
        &w.local,
        ContractConfig {
            receipt_window_secs: 3600,
            ..config
        },
    )
    .await;
    Market { w, contracts }
}

/// The contract engine of `svc`, paying on `local`'s chain (bidders'
/// endpoints on loopback), set on the service.
pub async fn engine(
    svc: &Service,
    local: &settlement::payout::local::LocalChain,
    config: ContractConfig,
) -> Arc<Contracts> {
    engine_with(
        svc,
        local,
        config,
        settlement::egress::Egress { loopback: true },
    )
    .await
}

/// As [`engine`], reaching bidders as `egress` allows.
async fn engine_with(
    svc: &Service,
    local: &settlement::payout::local::LocalChain,
    config: ContractConfig,
    egress: settlement::egress::Egress,
) -> Arc<Contracts> {
    let chain = Chain::connect(local.config.clone(), local.treasury.clone())
        .await
        .expect("chain");
    let payouts = Payouts::new(
        svc.store.clone(),
        chain,
        PayoutConfig {
            egress,
            maturity_secs: 0,
            ..PayoutConfig::default()
        },
        svc.exchange.clone(),
        svc.clock.clone(),
    )
    .await
    .expect("payouts");
    let contracts = Arc::new(Contracts::new(
        svc.store.clone(),
        Arc::new(payouts),
        svc.exchange.clone(),
        svc.policy.clone(),
        svc.records.clone(),
        svc.clock.clone(),
        config,
    ));
    assert!(svc.contracts.set(contracts.clone()).is_ok());
    contracts
}

/// One bidder's endpoint, bid and wallet.
struct Offer {
    endpoint: Endpoint,
    rfp: RawRecord,
    bid: RawRecord,
    ccba: RawRecord,
    wallet: Address,
}

impl Market {
    async fn post(&self, r: &RawRecord) {
        let reply = self.w.app.post_record(r).await;
        assert!(
            reply.status == 201 || reply.status == 200,
            "{}: {reply:?}",
            r.uri
        );
    }

    /// `bidder` bids 4 USDC on a new request of the requester; its
    /// endpoint asks `asks` token units, paid to spare wallet `n`.
    /// A new request of the requester, `bidder`'s 4 USDC bid on it paid at
    /// `base_url`, and her accept of it, posted.
    async fn records(
        &self,
        bidder: &str,
        base_url: &str,
        tag: &str,
    ) -> (RawRecord, RawRecord, RawRecord) {
        let rfp = fixtures::rfp(REQUESTER, &format!("rfp-{tag}"));
        let bid = fixtures::bid(bidder, &rfp, 4, base_url, &format!("bid-{tag}"));
        let ccba = fixtures::accept(REQUESTER, &rfp, &bid, &format!("ccba-{tag}"));
        for r in [&rfp, &bid, &ccba] {
            self.post(r).await;
        }
        (rfp, bid, ccba)
    }

    async fn offer(&self, bidder: &str, n: usize, asks: u64, tag: &str) -> Offer {
        let wallet = self.w.local.spare[n].address();
        let endpoint = standin::start(
            &self.w.local.config,
            6,
            &Treasury::from_signer(self.w.local.spare[3].clone()),
            Bidder {
                did: bidder.into(),
                pay_to: wallet,
                asks: U256::from(asks),
            },
        )
        .await
        .expect("bidder endpoint");
        let (rfp, bid, ccba) = self.records(bidder, &endpoint.base_url, tag).await;
        endpoint.bid_on(&rfp, &bid);
        Offer {
            endpoint,
            rfp,
            bid,
            ccba,
            wallet,
        }
    }

    async fn says(&self, owner: &str, subject: &str, kind: Kind) -> String {
        let v = fixtures::vouch(owner, subject, kind);
        self.post(&v).await;
        v.uri
    }

    /// A new singleJob authorization of the requester for 10 USD.
    async fn authorization(&self, tag: &str) -> String {
        let a = fixtures::authorization(REQUESTER, EXCHANGE, 1_000, tag);
        self.post(&a).await;
        a.uri
    }

    async fn accept(&self, ccba: &str, authorization: &str) -> Reply {
        let body = json::parse_str(&format!(
            r#"{{"ccba":"{ccba}","authorization":"{authorization}"}}"#
        ))
        .unwrap();
        self.w
            .app
            .request(
                reqwest::Method::POST,
                "/v1/contracts",
                Some(&body),
                Some(ADMIN_TOKEN),
            )
            .await
    }

    async fn admin_get(&self, path: &str) -> Reply {
        self.w
            .app
            .request(reqwest::Method::GET, path, None, Some(ADMIN_TOKEN))
            .await
    }

    async fn listed(&self, who: &str, did: &str) -> usize {
        let r = self.admin_get(&format!("/v1/contracts?{who}={did}")).await;
        assert_eq!(r.status, 200, "{r:?}");
        match r.body.get("contracts") {
            Some(Value::Array(a)) => a.len(),
            _ => panic!("{r:?}"),
        }
    }

    async fn available(&self) -> i128 {
        self.w.app.requester_usd(REQUESTER).await.2
    }
}

fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| {
        v.get(k).unwrap_or_else(|| panic!("{path} in {v:?}"))
    })
}

fn text<'a>(v: &'a Value, path: &str) -> &'a str {
    field(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path} in {v:?}"))
}

async fn the_vouched_bid_is_paid_once_and_receipted(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c1").await.status,
        201
    );
    let vouch = m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, FOUR_USDC, "c1").await;
    let auth = m.authorization("auth-c1").await;

    let r = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(r.status, 201, "{r:?}");
    let c = &r.body;
    assert_eq!(text(c, "state"), "receipted", "{c:?}");
    assert_eq!(text(c, "provider"), PROVIDER);
    assert_eq!(field(c, "price.amount").as_int(), Some(400));
    // 2.5 % of 4.00 on top of the price.
    assert_eq!(field(c, "fee.amount").as_int(), Some(10));
    assert_eq!(text(c, "decision.code"), "vouched");
    assert_eq!(
        field(c, "decision.records"),
        &Value::Array(vec![vouch.as_str().into()])
    );
    assert_eq!(text(c, "ccba.cid"), o.ccba.cid.as_deref().unwrap());
    assert_eq!(text(c, "rfp.uri"), o.rfp.uri);
    assert_eq!(text(c, "bid.uri"), o.bid.uri);
    // The payment is on chain, by the contract's own authorization.
    let tx = text(c, "transaction").to_owned();
    let used = m
        .contracts_chain()
        .authorization_tx(contract_nonce(text(c, "id")))
        .await
        .unwrap()
        .expect("the authorization was used");
    assert_eq!(used.to_string(), tx);
    assert_eq!(
        text(c, "payment.value.txid"),
        format!("eip155:{}:{tx}", m.w.local.config.chain_id)
    );
    assert_eq!(text(c, "payment.value.embed.uri"), o.bid.uri);
    // The payment record is queued for the exchange's repository, in its
    // version the contract shows.
    let queued =
        settlement::publish::outbox::publication(&m.w.app.service.store, text(c, "payment.uri"))
            .await
            .unwrap()
            .expect("the payment record queued");
    assert_eq!(queued.cid, text(c, "payment.cid"));
    // The receipt the bidder answered closed it.
    let answered = o.endpoint.answered();
    assert_eq!(answered.len(), 1);
    assert_eq!(text(c, "ccr.uri"), answered[0].uri);
    assert_eq!(m.w.token_balance(o.wallet).await, U256::from(FOUR_USDC));
    assert_eq!(m.available().await, 10_000 - 410);

    // A replay answers the same contract and moves nothing.
    let again = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(text(&again.body, "id"), text(c, "id"));
    assert_eq!(m.w.token_balance(o.wallet).await, U256::from(FOUR_USDC));
    assert_eq!(m.available().await, 10_000 - 410);
    assert_eq!(o.endpoint.answered().len(), 1, "paid once");

    assert_eq!(m.listed("requester", REQUESTER).await, 1);
    assert_eq!(m.listed("provider", PROVIDER).await, 1);
    let one = m
        .admin_get(&format!("/v1/contracts/{}", text(c, "id")))
        .await;
    assert_eq!(text(&one.body, "state"), "receipted");
    // The authorization is consumed, as a receipt's charge consumes it.
    let (charged, charges) = m.w.app.charged(&auth).await;
    assert_eq!((charged, charges), (Some(410), Some(1)));
    let text_metrics = m.metrics_text().await;
    assert!(
        text_metrics.contains("settlement_contract_outcomes_total{outcome=\"receipted\"} 1\n"),
        "{text_metrics}"
    );
    m.w.assert_reconciled().await;
}

async fn a_denounced_bidder_is_refused_with_the_record(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c2").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let denounce = m.says(REQUESTER, EVE, Kind::Denounce).await;
    let eve = m.offer(EVE, 1, FOUR_USDC, "c2-eve").await;
    let auth = m.authorization("auth-c2").await;
    // Even an open policy refuses a denounced bidder.
    let put =
        m.w.app
            .request(
                reqwest::Method::PUT,
                &format!("/v1/contracts/policies/{REQUESTER}"),
                Some(&json::parse_str(r#"{"mode":"open"}"#).unwrap()),
                Some(ADMIN_TOKEN),
            )
            .await;
    assert_eq!(put.status, 200, "{put:?}");
    let r = m.accept(&eve.ccba.uri, &auth).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.code(), "bidder-denounced");
    let detail = text(&r.body, "detail");
    assert!(detail.contains(&denounce), "{detail}");
    assert!(detail.contains("denounces"), "{detail}");
    assert_eq!(m.w.token_balance(eve.wallet).await, U256::ZERO);
    assert_eq!(m.available().await, 10_000);
    assert_eq!(m.listed("requester", REQUESTER).await, 0);
    assert!(eve.endpoint.answered().is_empty());
    // A denounce by someone she vouches for refuses when she heeds it.
    let vouch = m.says(REQUESTER, CAROL, Kind::Vouch).await;
    let carols = m.says(CAROL, DAVE, Kind::Denounce).await;
    let dave = m.offer(DAVE, 2, FOUR_USDC, "c2-dave").await;
    let heed = json::parse_str(r#"{"mode":"open","heedVouchees":true}"#).unwrap();
    let put =
        m.w.app
            .request(
                reqwest::Method::PUT,
                &format!("/v1/contracts/policies/{REQUESTER}"),
                Some(&heed),
                Some(ADMIN_TOKEN),
            )
            .await;
    assert_eq!(put.status, 200, "{put:?}");
    let r = m.accept(&dave.ccba.uri, &auth).await;
    assert_eq!(r.code(), "bidder-denounced", "{r:?}");
    let detail = text(&r.body, "detail");
    assert!(
        detail.contains(&vouch) && detail.contains(&carols),
        "{detail}"
    );
    // The authorization is still unused: the vouched bidder can be paid.
    let bob = m.offer(PROVIDER, 0, FOUR_USDC, "c2-bob").await;
    let ok = m.accept(&bob.ccba.uri, &auth).await;
    assert_eq!(ok.status, 201, "{ok:?}");
}

async fn an_unknown_bidder_needs_the_network(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c3").await.status,
        201
    );
    let first = m.says(REQUESTER, CAROL, Kind::Vouch).await;
    let second = m.says(CAROL, DAVE, Kind::Vouch).await;
    let dave = m.offer(DAVE, 2, FOUR_USDC, "c3").await;
    let auth = m.authorization("auth-c3").await;
    let r = m.accept(&dave.ccba.uri, &auth).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.code(), "bidder-not-trusted");
    assert!(text(&r.body, "detail").contains("does not vouch"), "{r:?}");

    let put =
        m.w.app
            .request(
                reqwest::Method::PUT,
                &format!("/v1/contracts/policies/{REQUESTER}"),
                Some(&json::parse_str(r#"{"mode":"network","hops":2}"#).unwrap()),
                Some(ADMIN_TOKEN),
            )
            .await;
    assert_eq!(put.status, 200, "{put:?}");
    let policy =
        m.w.app
            .get(&format!("/v1/contracts/policies/{REQUESTER}"))
            .await;
    assert_eq!(text(&policy.body, "mode"), "network");
    let r = m.accept(&dave.ccba.uri, &auth).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(text(&r.body, "decision.code"), "network");
    assert_eq!(
        field(&r.body, "decision.records"),
        &Value::Array(vec![first.as_str().into(), second.as_str().into()])
    );
    assert_eq!(m.w.token_balance(dave.wallet).await, U256::from(FOUR_USDC));
}

async fn a_broken_chain_is_refused_with_the_link(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c4").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, FOUR_USDC, "c4").await;
    let auth = m.authorization("auth-c4").await;
    // An accept naming the bid by another version's CID.
    let mut other = o.bid.clone();
    other.cid = Some(o.rfp.cid.clone().unwrap());
    let wrong = fixtures::accept(REQUESTER, &o.rfp, &other, "ccba-c4-wrong");
    m.post(&wrong).await;
    let r = m.accept(&wrong.uri, &auth).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.code(), "contract-link-broken");
    assert!(text(&r.body, "detail").starts_with("ccba.bid.cid"), "{r:?}");
    // A bid on another request than the one accepted.
    let rfp2 = fixtures::rfp(REQUESTER, "rfp-c4-other");
    m.post(&rfp2).await;
    let stray = fixtures::accept(REQUESTER, &rfp2, &o.bid, "ccba-c4-stray");
    m.post(&stray).await;
    let r = m.accept(&stray.uri, &auth).await;
    assert_eq!(r.code(), "contract-link-broken", "{r:?}");
    assert!(
        text(&r.body, "detail").starts_with("ccb.embed.uri"),
        "{r:?}"
    );
    // An accept by someone else than the requester of the request.
    let theirs = fixtures::accept(CAROL, &o.rfp, &o.bid, "ccba-c4-carol");
    m.post(&theirs).await;
    let r = m.accept(&theirs.uri, &auth).await;
    assert_eq!(r.code(), "contract-link-broken", "{r:?}");
    assert!(text(&r.body, "detail").starts_with("ccba.embed"), "{r:?}");
    assert_eq!(m.available().await, 10_000);
    assert_eq!(m.w.token_balance(o.wallet).await, U256::ZERO);
}

async fn an_endpoint_asking_more_than_the_bid_is_never_paid(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c5").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, 2 * FOUR_USDC, "c5").await;
    let auth = m.authorization("auth-c5").await;
    let r = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.code(), "x402-requirements-refused");
    assert!(text(&r.body, "detail").contains("amount"), "{r:?}");
    assert_eq!(m.w.token_balance(o.wallet).await, U256::ZERO);
    assert_eq!(m.available().await, 10_000);
    assert!(o.endpoint.answered().is_empty());
    assert_eq!(m.listed("requester", REQUESTER).await, 0);
    m.w.assert_reconciled().await;
}

async fn insufficient_funds_move_nothing(b: Backend) {
    let m = market(b).await;
    assert_eq!(m.w.app.deposit(REQUESTER, 300, "dep-c6").await.status, 201);
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, FOUR_USDC, "c6").await;
    let auth = m.authorization("auth-c6").await;
    let r = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.code(), "insufficient-funds");
    assert_eq!(m.available().await, 300);
    assert_eq!(m.w.token_balance(o.wallet).await, U256::ZERO);
    assert!(
        o.endpoint.answered().is_empty(),
        "the bidder was never asked to be paid"
    );
    assert_eq!(
        m.w.app.charged(&auth).await.1,
        None,
        "the authorization is unused"
    );
    // Funded, the same accept goes through.
    assert_eq!(m.w.app.deposit(REQUESTER, 200, "dep-c6b").await.status, 201);
    let r = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(m.available().await, 500 - 410);
}

async fn accept_checks_its_input_and_the_authorization(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c7").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, FOUR_USDC, "c7").await;
    // Without the admin token (records taken as submitted): refused.
    let body = json::parse_str(&format!(
        r#"{{"ccba":"{}","authorization":"x"}}"#,
        o.ccba.uri
    ))
    .unwrap();
    let r = m.w.app.post("/v1/contracts", &body).await;
    assert_eq!(r.status, 401, "{r:?}");
    // An unknown field.
    let body =
        json::parse_str(r#"{"ccba":"at://did:plc:a/x/y","authorization":"a","tip":1}"#).unwrap();
    let r =
        m.w.app
            .request(
                reqwest::Method::POST,
                "/v1/contracts",
                Some(&body),
                Some(ADMIN_TOKEN),
            )
            .await;
    assert_eq!(r.status, 400, "{r:?}");
    // An authorization for another exchange, and one too small.
    let elsewhere = fixtures::authorization(REQUESTER, "did:web:other.example", 1_000, "auth-c7-x");
    m.post(&elsewhere).await;
    let r = m.accept(&o.ccba.uri, &elsewhere.uri).await;
    assert_eq!(r.code(), "wrong-exchange", "{r:?}");
    let small = fixtures::authorization(REQUESTER, EXCHANGE, 409, "auth-c7-small");
    m.post(&small).await;
    let r = m.accept(&o.ccba.uri, &small.uri).await;
    assert_eq!(r.code(), "price-over-auth-ceiling", "{r:?}");
    // A policy with hops outside 1..4.
    let r =
        m.w.app
            .request(
                reqwest::Method::PUT,
                &format!("/v1/contracts/policies/{REQUESTER}"),
                Some(&json::parse_str(r#"{"mode":"network","hops":9}"#).unwrap()),
                Some(ADMIN_TOKEN),
            )
            .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(text(&r.body, "detail").starts_with("hops"), "{r:?}");
    // A fractional cost cannot be read.
    let raw = format!(
        r#"{{"uri":"at://{PROVIDER}/com.publicdomainrelay.temp.ccb/3lfloatbid222","value":{{"$type":"com.publicdomainrelay.temp.ccb","embed":{{"uri":"{}","cid":"{}"}},"bid":{{"cost":4.5,"currency":"USDC","frequency":"monthly","prepay":true,"x402":{{"base_url":"http://x/{{at}}/{{cid}}"}}}}}}}}"#,
        o.rfp.uri,
        o.rfp.cid.as_deref().unwrap()
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/records", m.w.app.base))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    let r = Reply::read(resp).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert!(text(&r.body, "detail").contains("value.bid.cost"), "{r:?}");
    assert_eq!(m.available().await, 10_000);
}

async fn a_paid_contract_without_a_receipt_expires_and_a_late_one_closes_it(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c8").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, FOUR_USDC, "c8").await;
    // The bidder answers nothing it can match: its bid says another request.
    o.endpoint
        .bid_on(&fixtures::rfp(REQUESTER, "elsewhere"), &o.bid);
    let auth = m.authorization("auth-c8").await;
    let r = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(text(&r.body, "state"), "paid", "{r:?}");
    let id = text(&r.body, "id").to_owned();
    // An hour later, still no receipt: expired, flagged for a dispute.
    m.w.app.clock.advance(3601 * 1_000_000);
    m.contracts.resume().await.unwrap();
    let c = m.admin_get(&format!("/v1/contracts/{id}")).await;
    assert_eq!(text(&c.body, "state"), "expired", "{c:?}");
    assert!(text(&c.body, "error").contains("dispute"), "{c:?}");
    // A receipt naming another request is refused; the right one closes it.
    let wrong = &o.endpoint.answered()[0];
    let r = m.w.app.post_record(wrong).await;
    assert_eq!(r.code(), "contract-link-broken", "{r:?}");
    let right = standin::receipt(
        PROVIDER,
        &standin::Bid {
            bid: (o.bid.uri.clone(), o.bid.cid.clone().unwrap()),
            rfp: (o.rfp.uri.clone(), o.rfp.cid.clone().unwrap()),
        },
        (&o.ccba.uri, o.ccba.cid.as_deref().unwrap()),
        settlement::records::formats::Datetime::parse("2026-11-21T13:00:00Z").unwrap(),
    );
    let r = m.w.app.post_record(&right).await;
    assert_eq!(r.status, 201, "{r:?}");
    let c = m.admin_get(&format!("/v1/contracts/{id}")).await;
    assert_eq!(text(&c.body, "state"), "receipted", "{c:?}");
    assert_eq!(m.w.token_balance(o.wallet).await, U256::from(FOUR_USDC));
}

impl Market {
    fn contracts_chain(&self) -> &Chain {
        self.contracts.chain()
    }

    async fn metrics_text(&self) -> String {
        reqwest::get(format!("{}/metrics", self.w.app.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// A receipt answered before the payment is deep enough is kept, and
/// closes the contract when the payment is.
async fn a_receipt_before_confirmation_closes_the_contract_once_paid(b: Backend) {
    let m = market_with(b, 2, ContractConfig::default()).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c9").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, FOUR_USDC, "c9").await;
    let auth = m.authorization("auth-c9").await;
    let r = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(text(&r.body, "state"), "submitted", "{r:?}");
    assert_eq!(text(&r.body, "ccr.uri"), o.endpoint.answered()[0].uri);
    m.w.local.mine(1).await.unwrap();
    m.contracts.resume().await.unwrap();
    let c = m
        .admin_get(&format!("/v1/contracts/{}", text(&r.body, "id")))
        .await;
    assert_eq!(text(&c.body, "state"), "receipted", "{c:?}");
    assert!(text(&c.body, "transaction").starts_with("0x"));
    m.w.assert_reconciled().await;
}

/// A bidder's endpoint that asks for exactly the bid and then never takes
/// the payment (503): the authorization is canceled on chain after the
/// attempts, the contract fails, and the requester's money and her
/// authorization come back.
async fn an_unpaid_contract_fails_and_gives_the_money_back(b: Backend) {
    let m = market_with(
        b,
        1,
        ContractConfig {
            max_attempts: 2,
            retry_base_secs: 0,
            ..ContractConfig::default()
        },
    )
    .await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c10").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let wallet = m.w.local.spare[0].address();
    let base_url = never_settles(&m.w, wallet).await;
    let (_, _, ccba) = m.records(PROVIDER, &base_url, "c10").await;
    let auth = m.authorization("auth-c10").await;
    let r = m.accept(&ccba.uri, &auth).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(text(&r.body, "state"), "accepted", "{r:?}");
    assert_eq!(text(&r.body, "error"), "x402-endpoint-failed");
    assert_eq!(
        m.available().await,
        10_000 - 410,
        "held while the payment may happen"
    );
    for _ in 0..3 {
        m.contracts.resume().await.unwrap();
    }
    let c = m
        .admin_get(&format!("/v1/contracts/{}", text(&r.body, "id")))
        .await;
    assert_eq!(text(&c.body, "state"), "failed", "{c:?}");
    assert_eq!(m.available().await, 10_000);
    assert_eq!(m.w.token_balance(wallet).await, U256::ZERO);
    // The authorization was never charged: another bid can use it.
    assert_eq!(m.w.app.charged(&auth).await.1, None);
    let o = m.offer(PROVIDER, 1, FOUR_USDC, "c10-next").await;
    let r = m.accept(&o.ccba.uri, &auth).await;
    assert_eq!(text(&r.body, "state"), "receipted", "{r:?}");
    m.w.assert_reconciled().await;
}

/// The treasury's authorization expires unused (the bidder never took the
/// payment): once the expiry is deep on chain the contract fails and the
/// money comes back, without a cancel.
async fn an_expired_authorization_fails_the_contract(b: Backend) {
    let m = market_with(
        b,
        1,
        ContractConfig {
            validity_secs: 1,
            retry_base_secs: 3600,
            ..ContractConfig::default()
        },
    )
    .await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c13").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let wallet = m.w.local.spare[0].address();
    let base_url = never_settles(&m.w, wallet).await;
    let (_, _, ccba) = m.records(PROVIDER, &base_url, "c13").await;
    let auth = m.authorization("auth-c13").await;
    let r = m.accept(&ccba.uri, &auth).await;
    assert_eq!(text(&r.body, "state"), "accepted", "{r:?}");
    // Not yet expired on chain: nothing happens (and no retry within the
    // hour of backoff).
    m.contracts.resume().await.unwrap();
    let id = text(&r.body, "id").to_owned();
    let c = m.admin_get(&format!("/v1/contracts/{id}")).await;
    assert_eq!(text(&c.body, "state"), "accepted", "{c:?}");
    // Blocks ten seconds apart: the chain's clock passes the validity
    // (this chain is the test's own).
    use alloy::providers::Provider as _;
    m.w.local
        .admin
        .raw_request::<_, ()>("anvil_mine".into(), (5u64, 10u64))
        .await
        .unwrap();
    m.contracts.resume().await.unwrap();
    let c = m.admin_get(&format!("/v1/contracts/{id}")).await;
    assert_eq!(text(&c.body, "state"), "failed", "{c:?}");
    assert!(text(&c.body, "error").contains("expired"), "{c:?}");
    assert_eq!(m.available().await, 10_000);
    assert_eq!(m.w.token_balance(wallet).await, U256::ZERO);
    m.w.assert_reconciled().await;
}

/// A one-time bid is paid once, whatever number of accepts name it.
async fn a_one_time_bid_is_paid_once(b: Backend) {
    let m = market(b).await;
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c11").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let o = m.offer(PROVIDER, 0, FOUR_USDC, "c11").await;
    let once = fixtures::bid_every(
        PROVIDER,
        &o.rfp,
        4,
        &o.endpoint.base_url,
        "one-time",
        "bid-c11-once",
    );
    o.endpoint.bid_on(&o.rfp, &once);
    m.post(&once).await;
    let first = fixtures::accept(REQUESTER, &o.rfp, &once, "ccba-c11-a");
    let second = fixtures::accept(REQUESTER, &o.rfp, &once, "ccba-c11-b");
    m.post(&first).await;
    m.post(&second).await;
    let r = m
        .accept(&first.uri, &m.authorization("auth-c11-a").await)
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = m
        .accept(&second.uri, &m.authorization("auth-c11-b").await)
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(r.code(), "bid-accepted-already");
    assert_eq!(m.w.token_balance(o.wallet).await, U256::from(FOUR_USDC));
    assert_eq!(m.available().await, 10_000 - 410);
}

/// The ledger refuses what the checks before it let through (another
/// charge took the money meanwhile): the contract's row, the
/// authorization's consumption and the money are one transaction, so
/// nothing of it is written.
async fn a_refusal_inside_the_transaction_writes_nothing(b: Backend) {
    use settlement::contract::row::{ContractRow, State};
    use settlement::contract::store::{self, Consumed, ContractStoreError};
    let m = market(b).await;
    assert_eq!(m.w.app.deposit(REQUESTER, 409, "dep-c12").await.status, 201);
    let ccba = format!("at://{REQUESTER}/com.publicdomainrelay.temp.ccba/3lrace2222222");
    let auth = format!("at://{REQUESTER}/dev.cocore.compute.paymentAuthorization/3lrace2222222");
    let row = ContractRow {
        seq: 0,
        id: settlement::contract::contract_id(&ccba),
        ccba_uri: ccba.clone(),
        ccba_cid: "bafyreia".into(),
        rfp_uri: format!("at://{REQUESTER}/com.publicdomainrelay.temp.ccrfp/3lrace2222222"),
        rfp_cid: "bafyreib".into(),
        bid_uri: format!("at://{PROVIDER}/com.publicdomainrelay.temp.ccb/3lrace2222222"),
        bid_cid: "bafyreic".into(),
        requester: REQUESTER.into(),
        provider: PROVIDER.into(),
        authorization_uri: auth.clone(),
        currency: "USD".into(),
        amount_minor: 400,
        fee_minor: 10,
        frequency: "monthly".into(),
        token_value: FOUR_USDC.to_string(),
        url: "http://127.0.0.1:1/ccr/a/b".into(),
        pay_to: m.w.local.spare[0].address().to_string(),
        nonce: contract_nonce("race").to_string(),
        valid_before: 4_000_000_000,
        signature: "0x00".into(),
        decision: Value::Null,
        state: State::Accepted,
        tx_hash: None,
        payment_uri: None,
        payment_cid: None,
        payment_value: None,
        ccr_uri: None,
        ccr_cid: None,
        receipt_due: i64::MAX,
        attempts: 0,
        error: None,
        created_at: 0,
        updated_at: 0,
    };
    let consumed = Consumed {
        nonce: "0123456789abcdef0123456789abcdef",
        cid: "bafyreid",
        limit_minor: 1_000,
        expires_at: i64::MAX,
    };
    let store_ = &m.w.app.service.store;
    let e = store::accept(store_, &row, &consumed, EXCHANGE)
        .await
        .unwrap_err();
    assert!(matches!(e, ContractStoreError::InsufficientFunds), "{e}");
    assert!(store::by_ccba(store_, &ccba).await.unwrap().is_none());
    assert!(store_.authorization_by_uri(&auth).await.unwrap().is_none());
    assert_eq!(m.available().await, 409);
}

/// A bid's URL whose name leads inside the exchange's network (here: this
/// machine, with the production rule of public https only) is refused, and
/// the caller is not told the address the name resolved to.
async fn a_bid_url_inside_the_network_is_refused_without_its_address(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    // The production rule: public https only.
    let contracts = engine_with(
        &w.app.service,
        &w.local,
        ContractConfig::default(),
        settlement::egress::Egress::default(),
    )
    .await;
    let m = Market { w, contracts };
    assert_eq!(
        m.w.app.deposit(REQUESTER, 10_000, "dep-c14").await.status,
        201
    );
    m.says(REQUESTER, PROVIDER, Kind::Vouch).await;
    let (_, _, ccba) = m
        .records(PROVIDER, "https://localhost:9/ccr/{at}/{cid}", "c14")
        .await;
    let auth = m.authorization("auth-c14").await;
    let r = m.accept(&ccba.uri, &auth).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "x402-address-not-allowed"),
        "{r:?}"
    );
    let detail = text(&r.body, "detail");
    assert!(
        !detail.contains("127.0.0.1") && !detail.contains("::1"),
        "{detail}"
    );
    assert_eq!(m.available().await, 10_000);
    assert_eq!(m.listed("requester", REQUESTER).await, 0);
}

/// Serves a bidder's 402 for exactly 4 USDC to `pay_to`, and answers 503
/// to the paid request without settling it.
async fn never_settles(w: &World, pay_to: Address) -> String {
    use axum::http::{HeaderMap, StatusCode};
    use settlement::payout::x402::{PAYMENT_REQUIRED, PAYMENT_SIGNATURE, encode_header};
    let c = &w.local.config;
    let required = json::parse_str(&format!(
        r#"{{"x402Version":2,"resource":{{"url":"http://bidder/ccr"}},"accepts":[{{"scheme":"exact",
        "network":"eip155:{}","amount":"{FOUR_USDC}","asset":"{}","payTo":"{pay_to}","maxTimeoutSeconds":60,
        "extra":{{"name":"{}","version":"{}"}}}}]}}"#,
        c.chain_id, c.token, c.eip712_name, c.eip712_version
    ))
    .unwrap();
    let header = encode_header(&required);
    let app = axum::Router::new().route(
        "/ccr/{at}/{cid}",
        axum::routing::get(move |headers: HeaderMap| {
            let header = header.clone();
            async move {
                if headers.contains_key(PAYMENT_SIGNATURE) {
                    return (StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new(), "down");
                }
                let mut h = HeaderMap::new();
                h.insert(PAYMENT_REQUIRED, header.parse().unwrap());
                (StatusCode::PAYMENT_REQUIRED, h, "pay")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/ccr/{{at}}/{{cid}}",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

on_both_backends!(
    a_bid_url_inside_the_network_is_refused_without_its_address,
    an_expired_authorization_fails_the_contract,
    a_refusal_inside_the_transaction_writes_nothing,
    a_receipt_before_confirmation_closes_the_contract_once_paid,
    an_unpaid_contract_fails_and_gives_the_money_back,
    a_one_time_bid_is_paid_once,
    the_vouched_bid_is_paid_once_and_receipted,
    a_denounced_bidder_is_refused_with_the_record,
    an_unknown_bidder_needs_the_network,
    a_broken_chain_is_refused_with_the_link,
    an_endpoint_asking_more_than_the_bid_is_never_paid,
    insufficient_funds_move_nothing,
    accept_checks_its_input_and_the_authorization,
    a_paid_contract_without_a_receipt_expires_and_a_late_one_closes_it,
);
