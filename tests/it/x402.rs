//! The x402 rail against an x402 implementation nobody here wrote: the
//! provider's payout endpoint is `x402-axum` with the x402-rs EIP-155
//! `exact` facilitator in process (`x402-chain-eip155`), which verifies the
//! engine's `PAYMENT-SIGNATURE` and settles it on the local chain. On
//! SQLite and PostgreSQL.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use axum::routing::get;

use settlement::payout::chain::{Treasury, payout_nonce};
use settlement::payout::facilitator::{InProcess, price_tag, token_deployment};
use settlement::payout::local::LocalChain;
use settlement::store::payouts::{Destination, PayoutState, Rail};
use settlement::testkit::PROVIDER;
use x402_axum::X402Middleware;

use crate::app::Backend;
use crate::payouts::{World, world};

/// How the provider's endpoint prices a payout.
#[derive(Clone, Copy)]
enum Asks {
    /// The amount the engine names (an honest provider).
    WhatIsOwed,
    /// Twice that.
    Double,
}

/// Starts the provider's x402 payout endpoint (`GET /payout`), paying to
/// `pay_to`; its facilitator sends transactions as `relayer`.
async fn provider_endpoint(
    local: &LocalChain,
    pay_to: Address,
    relayer: &PrivateKeySigner,
    asks: Asks,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let facilitator = InProcess::start(&local.config, &Treasury::from_signer(relayer.clone()))
        .await
        .expect("x402-rs exact facilitator");
    let token = token_deployment(&local.config, 6);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let x402 = X402Middleware::from_facilitator(facilitator)
        .settle_before_execution()
        .with_base_url(format!("{base}/").parse().unwrap());
    let paywall = x402.with_dynamic_price(move |_headers, uri, _base| {
        let owed = uri
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("amount="))
            .and_then(|a| U256::from_str_radix(a, 10).ok())
            .unwrap_or(U256::ZERO);
        let amount = match asks {
            Asks::WhatIsOwed => owed,
            Asks::Double => owed * U256::from(2u8),
        };
        let tag = price_tag(pay_to, &token, amount);
        async move { vec![tag] }
    });
    let app = axum::Router::new().route(
        "/payout",
        get(|| async { "paid, thank you" }).layer(paywall),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    (format!("{base}/payout"), stop)
}

async fn register_x402(w: &World, provider: &str, url: &str) {
    w.app
        .service
        .store
        .set_destination(&Destination {
            provider: provider.to_owned(),
            rail: Rail::X402,
            address: None,
            url: Some(url.to_owned()),
            updated_at: 0,
            effective_at: 0,
        })
        .await
        .unwrap();
}

async fn a_payout_over_x402(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let wallet = w.local.spare[0].address();
    let (url, _stop) =
        provider_endpoint(&w.local, wallet, &w.local.spare[3], Asks::WhatIsOwed).await;
    w.settle(PROVIDER, "x402", 5).await;
    register_x402(&w, PROVIDER, &url).await;

    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    let owed = U256::from(5u64 * 244 * 10_000);
    assert_eq!(w.token_balance(wallet).await, owed);
    let p = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(p.state, PayoutState::Confirmed);
    assert_eq!(p.rail, Rail::X402);
    assert_eq!(
        p.pay_to.as_deref().map(str::to_lowercase),
        Some(wallet.to_string().to_lowercase())
    );
    // The provider's facilitator sent the transaction, with the engine's
    // authorization: the token says which transaction used the nonce.
    let tx = w
        .payouts
        .chain()
        .authorization_tx(payout_nonce(&p.id))
        .await
        .unwrap()
        .expect("the authorization was used");
    assert_eq!(p.tx_hash.as_deref(), Some(tx.to_string().as_str()));
    let sent = w
        .local
        .admin
        .get_transaction_by_hash(tx)
        .await
        .unwrap()
        .expect("the transaction");
    assert_eq!(sent.inner.signer(), w.local.spare[3].address());
    assert_eq!(w.payable(PROVIDER).await, 0);
    w.assert_reconciled().await;
}

async fn an_x402_endpoint_asking_more_is_never_paid(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let wallet = w.local.spare[0].address();
    let (url, _stop) = provider_endpoint(&w.local, wallet, &w.local.spare[3], Asks::Double).await;
    w.settle(PROVIDER, "greedy", 2).await;
    register_x402(&w, PROVIDER, &url).await;

    // Each attempt is refused before anything is signed; after the last
    // one the payout is given up and its money is payable again.
    let mut failed = Vec::new();
    for _ in 0..6 {
        let report = w
            .payouts
            .run_cycle(std::time::Duration::ZERO)
            .await
            .unwrap();
        failed.extend(report.failed);
        if !failed.is_empty() {
            break;
        }
    }
    assert_eq!(failed.len(), 1);
    let p = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(p.state, PayoutState::Failed);
    assert_eq!(p.signature, None, "nothing was ever signed");
    // The provider is told a short code, not what its endpoint answered.
    assert_eq!(
        p.error.as_deref(),
        Some("x402 rail: x402-requirements-refused"),
    );
    assert_eq!(w.token_balance(wallet).await, U256::ZERO);
    assert_eq!(w.payable(PROVIDER).await, 2 * 244);
    w.assert_reconciled().await;
}

/// Security review, finding 6: with the production default (public https
/// only), a provider's x402 URL on this machine is never requested, let
/// alone paid, and the provider learns only a short code.
async fn a_payout_url_on_this_machine_is_never_reached(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let wallet = w.local.spare[0].address();
    let (url, _stop) =
        provider_endpoint(&w.local, wallet, &w.local.spare[3], Asks::WhatIsOwed).await;
    w.settle(PROVIDER, "ssrf", 2).await;
    register_x402(&w, PROVIDER, &url).await;
    let strict = settlement::payout::Payouts::new(
        w.app.service.store.clone(),
        settlement::payout::chain::Chain::connect(w.local.config.clone(), w.local.treasury.clone())
            .await
            .unwrap(),
        settlement::payout::PayoutConfig {
            maturity_secs: 0,
            ..settlement::payout::PayoutConfig::default()
        },
        w.app.service.exchange.clone(),
        w.app.service.clock.clone(),
    )
    .await
    .unwrap();
    let report = strict.run_cycle(std::time::Duration::ZERO).await.unwrap();
    assert!(report.confirmed.is_empty(), "{report:?}");
    let p = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(p.signature, None, "nothing was signed");
    assert_eq!(p.error.as_deref(), Some("x402-address-not-allowed"));
    assert_eq!(w.token_balance(wallet).await, U256::ZERO);
}

/// The same rule where a destination is set: non-public, plain-http and
/// credentialed URLs are refused, with the reason, before anything is
/// stored.
async fn payout_urls_must_be_public_https(b: Backend) {
    let (app, _clock) =
        crate::app::spawn_app_proven(b, settlement::identity::IdentityConfig::default()).await;
    let dest = format!("/v1/admin/payout-destinations/{PROVIDER}");
    for (url, why) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "https is required",
        ),
        (
            "https://169.254.169.254/latest/meta-data/",
            "not a public address",
        ),
        ("https://10.0.0.8/pay", "not a public address"),
        ("https://[::ffff:192.168.1.1]/pay", "not a public address"),
        ("https://127.0.0.1:9/pay", "not a public address"),
        ("https://localhost/pay", "not a public address"),
        ("https://user:secret@8.8.8.8/pay", "credentials"),
    ] {
        let body = settlement::records::json::parse_str(&format!(r#"{{"x402":"{url}"}}"#)).unwrap();
        let r = app
            .request(
                reqwest::Method::PUT,
                &dest,
                Some(&body),
                Some(crate::app::ADMIN_TOKEN),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (400, "invalid-request"),
            "{url}: {r:?}"
        );
        let detail = r.body.get("detail").and_then(|d| d.as_str()).unwrap_or("");
        assert!(detail.contains(why), "{url}: {detail}");
    }
    let stored = app.service.store.destination(PROVIDER).await.unwrap();
    assert_eq!(stored, None);
}

on_both_backends!(
    a_payout_url_on_this_machine_is_never_reached,
    payout_urls_must_be_public_https,
    a_payout_over_x402,
    an_x402_endpoint_asking_more_is_never_paid
);
