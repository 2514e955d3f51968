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

/// A client that shows redirects instead of following them.
fn browserless() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `name=value` of the `Set-Cookie` headers naming `name`.
fn set_cookies(r: &reqwest::Response, name: &str) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
        .collect()
}

/// The value of the hidden `csrf` field of a page's first form.
fn csrf_field(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + 64].to_owned()
}

/// Signs in as a browser would; the session cookie's `name=value`.
async fn sign_in(c: &reqwest::Client, base: &str) -> String {
    let form = c
        .get(format!("{base}/console/operator/sign-in"))
        .send()
        .await
        .unwrap();
    let pre = set_cookies(&form, "console_sign_in")[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = csrf_field(&form.text().await.unwrap());
    let r = c
        .post(format!("{base}/console/operator/sign-in"))
        .header("cookie", &pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&token={ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    set_cookies(&r, "console_session")[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn attacks_a_browser_would_not_make(b: Backend) {
    let app = crate::app::spawn_app(b).await;
    let d = app.deposit(REQUESTER, 100_000, "dep-attacks").await;
    assert_eq!(d.status, 201, "{d:?}");
    let base = Scenario::new(REQUESTER, PROVIDER, "attacks");
    for i in 0..3 {
        let sealed = base.sharing(&format!("attacks-{i}")).seal();
        app.post_all(&sealed).await;
        assert_eq!(app.settle(&sealed.receipt.uri).await.status, 201);
    }
    let c = browserless();
    let url = |p: &str| format!("{}{p}", app.base);

    // Markup in a search is shown as text, never run.
    let r = c
        .get(url(
            "/console/settlements?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;\""),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("q: neither a DID nor an AT URI"), "{page}");

    // A page that finds nothing answers a page, not problem+json.
    let r = c
        .get(url("/console/settlement?uri=at%3A%2F%2Fdid%3Aweb%3Ax.example%2Fdev.cocore.compute.settlement%2F1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    // Without a session: the operator's page leads to the sign-in, its
    // forms are refused and move nothing; a made-up cookie is no session.
    for cookie in [
        "",
        "console_session=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        let r = c
            .get(url("/console/operator"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(r.headers()["location"], "/console/operator/sign-in");
        let r = c
            .post(url("/console/operator/holds"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=x&settlement=y&action=release")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
    }

    // Sign-in needs the form's own cookie (no login CSRF), then the token.
    let form = c
        .get(url("/console/operator/sign-in"))
        .send()
        .await
        .unwrap();
    let pre = set_cookies(&form, "console_sign_in")[0].clone();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(pre.contains(attribute), "{pre}");
    }
    let token = csrf_field(&form.text().await.unwrap());
    let post = |cookie: String, body: String| {
        c.post(url("/console/operator/sign-in"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let pre_pair = pre.split(';').next().unwrap().to_owned();
    let r = post(String::new(), format!("csrf={token}&token={ADMIN_TOKEN}"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(set_cookies(&r, "console_session").is_empty());
    let r = post(pre_pair.clone(), format!("csrf={token}&token=guess"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(set_cookies(&r, "console_session").is_empty());
    let r = post(
        pre_pair.clone(),
        format!("csrf={token}&token={ADMIN_TOKEN}&token=x"),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 400, "a field given twice is refused");
    let many: String = (0..40).map(|i| format!("&f{i}=x")).collect();
    let r = post(
        pre_pair.clone(),
        format!("csrf={token}&token={ADMIN_TOKEN}{many}"),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 400, "a form of many fields is refused");
    assert!(set_cookies(&r, "console_session").is_empty());

    // The session is kept in the database only as a hash.
    let session = sign_in(&c, &app.base).await;
    let secret = session.split_once('=').unwrap().1.to_owned();
    let stored: Vec<String> = if app.db_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.db_url).await.unwrap();
        sqlx::query_scalar("SELECT id_hash FROM console_sessions")
            .fetch_all(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(&app.db_url).await.unwrap();
        sqlx::query_scalar("SELECT id_hash FROM console_sessions")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    use sha2::Digest as _;
    let hashed = settlement::records::formats::lower_hex(&sha2::Sha256::digest(secret.as_bytes()));
    assert_eq!(stored, vec![hashed]);

    // Signed in: a form whose token is another session's, or from another
    // origin, is refused.
    let dash = c
        .get(url("/console/operator"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(dash.status().as_u16(), 200);
    assert_eq!(dash.headers()["cache-control"], "no-store");
    let csrf = csrf_field(&dash.text().await.unwrap());
    let host = app.base.trim_start_matches("http://").to_owned();
    let out = |token: String, origin: String| {
        c.post(url("/console/operator/sign-out"))
            .header("cookie", &session)
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={token}"))
            .send()
    };
    let other = sign_in(&c, &app.base).await;
    let other_dash = c
        .get(url("/console/operator"))
        .header("cookie", &other)
        .send()
        .await
        .unwrap();
    let other_csrf = csrf_field(&other_dash.text().await.unwrap());
    assert_ne!(other_csrf, csrf);
    for (token, origin) in [
        (other_csrf, app.base.clone()),
        (csrf.clone(), "https://evil.example".to_owned()),
        (csrf.clone(), "null".to_owned()),
    ] {
        let r = out(token, origin.clone()).await.unwrap();
        assert_eq!(r.status().as_u16(), 403, "{origin}");
    }
    // The real one signs out: the session is gone on the server.
    let r = out(csrf, format!("http://{host}")).await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let r = c
        .get(url("/console/operator"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "the old cookie no longer signs in"
    );

    // A session opened with the admin token ends with it: the same
    // database served with another token (or none) knows no session.
    let cookie_of = |c: &str| {
        let mut h = axum::http::HeaderMap::new();
        h.insert("cookie", c.parse().unwrap());
        h
    };
    for token in [Some("another-admin-token-0123456789".to_owned()), None] {
        let rotated = settlement::service::Service::new(
            app.service.exchange.clone(),
            settlement::exchange::FeePolicy::default(),
            app.service.store.clone(),
            token,
            Arc::new(app.clock.clone()),
        );
        let found = settlement::console::session::operator(&rotated, &cookie_of(&other)).await;
        assert!(found.unwrap().is_none());
    }
    let found = settlement::console::session::operator(&app.service, &cookie_of(&other)).await;
    assert!(found.unwrap().is_some());

    // A session ends after 8 hours.
    app.clock.advance(8 * 3600 * 1_000_000 + 1);
    let r = c
        .get(url("/console/operator"))
        .header("cookie", &other)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "an expired session no longer signs in"
    );

    // The totals the trigger keeps equal the settlements themselves.
    let home = c
        .get(url("/console"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains(
            "<td class=\"num\">3</td><td class=\"num\">7.50 USD</td><td class=\"num\">0.18 USD</td>"
        ),
        "{home}"
    );
}

on_both_backends!(pages_in_a_browser, attacks_a_browser_would_not_make);
