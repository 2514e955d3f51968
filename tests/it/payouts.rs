//! Payouts on a real anvil with the real token, on SQLite and PostgreSQL:
//! netting many settlements into one transfer, a payout the treasury
//! cannot cover (funds back to payable, authorization canceled), and a
//! reorg before confirmation.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use base64::Engine as _;

use settlement::contract::reconcile::reconcile;
use settlement::exchange::verify_settlement;
use settlement::payout::chain::{Chain, payout_nonce};
use settlement::payout::local::{LocalChain, LocalOptions};
use settlement::payout::{PayoutConfig, Payouts, processor_reference};
use settlement::records::cid::Cid;
use settlement::records::json::Value;
use settlement::store::payouts::{Destination, PayoutFilter, PayoutRow, PayoutState, Rail};
use settlement::testkit::{EXCHANGE, PROVIDER, REQUESTER, Scenario};

use crate::app::{App, Backend, spawn_app};

/// Token units per USD cent: the token has 6 decimals, the ledger 2.
const UNITS_PER_CENT: u64 = 10_000;
/// What the provider earns per settled receipt: 250 less the 2.5 % fee (6).
const SHARE: i64 = 244;

pub struct World {
    pub app: App,
    pub local: LocalChain,
    pub payouts: Payouts,
}

/// Payout ids in order: a cycle confirms them in the order the chain
/// answers, not the order it planned them.
pub fn sorted(ids: &[String]) -> Vec<String> {
    let mut v = ids.to_vec();
    v.sort();
    v
}

/// A server on `backend`, a local chain whose treasury holds
/// `treasury_cents` (and the ledger says so), and the payout engine.
pub async fn world(backend: Backend, treasury_cents: u64, confirmations: u64) -> World {
    let local = LocalChain::start(LocalOptions {
        confirmations,
        treasury_funding: U256::from(treasury_cents * UNITS_PER_CENT),
        ..LocalOptions::default()
    })
    .await
    .expect("local chain");
    let app = spawn_app(backend).await;
    let store = app.service.store.clone();
    if treasury_cents > 0 {
        store
            .fund_treasury("genesis", "USD", treasury_cents as i64, EXCHANGE)
            .await
            .expect("record treasury funding");
    }
    let chain = Chain::connect(local.config.clone(), local.treasury.clone())
        .await
        .expect("connect to the local chain");
    let payouts = Payouts::new(
        store,
        chain,
        // The providers' x402 endpoints are on loopback (development).
        // Charges are paid at once here; tests of the dispute window set
        // their own.
        PayoutConfig {
            egress: settlement::egress::Egress { loopback: true },
            maturity_secs: 0,
            ..PayoutConfig::default()
        },
        app.service.exchange.clone(),
        app.service.clock.clone(),
    )
    .await
    .expect("payout engine");
    World {
        app,
        local,
        payouts,
    }
}

impl World {
    /// Settles `n` receipts of `provider` (250 each) for the requester.
    pub async fn settle(&self, provider: &str, tag: &str, n: usize) {
        let deposit = self
            .app
            .deposit(REQUESTER, 1_000_000, &format!("dep-{tag}"))
            .await;
        assert!(
            deposit.status == 201 || deposit.status == 200,
            "{deposit:?}"
        );
        let base = Scenario::new(REQUESTER, provider, tag);
        for i in 0..n {
            let sealed = base.sharing(&format!("{tag}-{i}")).seal();
            self.app.post_all(&sealed).await;
            let r = self.app.settle(&sealed.receipt.uri).await;
            assert_eq!(r.status, 201, "{r:?}");
        }
    }

    pub async fn pay_to(&self, provider: &str, to: Address) {
        self.app
            .service
            .store
            .set_destination(&Destination {
                provider: provider.to_owned(),
                rail: Rail::Direct,
                address: Some(to.to_string()),
                url: None,
                updated_at: 0,
                effective_at: 0,
            })
            .await
            .expect("set destination");
    }

    pub async fn payable(&self, provider: &str) -> i64 {
        let id = settlement::accounts::provider(provider, "USD");
        self.app
            .service
            .store
            .ledger()
            .balance(&id)
            .await
            .expect("provider balance")
            .available
            .expect("a limited account")
    }

    pub async fn payouts_of(&self, provider: &str) -> Vec<PayoutRow> {
        self.app
            .service
            .store
            .payouts(&PayoutFilter::Provider(provider), 0, 100)
            .await
            .expect("payouts")
    }

    pub async fn token_balance(&self, who: Address) -> U256 {
        self.payouts
            .chain()
            .balance_of(who)
            .await
            .expect("balanceOf")
    }

    pub async fn assert_reconciled(&self) {
        let r = reconcile(&self.app.service.store, self.payouts.chain(), "USD", 2)
            .await
            .expect("reconcile");
        assert!(r.is_clean(), "{}", r.table());
    }
}

async fn netting_pays_many_settlements_in_one_transfer(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let bob = w.local.spare[0].address();
    w.settle(PROVIDER, "net", 12).await;
    assert_eq!(w.payable(PROVIDER).await, 12 * SHARE);
    w.pay_to(PROVIDER, bob).await;

    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert_eq!(report.planned.len(), 1, "{report:?}");
    assert_eq!(
        sorted(&report.confirmed),
        sorted(&report.planned),
        "{report:?}"
    );
    let paid = U256::from(12 * SHARE as u64 * UNITS_PER_CENT);
    assert_eq!(w.token_balance(bob).await, paid);
    assert_eq!(w.payable(PROVIDER).await, 0);

    let rows = w.payouts_of(PROVIDER).await;
    assert_eq!(rows.len(), 1);
    let p = &rows[0];
    assert_eq!(p.state, PayoutState::Confirmed);
    assert_eq!(p.amount_minor, 12 * SHARE);
    let tx: B256 = p.tx_hash.as_deref().unwrap().parse().unwrap();
    let receipt = w.payouts.chain().receipt(tx).await.unwrap().unwrap();
    // One transfer for twelve settlements.
    assert_eq!(
        w.payouts.chain().transfers_in(&receipt),
        vec![(w.local.treasury.address(), bob, paid)]
    );
    eprintln!(
        "payout gas: {} for {} settled receipts ({} per receipt)",
        receipt.gas_used,
        12,
        receipt.gas_used / 12
    );

    // Every carried settlement now names the transaction, and is still
    // signed by the exchange and addressed by its CID.
    let reference = processor_reference(w.local.config.chain_id, tx);
    let settlements = w
        .app
        .service
        .store
        .settlements_of_payout(&p.id)
        .await
        .unwrap();
    assert_eq!(settlements.len(), 12);
    let key = w.app.service.exchange.verifying_key();
    for s in &settlements {
        assert_eq!(
            s.value.get("processorReference").and_then(Value::as_str),
            Some(reference.as_str())
        );
        let plain = base64::engine::general_purpose::STANDARD
            .decode(&reference)
            .unwrap();
        assert!(String::from_utf8(plain).unwrap().ends_with(&tx.to_string()));
        assert!(verify_settlement(s.value.as_object().unwrap(), key));
        assert_eq!(Cid::for_record(&s.value).unwrap().to_string(), s.cid);
        // And the exchange's own verifier still finds every check holds.
        let got = w
            .app
            .get(&format!(
                "/xrpc/dev.cocore.compute.verifySettlement?uri={}",
                s.uri
            ))
            .await;
        assert_eq!(got.status, 200, "{got:?}");
        assert_eq!(got.body.get("ok"), Some(&Value::Bool(true)), "{got:?}");
    }
    w.assert_reconciled().await;

    // Nothing left to pay: the next cycle plans nothing.
    let again = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(1))
        .await
        .unwrap();
    assert!(again.planned.is_empty(), "{again:?}");
    assert_eq!(w.token_balance(bob).await, paid);
}

async fn a_payout_the_treasury_cannot_cover_is_payable_again(b: Backend) {
    // The treasury holds 10.00, the provider is owed 24.40.
    let w = world(b, 1_000, 1).await;
    let bob = w.local.spare[0].address();
    w.settle(PROVIDER, "short", 10).await;
    w.pay_to(PROVIDER, bob).await;

    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let failed = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(failed.state, PayoutState::Failed);
    assert!(
        failed.error.as_deref().unwrap().contains("refused"),
        "{failed:?}"
    );
    // The money is payable again, nothing moved on chain, and the
    // authorization can never be used: it was canceled.
    assert_eq!(w.payable(PROVIDER).await, 10 * SHARE);
    assert_eq!(w.token_balance(bob).await, U256::ZERO);
    let nonce = payout_nonce(&failed.id);
    assert!(w.payouts.chain().authorization_used(nonce).await.unwrap());
    assert_eq!(
        w.payouts.chain().authorization_tx(nonce).await.unwrap(),
        None
    );
    w.assert_reconciled().await;

    // Funded, the next cycle pays it in full with a new payout.
    w.local
        .mint(
            w.local.treasury.address(),
            U256::from(5_000 * UNITS_PER_CENT),
        )
        .await
        .unwrap();
    w.app
        .service
        .store
        .fund_treasury("top-up", "USD", 5_000, EXCHANGE)
        .await
        .unwrap();
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    assert_ne!(report.confirmed[0], failed.id);
    assert_eq!(
        w.token_balance(bob).await,
        U256::from(10 * SHARE as u64 * UNITS_PER_CENT)
    );
    assert_eq!(w.payable(PROVIDER).await, 0);
    w.assert_reconciled().await;
}

async fn a_reorg_before_confirmation_pays_once(b: Backend) {
    // Three blocks deep to count; anvil mines one block per transaction.
    let w = world(b, 1_000_000, 3).await;
    let bob = w.local.spare[0].address();
    w.settle(PROVIDER, "reorg", 3).await;
    w.pay_to(PROVIDER, bob).await;

    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(
        report.open.len(),
        1,
        "{report:?} {:?}",
        w.payouts_of(PROVIDER).await
    );
    let before = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(before.state, PayoutState::Submitted);
    let first_tx: B256 = before.tx_hash.as_deref().unwrap().parse().unwrap();
    let paid = U256::from(3 * SHARE as u64 * UNITS_PER_CENT);
    assert_eq!(w.token_balance(bob).await, paid);

    // Replace the block holding the payout with an empty one.
    w.local
        .admin
        .raw_request::<_, ()>("anvil_reorg".into(), (1u64, Vec::<()>::new()))
        .await
        .expect("anvil_reorg");
    assert_eq!(
        w.token_balance(bob).await,
        U256::ZERO,
        "the reorg took the transfer away"
    );

    // The engine notices, sends the same authorization again, and counts
    // the new transaction only once it is deep enough.
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_millis(500))
        .await
        .unwrap();
    assert!(report.confirmed.is_empty(), "{report:?}");
    w.local.mine(3).await.unwrap();
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    let after = &w.payouts_of(PROVIDER).await[0];
    assert_eq!(after.state, PayoutState::Confirmed);
    assert_eq!(after.id, before.id);
    let tx: B256 = after.tx_hash.as_deref().unwrap().parse().unwrap();
    eprintln!("reorged payout: first tx {first_tx}, confirmed tx {tx}");
    assert_eq!(w.token_balance(bob).await, paid, "paid exactly once");
    assert_eq!(
        w.payouts
            .chain()
            .authorization_tx(payout_nonce(&after.id))
            .await
            .unwrap(),
        Some(tx)
    );
    let latest = w.local.admin.get_block_number().await.unwrap();
    assert!(after.block_number.unwrap() as u64 + 2 <= latest);
    w.assert_reconciled().await;
}

async fn payout_routes_check_their_input(b: Backend) {
    use crate::app::ADMIN_TOKEN;
    use reqwest::Method;
    let app = spawn_app(b).await;
    let path = format!("/v1/admin/payout-destinations/{PROVIDER}");
    let body = |text: &str| settlement::records::json::parse_str(text).unwrap();
    let ok = body(r#"{"address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}"#);
    // The operator's credential is required.
    let r = app.request(Method::PUT, &path, Some(&ok), None).await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"), "{r:?}");
    let r = app
        .request(
            Method::PUT,
            &path,
            Some(&ok),
            Some("wrong-token-0123456789"),
        )
        .await;
    assert_eq!(r.status, 401, "{r:?}");
    // Each bad body names its field.
    for (text, field) in [
        (r#"{"address":"0x1234"}"#, "address:"),
        (
            r#"{"address":"0x0000000000000000000000000000000000000000"}"#,
            "address:",
        ),
        (r#"{"x402":"ftp://example.com/pay"}"#, "x402:"),
        (
            r#"{"address":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC","x402":"http://p.example/pay"}"#,
            "exactly one",
        ),
        (r#"{"iban":"DE00"}"#, "iban: unknown field"),
    ] {
        let r = app
            .request(Method::PUT, &path, Some(&body(text)), Some(ADMIN_TOKEN))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (400, "invalid-request"),
            "{text}: {r:?}"
        );
        let detail = r.body.get("detail").and_then(Value::as_str).unwrap_or("");
        assert!(detail.contains(field), "{text}: {detail}");
    }
    let r = app
        .request(
            Method::PUT,
            "/v1/admin/payout-destinations/not-a-did",
            Some(&ok),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    // A good one is stored and shown with the provider's payouts.
    let r = app
        .request(Method::PUT, &path, Some(&ok), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let listed = app.get(&format!("/v1/providers/{PROVIDER}/payouts")).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(
        listed
            .body
            .get("destination")
            .and_then(|d| d.get("address"))
            .and_then(Value::as_str),
        Some("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
    );
    assert_eq!(listed.body.get("payouts"), Some(&Value::Array(vec![])));
    // Without a chain, "pay now" says so (and needs the token first).
    let r = app
        .request(Method::POST, "/v1/admin/payouts/run", None, None)
        .await;
    assert_eq!(r.status, 401, "{r:?}");
    let r = app
        .request(
            Method::POST,
            "/v1/admin/payouts/run",
            None,
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "payouts-disabled"), "{r:?}");
}

on_both_backends!(
    payout_routes_check_their_input,
    netting_pays_many_settlements_in_one_transfer,
    a_payout_the_treasury_cannot_cover_is_payable_again,
    a_reorg_before_confirmation_pays_once,
);
