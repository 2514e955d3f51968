//! The x402 rail against an x402 implementation nobody here wrote: the
//! provider's payout endpoint is `x402-axum` with the x402-rs EIP-155
//! `exact` facilitator in process (`x402-chain-eip155`), which verifies the
//! engine's `PAYMENT-SIGNATURE` and settles it on the local chain. On
//! SQLite and PostgreSQL.

use std::sync::Arc;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use axum::routing::get;

use settlement::payout::chain::payout_nonce;
use settlement::payout::local::LocalChain;
use settlement::store::payouts::{Destination, PayoutState, Rail};
use settlement::testkit::PROVIDER;
use x402_axum::X402Middleware;
use x402_chain_eip155::V2Eip155Exact;
use x402_chain_eip155::chain::config::Eip155ChainConfig;
use x402_chain_eip155::chain::{
    AssetTransferMethod, Eip155ChainProvider, Eip155ChainReference, Eip155TokenDeployment,
};
use x402_types::chain::{DeployedTokenAmount, FromConfig};
use x402_types::facilitator::Facilitator;
use x402_types::proto;
use x402_types::scheme::{X402SchemeFacilitator, X402SchemeFacilitatorBuilder};

use crate::app::Backend;
use crate::payouts::{World, world};

/// An x402 facilitator over one scheme handler, in process.
#[derive(Clone)]
struct InProcess(Arc<dyn X402SchemeFacilitator>);

impl Facilitator for InProcess {
    type Error = String;

    fn verify(
        &self,
        request: &proto::VerifyRequest,
    ) -> impl Future<Output = Result<proto::VerifyResponse, String>> + Send {
        let (h, r) = (self.0.clone(), request.clone());
        async move { h.verify(&r).await.map_err(|e| e.to_string()) }
    }

    fn settle(
        &self,
        request: &proto::SettleRequest,
    ) -> impl Future<Output = Result<proto::SettleResponse, String>> + Send {
        let (h, r) = (self.0.clone(), request.clone());
        async move { h.settle(&r).await.map_err(|e| e.to_string()) }
    }

    fn supported(&self) -> impl Future<Output = Result<proto::SupportedResponse, String>> + Send {
        let h = self.0.clone();
        async move { h.supported().await.map_err(|e| e.to_string()) }
    }
}

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
    // The x402-rs chain provider refuses to start unless these contracts
    // (EIP-6492 validator, Permit2, the x402 Permit2 proxy) have code; plain
    // EIP-3009 payments never call them.
    for addr in [
        "0xdAcD51A54883eb67D95FAEb2BBfdC4a9a6BD2a3B",
        "0x000000000022D473030F116dDEE9F6B43aC78BA3",
        "0x402085c248EeA27D92E8b30b2C58ed07f9E20001",
    ] {
        local
            .admin
            .raw_request::<_, ()>("anvil_setCode".into(), (addr, "0xfe"))
            .await
            .expect("anvil_setCode");
    }
    let key: String = relayer
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let inner = serde_json::from_value(serde_json::json!({
        "signers": [format!("0x{key}")],
        "rpc": [{"http": local.endpoint()}],
    }))
    .expect("chain config");
    let config = Eip155ChainConfig {
        chain_reference: Eip155ChainReference::new(local.config.chain_id),
        inner,
    };
    let provider = Eip155ChainProvider::from_config(&config)
        .await
        .expect("x402-rs chain provider");
    let handler = X402SchemeFacilitatorBuilder::<Arc<Eip155ChainProvider>>::build(
        &V2Eip155Exact,
        Arc::new(provider),
        None,
    )
    .expect("exact scheme facilitator");
    let facilitator = InProcess(Arc::from(handler));
    let token = Eip155TokenDeployment {
        chain_reference: Eip155ChainReference::new(local.config.chain_id),
        address: local.config.token,
        decimals: 6,
        transfer_method: AssetTransferMethod::Eip3009 {
            name: local.config.eip712_name.clone(),
            version: local.config.eip712_version.clone(),
        },
    };
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
        let token = token.clone();
        async move {
            vec![V2Eip155Exact::price_tag(
                pay_to,
                DeployedTokenAmount { amount, token },
            )]
        }
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
    assert!(
        p.error.as_deref().unwrap().contains("accepts[0].amount"),
        "{:?}",
        p.error
    );
    assert_eq!(w.token_balance(wallet).await, U256::ZERO);
    assert_eq!(w.payable(PROVIDER).await, 2 * 244);
    w.assert_reconciled().await;
}

on_both_backends!(
    a_payout_over_x402,
    an_x402_endpoint_asking_more_is_never_paid
);
