//! Multi-party computations over real HTTP on SQLite and PostgreSQL, paid
//! on a real anvil: a three-party computation charged, split and paid,
//! each wallet receiving exactly its part; payees without a valid key
//! proof and shares that do not make a whole refused; odd amounts split
//! as the rule says; the audit of split settlements; a refund of a split
//! charge reversing each part exactly.

use alloy::primitives::U256;

use crate::app::audit;
use settlement::computation::keys::KeyKind;
use settlement::computation::testkeys::{Declare, Fixture};
use settlement::computation::{NSID_COMPUTATION, Role};
use settlement::records::RawRecord;
use settlement::records::cid::Cid;
use settlement::records::json::{self, Map, Value};
use settlement::testkit::{PROVIDER, REQUESTER, Scenario};

use crate::app::{App, Backend, spawn_app};
use crate::disputes::{open, resolve, stored_settlement};
use crate::payouts::{World, sorted, world};

const ALG: &str = "did:plc:algoalgoalgoalgoalgoalgo";
const DATA: &str = "did:plc:datadatadatadatadatadata";
const UNITS_PER_CENT: u64 = 10_000;
const CREATED: &str = "2026-11-21T09:00:00Z";

/// The three-party terms: compute 60 %, algorithm 25 %, data 15 %.
fn three() -> Vec<Declare<'static>> {
    vec![
        (Role::Compute, None, None, Some(6000)),
        (Role::Algorithm, Some(ALG), None, Some(2500)),
        (Role::Data, Some(DATA), Some(0), Some(1500)),
    ]
}

fn raw(tag: &str, value: Value) -> RawRecord {
    RawRecord {
        uri: format!(
            "at://{REQUESTER}/{NSID_COMPUTATION}/{}",
            settlement::testkit::rkey_for(&format!("computation-{tag}"))
        ),
        cid: None,
        value,
    }
}

/// Publishes a computation record, which must be accepted.
async fn publish(app: &App, tag: &str, value: Value) -> RawRecord {
    let r = raw(tag, value);
    let reply = post_computation(app, &r).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    r
}

/// Posts a computation record; the reply.
async fn post_computation(app: &App, r: &RawRecord) -> crate::app::Reply {
    app.post_record(r).await
}

/// Settles a receipt of `price` for a job naming `computation`: the reply.
async fn settle_under(
    app: &App,
    base: &Scenario,
    tag: &str,
    computation: &RawRecord,
    price: u64,
) -> crate::app::Reply {
    let mut sc = base.sharing(tag);
    sc.name_computation(computation, price);
    let sealed = sc.seal();
    app.post_all(&sealed).await;
    app.settle(&sealed.receipt.uri).await
}

/// (did, amount) of each part a settlement states.
fn parts(settlement: &Value) -> Vec<(String, u64)> {
    let Some(Value::Array(parts)) = settlement.get("split").and_then(|s| s.get("parts")) else {
        panic!("no split in {settlement:?}");
    };
    parts
        .iter()
        .map(|p| {
            (
                p.get("did").and_then(Value::as_str).unwrap().to_owned(),
                p.get("amount")
                    .and_then(|a| a.get("amount"))
                    .and_then(Value::as_int)
                    .unwrap() as u64,
            )
        })
        .collect()
}

fn fee_of(settlement: &Value) -> i128 {
    settlement
        .get("exchangeFee")
        .and_then(|m| m.get("amount"))
        .and_then(Value::as_int)
        .unwrap()
}

/// A server, a local chain and payouts, the requester holding 1,000.00
/// USD (deposit `dep-{tag}`).
async fn funded_world(b: Backend, tag: &str) -> World {
    let w = world(b, 1_000_000, 1).await;
    let d = w
        .app
        .deposit(REQUESTER, 100_000, &format!("dep-{tag}"))
        .await;
    assert_eq!(d.status, 201, "{d:?}");
    w
}

/// An account's available balance; 0 if it was never opened.
async fn available(app: &App, id: &ledger::Id) -> i64 {
    match app.service.store.ledger().balance(id).await {
        Ok(b) => b.available.unwrap(),
        Err(_) => 0,
    }
}

async fn payable(app: &App, did: &str) -> i64 {
    available(app, &settlement::accounts::provider(did, "USD")).await
}

async fn receivable(app: &App, did: &str) -> i64 {
    available(app, &settlement::accounts::receivable(did, "USD")).await
}

async fn a_three_party_computation_is_charged_split_and_paid(b: Backend) {
    let w = funded_world(b, "split").await;
    let app = &w.app;
    let f = Fixture::new(KeyKind::P256, &[KeyKind::Ed25519]);
    let computation = publish(app, "three", f.record(10_000, &three(), CREATED)).await;
    let base = Scenario::new(REQUESTER, PROVIDER, "split-three");

    // 997 charged: fee floor(997 * 2.5 %) = 24; 973 split 60/25/15:
    // 583.8, 243.25, 145.95 -> 583, 243, 145 and the 2 left over to the
    // first two.
    let r = settle_under(app, &base, "split-three-0", &computation, 997).await;
    assert_eq!(r.status, 201, "{r:?}");
    let value = r.body.get("value").unwrap().clone();
    assert_eq!(
        parts(&value),
        vec![
            (PROVIDER.to_owned(), 584),
            (ALG.to_owned(), 244),
            (DATA.to_owned(), 145)
        ]
    );
    assert_eq!(
        value
            .get("exchangeFee")
            .and_then(|m| m.get("amount"))
            .and_then(Value::as_int),
        Some(24)
    );
    assert_eq!(
        value
            .get("providerPayout")
            .and_then(|m| m.get("amount"))
            .and_then(Value::as_int),
        Some(973)
    );
    for (did, amount) in [(PROVIDER, 584), (ALG, 244), (DATA, 145)] {
        assert_eq!(payable(app, did).await, amount, "{did}");
    }

    // Each payee is paid to its own wallet, exactly its part.
    let wallets = [
        (PROVIDER, w.local.spare[0].address(), 584u64),
        (ALG, w.local.spare[1].address(), 244),
        (DATA, w.local.spare[2].address(), 145),
    ];
    for (did, to, _) in &wallets {
        w.pay_to(did, *to).await;
    }
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert_eq!(report.planned.len(), 3, "{report:?}");
    assert_eq!(
        sorted(&report.confirmed),
        sorted(&report.planned),
        "{report:?}"
    );
    for (did, to, amount) in &wallets {
        assert_eq!(
            w.token_balance(*to).await,
            U256::from(amount * UNITS_PER_CENT),
            "{did}"
        );
        assert_eq!(payable(app, did).await, 0, "{did}");
    }
    w.assert_reconciled().await;

    // Every part names the transaction that paid it; the settlement is
    // re-signed each time.
    let uri = r.body.get("uri").and_then(Value::as_str).unwrap();
    let stored = stored_settlement(app, uri).await;
    let Some(Value::Array(stated)) = stored.get("split").and_then(|s| s.get("parts")) else {
        panic!()
    };
    for p in stated {
        let reference = p
            .get("processorReference")
            .and_then(Value::as_str)
            .unwrap_or("");
        assert!(!reference.is_empty(), "{p:?}");
    }

    // The audit recomputes the split from public data.
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    assert!(report.is_clean(), "{}", report.render());

    // A full refund after payout reverses each part exactly: each payee
    // owes its part, the requester gets the whole charge back.
    let before = app.requester_usd(REQUESTER).await.0;
    let id = open(&w, uri).await;
    let resolved = resolve(&w, &id, r#"{"verdict":"refund-full"}"#).await;
    assert_eq!(resolved.status, 200, "{resolved:?}");
    assert_eq!(app.requester_usd(REQUESTER).await.0, before + 997);
    for (did, _, amount) in &wallets {
        assert_eq!(
            receivable(app, did).await,
            *amount as i64,
            "{did} owes its part"
        );
    }
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    assert!(report.is_clean(), "{}", report.render());
}

async fn odd_amounts_split_as_the_rule_says(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep-odd").await.status, 201);
    let f = Fixture::new(KeyKind::Rsa, &[KeyKind::P384]);
    let thirds = [
        (Role::Compute, None, None, Some(1)),
        (Role::Algorithm, Some(ALG), None, Some(1)),
        (Role::Data, Some(DATA), Some(0), Some(1)),
    ];
    let computation = publish(&app, "odd", f.record(3, &thirds, CREATED)).await;
    let base = Scenario::new(REQUESTER, PROVIDER, "split-odd");
    // Fees 2, 2, 2: rests 99, 100, 101 -> 0, 1 and 2 units left over.
    let want = [
        (101, [33, 33, 33]),
        (102, [34, 33, 33]),
        (103, [34, 34, 33]),
    ];
    let mut uris = Vec::new();
    for (i, (price, amounts)) in want.iter().enumerate() {
        let r = settle_under(&app, &base, &format!("split-odd-{i}"), &computation, *price).await;
        assert_eq!(r.status, 201, "{r:?}");
        uris.push(
            r.body
                .get("uri")
                .and_then(Value::as_str)
                .unwrap()
                .to_owned(),
        );
        let got: Vec<u64> = parts(r.body.get("value").unwrap())
            .into_iter()
            .map(|p| p.1)
            .collect();
        assert_eq!(got, amounts.to_vec(), "price {price}");
    }
    assert_eq!(payable(&app, PROVIDER).await, 33 + 34 + 34);
    assert_eq!(payable(&app, ALG).await, 33 + 33 + 34);
    assert_eq!(payable(&app, DATA).await, 33 * 3);
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    assert!(report.is_clean(), "{}", report.render());

    // 1, 2 and 3 minor units after the fee (2, 3 and 4 charged, the
    // smallest fee 1 each): 1 unit to the first, then one more each.
    let mut before = Vec::new();
    for did in [PROVIDER, ALG, DATA] {
        before.push(payable(&app, did).await);
    }
    let small = [(2, [1, 0, 0]), (3, [1, 1, 0]), (4, [1, 1, 1])];
    for (i, (price, amounts)) in small.iter().enumerate() {
        let r = settle_under(
            &app,
            &base,
            &format!("split-small-{i}"),
            &computation,
            *price,
        )
        .await;
        assert_eq!(r.status, 201, "{r:?}");
        let value = r.body.get("value").unwrap();
        assert_eq!(fee_of(value), 1);
        let got: Vec<u64> = parts(value).into_iter().map(|p| p.1).collect();
        assert_eq!(got, amounts.to_vec(), "price {price}");
    }
    for (did, (was, gained)) in [PROVIDER, ALG, DATA]
        .iter()
        .zip(before.iter().zip([3, 2, 1]))
    {
        assert_eq!(payable(&app, did).await, was + gained, "{did}");
    }

    // One unit moved from Carol's part to the algorithm's, signed again by
    // the exchange's own key: the audit recomputes the split and says so.
    let last = &uris[0];
    let row = app
        .service
        .store
        .settlement_by_uri(last)
        .await
        .unwrap()
        .unwrap();
    let mut v = row.value.as_object().unwrap().clone();
    let Some(Value::Object(split)) = v.get_mut("split") else {
        panic!()
    };
    let Some(Value::Array(ps)) = split.get_mut("parts") else {
        panic!()
    };
    for (i, delta) in [(0usize, -1i128), (1, 1)] {
        let Value::Object(p) = &mut ps[i] else {
            panic!()
        };
        let Some(Value::Object(m)) = p.get_mut("amount") else {
            panic!()
        };
        let a = m.get("amount").and_then(Value::as_int).unwrap() + delta;
        m.insert("amount".into(), (a as u64).into());
    }
    app.service.exchange.sign_settlement(&mut v);
    let cid = Cid::for_record(&Value::Object(v.clone()))
        .unwrap()
        .to_string();
    crate::audit::tamper(
        b,
        &app.db_url,
        "UPDATE settlement_settlements SET value = $1, cid = $2 WHERE uri = $3",
        &[&json::to_canonical_string(&Value::Object(v)), &cid, last],
    )
    .await;
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    let checks: Vec<&str> = report.discrepancies.iter().map(|d| d.check).collect();
    assert_eq!(checks, vec!["split-mismatch"], "{}", report.render());
}

/// A payee's key proof removed or replaced: the record is refused with
/// the field and the rule, and nothing is stored.
async fn a_payee_without_a_valid_key_proof_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let f = Fixture::new(KeyKind::P384, &[KeyKind::Rsa]);
    let mut missing = f.record(10_000, &three(), CREATED);
    payee(&mut missing, 2).remove("keyProof");
    let mut stolen = f.record(10_000, &three(), CREATED);
    payee(&mut stolen, 2).insert("did".into(), "did:plc:mallorymallorymallorymal".into());
    let cases = [
        ("missing", missing, "key-proof-missing"),
        ("stolen", stolen, "key-proof-invalid"),
    ];
    for (tag, value, code) in cases {
        let r = raw(tag, value);
        let reply = post_computation(&app, &r).await;
        assert_eq!(reply.status, 422, "{reply:?}");
        assert_eq!(reply.code(), code, "{reply:?}");
        assert!(
            app.service
                .store
                .get_record(&r.uri)
                .await
                .unwrap()
                .is_none()
        );
    }
}

fn payee(v: &mut Value, i: usize) -> &mut Map {
    let Value::Object(m) = v else { panic!() };
    let Some(Value::Array(p)) = m.get_mut("payees") else {
        panic!()
    };
    let Value::Object(p) = &mut p[i] else {
        panic!()
    };
    p
}

async fn shares_that_do_not_make_a_whole_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let f = Fixture::new(KeyKind::Ed25519, &[KeyKind::Ed25519]);
    let mut shares = three();
    shares[2].3 = Some(1499);
    let r = raw("short", f.record(10_000, &shares, CREATED));
    let reply = post_computation(&app, &r).await;
    assert_eq!(
        (reply.status, reply.code()),
        (422, "shares-not-whole"),
        "{reply:?}"
    );
    assert!(
        json::to_canonical_string(&reply.body).contains("9999"),
        "{reply:?}"
    );
}

/// What a job naming a computation cannot be charged under: a computation
/// never published, one in another's repository, one whose compute payee
/// names someone else. Nothing moves.
async fn a_split_job_is_never_charged_unsplit(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-unsplit").await.status,
        201
    );
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256]);
    let base = Scenario::new(REQUESTER, PROVIDER, "split-never");
    let before = app.requester_usd(REQUESTER).await;

    let unpublished = raw("unpublished", f.record(10_000, &three(), CREATED));
    let r = settle_under(&app, &base, "split-never-0", &unpublished, 250).await;
    assert_eq!((r.status, r.code()), (422, "record-not-found"), "{r:?}");

    let mut elsewhere = raw("elsewhere", f.record(10_000, &three(), CREATED));
    elsewhere.uri = elsewhere.uri.replace(REQUESTER, PROVIDER);
    let r = settle_under(&app, &base, "split-never-1", &elsewhere, 250).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "computation-not-requesters"),
        "{r:?}"
    );

    let other = [
        (
            Role::Compute,
            Some("did:plc:someonesomeonesomeoneels"),
            None,
            None,
        ),
        (Role::Algorithm, Some(ALG), None, Some(2500)),
    ];
    let named = publish(&app, "named", f.record(10_000, &other, CREATED)).await;
    let r = settle_under(&app, &base, "split-never-2", &named, 250).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "computation-provider-not-named"),
        "{r:?}"
    );

    // The stateless check of the receipt says the same.
    let receipt = base.sharing("split-never-2").receipt_uri;
    let v = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.verifyReceipt?uri={receipt}"
        ))
        .await;
    assert_eq!(v.body.get("ok"), Some(&Value::Bool(false)), "{v:?}");
    assert!(
        json::to_canonical_string(&v.body).contains("computation-provider-not-named"),
        "{v:?}"
    );

    // The job names another version than the one published (records are
    // immutable here: a version never stored cannot be charged).
    let mut other_version = named.clone();
    other_version.value = f.record(10_000, &three(), CREATED);
    let r = settle_under(&app, &base, "split-never-3", &other_version, 250).await;
    assert_eq!((r.status, r.code()), (422, "computation-mismatch"), "{r:?}");

    assert_eq!(app.requester_usd(REQUESTER).await, before);
    assert_eq!(payable(&app, ALG).await, 0);
}

/// A requester running her own computation keeps her fee waiver only for
/// what stays with her: paying others through it pays the fee on all of
/// it, else the exchange would be a free channel between two parties.
async fn a_self_charge_that_pays_others_pays_the_fee(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-self").await.status,
        201
    );
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256]);
    let to_alg = [
        (Role::Compute, None, None, Some(0)),
        (Role::Algorithm, Some(ALG), None, Some(10_000)),
    ];
    let through = publish(&app, "through", f.record(10_000, &to_alg, CREATED)).await;
    let own = Scenario::new(REQUESTER, REQUESTER, "split-self");
    let r = settle_under(&app, &own, "split-self-0", &through, 1000).await;
    assert_eq!(r.status, 201, "{r:?}");
    let value = r.body.get("value").unwrap();
    assert_eq!(fee_of(value), 25);
    assert_eq!(
        parts(value),
        vec![(REQUESTER.to_owned(), 0), (ALG.to_owned(), 975)]
    );
    // All of it to herself: the waiver stands.
    let to_self = [
        (Role::Compute, None, None, Some(10_000)),
        (Role::Algorithm, Some(ALG), None, Some(0)),
    ];
    let mine = publish(&app, "mine", f.record(10_000, &to_self, CREATED)).await;
    let r = settle_under(&app, &own, "split-self-1", &mine, 1000).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(fee_of(r.body.get("value").unwrap()), 0);
}

/// One payee holding two parts of one settlement (two datasets): one
/// payout carries both, and each part names the transaction.
async fn two_parts_of_one_payee_are_both_referenced(b: Backend) {
    let w = funded_world(b, "two").await;
    let app = &w.app;
    let f = Fixture::new(KeyKind::P256, &[KeyKind::P256, KeyKind::P384]);
    let terms = [
        (Role::Compute, None, None, Some(5000)),
        (Role::Data, Some(DATA), Some(0), Some(2500)),
        (Role::Data, Some(DATA), Some(1), Some(2500)),
    ];
    let computation = publish(app, "two", f.record(10_000, &terms, CREATED)).await;
    let base = Scenario::new(REQUESTER, PROVIDER, "split-two");
    let r = settle_under(app, &base, "split-two-0", &computation, 1000).await;
    assert_eq!(r.status, 201, "{r:?}");
    let uri = r
        .body
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    w.pay_to(PROVIDER, w.local.spare[0].address()).await;
    w.pay_to(DATA, w.local.spare[1].address()).await;
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert_eq!(report.planned.len(), 2, "{report:?}");
    assert_eq!(
        sorted(&report.confirmed),
        sorted(&report.planned),
        "{report:?}"
    );
    // 975 split 50/25/25: 488 (with the leftover unit), 244, 243.
    assert_eq!(
        w.token_balance(w.local.spare[1].address()).await,
        U256::from(487 * UNITS_PER_CENT)
    );
    let stored = stored_settlement(app, &uri).await;
    let Some(Value::Array(stated)) = stored.get("split").and_then(|s| s.get("parts")) else {
        panic!()
    };
    let references: Vec<&str> = stated
        .iter()
        .map(|p| {
            p.get("processorReference")
                .and_then(Value::as_str)
                .unwrap_or("")
        })
        .collect();
    assert!(references.iter().all(|r| !r.is_empty()), "{references:?}");
    assert_eq!(
        references[1], references[2],
        "one payout paid both of DATA's parts"
    );
    assert_ne!(references[0], references[1]);
}

/// An open dispute holds every part back (not only the compute
/// provider's); a partial refund takes the share back from the parts in
/// proportion to what each holds; the rest is then paid.
async fn a_dispute_holds_every_part_and_a_partial_refund_splits(b: Backend) {
    let w = funded_world(b, "hold").await;
    let app = &w.app;
    let f = Fixture::new(KeyKind::Ed25519, &[KeyKind::Rsa]);
    let computation = publish(app, "hold", f.record(10_000, &three(), CREATED)).await;
    let base = Scenario::new(REQUESTER, PROVIDER, "split-hold");
    let r = settle_under(app, &base, "split-hold-0", &computation, 1000).await;
    assert_eq!(r.status, 201, "{r:?}");
    // 975: 585, 243.75 -> 243, 146.25 -> 146, leftover 1 to the first.
    assert_eq!(
        parts(r.body.get("value").unwrap()),
        vec![
            (PROVIDER.to_owned(), 586),
            (ALG.to_owned(), 243),
            (DATA.to_owned(), 146)
        ]
    );
    let uri = r
        .body
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    for (i, did) in [PROVIDER, ALG, DATA].iter().enumerate() {
        w.pay_to(did, w.local.spare[i].address()).await;
    }
    let id = open(&w, &uri).await;
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(10))
        .await
        .expect("cycle");
    assert!(
        report.planned.is_empty(),
        "a disputed part was paid: {report:?}"
    );

    // 400 refunded: fee floor(400 * 25 / 1000) = 10, share 390 taken back
    // by what each part holds: 234.46, 97.2, 58.3 -> 234, 97, 58 + 1.
    let before = app.requester_usd(REQUESTER).await.0;
    let resolved = resolve(&w, &id, r#"{"verdict":"refund-partial","amount":400}"#).await;
    assert_eq!(resolved.status, 200, "{resolved:?}");
    assert_eq!(app.requester_usd(REQUESTER).await.0, before + 400);
    // The refund record states what each part gave back.
    let reversals = settlement::dispute::store::reversals(&app.service.store, &uri)
        .await
        .unwrap();
    let refund = reversals[0].value.as_ref().expect("a refund record");
    assert_eq!(
        parts(refund),
        vec![
            (PROVIDER.to_owned(), 235),
            (ALG.to_owned(), 97),
            (DATA.to_owned(), 58)
        ]
    );
    // The reversal shows each payee what it gave back (before payout: all
    // of it from payable).
    let listed = app.get(&format!("/v1/disputes?settlement={uri}")).await;
    let Some(Value::Array(rs)) = listed.body.get("reversals") else {
        panic!("{listed:?}")
    };
    let Some(Value::Array(back)) = rs[0].get("parts") else {
        panic!("{listed:?}")
    };
    let back: Vec<(&str, i128, i128)> = back
        .iter()
        .map(|p| {
            let m = |k: &str| {
                p.get(k)
                    .and_then(|a| a.get("amount"))
                    .and_then(Value::as_int)
                    .unwrap()
            };
            (
                p.get("did").and_then(Value::as_str).unwrap(),
                m("amount"),
                m("fromPayable"),
            )
        })
        .collect();
    assert_eq!(
        back,
        vec![(PROVIDER, 235, 235), (ALG, 97, 97), (DATA, 58, 58)]
    );
    let left = [(PROVIDER, 586 - 235), (ALG, 243 - 97), (DATA, 146 - 58)];
    for (did, amount) in left {
        assert_eq!(payable(app, did).await, amount, "{did}");
    }
    let report = w
        .payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert_eq!(report.planned.len(), 3, "{report:?}");
    assert_eq!(
        sorted(&report.confirmed),
        sorted(&report.planned),
        "{report:?}"
    );
    for (i, (did, amount)) in left.iter().enumerate() {
        let held = w.token_balance(w.local.spare[i].address()).await;
        assert_eq!(held, U256::from(*amount as u64 * UNITS_PER_CENT), "{did}");
    }
    w.assert_reconciled().await;
    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    assert!(report.is_clean(), "{}", report.render());
}

on_both_backends!(
    a_self_charge_that_pays_others_pays_the_fee,
    two_parts_of_one_payee_are_both_referenced,
    a_dispute_holds_every_part_and_a_partial_refund_splits,
    a_three_party_computation_is_charged_split_and_paid,
    odd_amounts_split_as_the_rule_says,
    a_payee_without_a_valid_key_proof_is_refused,
    shares_that_do_not_make_a_whole_are_refused,
    a_split_job_is_never_charged_unsplit,
);
