//! x402 deposits: a requester is topped up through `POST /v1/deposits` by
//! an x402 client nobody here wrote (the protocol's TypeScript SDK,
//! `@x402/fetch` + `@x402/evm`, run by node), paying the treasury on a real
//! anvil. On SQLite and PostgreSQL.

use std::process::Command;
use std::sync::Arc;

use alloy::primitives::U256;
use settlement::payout::facilitator::DepositGate;
use settlement::payout::reconcile::reconcile;
use settlement::records::json::{self, Value};
use settlement::testkit::REQUESTER;

use crate::app::Backend;
use crate::payouts::world;

/// Starts a second server over the world's service with deposits enabled
/// (the route is built with the gate in place).
async fn serve_with_deposits(
    w: &crate::payouts::World,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let gate = DepositGate::start(
        &w.local.config,
        &w.local.relayer,
        w.local.treasury.address(),
        6,
        "USD",
        2,
    )
    .await
    .expect("deposit gate");
    let service = w.app.service.clone();
    assert!(service.deposits.set(gate).is_ok());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(settlement::api::serve(
        listener,
        Arc::clone(&service),
        settlement::api::Limits::default(),
        async {
            let _ = stopped.await;
        },
    ));
    (base, stop)
}

/// Pays `url` with the x402 TypeScript SDK: through a scheme client that
/// binds the payment to `requester`, or (`None`) through the SDK's own
/// `exact` scheme, whose nonce binds nothing.
fn node_topup(
    url: &str,
    key_hex: &str,
    network: &str,
    token: &str,
    max_units: &str,
    requester: Option<&str>,
) -> Value {
    let root = settlement::payout::local::ensure_node_tools().expect("npm tools");
    let out = Command::new("node")
        .arg(root.join("tests/x402/topup.mjs"))
        .args([url, key_hex, network, token, max_units])
        .args(requester)
        .current_dir(&root)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json::parse_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// A world serving deposits, a payer wallet (spare 4) holding 50 tokens,
/// and the URL of a 12.34 USD top-up for the requester.
struct Topup {
    w: crate::payouts::World,
    stop: tokio::sync::oneshot::Sender<()>,
    /// The payer's key, hex.
    key: String,
    url: String,
    /// The requester's balance before.
    before: (i128, i128, i128),
    /// The deposit server's base URL.
    base: String,
}

async fn topup(b: Backend) -> Topup {
    let w = world(b, 1_000_000, 1).await;
    let (base, stop) = serve_with_deposits(&w).await;
    let wallet = &w.local.spare[4];
    w.local
        .mint(wallet.address(), U256::from(50_000_000u64))
        .await
        .unwrap();
    let key = alloy::hex::encode(wallet.to_bytes());
    let before = w.app.requester_usd(REQUESTER).await;
    let url = format!("{base}/v1/deposits?requester={REQUESTER}&amount=1234");
    Topup {
        w,
        stop,
        key,
        url,
        before,
        base,
    }
}

async fn the_x402_sdk_tops_up_a_requester(b: Backend) {
    let Topup {
        w,
        stop: _stop,
        key,
        url,
        before,
        base,
    } = topup(b).await;
    let alice_wallet = &w.local.spare[4];

    // Without payment: 402 naming the price, to the treasury, in the token.
    let plain = reqwest::Client::new().post(&url).send().await.unwrap();
    assert_eq!(
        plain.status().as_u16(),
        402,
        "{:?}",
        plain.headers().get("content-type")
    );
    let required = plain
        .headers()
        .get("payment-required")
        .expect("PAYMENT-REQUIRED");
    let required =
        settlement::payout::x402::decode_header("payment-required", required.as_bytes()).unwrap();
    let accept = match required.get("accepts") {
        Some(Value::Array(a)) => a[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        accept.get("amount").and_then(Value::as_str),
        Some("12340000")
    );
    // It declares how a payment binds the requester.
    assert!(
        required
            .get("extensions")
            .and_then(|e| e.get("settlementDeposit"))
            .and_then(|d| d.get("nonce"))
            .and_then(Value::as_str)
            .is_some_and(|rule| rule.contains("settlement-deposit-v1:")),
        "{required:?}"
    );
    assert_eq!(
        accept.get("network").and_then(Value::as_str),
        Some(format!("eip155:{}", w.local.config.chain_id).as_str())
    );
    assert_eq!(
        accept
            .get("payTo")
            .and_then(Value::as_str)
            .map(str::to_lowercase),
        Some(w.local.treasury.address().to_string().to_lowercase())
    );

    // The SDK pays; the requester is credited 12.34.
    let paid = node_topup(
        &url,
        &format!("0x{key}"),
        &format!("eip155:{}", w.local.config.chain_id),
        &w.local.config.token.to_string(),
        "20000000",
        Some(REQUESTER),
    );
    assert_eq!(
        paid.get("status").and_then(Value::as_int),
        Some(201),
        "{paid:?}"
    );
    let tx = paid
        .get("paymentResponse")
        .and_then(|p| p.get("transaction"))
        .and_then(Value::as_str)
        .expect("PAYMENT-RESPONSE names the transaction")
        .to_owned();
    let body = json::parse_str(paid.get("body").and_then(Value::as_str).unwrap()).unwrap();
    assert_eq!(
        body.get("transaction").and_then(Value::as_str),
        Some(tx.as_str())
    );
    let after = w.app.requester_usd(REQUESTER).await;
    assert_eq!(after.0, before.0 + 1234);
    assert_eq!(
        w.token_balance(alice_wallet.address()).await,
        U256::from(50_000_000u64 - 12_340_000)
    );
    // The ledger's treasury and the chain agree.
    let r = reconcile(&w.app.service.store, w.payouts.chain(), "USD", 2)
        .await
        .unwrap();
    assert!(r.is_clean(), "{}", r.table());

    // Bad requests are refused before any price is named.
    for q in [
        "requester=not-a-did&amount=5",
        "amount=5",
        &format!("requester={REQUESTER}&amount=0"),
        &format!("requester={REQUESTER}&amount=-5"),
        &format!("requester={REQUESTER}&amount=1.5"),
        // Below the minimum: dust would cost the treasury more gas than it
        // brings.
        &format!("requester={REQUESTER}&amount=99"),
        &format!("requester={REQUESTER}&amount=5&tip=1"),
    ] {
        let r = reqwest::Client::new()
            .post(format!("{base}/v1/deposits?{q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{q}");
        assert!(r.headers().get("payment-required").is_none(), "{q}");
    }
}

/// Security review, finding 4: the request of a deposit fails after the
/// facilitator settled the payment on chain (here a failpoint; in life the
/// request's time limit, a crash, any later error). The deposit was
/// recorded before settlement, so the payout cycle finds the payment by
/// its nonce and credits it once; the ledger and the chain then agree.
async fn a_deposit_whose_request_died_is_credited_once(b: Backend) {
    let Topup {
        w,
        stop: _stop,
        key,
        url,
        before,
        ..
    } = topup(b).await;
    let wallet = &w.local.spare[4];
    w.app
        .service
        .fail_after_deposit_settlement
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let paid = node_topup(
        &url,
        &format!("0x{key}"),
        &format!("eip155:{}", w.local.config.chain_id),
        &w.local.config.token.to_string(),
        "20000000",
        Some(REQUESTER),
    );
    assert_eq!(
        paid.get("status").and_then(Value::as_int),
        Some(500),
        "{paid:?}"
    );
    // The tokens left the payer; the requester was not credited, and the
    // treasury holds more than the ledger says.
    assert_eq!(
        w.token_balance(wallet.address()).await,
        U256::from(50_000_000u64 - 12_340_000)
    );
    assert_eq!(w.app.requester_usd(REQUESTER).await, before);
    let r = reconcile(&w.app.service.store, w.payouts.chain(), "USD", 2)
        .await
        .unwrap();
    assert!(
        !r.is_clean(),
        "the uncredited deposit must show: {}",
        r.table()
    );

    // The payout cycle credits it from the chain, once.
    w.app
        .service
        .fail_after_deposit_settlement
        .store(false, std::sync::atomic::Ordering::Relaxed);
    for _ in 0..2 {
        w.payouts
            .run_cycle(std::time::Duration::ZERO)
            .await
            .unwrap();
        let after = w.app.requester_usd(REQUESTER).await;
        assert_eq!(after.0, before.0 + 1234);
    }
    let recovery = w.payouts.recover_deposits().await.unwrap();
    assert_eq!(recovery, Default::default(), "nothing is left pending");
    let r = reconcile(&w.app.service.store, w.payouts.chain(), "USD", 2)
        .await
        .unwrap();
    assert!(r.is_clean(), "{}", r.table());
}

/// Security review, finding 5 in part: each payment is settled at the
/// treasury's gas, so one client address presents at most ten a minute.
async fn payments_from_one_client_are_limited(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let (base, _stop) = serve_with_deposits(&w).await;
    let url = format!("{base}/v1/deposits?requester={REQUESTER}&amount=1234");
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..settlement::api::PAYMENTS_PER_CLIENT_MAX + 1 {
        // Not a valid payment: the facilitator refuses it, but it was
        // presented, and the next one over the limit is not even looked at.
        let r = client
            .post(&url)
            .header("payment-signature", "e30=")
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    let last = statuses.pop().unwrap();
    assert_eq!(last, 429, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s != 429), "{statuses:?}");
    // Without a payment the price is still named.
    let r = client.post(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 402);
}

/// A payment of 12.34 bound to the requester, from spare dev account `n`.
async fn payment_from(
    w: &crate::payouts::World,
    client: &reqwest::Client,
    url: &str,
    n: usize,
    now: u64,
) -> Value {
    let wallet = settlement::payout::chain::Treasury::from_signer(w.local.spare[n].clone());
    settlement::payout::x402::deposit_payment(
        client,
        url,
        REQUESTER,
        &wallet,
        U256::from(12_340_000u64),
        &w.local.config,
        now,
    )
    .await
    .unwrap()
}

/// Presents a payment at `url`, as an x402 client's second request does.
async fn present(client: &reqwest::Client, url: &str, payment: &Value) -> reqwest::Response {
    client
        .post(url)
        .header(
            "payment-signature",
            settlement::payout::x402::encode_header(payment),
        )
        .send()
        .await
        .unwrap()
}

/// The problem code of a refused deposit.
async fn refusal(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body = json::parse(&r.bytes().await.unwrap()).unwrap();
    let code = body
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    (status, code)
}

/// The chain's clock, for an authorization's validity window.
async fn chain_now(w: &crate::payouts::World) -> u64 {
    w.payouts.chain().latest_block().await.unwrap().1
}

/// Security review, finding 5: Mallory relays Alice's payment (a captured
/// `PAYMENT-SIGNATURE`) with her own DID in the query before Alice does.
/// The nonce Alice signed binds Alice: the payment is refused before any
/// settlement, nothing moves, and Alice's own request is then credited.
async fn a_relayed_payment_cannot_credit_another_requester(b: Backend) {
    let Topup {
        w,
        stop: _stop,
        url,
        before,
        base,
        ..
    } = topup(b).await;
    let alice_wallet = settlement::payout::chain::Treasury::from_signer(w.local.spare[4].clone());
    let client = reqwest::Client::new();
    let payment = payment_from(&w, &client, &url, 4, chain_now(&w).await).await;
    let header = settlement::payout::x402::encode_header(&payment);
    let mallory = "did:web:mallory.example";
    let mallory_balance = || {
        w.app
            .get("/v1/requesters/did:web:mallory.example/balance?currency=USD")
    };
    let mallory_before = mallory_balance().await;
    assert_eq!(mallory_before.status, 200);
    let mallory_before = mallory_before.body;
    let relayed = client
        .post(format!(
            "{base}/v1/deposits?requester={mallory}&amount=1234"
        ))
        .header("payment-signature", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(relayed).await, (400, "deposit-not-bound".into()));
    assert_eq!(mallory_balance().await.body, mallory_before);
    assert_eq!(
        w.token_balance(alice_wallet.address()).await,
        U256::from(50_000_000u64),
        "nothing was settled"
    );
    assert!(
        w.app
            .service
            .store
            .pending_deposits(10)
            .await
            .unwrap()
            .is_empty()
    );

    // Stripping the salt, or bringing another, does not help either.
    let mut unsalted = payment.clone();
    if let Value::Object(m) = &mut unsalted {
        m.remove("extensions");
    }
    let r = client
        .post(format!(
            "{base}/v1/deposits?requester={mallory}&amount=1234"
        ))
        .header(
            "payment-signature",
            settlement::payout::x402::encode_header(&unsalted),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(r).await, (400, "deposit-not-bound".into()));

    // Alice's own request is credited.
    let r = client
        .post(&url)
        .header("payment-signature", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(w.app.requester_usd(REQUESTER).await.0, before.0 + 1234);
    assert_eq!(mallory_balance().await.body, mallory_before);
    let r = reconcile(&w.app.service.store, w.payouts.chain(), "USD", 2)
        .await
        .unwrap();
    assert!(r.is_clean(), "{}", r.table());
}

/// The SDK's own `exact` scheme picks a random nonce, which binds no
/// requester: refused before settlement, nothing moved.
async fn an_unbound_payment_is_refused(b: Backend) {
    let Topup {
        w,
        stop: _stop,
        key,
        url,
        before,
        ..
    } = topup(b).await;
    let paid = node_topup(
        &url,
        &format!("0x{key}"),
        &format!("eip155:{}", w.local.config.chain_id),
        &w.local.config.token.to_string(),
        "20000000",
        None,
    );
    assert_eq!(
        paid.get("status").and_then(Value::as_int),
        Some(400),
        "{paid:?}"
    );
    let body = json::parse_str(paid.get("body").and_then(Value::as_str).unwrap()).unwrap();
    assert_eq!(
        body.get("code").and_then(Value::as_str),
        Some("deposit-not-bound"),
        "{body:?}"
    );
    assert_eq!(w.app.requester_usd(REQUESTER).await, before);
    assert_eq!(
        w.token_balance(w.local.spare[4].address()).await,
        U256::from(50_000_000u64)
    );
}

/// Each recorded deposit is one the treasury may settle at its gas and
/// the payout cycle watches: a payment the facilitator would not settle
/// (here from a wallet holding no tokens) is not recorded, and one payer
/// has at most a few deposits pending.
async fn pending_deposits_are_bounded(b: Backend) {
    let Topup {
        w,
        stop: _stop,
        url,
        before,
        ..
    } = topup(b).await;
    let client = reqwest::Client::new();
    let now = chain_now(&w).await;
    // A bound, well-signed payment from an empty wallet.
    let payment = payment_from(&w, &client, &url, 5, now).await;
    let r = present(&client, &url, &payment).await;
    assert_eq!(refusal(r).await, (400, "payment-invalid".into()));
    assert!(
        w.app
            .service
            .store
            .pending_deposits(10)
            .await
            .unwrap()
            .is_empty()
    );

    // A funded payer with the most deposits pending already.
    let alice_wallet = settlement::payout::chain::Treasury::from_signer(w.local.spare[4].clone());
    let payer = alice_wallet.address().to_string();
    for i in 0..settlement::store::deposits::PENDING_PER_PAYER_MAX {
        let d = settlement::store::deposits::Deposit {
            payer: payer.clone(),
            nonce: alloy::primitives::B256::from(U256::from(i)).to_string(),
            requester: REQUESTER.into(),
            currency: "USD".into(),
            token_value: "1000000".into(),
            amount_minor: 100,
            valid_before: i64::try_from(now).unwrap() + 600,
            state: "pending".into(),
            tx_hash: None,
            created_at: 0,
        };
        assert!(
            w.app
                .service
                .store
                .record_deposit(&d)
                .await
                .unwrap()
                .is_some()
        );
    }
    let payment = payment_from(&w, &client, &url, 4, now).await;
    let r = present(&client, &url, &payment).await;
    assert_eq!(refusal(r).await, (429, "too-many-pending-deposits".into()));
    assert_eq!(w.app.requester_usd(REQUESTER).await, before);
    assert_eq!(
        w.token_balance(alice_wallet.address()).await,
        U256::from(50_000_000u64)
    );
}

on_both_backends!(
    the_x402_sdk_tops_up_a_requester,
    a_deposit_whose_request_died_is_credited_once,
    payments_from_one_client_are_limited,
    a_relayed_payment_cannot_credit_another_requester,
    an_unbound_payment_is_refused,
    pending_deposits_are_bounded,
);
