//! The settlement service over real HTTP, on SQLite and on PostgreSQL: the
//! happy path, every rejection code, idempotent replay, and races of
//! concurrent settlements against one authorization.

use std::collections::BTreeMap;

use settlement::exchange::{key_from_jwk, verify_settlement};
use settlement::records::json::{Value, parse_str};
use settlement::testkit::{
    self, PROVIDER, REQUESTER, Scenario, key, object_mut, set, sign_attestation, sign_receipt,
};

use crate::app::{App, Backend, spawn_app};

const EVE: &str = "did:plc:evevevevevevevevevevevev";

fn scenario(tag: &str) -> Scenario {
    Scenario::new(REQUESTER, PROVIDER, tag)
}

async fn happy_path(b: Backend) {
    let app = spawn_app(b).await;
    let sealed = scenario("happy").seal();
    // Records: 201 when new, 200 when the same again.
    for r in [
        &sealed.authorization,
        &sealed.job,
        &sealed.attestation,
        &sealed.receipt,
    ] {
        let first = app.post_record(r).await;
        assert_eq!(first.status, 201, "{first:?}");
        assert_eq!(
            first.body.get("cid").and_then(Value::as_str),
            r.cid.as_deref()
        );
        assert_eq!(app.post_record(r).await.status, 200);
    }
    // Not funded yet: refused, and nothing moved.
    let r = app.settle(&sealed.receipt.uri).await;
    assert_eq!((r.status, r.code()), (422, "insufficient-funds"), "{r:?}");
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(app.requester_usd(REQUESTER).await, (0, 0, 0));

    assert_eq!(app.deposit(REQUESTER, 100_000, "dep-1").await.status, 201);
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-1").await.status,
        200,
        "deposits are idempotent by id"
    );
    let r = app.settle(&sealed.receipt.uri).await;
    assert_eq!(r.status, 201, "{r:?}");
    let value = r.body.get("value").expect("settlement value").clone();
    let rec = value.as_object().unwrap();
    let amount = |k: &str| rec[k].get("amount").and_then(Value::as_int).unwrap();
    // 250 at 2.5%: floor(6.25) = 6.
    assert_eq!(
        (
            amount("amountCharged"),
            amount("providerPayout"),
            amount("exchangeFee")
        ),
        (250, 244, 6)
    );
    assert_eq!(rec["status"], Value::from("settled"));
    assert_eq!(
        rec["receipt"].get("cid").and_then(Value::as_str),
        sealed.receipt.cid.as_deref()
    );
    // The settlement's signature verifies with the published key.
    let ex = app.get("/v1/exchange").await;
    let jwk = ex.body.get("jwk").unwrap();
    let vk = key_from_jwk(jwk).expect("jwk");
    assert!(verify_settlement(rec, &vk));
    // Replay: the same settlement, 200.
    let again = app.settle(&sealed.receipt.uri).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, r.body);
    // Money: requester paid 250 and holds the rest of the 20000 budget.
    assert_eq!(app.requester_usd(REQUESTER).await, (99_750, 19_750, 80_000));
    let p = app
        .get(&format!("/v1/providers/{PROVIDER}/balance?currency=USD"))
        .await;
    assert_eq!(
        p.body
            .get("USD")
            .and_then(|u| u.get("payable"))
            .and_then(Value::as_int),
        Some(244)
    );
    let a = app
        .get(&format!(
            "/v1/authorizations?uri={}",
            sealed.authorization.uri
        ))
        .await;
    assert_eq!(
        a.body
            .get("charged")
            .and_then(|c| c.get("amount"))
            .and_then(Value::as_int),
        Some(250)
    );
    assert_eq!(
        a.body
            .get("remaining")
            .and_then(|c| c.get("amount"))
            .and_then(Value::as_int),
        Some(19_750)
    );
    assert_eq!(
        a.body
            .get("settlements")
            .and_then(|s| if let Value::Array(v) = s {
                Some(v.len())
            } else {
                None
            }),
        Some(1)
    );
    let num = |v: &Value, k: &str| {
        v.get(k)
            .and_then(|c| c.get("amount"))
            .and_then(Value::as_int)
    };
    assert_eq!(num(&a.body, "budget"), Some(20_000));
    assert_eq!(num(&a.body, "ceiling"), Some(5_000));
    assert_eq!(num(&a.body, "limit"), Some(20_000));
    assert_eq!(
        a.body.get("expiresAt").and_then(Value::as_str),
        Some("2026-12-01T00:00:00.000Z")
    );
    let l = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.listSettlements?requester={REQUESTER}"
        ))
        .await;
    assert_eq!(l.status, 200);
    let Some(Value::Array(items)) = l.body.get("settlements") else {
        panic!("{l:?}")
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].get("uri"), r.body.get("uri"));
}

async fn record_ingestion_rules(b: Backend) {
    let app = spawn_app(b).await;
    let sealed = scenario("ingest").seal();
    assert_eq!(app.post_record(&sealed.job).await.status, 201);
    // Same URI, other content: conflict, and the stored version stands.
    let mut other = sealed.job.clone();
    set(object_mut(&mut other.value), "model", r#""another-model""#);
    let r = app.post_record(&other).await;
    assert_eq!((r.status, r.code()), (409, "record-conflict"), "{r:?}");
    let stored = app
        .get(&format!("/v1/records?uri={}", sealed.job.uri))
        .await;
    assert_eq!(stored.body.get("value"), Some(&sealed.job.value));
    // Invalid records name the field and the rule.
    let mut bad = sealed.receipt.clone();
    set(object_mut(&mut bad.value), "price.amount", "-5");
    let r = app.post_record(&bad).await;
    assert_eq!((r.status, r.code()), (422, "invalid-record"));
    assert_eq!(
        r.body.get("detail").and_then(Value::as_str),
        Some("receipt.price.amount: must be an integer >= 0")
    );
    // A declared CID must match.
    let body = parse_str(&format!(
        r#"{{"uri":"{}","cid":"{}","value":{}}}"#,
        sealed.receipt.uri,
        sealed.job.cid.as_deref().unwrap(),
        settlement::records::json::to_canonical_string(&sealed.receipt.value)
    ))
    .unwrap();
    assert_eq!(app.post("/v1/records", &body).await.code(), "cid-mismatch");
    // Missing signatures have their own code.
    let mut unsigned = sealed.receipt.clone();
    object_mut(&mut unsigned.value).remove("enclaveSignature");
    assert_eq!(app.post_record(&unsigned).await.code(), "no-signature");
    // Floats, huge numbers, duplicate keys: refused before anything else.
    for (raw, code, status) in [
        (
            r#"{"uri":"x","value":{"amount":1.5}}"#,
            "invalid-record",
            422,
        ),
        (
            r#"{"uri":"x","value":{"amount":18446744073709551616}}"#,
            "invalid-record",
            422,
        ),
        (
            r#"{"uri":"x","uri":"y","value":{}}"#,
            "invalid-request",
            400,
        ),
        (r#"not json"#, "invalid-request", 400),
        (r#"[]"#, "invalid-request", 400),
    ] {
        let resp = app
            .client
            .post(format!("{}/v1/records", app.base))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{raw}");
        let body = settlement::records::json::parse(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(
            body.get("code").and_then(Value::as_str),
            Some(code),
            "{raw}"
        );
    }
    // A collection we do not take, and a URI that is not a record URI.
    let mut policy = sealed.job.clone();
    policy.uri = policy.uri.replace(
        "dev.cocore.compute.job",
        "dev.cocore.compute.exchangePolicy",
    );
    assert_eq!(app.post_record(&policy).await.code(), "invalid-record");
    // Oversized bodies are refused by size alone.
    let huge = format!(
        r#"{{"uri":"x","value":{{"pad":"{}"}}}}"#,
        "a".repeat(settlement::api::BODY_BYTES_MAX)
    );
    let resp = app
        .client
        .post(format!("{}/v1/records", app.base))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
}

type Before = fn(&mut Scenario);
type After = fn(&mut settlement::testkit::Sealed, &Scenario);

fn untouched(_: &mut settlement::testkit::Sealed, _: &Scenario) {}

async fn every_rejection_code_and_nothing_moves(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 1_000_000, "dep").await.status, 201);
    let cases: Vec<(&str, Before, After)> = vec![
        (
            "job-owner-mismatch",
            |s| set(&mut s.receipt, "requester", &format!("\"{EVE}\"")),
            untouched,
        ),
        (
            "authorization-owner-mismatch",
            |s| s.authorization_uri = s.authorization_uri.replace(REQUESTER, EVE),
            untouched,
        ),
        (
            "attestation-owner-mismatch",
            |s| s.attestation_uri = s.attestation_uri.replace(PROVIDER, EVE),
            untouched,
        ),
        (
            "wrong-exchange",
            |s| {
                set(
                    &mut s.authorization,
                    "exchange",
                    r#""did:web:other.example""#,
                )
            },
            untouched,
        ),
        (
            "exchange-not-allowed",
            |s| {
                set(
                    &mut s.job,
                    "acceptedExchanges",
                    r#"["did:web:other.example"]"#,
                )
            },
            untouched,
        ),
        (
            "provider-not-accepted",
            |s| set(&mut s.job, "acceptedProviders", &format!("[\"{EVE}\"]")),
            untouched,
        ),
        (
            "attestation-window",
            |s| set(&mut s.attestation, "expiresAt", r#""2026-11-21T11:00:00Z""#),
            untouched,
        ),
        (
            "completed-before-started",
            |s| set(&mut s.receipt, "startedAt", r#""2026-11-21T11:30:00Z""#),
            untouched,
        ),
        (
            "completed-in-future",
            |s| set(&mut s.receipt, "completedAt", r#""2026-11-21T12:01:01Z""#),
            untouched,
        ),
        (
            "commitment-mismatch",
            |s| {
                set(
                    &mut s.receipt,
                    "inputCommitment",
                    &format!("\"{}\"", "0".repeat(64)),
                )
            },
            untouched,
        ),
        (
            "model-mismatch",
            |s| set(&mut s.receipt, "model", r#""other""#),
            untouched,
        ),
        (
            "tokens-over-job-ceiling",
            |s| set(&mut s.receipt, "tokens.out", "4097"),
            untouched,
        ),
        (
            "currency-mismatch",
            |s| set(&mut s.receipt, "price.currency", r#""EUR""#),
            untouched,
        ),
        (
            "price-over-job-ceiling",
            |s| set(&mut s.receipt, "price.amount", "1001"),
            untouched,
        ),
        (
            "price-over-auth-ceiling",
            |s| {
                set(&mut s.job, "priceCeiling.amount", "9000");
                set(&mut s.receipt, "price.amount", "5001");
            },
            untouched,
        ),
        (
            "session-budget-exceeded",
            |s| set(&mut s.authorization, "sessionBudget.amount", "100"),
            untouched,
        ),
        (
            "auth-expired",
            |s| {
                set(
                    &mut s.authorization,
                    "expiresAt",
                    r#""2026-11-21T12:00:00Z""#,
                )
            },
            untouched,
        ),
        (
            "job-completed-after-expiry",
            |s| set(&mut s.job, "expiresAt", r#""2026-11-21T11:00:00Z""#),
            untouched,
        ),
        (
            "unknown-scope",
            |s| set(&mut s.authorization, "scope", r#""forever""#),
            untouched,
        ),
        (
            "pro-bono-nonzero-price",
            |s| set(&mut s.receipt, "proBono", "true"),
            untouched,
        ),
        (
            "pro-bono-nonzero-tokens",
            |s| {
                set(&mut s.receipt, "proBono", "true");
                set(&mut s.receipt, "price.amount", "0");
            },
            untouched,
        ),
        (
            "currency-not-supported",
            |s| {
                for (m, k) in [
                    ("receipt", "price"),
                    ("job", "priceCeiling"),
                    ("authorization", "ceiling"),
                    ("authorization", "sessionBudget"),
                ] {
                    let map = match m {
                        "receipt" => &mut s.receipt,
                        "job" => &mut s.job,
                        _ => &mut s.authorization,
                    };
                    set(map, &format!("{k}.currency"), r#""EUR""#);
                }
            },
            untouched,
        ),
        (
            "signature-invalid",
            |_| {},
            |x, _| {
                set(object_mut(&mut x.receipt.value), "price.amount", "1");
            },
        ),
        (
            "signature-invalid",
            |_| {},
            |x, _| sign_receipt(&mut x.receipt.value, &key("not the provider")),
        ),
        (
            "attestation-selfsig-invalid",
            |_| {},
            |x, _| sign_attestation(&mut x.attestation.value, &key("not the provider")),
        ),
        (
            "cid-mismatch",
            |_| {},
            |x, sc| {
                set(
                    object_mut(&mut x.receipt.value),
                    "job.cid",
                    &format!("\"{}\"", x.authorization.cid.as_deref().unwrap()),
                );
                sign_receipt(&mut x.receipt.value, &sc.provider_key);
            },
        ),
    ];
    let before = app.requester_usd(REQUESTER).await;
    for (n, (code, edit, after)) in cases.into_iter().enumerate() {
        let mut sc = scenario(&format!("reject-{n}"));
        // Each case its own attestation, so that changing one is no conflict.
        sc.attestation_uri = sc
            .attestation_uri
            .replace("3lattestaaaa2", &testkit::rkey_for(&format!("att-{n}")));
        edit(&mut sc);
        let mut sealed = sc.seal();
        after(&mut sealed, &sc);
        app.post_all(&sealed).await;
        let r = app.settle(&sealed.receipt.uri).await;
        assert_eq!((r.status, r.code()), (422, code), "case #{n}: {r:?}");
        assert!(
            !r.body
                .get("detail")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
        );
        assert_eq!(
            app.requester_usd(REQUESTER).await,
            before,
            "case #{n} moved money"
        );
        let a = app
            .get(&format!(
                "/v1/authorizations?uri={}",
                sealed.authorization.uri
            ))
            .await;
        assert_eq!(a.status, 404, "case #{n} consumed its authorization");
    }
    // Missing records.
    let sealed = scenario("missing").seal();
    app.post_record(&sealed.receipt).await;
    let r = app.settle(&sealed.receipt.uri).await;
    assert_eq!((r.status, r.code()), (422, "record-not-found"));
    let r = app
        .settle("at://did:plc:bobbobbobbobbobbobbobbob/dev.cocore.compute.receipt/3zzzzzzzzzzzz")
        .await;
    assert_eq!(r.code(), "record-not-found");
    assert_eq!(app.settle("not a uri").await.status, 400);
    assert_eq!(app.requester_usd(REQUESTER).await, before);
}

async fn single_job_is_consumed_once(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep").await.status, 201);
    let mut base = scenario("single");
    set(&mut base.authorization, "scope", r#""singleJob""#);
    base.authorization.remove("sessionBudget");
    let mut receipts = Vec::new();
    for i in 0..16 {
        let sealed = base.sharing(&format!("single-{i}")).seal();
        app.post_all(&sealed).await;
        receipts.push(sealed.receipt.uri.clone());
    }
    let results = race(&app, &receipts).await;
    assert_eq!(results.get(&(201, String::new())), Some(&1), "{results:?}");
    assert_eq!(
        results.get(&(422, "authorization-already-consumed".into())),
        Some(&15),
        "{results:?}"
    );
    // The one charge of 250 moved; nothing is held for a consumed singleJob.
    assert_eq!(app.requester_usd(REQUESTER).await, (99_750, 0, 99_750));
}

async fn session_budget_holds_under_a_race(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 1_000_000, "dep").await.status, 201);
    // Budget 20000, price 250: exactly 80 of 200 receipts fit.
    let base = scenario("session");
    let mut receipts = Vec::new();
    for i in 0..200 {
        let sealed = base.sharing(&format!("session-{i}")).seal();
        if i == 0 {
            app.post_all(&sealed).await;
        } else {
            app.post_record(&sealed.job).await;
            app.post_record(&sealed.receipt).await;
        }
        receipts.push(sealed.receipt.uri.clone());
    }
    let results = race(&app, &receipts).await;
    assert_eq!(results.get(&(201, String::new())), Some(&80), "{results:?}");
    assert_eq!(
        results.get(&(422, "session-budget-exceeded".into())),
        Some(&120),
        "{results:?}"
    );
    assert_eq!(
        app.charged(&base.authorization_uri).await,
        (Some(20_000), Some(80))
    );
    // 20000 charged, nothing left to hold.
    assert_eq!(app.requester_usd(REQUESTER).await, (980_000, 0, 980_000));
    // Replays after the race are idempotent.
    let again = race(&app, &receipts[..20]).await;
    assert_eq!(again.values().sum::<usize>(), 20);
    assert_eq!(app.requester_usd(REQUESTER).await, (980_000, 0, 980_000));
}

/// Settles all `receipts` at once; counts (status, code) outcomes.
async fn race(app: &App, receipts: &[String]) -> BTreeMap<(u16, String), usize> {
    let mut tasks = tokio::task::JoinSet::new();
    for uri in receipts {
        let client = app.client.clone();
        let url = format!("{}/v1/settle", app.base);
        let body = format!(r#"{{"receipt":"{uri}"}}"#);
        tasks.spawn(async move {
            let resp = client.post(url).body(body).send().await.expect("request");
            let status = resp.status().as_u16();
            let body = settlement::records::json::parse(&resp.bytes().await.unwrap())
                .unwrap_or(Value::Null);
            let code = body
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            (status, code)
        });
    }
    let mut out = BTreeMap::new();
    while let Some(r) = tasks.join_next().await {
        *out.entry(r.expect("task")).or_insert(0) += 1;
    }
    out
}

async fn nobody_spends_another_requesters_nonce(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.deposit(REQUESTER, 100_000, "dep-alice").await.status,
        201
    );
    assert_eq!(app.deposit(EVE, 100_000, "dep-eve").await.status, 201);
    let mut alice = scenario("victim");
    set(&mut alice.authorization, "scope", r#""singleJob""#);
    alice.authorization.remove("sessionBudget");
    let alice_sealed = alice.seal();
    app.post_all(&alice_sealed).await;

    // Eve's job names Alice's authorization: refused, Alice untouched.
    let mut theft = Scenario::new(EVE, PROVIDER, "theft");
    theft.authorization = alice.authorization.clone();
    theft.authorization_uri = alice.authorization_uri.clone();
    let theft = theft.seal();
    app.post_all(&theft).await;
    let r = app.settle(&theft.receipt.uri).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "authorization-owner-mismatch"),
        "{r:?}"
    );

    // Eve publishes her own authorization carrying Alice's nonce and uses
    // it first: it is Eve's (requester, nonce), not Alice's.
    let mut copycat = Scenario::new(EVE, PROVIDER, "copycat");
    let alice_nonce = alice.authorization["nonce"].clone();
    copycat.authorization.insert("nonce".into(), alice_nonce);
    set(&mut copycat.authorization, "scope", r#""singleJob""#);
    copycat.authorization.remove("sessionBudget");
    let copycat = copycat.seal();
    app.post_all(&copycat).await;
    assert_eq!(app.settle(&copycat.receipt.uri).await.status, 201);

    // Alice's authorization is still hers to use, once.
    assert_eq!(app.settle(&alice_sealed.receipt.uri).await.status, 201);
    assert_eq!(app.requester_usd(REQUESTER).await, (99_750, 0, 99_750));
    assert_eq!(app.requester_usd(EVE).await, (99_750, 0, 99_750));
}

async fn admin_endpoints_need_the_token(b: Backend) {
    let app = spawn_app(b).await;
    let body = parse_str(&format!(
        r#"{{"id":"x","requester":"{REQUESTER}","amount":{{"amount":5,"currency":"USD"}}}}"#
    ))
    .unwrap();
    for token in [
        None,
        Some("wrong"),
        Some("test-admin-token-012345678"),
        Some("test-admin-token-01234567890"),
    ] {
        let r = app
            .request(
                reqwest::Method::POST,
                "/v1/admin/deposits",
                Some(&body),
                token,
            )
            .await;
        assert_eq!((r.status, r.code()), (401, "unauthorized"), "{token:?}");
    }
    assert_eq!(app.requester_usd(REQUESTER).await, (0, 0, 0));
    let bad = parse_str(&format!(
        r#"{{"id":"x","requester":"{REQUESTER}","amount":{{"amount":0,"currency":"USD"}}}}"#
    ))
    .unwrap();
    let r = app
        .request(
            reqwest::Method::POST,
            "/v1/admin/deposits",
            Some(&bad),
            Some(crate::app::ADMIN_TOKEN),
        )
        .await;
    assert_eq!(r.status, 400);
}

async fn reads_for_requesters_providers_and_operators(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep").await.status, 201);
    let base = scenario("reads");
    let mut sealed = Vec::new();
    for i in 0..3 {
        let s = base.sharing(&format!("reads-{i}")).seal();
        app.post_all(&s).await;
        assert_eq!(app.settle(&s.receipt.uri).await.status, 201);
        sealed.push(s);
    }
    // Statement: the deposit, then per charge: release of the previous
    // hold, charge, fee, new hold. Paged by cursor, oldest first.
    let mut entries = Vec::new();
    let mut cursor = String::new();
    for _ in 0..20 {
        let path = format!("/v1/requesters/{REQUESTER}/statement?currency=USD&limit=2{cursor}");
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{page:?}");
        let Some(Value::Array(items)) = page.body.get("entries") else {
            panic!("{page:?}")
        };
        assert!(items.len() <= 2);
        entries.extend(items.iter().cloned());
        match page.body.get("cursor").and_then(Value::as_str) {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let codes: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (s("code"), s("side"))
        })
        .collect();
    let expect: Vec<(&str, &str)> = vec![
        ("deposit", "credit"),
        ("charge", "debit"),
        ("exchange-fee", "debit"),
        ("authorization-hold", "hold"),
        ("authorization-rehold", "release"),
        ("charge", "debit"),
        ("exchange-fee", "debit"),
        ("authorization-hold", "hold"),
        ("authorization-rehold", "release"),
        ("charge", "debit"),
        ("exchange-fee", "debit"),
        ("authorization-hold", "hold"),
    ];
    assert_eq!(
        codes,
        expect
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    let seqs: Vec<i128> = entries
        .iter()
        .filter_map(|e| e.get("seq").and_then(Value::as_int))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(
        app.get(&format!("/v1/requesters/{REQUESTER}/statement?cursor=x"))
            .await
            .status,
        400
    );
    assert_eq!(app.get("/v1/requesters/nope/statement").await.status, 400);

    // listReceipts by provider, requester and job.
    let count = |r: &crate::app::Reply| match r.body.get("receipts") {
        Some(Value::Array(v)) => v.len(),
        _ => usize::MAX,
    };
    let by_provider = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.listReceipts?provider={PROVIDER}"
        ))
        .await;
    assert_eq!(count(&by_provider), 3);
    let by_requester = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.listReceipts?requester={REQUESTER}&limit=2"
        ))
        .await;
    assert_eq!(count(&by_requester), 2);
    let next = by_requester
        .body
        .get("cursor")
        .and_then(Value::as_str)
        .expect("cursor")
        .to_owned();
    let rest = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.listReceipts?requester={REQUESTER}&limit=2&cursor={next}"
        ))
        .await;
    assert_eq!(count(&rest), 1);
    let by_job = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.listReceipts?job={}",
            sealed[1].job.uri
        ))
        .await;
    assert_eq!(count(&by_job), 1);
    assert_eq!(
        app.get("/xrpc/dev.cocore.compute.listReceipts")
            .await
            .status,
        400
    );

    // verifyReceipt: a settled receipt still verifies; a tampered one not.
    let v = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.verifyReceipt?uri={}",
            sealed[0].receipt.uri
        ))
        .await;
    assert_eq!(v.body.get("ok"), Some(&Value::Bool(true)), "{v:?}");
    let mut forged = scenario("reads-forged").seal();
    set(object_mut(&mut forged.receipt.value), "price.amount", "1");
    app.post_all(&forged).await;
    let v = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.verifyReceipt?uri={}",
            forged.receipt.uri
        ))
        .await;
    assert_eq!(v.body.get("ok"), Some(&Value::Bool(false)));
    let Some(Value::Array(findings)) = v.body.get("findings") else {
        panic!("{v:?}")
    };
    assert_eq!(
        findings[0].get("code").and_then(Value::as_str),
        Some("signature-invalid")
    );
    let missing = "at://did:plc:bobbobbobbobbobbobbobbob/dev.cocore.compute.receipt/3zzzzzzzzzzzz";
    assert_eq!(
        app.get(&format!(
            "/xrpc/dev.cocore.compute.verifyReceipt?uri={missing}"
        ))
        .await
        .status,
        404
    );
    assert_eq!(
        app.settle(&forged.receipt.uri).await.code(),
        "signature-invalid"
    );

    // verifySettlement: a settlement this exchange wrote checks out; one
    // edited behind the API does not; an unknown one is 404.
    let settled = app.settle(&sealed[0].receipt.uri).await;
    let suri = settled
        .body
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let v = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.verifySettlement?uri={suri}"
        ))
        .await;
    assert_eq!(v.body.get("ok"), Some(&Value::Bool(true)), "{v:?}");
    let text = settlement::records::json::to_canonical_string(settled.body.get("value").unwrap())
        .replace("\"amount\":250", "\"amount\":249");
    exec_sql(
        &app.db_url,
        &format!("UPDATE settlement_settlements SET value = '{text}' WHERE uri = '{suri}'"),
    )
    .await;
    let v = app
        .get(&format!(
            "/xrpc/dev.cocore.compute.verifySettlement?uri={suri}"
        ))
        .await;
    assert_eq!(v.body.get("ok"), Some(&Value::Bool(false)), "{v:?}");
    let Some(Value::Array(findings)) = v.body.get("findings") else {
        panic!("{v:?}")
    };
    let codes: Vec<&str> = findings
        .iter()
        .filter_map(|f| f.get("code").and_then(Value::as_str))
        .collect();
    assert!(codes.contains(&"settlement-sig-invalid"), "{codes:?}");
    let unknown = format!(
        "at://{}/dev.cocore.compute.settlement/3zzzzzzzzzzzz",
        testkit::EXCHANGE
    );
    assert_eq!(
        app.get(&format!(
            "/xrpc/dev.cocore.compute.verifySettlement?uri={unknown}"
        ))
        .await
        .status,
        404
    );

    // Operators: metrics count outcomes; the OpenAPI document lists every route.
    let resp = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("settlement_settle_outcomes_total{outcome=\"created\"} 3\n"),
        "{text}"
    );
    assert!(
        text.contains("settlement_settle_outcomes_total{outcome=\"signature-invalid\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("settlement_http_request_duration_seconds_count{route=\"/v1/settle\",status=\"2xx\"} 4\n"), "{text}");
    assert!(!text.contains(REQUESTER), "metrics must not carry DIDs");
    let doc = app.get("/openapi.json").await;
    let paths = doc
        .body
        .get("paths")
        .and_then(Value::as_object)
        .expect("paths");
    for route in settlement::api::ROUTES {
        assert!(
            paths.contains_key(*route),
            "{route} missing from openapi.json"
        );
    }
    assert_eq!(paths.len(), settlement::api::ROUTES.len());
    assert_eq!(app.get("/readyz").await.status, 200);
}

async fn one_deposit_never_backs_two_promises(b: Backend) {
    let app = spawn_app(b).await;
    // 30000 deposited; two session authorizations of 20000 each.
    assert_eq!(app.deposit(REQUESTER, 30_000, "dep").await.status, 201);
    let first = scenario("promise-1").seal();
    let second = scenario("promise-2").seal();
    app.post_all(&first).await;
    app.post_all(&second).await;
    assert_eq!(app.settle(&first.receipt.uri).await.status, 201);
    // 250 charged, 19750 held for the first promise: 10000 left, less
    // than the second promise needs.
    assert_eq!(app.requester_usd(REQUESTER).await, (29_750, 19_750, 10_000));
    let r = app.settle(&second.receipt.uri).await;
    assert_eq!((r.status, r.code()), (422, "insufficient-funds"), "{r:?}");
    assert_eq!(app.requester_usd(REQUESTER).await, (29_750, 19_750, 10_000));
    // More funds, and the second promise is backed too.
    assert_eq!(app.deposit(REQUESTER, 10_000, "dep-2").await.status, 201);
    assert_eq!(app.settle(&second.receipt.uri).await.status, 201);
    assert_eq!(app.requester_usd(REQUESTER).await, (39_500, 39_500, 0));
}

/// Runs one statement on the app's database, behind the API's back.
async fn exec_sql(url: &str, sql: &str) {
    use sqlx::Connection as _;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query(sql).execute(&mut c).await.expect("execute");
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(sql).execute(&mut c).await.expect("execute");
    }
}

async fn a_receipt_changed_after_settlement_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 30_000, "dep").await.status, 201);
    let sealed = scenario("changed").seal();
    app.post_all(&sealed).await;
    assert_eq!(app.settle(&sealed.receipt.uri).await.status, 201);
    // The API never replaces a stored record; an operator editing the
    // database could. The settled URI then holds another CID: refused.
    let sc = scenario("changed");
    let mut other = sealed.receipt.value.clone();
    set(
        object_mut(&mut other),
        "outputCommitment",
        &format!("\"{}\"", "1".repeat(64)),
    );
    sign_receipt(&mut other, &sc.provider_key);
    let other_cid = settlement::records::cid::Cid::for_record(&other)
        .unwrap()
        .to_string();
    let text = settlement::records::json::to_canonical_string(&other).replace('\'', "''");
    exec_sql(
        &app.db_url,
        &format!(
            "UPDATE settlement_records SET cid = '{other_cid}', value = '{text}' WHERE uri = '{}'",
            sealed.receipt.uri
        ),
    )
    .await;
    let r = app.settle(&sealed.receipt.uri).await;
    assert_eq!((r.status, r.code()), (422, "already-settled"), "{r:?}");
}

async fn every_error_is_a_problem_document_with_a_request_id(b: Backend) {
    let app = spawn_app(b).await;
    let send = |method: reqwest::Method, path: &str, id: Option<&str>, body: Option<String>| {
        let mut req = app.client.request(method, format!("{}{path}", app.base));
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        req.send()
    };
    async fn problem(resp: reqwest::Response) -> (u16, String, String, String) {
        let status = resp.status().as_u16();
        let id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body =
            settlement::records::json::parse(&resp.bytes().await.unwrap()).unwrap_or(Value::Null);
        let code = body
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        assert_eq!(ct, "application/problem+json", "status {status}");
        (
            status,
            code,
            id,
            body.get("detail")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        )
    }
    let (status, code, id, _) = problem(
        send(reqwest::Method::GET, "/nope", None, None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (404, "not-found"));
    assert_eq!(id.len(), 32, "a generated request id: {id}");
    let (status, code, id, _) = problem(
        send(
            reqwest::Method::DELETE,
            "/v1/settle",
            Some("client-id-1"),
            None,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str(), id.as_str()),
        (405, "method-not-allowed", "client-id-1")
    );
    let (status, code, id, detail) = problem(
        send(
            reqwest::Method::GET,
            "/v1/authorizations",
            Some("bad id with spaces"),
            None,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid-request"));
    assert!(detail.contains("uri"), "{detail}");
    assert_ne!(id, "bad id with spaces");
    let huge = "x".repeat(settlement::api::BODY_BYTES_MAX + 1);
    let (status, code, _, _) = problem(
        send(reqwest::Method::POST, "/v1/records", None, Some(huge))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (413, "payload-too-large"));
    // A currency the exchange does not settle is refused, not looked up.
    for path in [
        format!("/v1/providers/{PROVIDER}/balance?currency=+"),
        format!("/v1/requesters/{REQUESTER}/balance?currency=EUR"),
        format!("/v1/requesters/{REQUESTER}/statement?currency=%00"),
    ] {
        let (status, code, _, _) =
            problem(send(reqwest::Method::GET, &path, None, None).await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "currency-not-supported"),
            "{path}"
        );
    }
    // Successful answers carry the id too.
    let ok = send(reqwest::Method::GET, "/healthz", Some("abc.123"), None)
        .await
        .unwrap();
    assert_eq!(ok.headers().get("x-request-id").unwrap(), "abc.123");
    drop(app);

    // No room: 503 overloaded with Retry-After. Too slow: 503 timeout.
    let full = crate::app::spawn_app_with(
        b,
        settlement::api::Limits {
            in_flight_max: 0,
            ..Default::default()
        },
    )
    .await;
    let resp = full
        .client
        .get(format!("{}/v1/exchange", full.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("retry-after").unwrap(), "1");
    assert_eq!(problem(resp).await.1, "overloaded");
    // Health and readiness stay outside the gate.
    for path in ["/healthz", "/readyz"] {
        let resp = full
            .client
            .get(format!("{}{path}", full.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }
    drop(full);
    // Too slow: a writer is blocked by a lock held behind the API's back;
    // the request is abandoned with 503 timeout and leaves nothing behind.
    let slow = crate::app::spawn_app_with(
        b,
        settlement::api::Limits {
            request_timeout: std::time::Duration::from_millis(300),
            ..Default::default()
        },
    )
    .await;
    let record = scenario("timeout").seal().job;
    let lock = hold_write_lock(&slow.db_url).await;
    let resp = slow
        .client
        .post(format!("{}/v1/records", slow.base))
        .body(format!(
            r#"{{"uri":"{}","value":{}}}"#,
            record.uri,
            settlement::records::json::to_canonical_string(&record.value)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(resp).await.1, "timeout");
    lock.release().await;
    assert_eq!(
        slow.post_record(&record).await.status,
        201,
        "the abandoned insert must not have landed"
    );
}

/// A transaction that keeps writers to settlement_records waiting.
enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

async fn hold_write_lock(url: &str) -> WriteLock {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .expect("lock");
        WriteLock::Sqlite(c)
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query("BEGIN").execute(&mut c).await.expect("begin");
        sqlx::query("LOCK TABLE settlement_records IN ACCESS EXCLUSIVE MODE")
            .execute(&mut c)
            .await
            .expect("lock");
        WriteLock::Postgres(c)
    }
}

impl WriteLock {
    async fn release(self) {
        match self {
            WriteLock::Sqlite(mut c) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut c)
                    .await
                    .expect("rollback");
            }
            WriteLock::Postgres(mut c) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut c)
                    .await
                    .expect("rollback");
            }
        }
    }
}

async fn a_job_is_charged_once_whatever_the_receipts(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.deposit(REQUESTER, 100_000, "dep").await.status, 201);
    let sc = scenario("one-job");
    let sealed = sc.seal();
    app.post_all(&sealed).await;
    assert_eq!(app.settle(&sealed.receipt.uri).await.status, 201);
    let after_first = app.requester_usd(REQUESTER).await;
    // The same signed receipt under another record key: the same work.
    let mut copy = sealed.receipt.clone();
    copy.uri = copy.uri.replace(
        &testkit::rkey_for("one-job"),
        &testkit::rkey_for("one-job-copy"),
    );
    assert_eq!(app.post_record(&copy).await.status, 201);
    let r = app.settle(&copy.uri).await;
    assert_eq!((r.status, r.code()), (422, "job-already-settled"), "{r:?}");
    // Re-signed (a different CID) under yet another key, and a race of ten
    // such receipts: none is charged.
    let mut uris = Vec::new();
    for i in 0..10 {
        let mut other = sealed.receipt.clone();
        other.uri = other.uri.replace(
            &testkit::rkey_for("one-job"),
            &testkit::rkey_for(&format!("one-job-{i}")),
        );
        set(
            object_mut(&mut other.value),
            "outputCommitment",
            &format!("\"{}\"", testkit::sha256_hex(&[i])),
        );
        sign_receipt(&mut other.value, &sc.provider_key);
        assert_eq!(app.post_record(&other).await.status, 201);
        uris.push(other.uri);
    }
    let results = race(&app, &uris).await;
    assert_eq!(
        results.get(&(422, "job-already-settled".into())),
        Some(&10),
        "{results:?}"
    );
    assert_eq!(app.requester_usd(REQUESTER).await, after_first);

    // The same race before any charge: exactly one wins.
    let sc = scenario("one-job-race");
    let sealed = sc.seal();
    app.post_all(&sealed).await;
    let mut uris = vec![sealed.receipt.uri.clone()];
    for i in 0..10 {
        let mut other = sealed.receipt.clone();
        other.uri = other.uri.replace(
            &testkit::rkey_for("one-job-race"),
            &testkit::rkey_for(&format!("race-{i}")),
        );
        set(
            object_mut(&mut other.value),
            "outputCommitment",
            &format!("\"{}\"", testkit::sha256_hex(&[i, 1])),
        );
        sign_receipt(&mut other.value, &sc.provider_key);
        assert_eq!(app.post_record(&other).await.status, 201);
        uris.push(other.uri);
    }
    let results = race(&app, &uris).await;
    assert_eq!(results.get(&(201, String::new())), Some(&1), "{results:?}");
    assert_eq!(
        results.get(&(422, "job-already-settled".into())),
        Some(&10),
        "{results:?}"
    );
    let (balance, _, _) = app.requester_usd(REQUESTER).await;
    assert_eq!(balance, after_first.0 - 250);
}

on_both_backends!(
    happy_path,
    record_ingestion_rules,
    every_rejection_code_and_nothing_moves,
    single_job_is_consumed_once,
    session_budget_holds_under_a_race,
    nobody_spends_another_requesters_nonce,
    admin_endpoints_need_the_token,
    reads_for_requesters_providers_and_operators,
    one_deposit_never_backs_two_promises,
    a_receipt_changed_after_settlement_is_refused,
    every_error_is_a_problem_document_with_a_request_id,
    a_job_is_charged_once_whatever_the_receipts,
);
