//! One case per rule and error, generic over the backend.

use crate::harness::*;
use ledger::*;

const DMNEC: AccountFlags = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;
const CMNED: AccountFlags = AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS;

/// A funded user (flagged), a world account (unflagged) and a merchant.
async fn setup<S: LedgerStore>(s: &S, funds: i64) -> (Id, Id, Id) {
    let world = account(s, "world", "USD", AccountFlags::NONE).await;
    let user = account(s, "user", "USD", DMNEC).await;
    let shop = account(s, "shop", "USD", DMNEC).await;
    if funds > 0 {
        s.submit(&[transfer("fund", &world, &user, funds)])
            .await
            .unwrap();
    }
    (world, user, shop)
}

async fn bal<S: LedgerStore>(s: &S, a: &Id) -> (i64, i64, i64, i64) {
    let b = s.balance(a).await.unwrap();
    (
        b.debits_posted,
        b.credits_posted,
        b.debits_pending,
        b.credits_pending,
    )
}

pub async fn accounts<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let new = NewAccount {
        id: id("acct-1"),
        currency: usd(),
        kind: code("requester-available"),
        owner: Owner::new("did:plc:abc").unwrap(),
        flags: DMNEC,
    };
    let a = s.create_account(&new).await.unwrap();
    assert_eq!(a.created_at_us, T0);
    assert_eq!(s.account(&new.id).await.unwrap(), a);
    // Same content again: the original.
    assert_eq!(s.create_account(&new).await.unwrap(), a);
    let other = NewAccount {
        flags: AccountFlags::NONE,
        ..new.clone()
    };
    assert_code(s.create_account(&other).await, "account-exists");
    assert_code(s.account(&id("nope")).await, "account-not-found");
    assert_code(s.balance(&id("nope")).await, "account-not-found");
    assert_code(AccountFlags::from_bits(3), "invalid-flags");
    assert_code(AccountFlags::from_bits(8), "invalid-flags");
    let b = s.balance(&new.id).await.unwrap();
    assert_eq!(b.available, Some(0));
}

pub async fn validation() {
    assert_code(Id::new(""), "invalid-id");
    assert_code(Id::new("a b"), "invalid-id");
    assert_code(Id::new("!expire:x"), "invalid-id");
    assert_code(Id::new("x".repeat(129)), "invalid-id");
    assert!(Id::new("x".repeat(128)).is_ok());
    assert!(Id::new("at://did:plc:x/a.b.c/3k").is_ok());
    assert_code(Currency::new("usd"), "invalid-currency");
    assert_code(Currency::new("US"), "invalid-currency");
    assert_code(Currency::new("USDCOINSX"), "invalid-currency");
    assert_code(Code::new(""), "invalid-field");
    assert_code(Reference::new("a\nb"), "invalid-field");
    assert_code(Reference::new("x".repeat(1025)), "invalid-field");
    assert_code("-1".parse::<Cursor>(), "invalid-cursor");
}

pub async fn transfer_moves_money<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 1000).await;
    let r = s
        .submit(&[transfer("t1", &user, &shop, 300)])
        .await
        .unwrap();
    assert_eq!(r.len(), 1);
    assert!(!r[0].replayed);
    let t = &r[0].transfer;
    assert_eq!(
        (t.kind, t.amount_minor, t.timestamp_us),
        (TransferKind::Posted, 300, T0)
    );
    assert_eq!(bal(s, &user).await, (300, 1000, 0, 0));
    assert_eq!(bal(s, &shop).await, (0, 300, 0, 0));
    assert_eq!(bal(s, &world).await, (1000, 0, 0, 0));
    assert_eq!(s.balance(&user).await.unwrap().available, Some(700));
    assert_eq!(s.balance(&world).await.unwrap().available, None);
    assert_eq!(s.transfer(&id("t1")).await.unwrap().unwrap(), *t);
    assert_eq!(s.transfer(&id("t404")).await.unwrap(), None);
    check_against_entries(s, &[world, user, shop]).await;
}

pub async fn insufficient_funds<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (_, user, shop) = setup(s, 100).await;
    assert_code(
        s.submit(&[transfer("t1", &user, &shop, 101)]).await,
        "insufficient-funds",
    );
    s.submit(&[transfer("t2", &user, &shop, 100)])
        .await
        .unwrap();
    assert_code(
        s.submit(&[transfer("t3", &user, &shop, 1)]).await,
        "insufficient-funds",
    );
    // A failed transfer records nothing: its id is free.
    assert_eq!(s.transfer(&id("t1")).await.unwrap(), None);
}

pub async fn credit_limit<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, _, _) = setup(s, 0).await;
    let treasury = account(s, "treasury", "USD", CMNED).await;
    assert_code(
        s.submit(&[transfer("t1", &world, &treasury, 1)]).await,
        "credit-limit-exceeded",
    );
    s.submit(&[transfer("t2", &treasury, &world, 50)])
        .await
        .unwrap();
    s.submit(&[transfer("t3", &world, &treasury, 50)])
        .await
        .unwrap();
    assert_eq!(s.balance(&treasury).await.unwrap().available, Some(0));
}

pub async fn currency_mismatch<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, _) = setup(s, 100).await;
    let eur = account(s, "eur", "EUR", AccountFlags::NONE).await;
    assert_code(
        s.submit(&[transfer("t1", &user, &eur, 1)]).await,
        "currency-mismatch",
    );
    let mut op = transfer("t2", &world, &user, 1);
    if let Op::Transfer(t) = &mut op {
        t.currency = Currency::new("EUR").unwrap();
    }
    assert_code(s.submit(&[op]).await, "currency-mismatch");
}

pub async fn malformed_transfers<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, _) = setup(s, 100).await;
    assert_code(
        s.submit(&[transfer("t1", &user, &user, 1)]).await,
        "same-account",
    );
    assert_code(
        s.submit(&[transfer("t2", &world, &user, 0)]).await,
        "invalid-amount",
    );
    assert_code(
        s.submit(&[transfer("t3", &world, &user, -5)]).await,
        "invalid-amount",
    );
    assert_code(
        s.submit(&[transfer("t4", &world, &id("ghost"), 1)]).await,
        "account-not-found",
    );
    assert_code(s.submit(&[]).await, "invalid-batch");
    let big: Vec<Op> = (0..=BATCH_MAX)
        .map(|i| transfer(&format!("b{i}"), &world, &user, 1))
        .collect();
    assert_code(s.submit(&big).await, "invalid-batch");
    assert_code(
        s.submit(&[post("p1", "nohold", None)]).await,
        "hold-not-found",
    );
    assert_code(
        s.submit(&[hold("h1", &user, &world, 1, T0)]).await,
        "invalid-expiry",
    );
    assert_code(
        s.submit(&[post("p2", "h0", Some(0))]).await,
        "invalid-amount",
    );
}

pub async fn overflow<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, _) = setup(s, 0).await;
    s.submit(&[transfer("t1", &world, &user, i64::MAX)])
        .await
        .unwrap();
    assert_code(
        s.submit(&[transfer("t2", &world, &user, 1)]).await,
        "overflow",
    );
    assert_eq!(bal(s, &user).await, (0, i64::MAX, 0, 0));
    // On the side an account's limit bounds, a sum past 2^63 - 1 is that
    // limit crossed: the answer is insufficient-funds, not overflow.
    s.submit(&[hold("h1", &user, &world, i64::MAX, T0 + 1000)])
        .await
        .unwrap();
    assert_code(
        s.submit(&[hold("h2", &user, &world, 1, T0 + 1000)]).await,
        "insufficient-funds",
    );
    assert_code(
        s.submit(&[transfer("t3", &user, &world, 1)]).await,
        "insufficient-funds",
    );
    assert_eq!(bal(s, &user).await, (0, i64::MAX, i64::MAX, 0));
}

pub async fn batch_is_atomic<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await;
    let batch = [
        transfer("a", &user, &shop, 60),
        hold("b", &user, &shop, 10, T0 + 1000),
        transfer("c", &user, &shop, 60), // 60 + 10 + 60 > 100
    ];
    assert_code(s.submit(&batch).await, "insufficient-funds");
    for t in ["a", "b", "c"] {
        assert_eq!(s.transfer(&id(t)).await.unwrap(), None);
    }
    assert_eq!(s.hold(&id("b")).await.unwrap(), None);
    assert_eq!(bal(s, &user).await, (0, 100, 0, 0));
    // Earlier operations of a batch count for later ones.
    let ok = [
        transfer("a", &user, &shop, 60),
        transfer("c", &shop, &user, 60),
        transfer("d", &user, &shop, 100),
    ];
    let r = s.submit(&ok).await.unwrap();
    assert_eq!(r.len(), 3);
    assert!(r[0].transfer.seq < r[1].transfer.seq && r[1].transfer.seq < r[2].transfer.seq);
    check_against_entries(s, &[world, user, shop]).await;
}

pub async fn idempotency<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await;
    let op = transfer("t1", &user, &shop, 40);
    let first = s.submit(std::slice::from_ref(&op)).await.unwrap().remove(0);
    f.clock.advance(5);
    let again = s.submit(std::slice::from_ref(&op)).await.unwrap().remove(0);
    assert!(again.replayed);
    assert_eq!(again.transfer, first.transfer);
    assert_eq!(bal(s, &user).await, (40, 100, 0, 0));
    // Same id, other content.
    assert_code(
        s.submit(&[transfer("t1", &user, &shop, 41)]).await,
        "idempotency-conflict",
    );
    assert_code(
        s.submit(&[transfer("t1", &shop, &user, 40)]).await,
        "idempotency-conflict",
    );
    let mut with_ref = op.clone();
    if let Op::Transfer(t) = &mut with_ref {
        t.reference = Some(Reference::new("at://x").unwrap());
    }
    assert_code(s.submit(&[with_ref]).await, "idempotency-conflict");
    assert_code(
        s.submit(&[hold("t1", &user, &shop, 40, T0 + 100)]).await,
        "idempotency-conflict",
    );
    // A replay succeeds even when the original could not be made again.
    s.submit(&[transfer("drain", &user, &shop, 60)])
        .await
        .unwrap();
    assert!(s.submit(std::slice::from_ref(&op)).await.unwrap()[0].replayed);
    // Replays mix with new operations in one batch.
    let r = s
        .submit(&[op.clone(), transfer("t2", &world, &user, 5)])
        .await
        .unwrap();
    assert!(r[0].replayed && !r[1].replayed);
    // A duplicate id inside one batch: same content is one transfer.
    let r = s
        .submit(&[
            transfer("t3", &world, &user, 1),
            transfer("t3", &world, &user, 1),
        ])
        .await
        .unwrap();
    assert_eq!(r[0].transfer, r[1].transfer);
    assert_eq!(bal(s, &user).await, (100, 106, 0, 0));
    assert_code(
        s.submit(&[
            transfer("t4", &world, &user, 1),
            transfer("t4", &world, &user, 2),
        ])
        .await,
        "idempotency-conflict",
    );
    check_against_entries(s, &[world, user, shop]).await;
}

pub async fn hold_post_partial<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await;
    s.submit(&[hold("h1", &user, &shop, 70, T0 + 1_000_000)])
        .await
        .unwrap();
    assert_eq!(bal(s, &user).await, (0, 100, 70, 0));
    assert_eq!(bal(s, &shop).await, (0, 0, 0, 70));
    assert_eq!(s.balance(&user).await.unwrap().available, Some(30));
    // The hold reserves the funds.
    assert_code(
        s.submit(&[transfer("t1", &user, &shop, 31)]).await,
        "insufficient-funds",
    );
    assert_code(
        s.submit(&[post("p0", "h1", Some(71))]).await,
        "post-exceeds-hold",
    );
    let p = s
        .submit(&[post("p1", "h1", Some(50))])
        .await
        .unwrap()
        .remove(0)
        .transfer;
    assert_eq!(
        (p.kind, p.amount_minor, p.pending_id.clone()),
        (TransferKind::Post, 50, Some(id("h1")))
    );
    assert_eq!(bal(s, &user).await, (50, 100, 0, 0));
    assert_eq!(bal(s, &shop).await, (0, 50, 0, 0));
    let h = s.hold(&id("h1")).await.unwrap().unwrap();
    assert_eq!(
        (h.state, h.resolved_by),
        (HoldState::Posted, Some(id("p1")))
    );
    // Exactly once: replay returns the post, another id fails.
    assert!(s.submit(&[post("p1", "h1", Some(50))]).await.unwrap()[0].replayed);
    assert_code(
        s.submit(&[post("p1", "h1", Some(49))]).await,
        "idempotency-conflict",
    );
    assert_code(
        s.submit(&[post("p2", "h1", None)]).await,
        "hold-already-resolved",
    );
    assert_code(s.submit(&[void("v1", "h1")]).await, "hold-already-resolved");
    // Full post with amount omitted; replay with or without the amount.
    s.submit(&[hold("h2", &user, &shop, 20, T0 + 10)])
        .await
        .unwrap();
    let p = s
        .submit(&[post("p3", "h2", None)])
        .await
        .unwrap()
        .remove(0)
        .transfer;
    assert_eq!(p.amount_minor, 20);
    assert!(s.submit(&[post("p3", "h2", None)]).await.unwrap()[0].replayed);
    assert!(s.submit(&[post("p3", "h2", Some(20))]).await.unwrap()[0].replayed);
    // Hold and post in one batch.
    let r = s
        .submit(&[
            hold("h3", &user, &shop, 30, T0 + 10),
            post("p4", "h3", Some(10)),
        ])
        .await
        .unwrap();
    assert_eq!(r[1].transfer.amount_minor, 10);
    assert_eq!(
        s.hold(&id("h3")).await.unwrap().unwrap().state,
        HoldState::Posted
    );
    assert_eq!(bal(s, &user).await, (80, 100, 0, 0));
    check_against_entries(s, &[world, user, shop]).await;
}

pub async fn hold_void<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await;
    s.submit(&[hold("h1", &user, &shop, 100, T0 + 10)])
        .await
        .unwrap();
    let v = s
        .submit(&[void("v1", "h1")])
        .await
        .unwrap()
        .remove(0)
        .transfer;
    assert_eq!((v.kind, v.amount_minor), (TransferKind::Void, 100));
    assert_eq!(bal(s, &user).await, (0, 100, 0, 0));
    assert!(s.submit(&[void("v1", "h1")]).await.unwrap()[0].replayed);
    assert_code(s.submit(&[void("v2", "h1")]).await, "hold-already-resolved");
    assert_code(
        s.submit(&[post("p1", "h1", None)]).await,
        "hold-already-resolved",
    );
    assert_code(s.submit(&[void("v3", "h404")]).await, "hold-not-found");
    check_against_entries(s, &[world, user, shop]).await;
}

pub async fn hold_expiry<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await;
    s.submit(&[hold("h1", &user, &shop, 80, T0 + 100)])
        .await
        .unwrap();
    s.submit(&[hold("h2", &user, &shop, 10, T0 + 1000)])
        .await
        .unwrap();
    f.clock.set(T0 + 100);
    // Released the moment it expires, before any sweep.
    assert_eq!(bal(s, &user).await, (0, 100, 10, 0));
    assert_eq!(s.balance(&user).await.unwrap().available, Some(90));
    assert_code(s.submit(&[post("p1", "h1", None)]).await, "hold-expired");
    assert_code(s.submit(&[void("v1", "h1")]).await, "hold-expired");
    // Its funds are spendable again.
    s.submit(&[transfer("t1", &user, &shop, 90)]).await.unwrap();
    check_against_entries(s, &[world.clone(), user.clone(), shop.clone()]).await;
    assert_eq!(s.expire_holds(100).await.unwrap(), 1);
    assert_eq!(s.expire_holds(100).await.unwrap(), 0);
    let h = s.hold(&id("h1")).await.unwrap().unwrap();
    assert_eq!(h.state, HoldState::Expired);
    let rec = s
        .transfer(h.resolved_by.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (rec.kind, rec.amount_minor, rec.pending_id),
        (TransferKind::Expire, 80, Some(id("h1")))
    );
    assert_code(s.submit(&[post("p1", "h1", None)]).await, "hold-expired");
    assert_eq!(bal(s, &user).await, (90, 100, 10, 0));
    // The other hold is still good.
    s.submit(&[post("p2", "h2", None)]).await.unwrap();
    assert_eq!(bal(s, &user).await, (100, 100, 0, 0));
    check_against_entries(s, &[world, user, shop]).await;
}

pub async fn balance_at<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (_, user, shop) = setup(s, 100).await; // at T0
    f.clock.set(T0 + 10);
    s.submit(&[transfer("t1", &user, &shop, 30)]).await.unwrap();
    f.clock.set(T0 + 20);
    s.submit(&[hold("h1", &user, &shop, 50, T0 + 40)])
        .await
        .unwrap();
    s.submit(&[hold("h2", &user, &shop, 5, T0 + 100)])
        .await
        .unwrap();
    f.clock.set(T0 + 30);
    s.submit(&[post("p2", "h2", Some(2))]).await.unwrap();
    f.clock.set(T0 + 50);
    s.expire_holds(10).await.unwrap();
    let at = |t: i64| {
        let user = user.clone();
        async move {
            let b = s.balance_at(&user, T0 + t).await.unwrap();
            (
                b.debits_posted,
                b.credits_posted,
                b.debits_pending,
                b.credits_pending,
            )
        }
    };
    assert_eq!(at(-1).await, (0, 0, 0, 0));
    assert_eq!(at(0).await, (0, 100, 0, 0));
    assert_eq!(at(15).await, (30, 100, 0, 0));
    assert_eq!(at(20).await, (30, 100, 55, 0));
    assert_eq!(at(30).await, (32, 100, 50, 0));
    assert_eq!(at(39).await, (32, 100, 50, 0));
    assert_eq!(at(40).await, (32, 100, 0, 0)); // expired, before the sweep
    assert_eq!(at(60).await, (32, 100, 0, 0));
    assert_eq!(
        s.balance_at(&user, T0 + 20).await.unwrap().available,
        Some(15)
    );
    let now = s.balance(&user).await.unwrap();
    assert_eq!(s.balance_at(&user, T0 + 50).await.unwrap(), now);
}

pub async fn statement_pages<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await; // "fund" is entry 1 for user
    for i in 0..12 {
        s.submit(&[transfer(&format!("u{i}"), &user, &shop, 1)])
            .await
            .unwrap();
        s.submit(&[transfer(&format!("w{i}"), &world, &shop, 1)])
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut page = Page::first(5);
    loop {
        let p = s.statement(&user, page).await.unwrap();
        assert!(p.transfers.len() <= 5);
        seen.extend(p.transfers.iter().map(|t| t.id.to_string()));
        match p.next {
            Some(c) => page.after = Some(c.to_string().parse().unwrap()),
            None => break,
        }
    }
    let mut expected = vec!["fund".to_owned()];
    expected.extend((0..12).map(|i| format!("u{i}")));
    assert_eq!(seen, expected);
    let all = s.statement(&shop, Page::first(1000)).await.unwrap();
    assert_eq!(all.transfers.len(), 24);
    assert!(all.transfers.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(all.next, None);
    assert_code(s.statement(&user, Page::first(0)).await, "invalid-field");
    assert_code(s.statement(&user, Page::first(1001)).await, "invalid-field");
    assert_code(
        s.statement(&id("ghost"), Page::first(10)).await,
        "account-not-found",
    );
}

pub async fn lookup_by_reference<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (_, user, shop) = setup(s, 100).await;
    let r = Reference::new("at://did:plc:req/dev.cocore.compute.receipt/3kabc").unwrap();
    let with_ref = |tid: &str, amount| {
        let mut op = transfer(tid, &user, &shop, amount);
        if let Op::Transfer(t) = &mut op {
            t.reference = Some(r.clone());
        }
        op
    };
    s.submit(&[
        with_ref("charge", 10),
        transfer("other", &user, &shop, 1),
        with_ref("fee", 2),
    ])
    .await
    .unwrap();
    let p = s.by_reference(&r, Page::first(10)).await.unwrap();
    let ids: Vec<&str> = p.transfers.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["charge", "fee"]);
    let p1 = s.by_reference(&r, Page::first(1)).await.unwrap();
    assert_eq!(p1.transfers[0].id.as_str(), "charge");
    let p2 = s
        .by_reference(
            &r,
            Page {
                after: p1.next,
                limit: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(p2.transfers[0].id.as_str(), "fee");
    let none = Reference::new("at://nothing").unwrap();
    assert!(
        s.by_reference(&none, Page::first(10))
            .await
            .unwrap()
            .transfers
            .is_empty()
    );
}

pub async fn tx_failure_leaves_tx_untouched<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await;
    let mut tx = s.begin().await.unwrap();
    tx.submit(&[transfer("t1", &user, &shop, 10)])
        .await
        .unwrap();
    assert_code(
        tx.submit(&[
            transfer("t2", &user, &shop, 5),
            transfer("t3", &user, &shop, 500),
        ])
        .await,
        "insufficient-funds",
    );
    assert_eq!(tx.balance(&user).await.unwrap().debits_posted, 10);
    tx.commit().await.unwrap();
    assert!(s.transfer(&id("t1")).await.unwrap().is_some());
    assert!(s.transfer(&id("t2")).await.unwrap().is_none());
    // Rolled back: nothing.
    let mut tx = s.begin().await.unwrap();
    tx.submit(&[transfer("t4", &user, &shop, 10)])
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(s.transfer(&id("t4")).await.unwrap().is_none());
    check_against_entries(s, &[world, user, shop]).await;
}

/// Group commit: many batches in one transaction, each all-or-nothing on
/// its own, each decided against what the earlier ones left.
pub async fn batches_each_atomic<S: LedgerStore>(f: &Fixture<S>) {
    let s = &f.store;
    let (world, user, shop) = setup(s, 100).await;
    let other = account(s, "other", "USD", DMNEC).await;
    let a = [
        transfer("a1", &user, &shop, 60),
        hold("a2", &user, &shop, 10, T0 + 1000),
    ];
    // b1 alone would fit (90 of 100); b2 does not: neither may stay.
    let b = [
        transfer("b1", &user, &shop, 20),
        transfer("b2", &user, &shop, 20),
    ];
    // Fits only if b left nothing behind: 60 + 10 + 30 = 100.
    let c = [transfer("c1", &user, &other, 30)];
    // Voids the hold a made earlier in the same transaction.
    let d = [void("d1", "a2")];
    let e = [transfer("e1", &user, &shop, 0)];
    let g = [post("g1", "no-such-hold", None)];
    let h = [transfer("h1", &user, &id("no-such-account"), 1)];
    let empty: [Op; 0] = [];
    let mut tx = s.begin().await.unwrap();
    let results = tx
        .submit_each(&[&a, &b, &c, &d, &e, &g, &h, &empty])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let codes: Vec<&str> = results
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "insufficient-funds",
            "ok",
            "ok",
            "invalid-amount",
            "hold-not-found",
            "account-not-found",
            "invalid-batch"
        ]
    );
    let seqs: Vec<i64> = results
        .iter()
        .flatten()
        .flatten()
        .map(|r| r.transfer.seq)
        .collect();
    assert_eq!(seqs.len(), 4);
    assert!(seqs.windows(2).all(|w| 0 < w[0] && w[0] < w[1]), "{seqs:?}");
    for t in ["b1", "b2", "e1", "g1", "h1"] {
        assert_eq!(s.transfer(&id(t)).await.unwrap(), None, "{t}");
    }
    for t in ["a1", "a2", "c1", "d1"] {
        let stored = s.transfer(&id(t)).await.unwrap().expect(t);
        assert!(seqs.contains(&stored.seq), "{t}");
    }
    assert_eq!(
        s.hold(&id("a2")).await.unwrap().unwrap().state,
        HoldState::Voided
    );
    assert_eq!(bal(s, &user).await, (90, 100, 0, 0));
    assert_eq!(bal(s, &shop).await, (0, 60, 0, 0));
    assert_eq!(bal(s, &other).await, (0, 30, 0, 0));
    check_against_entries(s, &[world, user, shop, other]).await;

    // Many accounts opened at once, each with its own result.
    let new = |name: &str, flags| NewAccount {
        id: id(name),
        currency: usd(),
        kind: code("requester"),
        owner: Owner::new("did:plc:abc").unwrap(),
        flags,
    };
    let mut tx = s.begin().await.unwrap();
    let opened = tx
        .create_accounts(&[
            new("n1", DMNEC),
            new("user", DMNEC),
            new("n1", DMNEC),
            new("n2", CMNED),
        ])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let codes: Vec<&str> = opened
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    // "user" exists with another kind.
    assert_eq!(codes, ["ok", "account-exists", "ok", "ok"]);
    assert_eq!(s.account(&id("n2")).await.unwrap().flags, CMNED);
}
