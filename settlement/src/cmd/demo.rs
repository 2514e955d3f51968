//! `settlement demo`: the whole story on the embedded default, in one
//! process and over real HTTP and a real local chain.
//!
//! Alice (a requester) tops up her account over x402 and publishes a session
//! authorization and jobs. Bob (a provider with a valid enclave
//! attestation) does three jobs and signs receipts; Eve claims one job with
//! a receipt whose price she raised after signing. The exchange settles
//! Bob's receipts, refuses Eve's, pays Bob on chain in one netted transfer,
//! refunds a disputed charge, splits a three-party computation's charge
//! among three wallets, charges Frank's inference only with a proof of it
//! (holding his share while the verifier is unsure), pays a compute
//! contract's bid, takes a receipt from a relay and publishes what it
//! signed to its repository, and reconciles its ledger against the chain.
//!
//! The records are the test scenario's (fixed keys and dates), so the
//! exchange's clock is set to the scenario's time; the chain runs on real
//! time.

use std::fmt::Write as _;
use std::sync::Arc;

use alloy::primitives::U256;
use base64::Engine as _;

use crate::contract::reconcile::reconcile;
use crate::exchange::{Exchange, FeePolicy};
use crate::payout::PayoutConfig;
use crate::payout::chain::{Chain, Treasury};
use crate::records::RawRecord;
use crate::records::json::{self, Map, Value};
use crate::service::Service;
use crate::store::Store;
use crate::testkit::{self, PROVIDER, REQUESTER, Scenario};

/// Eve, whose receipt is forged.
pub const EVE: &str = "did:plc:evevevevevevevevevevevev";
/// Relays a captured deposit payment for herself.
const MALLORY: &str = "did:plc:mmmmmmmmmmmmmmmmmmmmmmmm";
const ADMIN_TOKEN: &str = "demo-admin-token-not-a-secret";

pub(super) struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    pub(super) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        admin: bool,
    ) -> Result<(u16, Value), String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(json::to_canonical(&b));
        }
        if admin {
            req = req.header("authorization", format!("Bearer {ADMIN_TOKEN}"));
        }
        let resp = req.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        Ok((status, json::parse(&bytes).unwrap_or(Value::Null)))
    }

    pub(super) async fn post(&self, path: &str, body: Value) -> Result<(u16, Value), String> {
        self.call(reqwest::Method::POST, path, Some(body), false)
            .await
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        let (status, body) = self.call(reqwest::Method::GET, path, None, false).await?;
        if status != 200 {
            return Err(format!(
                "GET {path}: {status} {}",
                json::to_canonical_string(&body)
            ));
        }
        Ok(body)
    }

    /// Asks for `receipt` to be charged: the status and the reply.
    pub(super) async fn settle(&self, receipt: &str) -> Result<(u16, Value), String> {
        let mut m = Map::new();
        m.insert("receipt".into(), receipt.into());
        self.post("/v1/settle", Value::Object(m)).await
    }

    /// Like [`Client::settle`], for a receipt that must be charged now:
    /// the settlement.
    pub(super) async fn settle_new(&self, receipt: &str) -> Result<Value, String> {
        let (status, body) = self.settle(receipt).await?;
        if status != 201 {
            return Err(format!(
                "settle {receipt}: {status} {}",
                json::to_canonical_string(&body)
            ));
        }
        Ok(body)
    }

    /// Sets `did`'s payout address (the operator's call).
    pub(super) async fn pay_to(&self, did: &str, address: &str) -> Result<(), String> {
        let body = obj(&format!(r#"{{"address":"{address}"}}"#));
        let path = format!("/v1/admin/payout-destinations/{did}");
        let (status, reply) = self
            .call(reqwest::Method::PUT, &path, Some(body), true)
            .await?;
        if status != 200 {
            return Err(format!(
                "destination: {status} {}",
                json::to_canonical_string(&reply)
            ));
        }
        Ok(())
    }

    /// One payout cycle, waiting up to 15 s for confirmations: its report.
    pub(super) async fn run_payouts(&self) -> Result<Value, String> {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/v1/admin/payouts/run?wait=15",
                None,
                true,
            )
            .await?;
        if status != 200 {
            return Err(format!(
                "payouts: {status} {}",
                json::to_canonical_string(&body)
            ));
        }
        Ok(body)
    }

    /// Uploads a proof's bytes: the status and the reply.
    pub(super) async fn upload(&self, bytes: Vec<u8>) -> Result<(u16, Value), String> {
        let resp = self
            .http
            .post(format!("{}/v1/inference/proofs", self.base))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .map_err(|e| format!("upload: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("upload: {e}"))?;
        Ok((status, json::parse(&bytes).unwrap_or(Value::Null)))
    }

    pub(super) async fn publish(&self, r: &RawRecord) -> Result<(), String> {
        let (status, body) = self.post("/v1/records", testkit::record_post(r)).await?;
        if status != 201 && status != 200 {
            return Err(format!(
                "publish {}: {status} {}",
                r.uri,
                json::to_canonical_string(&body)
            ));
        }
        Ok(())
    }
}

pub(super) fn obj(text: &str) -> Value {
    json::parse_str(text).expect("constant JSON")
}

pub(super) fn int(v: &Value, path: &[&str]) -> i128 {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_int)
        .unwrap_or(0)
}

pub(super) fn dollars(cents: i128) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// Runs the story, printing as it goes. `Ok(report)` only if every step
/// did what it should and the reconciliation is clean.
pub async fn run(out: &mut String, screenshots: Option<&std::path::Path>) -> Result<(), String> {
    let clock_now = crate::records::formats::Datetime::parse(testkit::NOW).expect("constant");
    let clock = ledger::ManualClock::new(clock_now.unix_micros());
    let clock: Arc<dyn ledger::Clock> = Arc::new(clock);
    let dir = std::env::temp_dir().join(format!("settlement-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let db = format!("sqlite:{}", dir.join("settlement.db").display());
    let store = Store::open(&db, clock.clone())
        .await
        .map_err(|e| format!("open {db}: {e}"))?;
    let exchange = Exchange::new(testkit::EXCHANGE, testkit::key("exchange signing key"));
    // The demo pays at once; a deployment waits out the dispute window
    // (--payout-maturity-secs, 24 h by default).
    let payout_config = PayoutConfig {
        maturity_secs: 0,
        ..PayoutConfig::default()
    };

    writeln!(out, "== 1. The local chain").ok();
    let local =
        crate::payout::local::start_local_chain(&store, &payout_config, &exchange.did).await?;
    writeln!(
        out,
        "anvil at {} (chain {}), EIP-3009 token {} deployed, treasury {} funded with {} USD",
        local.endpoint(),
        local.config.chain_id,
        local.config.token,
        local.treasury.address(),
        dollars(crate::payout::local::TREASURY_CENTS.into())
    )
    .ok();

    let service = Service::new(
        exchange.clone(),
        FeePolicy::default(),
        store.clone(),
        Some(ADMIN_TOKEN.to_owned()),
        clock.clone(),
    );
    let chain = Chain::connect(local.config.clone(), local.treasury.clone())
        .await
        .map_err(|e| e.to_string())?;
    let payouts = crate::payout::Payouts::new(
        store.clone(),
        chain.clone(),
        payout_config.clone(),
        exchange.clone(),
        clock.clone(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let _ = service.payouts.set(Arc::new(payouts));
    let gate = crate::payout::facilitator::DepositGate::start(
        &local.config,
        &local.relayer,
        local.treasury.address(),
        6,
        &payout_config.currency,
        payout_config.currency_decimals,
    )
    .await?;
    let _ = service.deposits.set(gate);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::api::serve(
        listener,
        service.clone(),
        crate::api::Limits::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let api = Client {
        base: base.clone(),
        http: crate::tls::client().build().map_err(|e| e.to_string())?,
    };
    writeln!(out, "exchange {} serving at {base}", exchange.did).ok();

    writeln!(
        out,
        "\n== 2. Alice tops up over x402 and publishes an authorization"
    )
    .ok();
    let alice_wallet =
        Treasury::from_signer(local.spare.get(1).ok_or("no spare dev account")?.clone());
    local
        .mint(alice_wallet.address(), U256::from(2_000_000_000u64))
        .await?;
    writeln!(
        out,
        "Alice's wallet {} holds 2000.00 USDC",
        alice_wallet.address()
    )
    .ok();
    let (_, chain_now) = chain.latest_block().await.map_err(|e| e.to_string())?;
    let payment = crate::payout::x402::deposit_payment(
        &api.http,
        &format!("{base}/v1/deposits?requester={REQUESTER}&amount=100000"),
        REQUESTER,
        &alice_wallet,
        U256::from(1_000_000_000u64),
        &local.config,
        chain_now,
    )
    .await
    .map_err(|e| format!("x402 deposit: {e}"))?;
    let header = crate::payout::x402::encode_header(&payment);
    let present = |requester: &'static str| {
        api.http
            .post(format!(
                "{base}/v1/deposits?requester={requester}&amount=100000"
            ))
            .header(crate::payout::x402::PAYMENT_SIGNATURE, header.clone())
            .send()
    };
    // Mallory captured Alice's payment and presents it first, for herself.
    let relayed = present(MALLORY).await.map_err(|e| e.to_string())?;
    let status = relayed.status().as_u16();
    let body = json::parse(&relayed.bytes().await.map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let code = body.get("code").and_then(Value::as_str).unwrap_or("");
    if status != 400 || code != "deposit-not-bound" {
        return Err(format!(
            "a relayed deposit was not refused: {status} {code}"
        ));
    }
    writeln!(
        out,
        "Mallory relays Alice's PAYMENT-SIGNATURE with her own DID: {status} {code} (the nonce Alice signed binds her DID)"
    )
    .ok();
    let paid = present(REQUESTER).await.map_err(|e| e.to_string())?;
    let status = paid.status().as_u16();
    let tx = paid
        .headers()
        .get(crate::payout::x402::PAYMENT_RESPONSE)
        .and_then(|h| {
            crate::payout::x402::decode_header(crate::payout::x402::PAYMENT_RESPONSE, h.as_bytes())
                .ok()
        })
        .and_then(|r| {
            r.get("transaction")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if status != 201 {
        let body = paid.bytes().await.unwrap_or_default();
        return Err(format!(
            "x402 deposit: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    writeln!(
        out,
        "Alice ({REQUESTER}) pays 1000.00 USDC to POST /v1/deposits (402, then PAYMENT-SIGNATURE): credited, transaction {tx}"
    )
    .ok();
    let base_scenario = Scenario::new(REQUESTER, PROVIDER, "demo");
    writeln!(
        out,
        "session authorization {}: ceiling 50.00, budget 200.00 USD",
        base_scenario.authorization_uri
    )
    .ok();

    writeln!(out, "\n== 3. Bob does three jobs; Eve forges one receipt").ok();
    let mut bob_receipts = Vec::new();
    for i in 0..3 {
        let sealed = base_scenario.sharing(&format!("demo-bob-{i}")).seal();
        for r in [
            &sealed.authorization,
            &sealed.job,
            &sealed.attestation,
            &sealed.receipt,
        ] {
            api.publish(r).await?;
        }
        writeln!(
            out,
            "Bob's signed receipt for 2.50 USD: {}",
            sealed.receipt.uri
        )
        .ok();
        bob_receipts.push(sealed.receipt.uri.clone());
    }
    let mut eve = Scenario::new(REQUESTER, EVE, "demo-eve");
    eve.authorization = base_scenario.authorization.clone();
    eve.authorization_uri = base_scenario.authorization_uri.clone();
    let mut forged = eve.seal();
    // Signed for 2.50, claimed for 45.00.
    if let Value::Object(m) = &mut forged.receipt.value {
        m.insert("price".into(), obj(r#"{"amount":4500,"currency":"USD"}"#));
    }
    for r in [&forged.job, &forged.attestation, &forged.receipt] {
        api.publish(r).await?;
    }
    writeln!(
        out,
        "Eve's receipt, signed for 2.50 and altered to claim 45.00: {}",
        forged.receipt.uri
    )
    .ok();

    writeln!(out, "\n== 4. Settlement").ok();
    let mut settled = Vec::new();
    for uri in &bob_receipts {
        let body = api.settle_new(uri).await?;
        let uri = body
            .get("uri")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        writeln!(
            out,
            "Bob's receipt settled: charged {}, Bob gets {}, fee {}  ({uri})",
            dollars(int(&body, &["value", "amountCharged", "amount"])),
            dollars(int(&body, &["value", "providerPayout", "amount"])),
            dollars(int(&body, &["value", "exchangeFee", "amount"])),
        )
        .ok();
        settled.push(uri);
    }
    let (status, body) = api.settle(&forged.receipt.uri).await?;
    let code = body.get("code").and_then(Value::as_str).unwrap_or("");
    writeln!(out, "Eve's receipt refused: {status} {code}").ok();
    if status != 422 || code != "signature-invalid" {
        return Err(format!(
            "Eve's forged receipt was not refused as signature-invalid: {status} {code}"
        ));
    }

    writeln!(out, "\n== 5. Bob is paid on chain").ok();
    let bob_wallet = local.spare.first().ok_or("no spare dev account")?.address();
    api.pay_to(PROVIDER, &bob_wallet.to_string()).await?;
    writeln!(out, "Bob's payout address: {bob_wallet}").ok();
    let mut confirmed = Vec::new();
    for _ in 0..5 {
        let body = api.run_payouts().await?;
        if let Some(Value::Array(ids)) = body.get("confirmed") {
            confirmed.extend(ids.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if matches!(body.get("open"), Some(Value::Array(a)) if a.is_empty()) {
            break;
        }
    }
    let payouts = api
        .get(&format!("/v1/providers/{PROVIDER}/payouts"))
        .await?;
    let Some(Value::Array(list)) = payouts.get("payouts") else {
        return Err("no payouts listed".into());
    };
    let [payout] = list.as_slice() else {
        return Err(format!("expected one netted payout, found {}", list.len()));
    };
    let tx = payout
        .get("transaction")
        .and_then(Value::as_str)
        .unwrap_or("");
    let state = payout.get("state").and_then(Value::as_str).unwrap_or("");
    if state != "confirmed" {
        return Err(format!("Bob's payout is {state}, not confirmed"));
    }
    let receipt = chain
        .receipt(tx.parse().map_err(|_| "bad transaction hash")?)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no receipt for the payout")?;
    writeln!(
        out,
        "payout {} confirmed: {} token units in transaction {tx} (block {}), gas {} for {} receipts ({} per receipt)",
        payout.get("id").and_then(Value::as_str).unwrap_or(""),
        payout.get("tokenValue").and_then(Value::as_str).unwrap_or(""),
        int(payout, &["blockNumber"]),
        receipt.gas_used,
        settled.len(),
        receipt.gas_used / settled.len().max(1) as u64,
    )
    .ok();
    let on_chain = chain
        .balance_of(bob_wallet)
        .await
        .map_err(|e| e.to_string())?;
    writeln!(
        out,
        "Bob's wallet holds {on_chain} token units (6 decimals)"
    )
    .ok();

    writeln!(out, "\n== 6. Balances and settlements").ok();
    let alice = api
        .get(&format!("/v1/requesters/{REQUESTER}/balance?currency=USD"))
        .await?;
    writeln!(
        out,
        "Alice: balance {}, held {}, available {} USD",
        dollars(int(&alice, &["USD", "balance"])),
        dollars(int(&alice, &["USD", "held"])),
        dollars(int(&alice, &["USD", "available"]))
    )
    .ok();
    for who in [PROVIDER, EVE] {
        let b = api
            .get(&format!("/v1/providers/{who}/balance?currency=USD"))
            .await?;
        writeln!(
            out,
            "{}: payable {}, in flight {}, paid {} USD",
            if who == PROVIDER { "Bob" } else { "Eve" },
            dollars(int(&b, &["USD", "payable"])),
            dollars(int(&b, &["USD", "pending"])),
            dollars(int(&b, &["USD", "paid"]))
        )
        .ok();
    }
    for uri in &settled {
        let row = store
            .settlement_by_uri(uri)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("settlement vanished")?;
        let reference = row
            .value
            .get("processorReference")
            .and_then(Value::as_str)
            .and_then(|r| base64::engine::general_purpose::STANDARD.decode(r).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        writeln!(out, "{uri}: processorReference {reference}").ok();
        if !reference.ends_with(tx) {
            return Err(format!("{uri} does not name the payout transaction"));
        }
    }

    writeln!(
        out,
        "\n== 7. Alice disputes a paid charge; the operator refunds it"
    )
    .ok();
    let disputed = settled.first().ok_or("nothing was settled")?;
    let (status, body) = api
        .call(
            reqwest::Method::POST,
            "/v1/disputes",
            Some(obj(&format!(
                r#"{{"settlement":"{disputed}","reason":{{"category":"quality-failure","detail":"empty output"}}}}"#
            ))),
            true,
        )
        .await?;
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if status != 201 {
        return Err(format!(
            "dispute: {status} {}",
            json::to_canonical_string(&body)
        ));
    }
    writeln!(
        out,
        "dispute {id} open: a signed dev.cocore.compute.dispute record; the settlement's new version says disputed"
    )
    .ok();
    let before = int(
        &api.get(&format!("/v1/requesters/{REQUESTER}/balance?currency=USD"))
            .await?,
        &["USD", "balance"],
    );
    let (status, body) = api
        .call(
            reqwest::Method::POST,
            &format!("/v1/admin/disputes/{id}/resolve"),
            Some(obj(
                r#"{"verdict":"refund-full","rationale":"the output was empty"}"#,
            )),
            true,
        )
        .await?;
    if status != 200 {
        return Err(format!(
            "resolve: {status} {}",
            json::to_canonical_string(&body)
        ));
    }
    let after = int(
        &api.get(&format!("/v1/requesters/{REQUESTER}/balance?currency=USD"))
            .await?,
        &["USD", "balance"],
    );
    let bob = api
        .get(&format!("/v1/providers/{PROVIDER}/balance?currency=USD"))
        .await?;
    writeln!(
        out,
        "refund-full: Alice's balance {} -> {} USD ({} from Bob's share, {} of fee); a refunded settlement record names the original",
        dollars(before),
        dollars(after),
        dollars(int(&body, &["reversal", "providerShare", "amount"])),
        dollars(int(&body, &["reversal", "fee", "amount"])),
    )
    .ok();
    writeln!(
        out,
        "Bob was paid already: he owes {} USD, taken from his next payout before anything leaves",
        dollars(int(&bob, &["USD", "owed"]))
    )
    .ok();
    if after - before != 250 || int(&bob, &["USD", "owed"]) != 244 {
        return Err("the refund did not move 2.50 back with 2.44 owed by Bob".into());
    }

    writeln!(
        out,
        "\n== 8. A three-party computation: one charge split and paid to three wallets"
    )
    .ok();
    let wallets = local.spare.get(2..5).ok_or("too few dev accounts")?;
    super::demo_split::run(&api, &chain, wallets, &base_scenario, out).await?;

    writeln!(
        out,
        "\n== 9. Proofs of inference: a charge gated by a TensorCash proof and a verifier's verdict"
    )
    .ok();
    let wallet = local.spare.get(5).ok_or("too few dev accounts")?;
    super::demo_proof::run(&api, &service, &chain, wallet, &base_scenario, out).await?;

    writeln!(
        out,
        "\n== 10. A compute contract: Alice's trust policy decides which bid is paid"
    )
    .ok();
    super::demo_contract::run(&api, &service, &local, out).await?;

    writeln!(
        out,
        "\n== 11. The AT Protocol network: receipts from a relay, settlements to the exchange's repository"
    )
    .ok();
    super::demo_network::run(&api, &service, out).await?;

    writeln!(out, "\n== 12. Reconciliation").ok();
    let r = reconcile(
        &store,
        &chain,
        &payout_config.currency,
        payout_config.currency_decimals,
    )
    .await
    .map_err(|e| e.to_string())?;
    out.push_str(&r.table());

    writeln!(out, "\n== 13. The web console").ok();
    let console =
        super::demo_console::run(&base, &api.http, &service, ADMIN_TOKEN, screenshots, out).await;
    let _ = stop.send(());
    let _ = server.await;
    drop(local);
    let _ = std::fs::remove_dir_all(&dir);
    if !r.is_clean() {
        return Err("the ledger and the chain disagree".into());
    }
    console?;
    if on_chain != U256::from(3u64 * 244 * 10_000) || confirmed.len() != 1 {
        return Err(format!(
            "Bob was paid {on_chain} units in {} payouts",
            confirmed.len()
        ));
    }
    Ok(())
}
