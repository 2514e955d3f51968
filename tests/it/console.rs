//! The web console over real HTTP: in Debian's Chromium (the explorer
//! finds a settlement verified; a tampered one fails with its reason;
//! the operator signs in, sees a payout confirmed on the local chain and
//! the reconciliation clean, signs out; a form without its CSRF token is
//! refused; no public page shows a private balance), and the attacks a
//! browser would not make, with a plain client.

use std::sync::Arc;

use settlement::records::json::{self, Map, Value};
use settlement::store::payouts::PayoutFilter;
use settlement::testkit::{PROVIDER, REQUESTER, Scenario};

use crate::app::{ADMIN_TOKEN, Backend};
use crate::payouts::world;

/// Settles `n` receipts of PROVIDER under one authorization; its URI and
/// the settlements' URIs, oldest first.
async fn settle_under_one_authorization(
    w: &crate::payouts::World,
    n: usize,
) -> (String, Vec<String>) {
    // A distinctive deposit, so its balance can be looked for on pages.
    let d = w.app.deposit(REQUESTER, 987_654, "dep-console").await;
    assert_eq!(d.status, 201, "{d:?}");
    let base = Scenario::new(REQUESTER, PROVIDER, "console");
    let mut uris = Vec::new();
    let mut authorization = String::new();
    for i in 0..n {
        let sealed = base.sharing(&format!("console-{i}")).seal();
        authorization = sealed.authorization.uri.clone();
        w.app.post_all(&sealed).await;
        let r = w.app.settle(&sealed.receipt.uri).await;
        assert_eq!(r.status, 201, "{r:?}");
        uris.push(
            r.body
                .get("uri")
                .and_then(Value::as_str)
                .expect("uri")
                .to_owned(),
        );
    }
    (authorization, uris)
}

/// Changes a stored settlement's amount behind the server's back: its
/// signature and CID no longer match.
async fn tamper(db_url: &str, uri: &str) {
    let sql = "UPDATE settlement_settlements SET value = replace(value, '\"amount\":250', '\"amount\":25000') WHERE uri = $1";
    let done = if db_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(db_url).await.unwrap();
        sqlx::query(sql)
            .bind(uri)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected()
    } else {
        let pool = sqlx::PgPool::connect(db_url).await.unwrap();
        sqlx::query(sql)
            .bind(uri)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected()
    };
    assert_eq!(done, 1, "the settlement was tampered with");
}

async fn pages_in_a_browser(b: Backend) {
    let w = world(b, 1_000_000, 1).await;
    let (authorization, uris) = settle_under_one_authorization(&w, 3).await;
    let bob = w.local.spare[0].address();
    w.pay_to(PROVIDER, bob).await;
    let crate::payouts::World {
        app,
        local,
        payouts,
    } = w;
    let payouts = Arc::new(payouts);
    assert!(app.service.payouts.set(payouts.clone()).is_ok());
    let report = payouts
        .run_cycle(std::time::Duration::from_secs(30))
        .await
        .expect("cycle");
    assert_eq!(report.confirmed.len(), 1, "{report:?}");
    let paid = app
        .service
        .store
        .payouts(&PayoutFilter::Provider(PROVIDER), 0, 10)
        .await
        .expect("payouts");
    let tx = paid[0]
        .tx_hash
        .clone()
        .expect("confirmed with a transaction");

    let tampered = uris[2].clone();
    tamper(&app.db_url, &tampered).await;

    // The private figures: the requester's balance (9876.54 deposited
    // less 7.50 charged) and what it may still spend (less the session
    // budget held).
    let balance = app
        .get(&format!("/v1/requesters/{REQUESTER}/balance?currency=USD"))
        .await;
    let usd = |k: &str| {
        balance
            .body
            .get("USD")
            .and_then(|u| u.get(k))
            .and_then(Value::as_int)
    };
    assert_eq!(usd("balance"), Some(987_654 - 750), "{balance:?}");
    assert_eq!(usd("available"), Some(967_654), "{balance:?}");
    let private = vec!["9869.04".to_owned(), "9676.54".to_owned()];

    let mut args = Map::new();
    for (k, v) in [
        ("base", Value::from(app.base.as_str())),
        ("token", ADMIN_TOKEN.into()),
        ("settlement", uris[0].as_str().into()),
        ("tampered", tampered.as_str().into()),
        ("tampered_check", "settlement-sig-invalid".into()),
        ("authorization", authorization.as_str().into()),
        ("charged_minor", 750i64.into()),
        ("provider", PROVIDER.into()),
        ("provider_settlements", 3i64.into()),
        ("tx", tx.as_str().into()),
        (
            "private",
            Value::Array(private.into_iter().map(Value::from).collect()),
        ),
    ] {
        args.insert(k.into(), v);
    }
    let args = Value::Object(args);
    let out = tokio::task::spawn_blocking(move || {
        settlement::console::browser::run_node(
            "tests/console/browse.mjs",
            &[json::to_canonical_string(&args)],
        )
    })
    .await
    .unwrap();
    match out {
        Ok(text) => eprintln!("{text}"),
        Err(text) => panic!("the browser test failed:\n{text}"),
    }
    drop(local);
}

on_both_backends!(pages_in_a_browser);
