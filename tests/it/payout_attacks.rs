//! Attacks on payouts, each performed against a real anvil on both
//! databases: a node that hides the token's logs must not make a used
//! authorization payable again (paid twice), and a transaction hash that
//! does not pay the payout (as an x402 endpoint may report one) must not
//! confirm it (never paid).

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use axum::body::Bytes;

use settlement::payout::chain::{Authorization, Chain, payout_nonce};
use settlement::payout::{PayoutConfig, Payouts};
use settlement::store::payouts::{Advance, PayoutRow, PayoutState};
use settlement::testkit::PROVIDER;

use crate::app::Backend;
use crate::payouts::{World, world};

/// Token units per USD cent (token 6 decimals, ledger 2).
const UNITS_PER_CENT: u64 = 10_000;
/// The provider's share of a 250 receipt after the 6 fee.
const SHARE: i64 = 244;

/// A JSON-RPC proxy in front of `upstream` that answers every
/// `eth_getLogs` with no logs, as a lagging or pruning node may. Returns
/// its URL.
async fn log_hiding_proxy(upstream: String) -> String {
    let http = reqwest::Client::new();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move |body: Bytes| {
            let http = http.clone();
            let upstream = upstream.clone();
            async move {
                let request: serde_json::Value =
                    serde_json::from_slice(&body).expect("a JSON-RPC request");
                if request.get("method").and_then(|m| m.as_str()) == Some("eth_getLogs") {
                    let id = request
                        .get("id")
                        .cloned()
                        .unwrap_or(serde_json::Value::Null);
                    let answer = serde_json::json!({"jsonrpc": "2.0", "id": id, "result": []});
                    return answer.to_string();
                }
                http.post(&upstream)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("upstream node")
                    .text()
                    .await
                    .expect("upstream answer")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// Waits until `tx` is mined.
async fn mined(w: &World, tx: B256) {
    for _ in 0..100 {
        if let settlement::payout::chain::TxStatus::Mined { success, .. } =
            w.payouts.chain().tx_status(tx).await.unwrap()
        {
            assert!(success, "{tx} reverted");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{tx} was not mined in 5 s");
}

/// The treasury's authorization for payout `p` to `to`, as the engine
/// signs it (deterministic).
fn authorization_of(
    w: &World,
    p: &PayoutRow,
    to: Address,
) -> (Authorization, alloy::primitives::Bytes) {
    let auth = Authorization {
        from: w.local.treasury.address(),
        to,
        value: U256::from_str_radix(&p.token_value, 10).unwrap(),
        valid_after: u64::try_from(p.valid_after).unwrap(),
        valid_before: u64::try_from(p.valid_before).unwrap(),
        nonce: payout_nonce(&p.id),
    };
    let sig = auth.sign(&w.local.treasury, &w.local.config.domain());
    (auth, sig)
}

async fn a_used_authorization_whose_log_is_hidden_is_not_paid_twice(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let bob = w.local.spare[0].address();
    w.settle(PROVIDER, "hidden-log", 2).await;
    w.pay_to(PROVIDER, bob).await;
    let planned = w.payouts.plan().await.unwrap();
    assert_eq!(planned.len(), 1);
    let p = &planned[0];

    // The authorization is used on chain (here by the test itself, as a
    // facilitator or an earlier run of the engine would).
    let (auth, sig) = authorization_of(&w, p, bob);
    let paid_by = w
        .payouts
        .chain()
        .send_authorization(&auth, &sig)
        .await
        .unwrap();
    mined(&w, paid_by).await;
    let expected = U256::from(2 * SHARE as u64 * UNITS_PER_CENT);
    assert_eq!(w.token_balance(bob).await, expected);

    // An engine whose node hides the token's logs: `authorizationState`
    // says used, no event says by what.
    let mut config = w.local.config.clone();
    config.rpc_url = log_hiding_proxy(w.local.config.rpc_url.clone()).await;
    let lagging = Payouts::new(
        w.app.service.store.clone(),
        Chain::connect(config, w.local.treasury.clone())
            .await
            .unwrap(),
        PayoutConfig {
            maturity_secs: 0,
            ..PayoutConfig::default()
        },
        w.app.service.exchange.clone(),
        w.app.service.clock.clone(),
    )
    .await
    .unwrap();
    let report = lagging.run_cycle(Duration::ZERO).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    let row = &w.payouts_of(PROVIDER).await[0];
    assert_ne!(row.state, PayoutState::Failed, "{row:?}");
    assert_eq!(
        w.payable(PROVIDER).await,
        0,
        "the paid money is payable again"
    );

    // With a node that shows the logs, the payout is followed to the
    // transaction that used it; the provider was paid exactly once.
    let report = w.payouts.run_cycle(Duration::from_secs(10)).await.unwrap();
    assert_eq!(report.confirmed, vec![p.id.clone()], "{report:?}");
    let row = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(row.tx_hash.as_deref(), Some(paid_by.to_string().as_str()));
    assert_eq!(w.payouts_of(PROVIDER).await.len(), 1);
    assert_eq!(w.token_balance(bob).await, expected);
    w.assert_reconciled().await;
}

async fn a_reported_transaction_that_does_not_pay_never_confirms(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let bob = w.local.spare[0].address();
    let mallory = w.local.spare[1].address();
    w.settle(PROVIDER, "fake-tx", 3).await;
    w.pay_to(PROVIDER, bob).await;
    let planned = w.payouts.plan().await.unwrap();
    let p = &planned[0];
    let (_, sig) = authorization_of(&w, p, bob);
    let store = &w.app.service.store;
    let now = w.app.service.clock.now_us();
    let signed = Advance {
        signature: Some(sig.to_string()),
        pay_to: Some(bob.to_string()),
        ..Advance::default()
    };
    assert!(
        store
            .advance_payout(
                &p.id,
                PayoutState::Planned,
                PayoutState::Signed,
                &signed,
                now
            )
            .await
            .unwrap()
    );

    // A real, mined transaction that pays someone else (from another
    // holder, so the treasury's books stay as they are): what an endpoint
    // reporting a hash it did not earn would name.
    let holder = settlement::payout::chain::Treasury::from_signer(w.local.spare[2].clone());
    w.local
        .mint(holder.address(), U256::from(1u64))
        .await
        .unwrap();
    let other = Authorization {
        from: holder.address(),
        to: mallory,
        value: U256::from(1u64),
        valid_after: 0,
        valid_before: u64::MAX / 2,
        nonce: B256::repeat_byte(7),
    };
    let other_sig = other.sign(&holder, &w.local.config.domain());
    let unrelated = w
        .payouts
        .chain()
        .send_authorization(&other, &other_sig)
        .await
        .unwrap();
    mined(&w, unrelated).await;
    let reported = Advance {
        tx_hash: Some(unrelated.to_string()),
        ..Advance::default()
    };
    assert!(
        store
            .advance_payout(
                &p.id,
                PayoutState::Signed,
                PayoutState::Submitted,
                &reported,
                now
            )
            .await
            .unwrap()
    );

    // The engine does not take the hash's word: the payout is sent for
    // real and confirmed by its own transaction.
    let report = w.payouts.run_cycle(Duration::from_secs(10)).await.unwrap();
    let row = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(row.state, PayoutState::Confirmed, "{report:?} {row:?}");
    assert_ne!(row.tx_hash.as_deref(), Some(unrelated.to_string().as_str()));
    assert_eq!(
        w.token_balance(bob).await,
        U256::from(3 * SHARE as u64 * UNITS_PER_CENT)
    );
    assert_eq!(w.payable(PROVIDER).await, 0);
    w.assert_reconciled().await;
}

/// Security review, finding 1: a destination set with the provider's
/// credentials (a captured token, say) is not paid before its cooling-off
/// period ends; the operator's is paid at once.
async fn a_new_destination_waits_out_its_cooling_off(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let mallory = w.local.spare[1].address();
    let bob = w.local.spare[0].address();
    w.settle(PROVIDER, "cooling", 2).await;
    let dest = |to: Address| settlement::store::payouts::Destination {
        provider: PROVIDER.to_owned(),
        rail: settlement::store::payouts::Rail::Direct,
        address: Some(to.to_string()),
        url: None,
        updated_at: 0,
        effective_at: 0,
    };
    let set = w
        .app
        .service
        .set_destination(dest(mallory), false)
        .await
        .unwrap();
    assert!(set.effective_at > w.app.service.clock.now_us());
    let report = w.payouts.run_cycle(Duration::from_secs(5)).await.unwrap();
    assert!(report.planned.is_empty(), "{report:?}");
    assert_eq!(w.token_balance(mallory).await, U256::ZERO);
    assert_eq!(w.payable(PROVIDER).await, 2 * SHARE);

    w.app
        .service
        .set_destination(dest(bob), true)
        .await
        .unwrap();
    let report = w.payouts.run_cycle(Duration::from_secs(10)).await.unwrap();
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    assert_eq!(
        w.token_balance(bob).await,
        U256::from(2 * SHARE as u64 * UNITS_PER_CENT)
    );
    assert_eq!(w.token_balance(mallory).await, U256::ZERO);
    w.assert_reconciled().await;
}

on_both_backends!(
    two_engines_racing_cycles_pay_once,
    a_new_destination_waits_out_its_cooling_off,
    a_used_authorization_whose_log_is_hidden_is_not_paid_twice,
    a_reported_transaction_that_does_not_pay_never_confirms,
);

/// Several processes on one database (replicas, or `serve` beside
/// `payout run`) never run payout cycles at once: two engines racing
/// cycles pay the provider once, in one payout.
async fn two_engines_racing_cycles_pay_once(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let bob = w.local.spare[0].address();
    w.settle(PROVIDER, "two-engines", 4).await;
    w.pay_to(PROVIDER, bob).await;
    let other = Payouts::new(
        w.app.service.store.clone(),
        Chain::connect(w.local.config.clone(), w.local.treasury.clone())
            .await
            .unwrap(),
        PayoutConfig {
            maturity_secs: 0,
            ..PayoutConfig::default()
        },
        w.app.service.exchange.clone(),
        w.app.service.clock.clone(),
    )
    .await
    .unwrap();
    // While another process holds the cycle's lock, a cycle does nothing.
    let held = w.app.service.store.try_payout_cycle_lock().await.unwrap();
    assert!(held.is_some());
    assert!(
        w.app
            .service
            .store
            .try_payout_cycle_lock()
            .await
            .unwrap()
            .is_none()
    );
    let report = w.payouts.run_cycle(Duration::ZERO).await.unwrap();
    assert!(report.planned.is_empty(), "{report:?}");
    assert!(w.payouts_of(PROVIDER).await.is_empty());
    drop(held);
    for _ in 0..3 {
        let (a, b2) = tokio::join!(
            w.payouts.run_cycle(Duration::from_secs(5)),
            other.run_cycle(Duration::from_secs(5)),
        );
        a.unwrap();
        b2.unwrap();
    }
    let payouts = w.payouts_of(PROVIDER).await;
    assert_eq!(payouts.len(), 1, "{payouts:?}");
    assert_eq!(payouts[0].state, PayoutState::Confirmed);
    assert_eq!(
        w.token_balance(bob).await,
        U256::from(4 * SHARE as u64 * UNITS_PER_CENT)
    );
    w.assert_reconciled().await;
}
