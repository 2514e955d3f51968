//! Compute contracts where the exchange acts only on proven records and
//! callers prove who they are: the accept's records fetched from their
//! owners' repositories (made by the reference implementation), the
//! requester's single-use service auth tokens for accepting and setting
//! her policy, reads by the contract's parties only, a vouch withdrawn by
//! its proof of absence and not brought back by an older commit, and a
//! bidder's receipt that is not in its repository never taken.

use alloy::primitives::U256;
use settlement::contract::records::Kind;
use settlement::contract::standin::{self, Bidder};
use settlement::contract::{self, ContractConfig, fixtures};
use settlement::identity::IdentityConfig;
use settlement::payout::chain::Treasury;
use settlement::payout::local::{LocalChain, LocalOptions};
use settlement::records::formats::Datetime;
use settlement::records::json::{self, Map, Value};
use settlement::testkit::{self, EXCHANGE, PROVIDER, REQUESTER};

use crate::app::{App, Backend, Reply, spawn_app_proven};
use crate::pds::{Alg, Pds, RepoSpec, TokenSpec, make_fixtures};

const EVE: &str = "did:plc:evevevevevevevevevevevev";
const ALICE_KEY: &str = "alice contract key";
const BOB_KEY: &str = "bob contract key";
const EVE_KEY: &str = "eve contract key";

fn claims(iss: &str, lxm: &str, jti: Option<&str>) -> Value {
    let exp = Datetime::parse(testkit::NOW).unwrap().unix_seconds() + 60;
    let mut m = Map::new();
    m.insert("iss".into(), iss.into());
    m.insert("aud".into(), EXCHANGE.into());
    m.insert("lxm".into(), lxm.into());
    m.insert("exp".into(), exp.into());
    m.insert("iat".into(), (exp - 120).into());
    if let Some(j) = jti {
        m.insert("jti".into(), j.into());
    }
    Value::Object(m)
}

async fn send(
    app: &App,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> Reply {
    let body = body.map(|b| json::parse_str(b).unwrap());
    app.request(method, path, body.as_ref(), token).await
}

async fn accept(app: &App, body: &str, token: Option<&str>) -> Reply {
    send(
        app,
        reqwest::Method::POST,
        "/v1/contracts",
        Some(body),
        token,
    )
    .await
}

async fn car(app: &App, path: &str, uri: &str, bytes: &[u8]) -> Reply {
    let mut url = reqwest::Url::parse(&format!("{}{path}", app.base)).unwrap();
    url.query_pairs_mut().append_pair("uri", uri);
    let resp = app
        .client
        .post(url)
        .header("content-type", "application/vnd.ipld.car")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    Reply::read(resp).await
}

async fn proven_records_and_the_requesters_tokens(b: Backend) {
    let local = LocalChain::start(LocalOptions {
        treasury_funding: U256::from(1_000_000u64 * 10_000),
        ..LocalOptions::default()
    })
    .await
    .expect("local chain");
    let wallet = local.spare[0].address();
    let endpoint = standin::start(
        &local.config,
        6,
        &Treasury::from_signer(local.spare[3].clone()),
        Bidder {
            did: PROVIDER.into(),
            pay_to: wallet,
            asks: U256::from(4_000_000u64),
        },
    )
    .await
    .expect("bidder endpoint");
    let rfp = fixtures::rfp(REQUESTER, "proven-rfp");
    let bid = fixtures::bid(PROVIDER, &rfp, 4, &endpoint.base_url, "proven-bid");
    endpoint.bid_on(&rfp, &bid);
    let ccba = fixtures::accept(REQUESTER, &rfp, &bid, "proven-ccba");
    let auth = fixtures::authorization(REQUESTER, EXCHANGE, 1_000, "proven-auth");
    let vouch = fixtures::vouch(REQUESTER, PROVIDER, Kind::Vouch);
    let eves = fixtures::vouch(EVE, PROVIDER, Kind::Vouch);
    let repos = [
        RepoSpec {
            did: REQUESTER,
            alg: Alg::P256,
            key_seed: ALICE_KEY,
            filler: 10,
            records: vec![&rfp, &ccba, &auth, &vouch],
            absent: vec![],
        },
        RepoSpec {
            did: PROVIDER,
            alg: Alg::K256,
            key_seed: BOB_KEY,
            filler: 10,
            records: vec![&bid],
            absent: vec![],
        },
        RepoSpec {
            did: EVE,
            alg: Alg::P256,
            key_seed: EVE_KEY,
            filler: 0,
            records: vec![&eves],
            absent: vec![],
        },
        // Alice's repository at a later commit: she deleted her vouch.
        RepoSpec {
            did: REQUESTER,
            alg: Alg::P256,
            key_seed: ALICE_KEY,
            filler: 10,
            records: vec![&rfp, &ccba, &auth],
            absent: vec![vouch.uri.as_str()],
        },
    ];
    let token = |alg, key_seed, payload| TokenSpec {
        alg,
        key_seed,
        payload,
    };
    let tokens = [
        token(
            Alg::P256,
            ALICE_KEY,
            claims(REQUESTER, contract::LXM_ACCEPT, Some("accept-1")),
        ),
        token(
            Alg::P256,
            ALICE_KEY,
            claims(REQUESTER, contract::LXM_ACCEPT, Some("accept-2")),
        ),
        token(
            Alg::P256,
            ALICE_KEY,
            claims(REQUESTER, contract::LXM_ACCEPT, None),
        ),
        token(
            Alg::K256,
            BOB_KEY,
            claims(PROVIDER, contract::LXM_ACCEPT, Some("bob-accept")),
        ),
        token(
            Alg::P256,
            ALICE_KEY,
            claims(REQUESTER, contract::LXM_SET_POLICY, Some("policy-1")),
        ),
        token(
            Alg::P256,
            ALICE_KEY,
            claims(REQUESTER, contract::LXM_LIST, None),
        ),
        token(
            Alg::K256,
            BOB_KEY,
            claims(PROVIDER, contract::LXM_LIST, None),
        ),
        token(Alg::P256, EVE_KEY, claims(EVE, contract::LXM_LIST, None)),
    ];
    let (repos, tokens) = tokio::task::block_in_place(|| make_fixtures(&repos, &tokens));
    let [
        accept_1,
        accept_2,
        no_jti,
        bobs_accept,
        policy,
        alice_reads,
        bob_reads,
        eve_reads,
    ] = tokens.as_slice()
    else {
        panic!("eight tokens");
    };
    let pds = Pds::start().await;
    pds.publish_did(REQUESTER, &repos[0].multikey);
    pds.publish_did(PROVIDER, &repos[1].multikey);
    pds.publish_did(EVE, &repos[2].multikey);
    for r in &repos[..3] {
        pds.host(r);
    }
    let (app, _clock) = spawn_app_proven(
        b,
        IdentityConfig {
            plc_directory: pds.base.clone(),
            cache_ttl: std::time::Duration::from_secs(60),
            egress: settlement::egress::Egress { loopback: true },
            ..IdentityConfig::default()
        },
    )
    .await;
    let svc = &app.service;
    svc.store
        .fund_treasury("genesis", "USD", 1_000_000, EXCHANGE)
        .await
        .unwrap();
    crate::contracts::engine(svc, &local, ContractConfig::default()).await;
    assert_eq!(app.deposit(REQUESTER, 10_000, "proven").await.status, 201);

    // Her vouch, posted as JSON: taken once the PDS proves it.
    let r = app.post_record(&vouch).await;
    assert_eq!(r.status, 201, "{r:?}");
    // Her later commit, served from now on, no longer holds it: withdrawn
    // by that proof of absence; the older commit cannot bring it back.
    pds.host(&repos[3]);
    let absent = repos[3].absent[&vouch.uri].clone();
    let r = car(&app, "/v1/revocations", &vouch.uri, &absent).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body.get("revoked"), Some(&Value::Bool(true)), "{r:?}");
    let old = &repos[0].proofs[&vouch.uri].car;
    let r = car(&app, "/v1/records", &vouch.uri, old).await;
    assert_eq!((r.status, r.code()), (422, "stale-proof"), "{r:?}");

    let body = format!(
        r#"{{"ccba":"{}","authorization":"{}"}}"#,
        ccba.uri, auth.uri
    );

    // The accept's records are fetched from the repositories and proven;
    // with the vouch gone, Bob is not trusted.
    let r = accept(&app, &body, Some(accept_1)).await;
    assert_eq!((r.status, r.code()), (422, "bidder-not-trusted"), "{r:?}");
    // Who may accept: only the requester, with a single-use token.
    for (t, why) in [
        (None, "no token"),
        (Some(bobs_accept.as_str()), "the bidder's token"),
        (Some(no_jti.as_str()), "a token without jti"),
        (Some(accept_1.as_str()), "a token used already"),
    ] {
        let r = accept(&app, &body, t).await;
        assert_eq!(r.status, 401, "{why}: {r:?}");
    }
    let policy_path = format!("/v1/contracts/policies/{REQUESTER}");
    let r = send(
        &app,
        reqwest::Method::PUT,
        &policy_path,
        Some(r#"{"mode":"open"}"#),
        None,
    )
    .await;
    assert_eq!(r.status, 401, "{r:?}");
    let r = send(
        &app,
        reqwest::Method::PUT,
        &policy_path,
        Some(r#"{"mode":"open"}"#),
        Some(policy),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = accept(&app, &body, Some(accept_2)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let c = &r.body;
    assert_eq!(
        c.get("decision")
            .and_then(|d| d.get("code"))
            .and_then(Value::as_str),
        Some("open")
    );
    // Paid; the receipt in the bidder's answer is not in its repository,
    // so it is not taken: the contract waits for a proven one.
    assert_eq!(
        c.get("state").and_then(Value::as_str),
        Some("paid"),
        "{c:?}"
    );
    assert_eq!(endpoint.answered().len(), 1);
    assert_eq!(
        local.token().balanceOf(wallet).call().await.unwrap(),
        U256::from(4_000_000u64)
    );
    let id = c.get("id").and_then(Value::as_str).unwrap().to_owned();

    // Reads: the requester her contracts, the bidder its own, nobody else.

    let r = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/contracts?requester={REQUESTER}"),
        None,
        Some(alice_reads),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/contracts?provider={PROVIDER}"),
        None,
        Some(alice_reads),
    )
    .await;
    assert_eq!(r.status, 401, "{r:?}");
    let r = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/contracts?requester={REQUESTER}"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 401, "{r:?}");
    let r = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/contracts/{id}"),
        None,
        Some(bob_reads),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/contracts/{id}"),
        None,
        Some(eve_reads),
    )
    .await;
    assert_eq!(r.status, 404, "{r:?}");
}

on_both_backends!(proven_records_and_the_requesters_tokens);
