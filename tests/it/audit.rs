//! `settlement audit` against the real server over real HTTP, on SQLite and
//! on PostgreSQL: a clean history audits clean; a history tampered with in
//! the server's own database is caught, each change by its own check; an
//! unreachable server is the exit-2 class of error.

use std::collections::BTreeSet;

use settlement::audit::AuditError;
use settlement::exchange::FeePolicy;
use settlement::records::json::{self, Map, Value};
use settlement::testkit::{EXCHANGE, PROVIDER, REQUESTER, Scenario, set};

use crate::app::{App, Backend, audit, audit_command as run, spawn_app};

/// The fee the test app charges (see `app::spawn_app`).
fn fee(amount: u64) -> u64 {
    FeePolicy {
        bps: 250,
        min_minor: 1,
        currencies: vec!["USD".into()],
        self_loop_fee_waived: true,
        open_jobs: false,
    }
    .fee(amount, false)
}

/// One settled charge: the settlement as the server returned it, and the
/// receipt it settles.
struct Settled {
    uri: String,
    value: Map,
    receipt: String,
}

/// Settles one receipt per price under `base`'s authorization (`None` is
/// pro-bono work), in order.
async fn history(app: &App, base: &Scenario, tag: &str, prices: &[Option<u64>]) -> Vec<Settled> {
    let mut out = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        let mut sc = base.sharing(&format!("{tag}-{i}"));
        match price {
            Some(p) => set(
                &mut sc.receipt,
                "price",
                &format!(r#"{{"amount":{p},"currency":"USD"}}"#),
            ),
            None => {
                set(&mut sc.receipt, "price", r#"{"amount":0,"currency":"USD"}"#);
                set(&mut sc.receipt, "tokens", r#"{"in":0,"out":0}"#);
                set(&mut sc.receipt, "proBono", "true");
            }
        }
        let sealed = sc.seal();
        app.post_all(&sealed).await;
        let r = app.settle(&sealed.receipt.uri).await;
        assert_eq!(r.status, 201, "{r:?}");
        out.push(Settled {
            uri: r
                .body
                .get("uri")
                .and_then(Value::as_str)
                .unwrap()
                .to_owned(),
            value: r
                .body
                .get("value")
                .and_then(Value::as_object)
                .unwrap()
                .clone(),
            receipt: sealed.receipt.uri.clone(),
        });
    }
    out
}

/// Runs one statement against the server's database, behind its back.
pub(crate) async fn tamper(b: Backend, url: &str, sql: &'static str, args: &[&str]) {
    use sqlx::Connection as _;
    let affected = match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(*a);
            }
            q.execute(&mut c).await.expect("tamper").rows_affected()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(*a);
            }
            q.execute(&mut c).await.expect("tamper").rows_affected()
        }
    };
    assert_eq!(affected, 1, "{sql} {args:?}");
}

fn found(report: &settlement::audit::Report) -> BTreeSet<(String, &'static str)> {
    report
        .discrepancies
        .iter()
        .map(|d| (d.subject.clone(), d.check))
        .collect()
}

async fn clean_history_audits_clean(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep").await.status, 201);
    let base = Scenario::new(REQUESTER, PROVIDER, "audit-clean");
    let prices = [Some(250), Some(1000), None, Some(1), Some(999), Some(40)];
    let settled = history(&app, &base, "clean", &prices).await;

    let report = audit(&app.base, &base.authorization_uri)
        .await
        .expect("audit runs");
    let text = report.render();
    assert!(report.is_clean(), "{text}");
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.scope, "session");
    assert_eq!(report.exchange, settlement::testkit::EXCHANGE);
    assert_eq!(report.rows.len(), prices.len(), "{text}");
    for (row, s) in report.rows.iter().zip(&settled) {
        assert_eq!(row.settlement, s.uri);
        assert_eq!(row.receipt, s.receipt);
        assert_eq!(
            row.settled_at,
            settlement::testkit::NOW.replace('Z', ".000Z")
        );
        assert!(row.failed.is_empty(), "{text}");
        assert!(text.contains(&s.receipt), "{text}");
    }
    assert!(report.rows[2].pro_bono);
    let charged: u64 = prices.iter().flatten().sum();
    let fees: u64 = prices.iter().flatten().map(|p| fee(*p)).sum();
    let t = &report.totals;
    assert_eq!(
        (t.charged, t.fees, t.payouts),
        (
            u128::from(charged),
            u128::from(fees),
            u128::from(charged - fees)
        )
    );
    assert_eq!((t.settlements, t.charges), (6, 5));
    assert_eq!((t.limit, t.currency.as_str()), (20_000, "USD"));
    assert_eq!(t.reported_charged.as_ref().map(|m| m.amount), Some(charged));
    assert_eq!(t.reported_charges, Some(5));
    assert!(
        text.contains(&format!(
            "OK: 6 settlements (5 charges), charged {charged} USD of 20000 USD (server reports {charged} USD)"
        )),
        "{text}"
    );
    // As the command runs it.
    let out = run(&app.base, &base.authorization_uri).await;
    assert_eq!((out.exit, out.stderr.as_str()), (0, ""), "{out:?}");
    assert_eq!(out.stdout, text);

    // A singleJob authorization, charged once.
    let mut single = Scenario::new(REQUESTER, PROVIDER, "audit-single");
    set(&mut single.authorization, "scope", r#""singleJob""#);
    single.authorization.remove("sessionBudget");
    history(&app, &single, "single", &[Some(700)]).await;
    let report = audit(&app.base, &single.authorization_uri).await.unwrap();
    assert!(report.is_clean(), "{}", report.render());
    assert_eq!(report.scope, "singleJob");
    assert_eq!((report.totals.limit, report.totals.charged), (5000, 700));

    // An authorization nothing was charged against: no audit to make.
    let unused = Scenario::new(REQUESTER, PROVIDER, "audit-unused");
    let e = audit(&app.base, &unused.authorization_uri)
        .await
        .unwrap_err();
    assert!(matches!(e, AuditError::NoCharges(_)), "{e}");
    assert_eq!(run(&app.base, &unused.authorization_uri).await.exit, 2);
}

async fn tampered_history_is_caught(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep").await.status, 201);
    let base = Scenario::new(REQUESTER, PROVIDER, "audit-tamper");
    let auth = base.authorization_uri.clone();
    let s = history(&app, &base, "tamper", &[Some(250), Some(300), Some(350)]).await;
    let clean = audit(&app.base, &auth).await.unwrap();
    assert!(clean.is_clean(), "{}", clean.render());

    // The server's running total drifts from its own settlements, and the
    // limit it enforces from the published budget.
    tamper(
        b,
        &app.db_url,
        "UPDATE settlement_authorizations SET charged_minor = charged_minor + 1, limit_minor = limit_minor - 1 \
         WHERE authorization_uri = $1",
        &[&auth],
    )
    .await;
    let report = audit(&app.base, &auth).await.unwrap();
    assert_eq!(
        found(&report),
        BTreeSet::from([
            (auth.clone(), "charged-mismatch"),
            (auth.clone(), "authorization-state-mismatch"),
        ]),
        "{}",
        report.render()
    );
    assert_eq!(report.exit_code(), 1);
    tamper(
        b,
        &app.db_url,
        "UPDATE settlement_authorizations SET charged_minor = charged_minor - 1, limit_minor = limit_minor + 1 \
         WHERE authorization_uri = $1",
        &[&auth],
    )
    .await;
    assert!(audit(&app.base, &auth).await.unwrap().is_clean());

    // Settlement 0 now says 200 was charged (its sig and CID were 250's).
    let mut v0 = s[0].value.clone();
    set(&mut v0, "amountCharged.amount", "200");
    tamper(
        b,
        &app.db_url,
        "UPDATE settlement_settlements SET value = $1 WHERE uri = $2",
        &[&json::to_canonical_string(&Value::Object(v0)), &s[0].uri],
    )
    .await;
    // Settlement 1 carries settlement 2's signature.
    let mut v1 = s[1].value.clone();
    v1.insert("sig".into(), s[2].value["sig"].clone());
    tamper(
        b,
        &app.db_url,
        "UPDATE settlement_settlements SET value = $1 WHERE uri = $2",
        &[&json::to_canonical_string(&Value::Object(v1)), &s[1].uri],
    )
    .await;
    // Settlement 2's receipt is rewritten to a lower price after the fact.
    let receipt = app.get(&format!("/v1/records?uri={}", s[2].receipt)).await;
    let mut r2 = receipt
        .body
        .get("value")
        .and_then(Value::as_object)
        .unwrap()
        .clone();
    set(&mut r2, "price.amount", "10");
    tamper(
        b,
        &app.db_url,
        "UPDATE settlement_records SET value = $1 WHERE uri = $2",
        &[
            &json::to_canonical_string(&Value::Object(r2)),
            &s[2].receipt,
        ],
    )
    .await;

    let report = audit(&app.base, &auth).await.unwrap();
    let text = report.render();
    assert_eq!(
        found(&report),
        BTreeSet::from([
            (s[0].uri.clone(), "settlement-sig-invalid"),
            (s[0].uri.clone(), "settlement-cid-mismatch"),
            (s[0].uri.clone(), "split-mismatch"),
            (s[0].uri.clone(), "amount-mismatch"),
            (s[1].uri.clone(), "settlement-sig-invalid"),
            (s[1].uri.clone(), "settlement-cid-mismatch"),
            (s[2].uri.clone(), "receipt-cid-mismatch"),
            (auth.clone(), "charged-mismatch"),
        ]),
        "{text}"
    );
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.totals.charged, 200 + 300 + 350);
    // Sums are of what the settlements state, not recomputed.
    assert_eq!(
        (report.totals.fees, report.totals.payouts),
        (6 + 7 + 8, 244 + 293 + 342)
    );
    assert_eq!(
        report
            .rows
            .iter()
            .map(|r| r.failed.len())
            .collect::<Vec<_>>(),
        [4, 2, 1],
        "{text}"
    );
    assert!(
        text.contains("FAILED settlement-sig-invalid (+3 more)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} receipt-cid-mismatch: ", s[2].uri)),
        "{text}"
    );
    assert!(text.contains("; 8 discrepancies"), "{text}");
    let out = run(&app.base, &auth).await;
    assert_eq!(out.exit, 1);
    assert_eq!(out.stdout, text);
    let before = found(&report);

    // The authorization record itself disappears: nothing can be re-decided
    // and the server's word for the budget is all that is left.
    tamper(
        b,
        &app.db_url,
        "DELETE FROM settlement_records WHERE uri = $1",
        &[&auth],
    )
    .await;
    let report = audit(&app.base, &auth).await.unwrap();
    let mut expected = before;
    expected.extend([
        (auth.clone(), "authorization-not-found"),
        (s[0].uri.clone(), "charge-rules"),
        (s[1].uri.clone(), "charge-rules"),
    ]);
    assert_eq!(found(&report), expected, "{}", report.render());
    assert_eq!(
        (report.totals.limit, report.totals.currency.as_str()),
        (20_000, "USD")
    );
}

async fn admin_post(app: &App, path: &str, body: &str) -> crate::app::Reply {
    let body = json::parse_str(body).unwrap();
    app.request(
        reqwest::Method::POST,
        path,
        Some(&body),
        Some(crate::app::ADMIN_TOKEN),
    )
    .await
}

/// Opens a dispute of `settlement` and resolves it with `verdict` (JSON):
/// the resolution's answer.
async fn dispute(app: &App, settlement: &str, verdict: &str) -> crate::app::Reply {
    let r = admin_post(
        app,
        "/v1/disputes",
        &format!(r#"{{"settlement":"{settlement}","reason":{{"category":"quality-failure"}}}}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body.get("id").and_then(Value::as_str).unwrap();
    let r = admin_post(app, &format!("/v1/admin/disputes/{id}/resolve"), verdict).await;
    assert_eq!(r.status, 200, "{r:?}");
    r
}

/// Disputes and refunds audit clean; a refund or a dispute record changed
/// in the server's database is caught by its signature.
async fn disputes_and_refunds_are_audited(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep").await.status, 201);
    let base = Scenario::new(REQUESTER, PROVIDER, "audit-disputes");
    let auth = base.authorization_uri.clone();
    let s = history(&app, &base, "disputes", &[Some(250), Some(1000)]).await;
    let first = dispute(
        &app,
        &s[0].uri,
        r#"{"verdict":"refund-partial","amount":100}"#,
    )
    .await;
    dispute(&app, &s[0].uri, r#"{"verdict":"refund-full"}"#).await;
    let upheld = dispute(&app, &s[1].uri, r#"{"verdict":"uphold-charge"}"#).await;
    // One left open.
    let r = admin_post(
        &app,
        "/v1/disputes",
        &format!(
            r#"{{"settlement":"{}","reason":{{"category":"other"}}}}"#,
            s[1].uri
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let report = audit(&app.base, &auth).await.unwrap();
    assert!(report.is_clean(), "{}", report.render());

    // The first refund's amount is raised behind the exchange's back.
    let refund = first
        .body
        .get("reversal")
        .and_then(|r| r.get("refund"))
        .unwrap();
    let refund_uri = refund
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let mut value = refund
        .get("value")
        .and_then(Value::as_object)
        .unwrap()
        .clone();
    value.insert(
        "amountCharged".into(),
        json::parse_str(r#"{"amount":150,"currency":"USD"}"#).unwrap(),
    );
    let tampered = json::to_canonical_string(&Value::Object(value));
    tamper(
        b,
        &app.db_url,
        "UPDATE settlement_reversals SET value = $1 WHERE uri = $2",
        &[&tampered, &refund_uri],
    )
    .await;
    // And the upheld dispute now says it was refunded in full.
    let d = upheld.body.get("dispute").unwrap();
    let d_id = d.get("id").and_then(Value::as_str).unwrap();
    let d_uri = d.get("uri").and_then(Value::as_str).unwrap().to_owned();
    let mut value = d.get("value").and_then(Value::as_object).unwrap().clone();
    let mut outcome = value
        .get("outcome")
        .and_then(Value::as_object)
        .unwrap()
        .clone();
    outcome.insert("verdict".into(), "forfeit-payout".into());
    value.insert("outcome".into(), Value::Object(outcome));
    let tampered = json::to_canonical_string(&Value::Object(value));
    tamper(
        b,
        &app.db_url,
        "UPDATE settlement_disputes SET value = $1 WHERE id = $2",
        &[&tampered, d_id],
    )
    .await;
    let report = audit(&app.base, &auth).await.unwrap();
    let first_dispute = first
        .body
        .get("dispute")
        .and_then(|d| d.get("uri"))
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    // The changed refund cannot be trusted: its dispute names no sound
    // refund, and the sound one left breaks the fee policy's sum.
    let expected: BTreeSet<(String, &'static str)> = [
        (refund_uri.clone(), "refund-invalid"),
        (refund_uri, "refund-sig-invalid"),
        (first_dispute, "refund-missing"),
        (s[0].uri.clone(), "refund-fee-policy"),
        (d_uri.clone(), "dispute-invalid"),
        (d_uri, "dispute-sig-invalid"),
    ]
    .into_iter()
    .collect();
    assert_eq!(found(&report), expected, "{}", report.render());
    assert_eq!(report.exit_code(), 1);
}

/// Nothing listens on the port: the exit-2 class, with the reason.
#[tokio::test]
async fn unreachable_server_is_not_an_audit() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let auth = Scenario::new(REQUESTER, PROVIDER, "audit-unreachable").authorization_uri;
    let e = audit(&server, &auth).await.unwrap_err();
    assert!(matches!(e, AuditError::Unreachable { .. }), "{e}");
    let out = run(&server, &auth).await;
    assert_eq!(out.exit, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .starts_with(&format!("audit: cannot reach {server}/")),
        "{}",
        out.stderr
    );
    // And input that names no authorization is refused the same way.
    let out = run(&server, "at://did:plc:x/dev.cocore.compute.job/3abc").await;
    assert_eq!(out.exit, 2);
    assert!(out.stderr.contains("--authorization"), "{}", out.stderr);
}

/// The settlement key comes from the exchange's DID document, never from
/// the server audited: a server whose settlements are signed by another
/// key than its DID document states fails every signature, and a document
/// of another DID is no document of this exchange.
async fn the_key_is_the_did_documents(b: Backend) {
    use settlement::audit::KeySource;
    let app = spawn_app(b).await;
    let doc = app.get("/.well-known/did.json").await;
    assert_eq!(doc.status, 200, "{doc:?}");
    let key = settlement::did_document::settlement_key(&doc.body, EXCHANGE).unwrap();
    assert_eq!(&key, app.service.exchange.verifying_key());
    let service = doc.body.get("service").and_then(|s| match s {
        Value::Array(a) => a.first(),
        _ => None,
    });
    assert_eq!(
        service
            .and_then(|s| s.get("serviceEndpoint"))
            .and_then(Value::as_str),
        Some("https://exchange.example")
    );

    assert_eq!(app.deposit(REQUESTER, 100_000, "dep").await.status, 201);
    let base = Scenario::new(REQUESTER, PROVIDER, "audit-did");
    let settled = history(&app, &base, "did", &[Some(250), Some(40)]).await;
    // A document (kept elsewhere) stating another key.
    let other = *settlement::testkit::key("not the exchange's key").verifying_key();
    let forged = json::to_canonical_string(&settlement::did_document::document(
        EXCHANGE,
        &other,
        "https://exchange.example",
    ));
    let elsewhere = serve_text(forged).await;
    let report = settlement::audit::audit(
        &app.base,
        &base.authorization_uri,
        &KeySource::document(elsewhere.clone()),
    )
    .await
    .unwrap();
    let checks = found(&report);
    assert!(
        checks.contains(&(base.authorization_uri.clone(), "exchange-key-mismatch")),
        "{}",
        report.render()
    );
    for s in &settled {
        assert!(
            checks.contains(&(s.uri.clone(), "settlement-sig-invalid")),
            "{}",
            report.render()
        );
    }
    // A document of another DID.
    let stranger = json::to_canonical_string(&settlement::did_document::document(
        "did:web:other.example",
        app.service.exchange.verifying_key(),
        "https://other.example",
    ));
    let url = serve_text(stranger).await;
    let e = settlement::audit::audit(
        &app.base,
        &base.authorization_uri,
        &KeySource::document(url),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("id:"), "{e}");
    // The requester names the exchange she authorized: a server that says
    // it is another one is no audit.
    let doc = format!("{}/.well-known/did.json", app.base);
    let e = settlement::audit::audit(
        &app.base,
        &base.authorization_uri,
        &KeySource {
            exchange: Some("did:web:other.example".into()),
            ..KeySource::document(doc.clone())
        },
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("not the exchange did:web:other.example"),
        "{e}"
    );
    let named = settlement::audit::audit(
        &app.base,
        &base.authorization_uri,
        &KeySource {
            exchange: Some(EXCHANGE.into()),
            ..KeySource::document(doc)
        },
    )
    .await
    .unwrap();
    assert!(named.is_clean(), "{}", named.render());
    // The command says so too (a discrepancy: exit 1).
    let out = settlement::cmd::audit::run(
        &app.base,
        &base.authorization_uri,
        &KeySource::document(elsewhere),
    )
    .await;
    assert_eq!(out.exit, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("exchange-key-mismatch"),
        "{}",
        out.stdout
    );
}

/// Serves `text` as JSON at a loopback URL.
async fn serve_text(text: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/did.json", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/did.json",
        axum::routing::get(move || {
            let t = text.clone();
            async move { t }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

on_both_backends!(
    the_key_is_the_did_documents,
    clean_history_audits_clean,
    tampered_history_is_caught,
    disputes_and_refunds_are_audited,
);
