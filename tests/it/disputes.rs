//! Disputes and refunds over real HTTP, with payouts on a real anvil, on
//! SQLite and PostgreSQL: a refund before payout (the charge still held in
//! the dispute window), a refund after payout recovered from the
//! provider's next payout, partial refunds adding up to at most the
//! charge, two resolutions racing, each verdict's ledger effect, and who
//! may open a dispute.

use alloy::primitives::U256;

use settlement::exchange::verify_settlement;
use settlement::payout::chain::Chain;
use settlement::payout::{PayoutConfig, Payouts};
use settlement::records::cid::Cid;
use settlement::records::json::{self, Value};
use settlement::testkit::{PROVIDER, REQUESTER, Scenario};

use crate::app::{ADMIN_TOKEN, App, Backend, Reply};
use crate::payouts::{World, world};

/// 250 charged per receipt: 244 to the provider, 6 of fee.
const CHARGE: i128 = 250;
const SHARE: i64 = 244;
const UNITS_PER_CENT: u64 = 10_000;

/// Settles one receipt of the provider for the requester: its
/// settlement's URI.
async fn settle_one(w: &World, tag: &str) -> String {
    let d = w
        .app
        .deposit(REQUESTER, 1_000_000, &format!("dep-{tag}"))
        .await;
    assert!(d.status == 201 || d.status == 200, "{d:?}");
    let sealed = Scenario::new(REQUESTER, PROVIDER, tag).seal();
    w.app.post_all(&sealed).await;
    let r = w.app.settle(&sealed.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body
        .get("uri")
        .and_then(Value::as_str)
        .expect("the settlement's URI")
        .to_owned()
}

async fn admin(w: &World, path: &str, body: &str) -> Reply {
    let body = json::parse_str(body).unwrap();
    w.app
        .request(reqwest::Method::POST, path, Some(&body), Some(ADMIN_TOKEN))
        .await
}

/// The operator asks to open a dispute of `settlement`.
async fn try_open(w: &World, settlement: &str, category: &str) -> Reply {
    admin(
        w,
        "/v1/disputes",
        &format!(r#"{{"settlement":"{settlement}","reason":{{"category":"{category}","detail":"no output"}}}}"#),
    )
    .await
}

/// The operator opens a dispute of `settlement`: its id.
pub(crate) async fn open(w: &World, settlement: &str) -> String {
    let r = try_open(w, settlement, "non-delivery").await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body.get("status").and_then(Value::as_str), Some("open"));
    r.body.get("id").and_then(Value::as_str).unwrap().to_owned()
}

pub(crate) async fn resolve(w: &World, id: &str, body: &str) -> Reply {
    admin(w, &format!("/v1/admin/disputes/{id}/resolve"), body).await
}

/// A settlement's stored version, its signature and CID checked.
pub(crate) async fn stored_settlement(app: &App, uri: &str) -> Value {
    let s = app
        .service
        .store
        .settlement_by_uri(uri)
        .await
        .unwrap()
        .unwrap();
    let key = app.service.exchange.verifying_key();
    assert!(verify_settlement(s.value.as_object().unwrap(), key));
    assert_eq!(Cid::for_record(&s.value).unwrap().to_string(), s.cid);
    s.value
}

/// The settlement's stored status.
async fn status(w: &World, uri: &str) -> String {
    stored_settlement(&w.app, uri)
        .await
        .get("status")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned()
}

async fn fees(w: &World) -> i64 {
    let id = settlement::accounts::fees("USD");
    w.app
        .service
        .store
        .ledger()
        .balance(&id)
        .await
        .unwrap()
        .available
        .unwrap()
}

async fn owed(w: &World) -> i64 {
    let id = settlement::accounts::receivable(PROVIDER, "USD");
    match w.app.service.store.ledger().balance(&id).await {
        Ok(b) => b.available.unwrap(),
        Err(_) => 0,
    }
}

/// A second payout engine over the same store and chain, waiting out a
/// 24 h dispute window.
async fn with_window(w: &World) -> Payouts {
    let chain = Chain::connect(w.local.config.clone(), w.local.treasury.clone())
        .await
        .unwrap();
    Payouts::new(
        w.app.service.store.clone(),
        chain,
        PayoutConfig {
            maturity_secs: 24 * 3600,
            ..PayoutConfig::default()
        },
        w.app.service.exchange.clone(),
        w.app.service.clock.clone(),
    )
    .await
    .unwrap()
}

async fn a_refund_before_payout_never_needs_a_clawback(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let engine = with_window(&w).await;
    let bob = w.local.spare[0].address();
    w.pay_to(PROVIDER, bob).await;
    let uri = settle_one(&w, "before").await;
    let (requester_before, fees_before) = (w.app.requester_usd(REQUESTER).await, fees(&w).await);

    // Within the window nothing is paid out.
    let report = engine.run_cycle(std::time::Duration::ZERO).await.unwrap();
    assert!(report.planned.is_empty(), "{report:?}");
    let id = open(&w, &uri).await;
    assert_eq!(status(&w, &uri).await, "disputed");
    // A second dispute of the same settlement waits for the first.
    let again = try_open(&w, &uri, "fraud").await;
    assert_eq!(
        (again.status, again.code()),
        (409, "dispute-open"),
        "{again:?}"
    );

    let r = resolve(
        &w,
        &id,
        r#"{"verdict":"refund-full","rationale":"the job never ran"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let reversal = r.body.get("reversal").expect("a reversal");
    let amount = |k: &str| {
        reversal
            .get(k)
            .and_then(|m| m.get("amount"))
            .and_then(Value::as_int)
    };
    assert_eq!(amount("amount"), Some(CHARGE));
    assert_eq!(amount("providerShare"), Some(i128::from(SHARE)));
    assert_eq!(amount("fee"), Some(6));
    assert_eq!(amount("fromPayable"), Some(i128::from(SHARE)));
    assert_eq!(amount("advanced"), Some(0));
    // The requester has its money back; the provider and the fee gave it.
    let after = w.app.requester_usd(REQUESTER).await;
    assert_eq!(after.0, requester_before.0 + CHARGE);
    assert_eq!(w.payable(PROVIDER).await, 0);
    assert_eq!(fees(&w).await, fees_before - 6);
    assert_eq!(owed(&w).await, 0);
    assert_eq!(status(&w, &uri).await, "settled");

    // The refund record: signed, status refunded, naming the original.
    let refund = reversal.get("refund").expect("a refund record");
    let value = refund.get("value").unwrap();
    let key = w.app.service.exchange.verifying_key();
    assert!(verify_settlement(value.as_object().unwrap(), key));
    assert_eq!(
        value.get("status").and_then(Value::as_str),
        Some("refunded")
    );
    assert_eq!(
        value
            .get("refundOf")
            .and_then(|r| r.get("uri"))
            .and_then(Value::as_str),
        Some(uri.as_str())
    );
    // The dispute record, resolved in place, points at the refund.
    let d = r.body.get("dispute").unwrap().get("value").unwrap();
    assert!(verify_settlement(d.as_object().unwrap(), key));
    assert_eq!(d.get("status").and_then(Value::as_str), Some("resolved"));
    let outcome = d.get("outcome").unwrap();
    assert_eq!(
        outcome.get("verdict").and_then(Value::as_str),
        Some("refund-full")
    );
    assert_eq!(
        outcome.get("refundSettlement").and_then(|r| r.get("uri")),
        refund.get("uri")
    );
    // Public reads.
    let got = w.app.get(&format!("/v1/disputes/{id}")).await;
    assert_eq!(
        got.body.get("status").and_then(Value::as_str),
        Some("resolved")
    );
    let listed = w.app.get(&format!("/v1/disputes?settlement={uri}")).await;
    assert_eq!(listed.status, 200, "{listed:?}");

    // Nothing is left to pay, before or after the window.
    let report = engine.run_cycle(std::time::Duration::ZERO).await.unwrap();
    assert!(report.planned.is_empty(), "{report:?}");
    let report = w
        .payouts
        .run_cycle(std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(report.planned.is_empty(), "{report:?}");
    assert_eq!(w.token_balance(bob).await, U256::ZERO);
    w.assert_reconciled().await;
}

async fn a_refund_after_payout_is_recovered_from_the_next_payout(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let bob = w.local.spare[0].address();
    w.pay_to(PROVIDER, bob).await;
    let first = settle_one(&w, "after-1").await;
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    let paid_once = U256::from(SHARE as u64 * UNITS_PER_CENT);
    assert_eq!(w.token_balance(bob).await, paid_once);

    // Refunded after Bob was paid: the exchange advances his share.
    let id = open(&w, &first).await;
    let before = w.app.requester_usd(REQUESTER).await;
    let r = resolve(&w, &id, r#"{"verdict":"refund-full"}"#).await;
    assert_eq!(r.status, 200, "{r:?}");
    let advanced = r
        .body
        .get("reversal")
        .and_then(|v| v.get("advanced"))
        .and_then(|m| m.get("amount"))
        .and_then(Value::as_int);
    assert_eq!(advanced, Some(i128::from(SHARE)));
    assert_eq!(w.app.requester_usd(REQUESTER).await.0, before.0 + CHARGE);
    assert_eq!(owed(&w).await, SHARE);
    let balance = w
        .app
        .get(&format!("/v1/providers/{PROVIDER}/balance?currency=USD"))
        .await;
    assert_eq!(
        balance
            .body
            .get("USD")
            .and_then(|u| u.get("owed"))
            .and_then(Value::as_int),
        Some(i128::from(SHARE)),
        "{balance:?}"
    );

    // Two more charges: the next payout carries their shares less the debt.
    settle_one(&w, "after-2").await;
    settle_one(&w, "after-3").await;
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    let rows = w.payouts_of(PROVIDER).await;
    assert_eq!(rows.last().unwrap().amount_minor, SHARE);
    // Bob's wallet received exactly the difference: 2 shares less 1.
    assert_eq!(w.token_balance(bob).await, paid_once + paid_once);
    assert_eq!(owed(&w).await, 0);
    assert_eq!(w.payable(PROVIDER).await, 0);
    w.assert_reconciled().await;
}

/// A dispute opened while the settlement's payout is on its way: once the
/// payout is confirmed, the settlement's version keeps both the
/// `disputed` status and the payout's `processorReference` (confirmation
/// re-signs the version stored at that moment, under its transaction).
async fn a_payout_confirmed_during_a_dispute_keeps_its_status(b: Backend) {
    let w = world(b, 1_000_000, 3).await;
    let bob = w.local.spare[0].address();
    w.pay_to(PROVIDER, bob).await;
    let uri = settle_one(&w, "confirm-race").await;
    // Planned, signed and sent; not yet deep enough.
    let report = w
        .payouts
        .run_cycle(std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.planned.len(), 1, "{report:?}");
    assert!(report.confirmed.is_empty(), "{report:?}");
    open(&w, &uri).await;
    w.local.mine(3).await.unwrap();
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    assert_eq!(status(&w, &uri).await, "disputed");
    let s = w
        .app
        .service
        .store
        .settlement_by_uri(&uri)
        .await
        .unwrap()
        .unwrap();
    let reference = s.value.get("processorReference").and_then(Value::as_str);
    assert!(reference.is_some_and(|r| !r.is_empty()), "{s:?}");
}

/// The payout engine decides an amount from reads made before it plans;
/// a refund or a dispute may come in between. Planning checks again under
/// its own transaction: a payout that would take money still held back
/// (here: the engine's stale view asks for two shares while one settlement
/// is disputed) is not planned, and nothing moves.
async fn a_plan_from_stale_reads_never_takes_held_money(b: Backend) {
    use settlement::store::payouts::{NewPayout, Rail};
    let w = world(b, 1_000_000, 1).await;
    let first = settle_one(&w, "stale-1").await;
    settle_one(&w, "stale-2").await;
    open(&w, &first).await;
    let store = &w.app.service.store;
    let new = |amount: i64, id: &str| NewPayout {
        id: id.into(),
        provider: PROVIDER.into(),
        currency: "USD".into(),
        amount_minor: amount,
        token_value: (amount as u64 * UNITS_PER_CENT).to_string(),
        rail: Rail::Direct,
        pay_to: Some(w.local.spare[0].address().to_string()),
        url: None,
        chain_id: 31337,
        token: w.local.config.token.to_string(),
        treasury: w.local.treasury.address().to_string(),
        nonce: format!("0x{}", id.repeat(64)[..64].to_owned()),
        valid_after: 0,
        valid_before: i64::MAX,
        exchange_did: settlement::testkit::EXCHANGE.into(),
        now: 1,
        mature_before: i64::MAX,
    };
    assert!(
        store
            .plan_payout(&new(2 * SHARE, "a"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(w.payable(PROVIDER).await, 2 * SHARE);
    assert!(w.payouts_of(PROVIDER).await.is_empty());
    // What is not held back can be planned.
    let planned = store.plan_payout(&new(SHARE, "b")).await.unwrap();
    assert!(planned.is_some());
    assert_eq!(w.payable(PROVIDER).await, SHARE);
}

/// A refund resolved while the same provider is being charged: every
/// charge and the resolution succeed (no lock taken in an order the other
/// inverts), and the requester's balance is charges less the refund.
async fn a_refund_races_charges_of_the_same_provider(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let uri = settle_one(&w, "busy").await;
    let id = open(&w, &uri).await;
    let before = w.app.requester_usd(REQUESTER).await;
    let base = Scenario::new(REQUESTER, PROVIDER, "busy-more");
    let sealed: Vec<_> = (0..6)
        .map(|i| base.sharing(&format!("busy-{i}")).seal())
        .collect();
    for s in &sealed {
        w.app.post_all(s).await;
    }
    let settle = |i: usize| w.app.settle(&sealed[i].receipt.uri);
    let (c0, c1, c2, refund, c3, c4, c5) = tokio::join!(
        settle(0),
        settle(1),
        settle(2),
        resolve(&w, &id, r#"{"verdict":"refund-full"}"#),
        settle(3),
        settle(4),
        settle(5)
    );
    let charged = [c0, c1, c2, c3, c4, c5];
    assert_eq!(refund.status, 200, "{refund:?}");
    for r in &charged {
        assert_eq!(r.status, 201, "{r:?}");
    }
    assert_eq!(
        w.app.requester_usd(REQUESTER).await.0,
        before.0 - 6 * CHARGE + CHARGE
    );
    assert_eq!(w.payable(PROVIDER).await, 6 * SHARE);
    w.assert_reconciled().await;
}

async fn partial_refunds_add_up_to_at_most_the_charge(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let uri = settle_one(&w, "partial").await;
    let before = w.app.requester_usd(REQUESTER).await;
    let id = open(&w, &uri).await;
    let r = resolve(&w, &id, r#"{"verdict":"refund-partial","amount":100}"#).await;
    assert_eq!(r.status, 200, "{r:?}");
    // A second dispute; more than what is left is refused, and the
    // dispute stays open for a decision that can be carried out.
    let id = open(&w, &uri).await;
    let r = resolve(&w, &id, r#"{"verdict":"refund-partial","amount":151}"#).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "refund-exceeds-charge"),
        "{r:?}"
    );
    for bad in [
        r#"{"verdict":"refund-partial"}"#,
        r#"{"verdict":"refund-partial","amount":0}"#,
        r#"{"verdict":"refund-full","amount":5}"#,
        r#"{"verdict":"refund-everything"}"#,
        r#"{"verdict":"refund-full","tip":1}"#,
    ] {
        let r = resolve(&w, &id, bad).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }
    let r = resolve(&w, &id, r#"{"verdict":"refund-partial","amount":150}"#).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(w.app.requester_usd(REQUESTER).await.0, before.0 + CHARGE);
    // The fee came back whole across the two refunds, the share too.
    let reversals = w.app.get(&format!("/v1/disputes?settlement={uri}")).await;
    let Some(Value::Array(list)) = reversals.body.get("reversals") else {
        panic!("{reversals:?}")
    };
    let sum = |k: &str| -> i128 {
        list.iter()
            .map(|r| {
                r.get(k)
                    .and_then(|m| m.get("amount"))
                    .and_then(Value::as_int)
                    .unwrap()
            })
            .sum()
    };
    assert_eq!(
        (sum("amount"), sum("providerShare"), sum("fee")),
        (CHARGE, 244, 6)
    );
    // Nothing is left to decide: a third dispute is not even opened.
    let r = try_open(&w, &uri, "fraud").await;
    assert_eq!((r.status, r.code()), (409, "settlement-closed"), "{r:?}");
    w.assert_reconciled().await;
}

async fn two_resolutions_racing_one_wins(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let uri = settle_one(&w, "race").await;
    let before = w.app.requester_usd(REQUESTER).await;
    let id = open(&w, &uri).await;
    let (a, b2) = tokio::join!(
        resolve(&w, &id, r#"{"verdict":"refund-full"}"#),
        resolve(&w, &id, r#"{"verdict":"refund-full"}"#)
    );
    let mut statuses = [a.status, b2.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b2:?}");
    assert!(a.code() == "dispute-resolved" || b2.code() == "dispute-resolved");
    assert_eq!(w.app.requester_usd(REQUESTER).await.0, before.0 + CHARGE);
}

async fn each_verdict_moves_what_it_says(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    // Uphold: nothing moves, the settlement is settled again.
    let upheld = settle_one(&w, "uphold").await;
    let snapshot = (
        w.app.requester_usd(REQUESTER).await,
        w.payable(PROVIDER).await,
        fees(&w).await,
    );
    let id = open(&w, &upheld).await;
    let r = resolve(&w, &id, r#"{"verdict":"uphold-charge"}"#).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.get("reversal").is_none());
    assert_eq!(
        (
            w.app.requester_usd(REQUESTER).await,
            w.payable(PROVIDER).await,
            fees(&w).await
        ),
        snapshot
    );
    assert_eq!(status(&w, &upheld).await, "settled");
    let again = resolve(&w, &id, r#"{"verdict":"refund-full"}"#).await;
    assert_eq!((again.status, again.code()), (409, "dispute-resolved"));

    // Forfeit: the provider's share goes to the exchange's forfeits, the
    // requester's money stays spent, the fee stays earned.
    let forfeited = settle_one(&w, "forfeit").await;
    let (requester, payable, fee) = (
        w.app.requester_usd(REQUESTER).await,
        w.payable(PROVIDER).await,
        fees(&w).await,
    );
    let id = open(&w, &forfeited).await;
    let r = resolve(
        &w,
        &id,
        r#"{"verdict":"forfeit-payout","rationale":"fraudulent provider"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.body
            .get("reversal")
            .and_then(|v| v.get("refund"))
            .is_none()
    );
    assert_eq!(w.app.requester_usd(REQUESTER).await, requester);
    assert_eq!(w.payable(PROVIDER).await, payable - SHARE);
    assert_eq!(fees(&w).await, fee);
    let forfeits = w
        .app
        .service
        .store
        .ledger()
        .balance(&settlement::accounts::forfeits("USD"))
        .await
        .unwrap()
        .available
        .unwrap();
    assert_eq!(forfeits, SHARE);
    // A forfeited settlement is not disputed (nor refunded) later.
    let r = try_open(&w, &forfeited, "fraud").await;
    assert_eq!((r.status, r.code()), (409, "settlement-closed"), "{r:?}");
    w.assert_reconciled().await;
}

async fn only_the_operator_opens_without_proofs(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let uri = settle_one(&w, "who").await;
    let body = json::parse_str(&format!(
        r#"{{"settlement":"{uri}","reason":{{"category":"fraud"}}}}"#
    ))
    .unwrap();
    // Without proofs nobody can show they are the requester: only the
    // operator's token opens a dispute.
    for token in [None, Some("not-the-admin-token")] {
        let r = w
            .app
            .request(reqwest::Method::POST, "/v1/disputes", Some(&body), token)
            .await;
        assert_eq!(r.status, 401, "{r:?}");
    }
    let r = w
        .app
        .request(
            reqwest::Method::POST,
            "/v1/admin/disputes/x/resolve",
            Some(&body),
            None,
        )
        .await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(status(&w, &uri).await, "settled");
    // Bad bodies name the field.
    for (bad, field) in [
        (
            r#"{"settlement":"nope","reason":{"category":"fraud"}}"#,
            "settlement",
        ),
        (
            &*format!(r#"{{"settlement":"{uri}","reason":{{"category":"boredom"}}}}"#),
            "reason.category",
        ),
        (&*format!(r#"{{"settlement":"{uri}"}}"#), "reason"),
        (
            &*format!(r#"{{"settlement":"{uri}","reason":{{"category":"fraud"}},"x":1}}"#),
            "x",
        ),
    ] {
        let r = admin(&w, "/v1/disputes", bad).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        let detail = r.body.get("detail").and_then(Value::as_str).unwrap_or("");
        assert!(detail.starts_with(field), "{bad}: {detail}");
    }
    let r = admin(
        &w,
        "/v1/disputes",
        r#"{"settlement":"at://did:web:nobody.example/dev.cocore.compute.settlement/3kaaaaaaaaaaa","reason":{"category":"fraud"}}"#,
    )
    .await;
    assert_eq!(r.status, 404, "{r:?}");
}

/// `settlement dispute open|resolve`, as the command runs them.
async fn the_operator_decides_from_the_command_line(b: Backend) {
    use settlement::cmd::dispute::{DisputeCommand, run};
    let w = world(b, 1_000_000, 1).await;
    let uri = settle_one(&w, "cli").await;
    let before = w.app.requester_usd(REQUESTER).await;
    let open = DisputeCommand::Open {
        server: w.app.base.clone(),
        settlement: uri.clone(),
        category: "duplicate-charge".into(),
        detail: Some("charged twice for one job".into()),
    };
    let out = run(&open, None).await;
    assert_eq!(out.exit, 2, "{out:?}");
    let out = run(&open, Some("not-the-token")).await;
    assert_eq!(out.exit, 1, "{out:?}");
    let out = run(&open, Some(ADMIN_TOKEN)).await;
    assert_eq!(out.exit, 0, "{out:?}");
    let opened = json::parse_str(out.stdout.trim()).unwrap();
    let id = opened.get("id").and_then(Value::as_str).unwrap().to_owned();
    let resolve = |amount| DisputeCommand::Resolve {
        server: w.app.base.clone(),
        id: id.clone(),
        verdict: "refund-partial".into(),
        amount: Some(amount),
        rationale: Some("one of two identical charges".into()),
    };
    let out = run(&resolve(CHARGE as i64 + 1), Some(ADMIN_TOKEN)).await;
    assert_eq!(out.exit, 1, "{out:?}");
    assert!(out.stdout.contains("refund-exceeds-charge"), "{out:?}");
    let out = run(&resolve(125), Some(ADMIN_TOKEN)).await;
    assert_eq!(out.exit, 0, "{out:?}");
    assert_eq!(w.app.requester_usd(REQUESTER).await.0, before.0 + 125);
}

on_both_backends!(
    the_operator_decides_from_the_command_line,
    a_refund_races_charges_of_the_same_provider,
    a_plan_from_stale_reads_never_takes_held_money,
    a_payout_confirmed_during_a_dispute_keeps_its_status,
    a_refund_before_payout_never_needs_a_clawback,
    a_refund_after_payout_is_recovered_from_the_next_payout,
    partial_refunds_add_up_to_at_most_the_charge,
    two_resolutions_racing_one_wins,
    each_verdict_moves_what_it_says,
    only_the_operator_opens_without_proofs,
);
