//! The exchange on the AT Protocol network, end to end: `settlement serve`
//! (a child process) subscribed to a relay and publishing to its own
//! repository, against `scripts/atproto-standin.mjs` (repositories kept and
//! signed by `@atproto/repo`, served as a PLC directory, a PDS and a relay
//! speaking the real `subscribeRepos` frames). On SQLite and PostgreSQL.
//!
//! - A receipt written to its provider's repository is settled with no
//!   POST; the settlement appears in the exchange's repository with the
//!   CID the database holds.
//! - SIGKILL of `serve` while receipts stream in, and receipts written
//!   while it is down: after a restart every receipt is settled exactly
//!   once and the requester is charged once for each.
//! - Publishing while the PDS refuses writes: retried, then published.
//! - A deleted authorization is never charged again; a deleted receipt is
//!   forgotten; an inactive account's receipts wait for a backfill; a
//!   rotated key takes effect with its `#identity` event.
//! - wss and https with a test CA; a rogue certificate refused.

use crate::common;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use settlement::firehose::standin::{Account, Standin, key_hex};
use settlement::records::json::{self, Value};
use settlement::testkit::{self, PROVIDER, REQUESTER, Scenario};

const EXCHANGE: &str = "did:plc:exchangeexchangeexchange";
const ADMIN: &str = "network-test-admin-token";
const APP_PASSWORD: &str = "exchange-app-password-1";

/// The stand-in network with the requester's, the provider's and the
/// exchange's repositories; `tls` names `tests/tls/NAME.pem` to serve
/// https and wss with.
fn network(tls: Option<&str>) -> Standin {
    let dir = settlement::payout::local::workspace_root().join("tests/tls");
    let tls = tls.map(|n| {
        (
            dir.join(format!("{n}.pem")),
            dir.join(format!("{n}-key.pem")),
        )
    });
    let accounts = [
        Account {
            did: REQUESTER,
            key_seed: "repo:requester",
            password: None,
        },
        Account {
            did: PROVIDER,
            key_seed: "repo:provider",
            password: None,
        },
        Account {
            did: EXCHANGE,
            key_seed: "repo:exchange",
            password: Some(APP_PASSWORD),
        },
    ];
    Standin::start(&accounts, tls).expect("the AT Protocol stand-in")
}

/// A running `settlement serve`.
struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str, dir: &std::path::Path, net: &Standin, extra: &[&str]) -> Serve {
    let relay = net.relay();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_settlement"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--insecure-loopback-identity",
    ])
    .args(["--database-url", db])
    .args(["--exchange-did", EXCHANGE])
    .arg("--signing-key")
    .arg(dir.join("exchange-key.hex"))
    .arg("--admin-token-file")
    .arg(dir.join("admin-token"))
    .args(["--plc-directory", &net.base])
    .args(["--relay", &relay])
    .args(["--publish-pds", &net.base])
    .arg("--publish-password-file")
    .arg(dir.join("app-password"))
    .args(["--publish-interval-ms", "100"])
    .args(extra)
    .current_dir(dir)
    .env_remove("DATABASE_URL")
    .env_remove("SETTLEMENT_RELAY")
    .env_remove("SETTLEMENT_PUBLISH_PDS")
    .env("RUST_LOG", "settlement=info");
    let (child, base) = common::spawn_serve(&mut cmd);
    Serve { child, base }
}

async fn get(http: &reqwest::Client, url: String) -> (u16, Value) {
    let resp = http
        .get(url)
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap_or_default();
    (status, json::parse(&bytes).unwrap_or(Value::Null))
}

async fn post(http: &reqwest::Client, url: String, body: String) -> (u16, Value) {
    let resp = http
        .post(url)
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap_or_default();
    (status, json::parse(&bytes).unwrap_or(Value::Null))
}

/// Polls `f` until it gives `Some`, for at most `secs`.
async fn until<T, F, Fut>(what: &str, secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The settlements of `receipt`, as the public listing shows them.
async fn settlements_of(http: &reqwest::Client, base: &str, receipt: &str) -> Vec<Value> {
    let (status, page) = get(
        http,
        format!("{base}/xrpc/dev.cocore.compute.listSettlements?receipt={receipt}"),
    )
    .await;
    assert_eq!(status, 200, "{page:?}");
    match page.get("settlements") {
        Some(Value::Array(items)) => items.clone(),
        _ => panic!("no settlements array: {page:?}"),
    }
}

async fn settled(http: &reqwest::Client, base: &str, receipt: &str) -> Value {
    until(&format!("the settlement of {receipt}"), 30, || async {
        settlements_of(http, base, receipt).await.into_iter().next()
    })
    .await
}

/// A metric's value in `/metrics`, 0 when absent.
async fn metric(http: &reqwest::Client, base: &str, line: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or(0)
}

async fn subscribed(http: &reqwest::Client, base: &str) {
    until("the relay stream", 30, || async {
        (metric(http, base, "settlement_firehose_connected").await == 1).then_some(())
    })
    .await;
}

/// A charge's records, naming this exchange, valid on the wall clock at
/// `now` (one `now` per test: the provider's attestation is one record).
fn scenario(tag: &str, now: i64) -> Scenario {
    named(Scenario::new(REQUESTER, PROVIDER, tag), now)
}

/// Another job and receipt under `main`'s authorization.
fn share(main: &Scenario, tag: &str, now: i64) -> Scenario {
    named(main.sharing(tag), now)
}

fn named(mut sc: Scenario, now: i64) -> Scenario {
    sc.exchange = EXCHANGE.into();
    testkit::set(
        &mut sc.authorization,
        "exchange",
        &format!("\"{EXCHANGE}\""),
    );
    testkit::set(
        &mut sc.job,
        "acceptedExchanges",
        &format!("[\"{EXCHANGE}\"]"),
    );
    common::valid_at(&mut sc, now);
    sc
}

struct Setup {
    dir: std::path::PathBuf,
    db: String,
}

async fn setup(postgres: bool, tag: &str) -> Setup {
    let dir = common::temp_dir(&format!("network-{tag}"));
    let db = common::database(postgres, &dir, tag).await;
    common::write_secret(&dir.join("admin-token"), ADMIN);
    common::write_secret(&dir.join("app-password"), APP_PASSWORD);
    Setup { dir, db }
}

/// A fresh database, the stand-in network and `serve` (with `extra`
/// flags) subscribed to it, the requester funded with 1000.00 USD.
async fn started(postgres: bool, tag: &str, extra: &[&str]) -> (Setup, Standin, Serve) {
    let s = setup(
        postgres,
        &format!("{tag}_{}", if postgres { "pg" } else { "lite" }),
    )
    .await;
    let net = network(None);
    let srv = serve(&s.db, &s.dir, &net, extra);
    let http = reqwest::Client::new();
    deposit(&http, &srv.base, "d1", 100_000).await;
    subscribed(&http, &srv.base).await;
    (s, net, srv)
}

async fn deposit(http: &reqwest::Client, base: &str, id: &str, amount: u64) {
    let body = format!(
        r#"{{"id":"{id}","requester":"{REQUESTER}","amount":{{"amount":{amount},"currency":"USD"}}}}"#
    );
    let (status, v) = post(http, format!("{base}/v1/admin/deposits"), body).await;
    assert_eq!(status, 201, "{v:?}");
}

/// Settled from the stream, published, crash-safe.
async fn settles_and_publishes(postgres: bool) {
    let (s, net, first) = started(postgres, "net", &[]).await;
    let http = reqwest::Client::new();

    // The requester's job and authorization, the provider's attestation
    // and receipt: four commits, no POST.
    let now = common::unix_now();
    let main = scenario("net-main", now);
    let sealed = main.seal();
    net.write(&[&sealed.authorization, &sealed.job])
        .await
        .unwrap();
    net.write(&[&sealed.attestation]).await.unwrap();
    net.write(&[&sealed.receipt]).await.unwrap();
    let settlement = settled(&http, &first.base, &sealed.receipt.uri).await;
    let uri = settlement
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let cid = settlement
        .get("cid")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    assert!(uri.starts_with(&format!("at://{EXCHANGE}/dev.cocore.compute.settlement/")));

    // Published under its own record key, with the CID the database holds.
    let publication = until("the settlement published", 30, || async {
        let (status, p) = get(
            &http,
            format!("{}/v1/admin/publications?uri={uri}", first.base),
        )
        .await;
        (status == 200 && p.get("published") == Some(&Value::Bool(true))).then_some(p)
    })
    .await;
    assert_eq!(
        publication.get("publishedCid").and_then(Value::as_str),
        Some(cid.as_str())
    );
    assert_eq!(
        net.cid_of(&uri).await.unwrap().as_deref(),
        Some(cid.as_str())
    );
    let rev = publication.get("rev").and_then(Value::as_str).unwrap();
    assert_eq!(rev.len(), 13, "a TID: {rev}");

    // The PDS refuses writes: the next settlement waits, then is
    // published once it accepts them again.
    net.call("/_test/down", r#"{"down":true}"#.into())
        .await
        .unwrap();
    let later = share(&main, "net-later", now).seal();
    net.write(&[&later.job]).await.unwrap();
    net.write(&[&later.receipt]).await.unwrap();
    let later_uri = settled(&http, &first.base, &later.receipt.uri)
        .await
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let failing = until("a refused write", 30, || async {
        let (_, p) = get(
            &http,
            format!("{}/v1/admin/publications?uri={later_uri}", first.base),
        )
        .await;
        (p.get("attempts").and_then(Value::as_int).unwrap_or(0) > 0).then_some(p)
    })
    .await;
    assert_eq!(failing.get("published"), Some(&Value::Bool(false)));
    assert!(
        failing
            .get("lastError")
            .and_then(Value::as_str)
            .unwrap()
            .contains("503"),
        "{failing:?}"
    );
    assert_eq!(net.cid_of(&later_uri).await.unwrap(), None);
    assert!(metric(&http, &first.base, "settlement_publish_backlog").await >= 1);
    net.call("/_test/down", r#"{"down":false}"#.into())
        .await
        .unwrap();
    until("the waiting settlement published", 30, || async {
        net.cid_of(&later_uri).await.unwrap()
    })
    .await;

    // Receipts stream in; serve is killed while it applies them, and more
    // are written while it is down.
    let batch: Vec<_> = (0..12)
        .map(|i| share(&main, &format!("net-batch-{i}"), now).seal())
        .collect();
    for b in &batch {
        net.write(&[&b.job]).await.unwrap();
    }
    for b in &batch[..8] {
        net.write(&[&b.receipt]).await.unwrap();
    }
    until("some of the batch settled", 30, || async {
        (!settlements_of(&http, &first.base, &batch[0].receipt.uri)
            .await
            .is_empty())
        .then_some(())
    })
    .await;
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    for b in &batch[8..] {
        net.write(&[&b.receipt]).await.unwrap();
    }
    let second = serve(&s.db, &s.dir, &net, &[]);
    for b in &batch {
        let all = until(&format!("{} settled", b.receipt.uri), 30, || async {
            let all = settlements_of(&http, &second.base, &b.receipt.uri).await;
            (!all.is_empty()).then_some(all)
        })
        .await;
        assert_eq!(all.len(), 1, "{} settled once", b.receipt.uri);
    }
    let (status, page) = get(
        &http,
        format!(
            "{}/xrpc/dev.cocore.compute.listSettlements?requester={REQUESTER}&limit=1000",
            second.base
        ),
    )
    .await;
    assert_eq!(status, 200, "{page:?}");
    let Some(Value::Array(all)) = page.get("settlements") else {
        panic!("{page:?}")
    };
    assert_eq!(all.len(), 14, "14 receipts, 14 settlements");
    drop(second);
    // Charged once each: 14 receipts of 250 (the fee is the provider's).
    let clock: std::sync::Arc<dyn ledger::Clock> = std::sync::Arc::new(ledger::SystemClock);
    let store = settlement::store::Store::open(&s.db, clock.clone())
        .await
        .unwrap();
    let key = settlement::exchange::Exchange::load_or_create_key(&s.dir.join("exchange-key.hex"))
        .unwrap();
    let service = settlement::service::Service::new(
        settlement::exchange::Exchange::new(EXCHANGE, key),
        settlement::exchange::FeePolicy::default(),
        store.clone(),
        None,
        clock,
    );
    let balance = service.requester_balance(REQUESTER, "USD").await.unwrap();
    assert_eq!(balance.balance, 100_000 - 14 * 250, "{balance:?}");
    store.close().await;
    drop(net);
    common::drop_database(&s.db).await;
}

#[tokio::test]
async fn settles_and_publishes_sqlite() {
    settles_and_publishes(false).await;
}

#[tokio::test]
async fn settles_and_publishes_postgres() {
    settles_and_publishes(true).await;
}

/// Whether `uri` is stored here.
async fn stored(http: &reqwest::Client, base: &str, uri: &str) -> bool {
    get(http, format!("{base}/v1/records?uri={uri}")).await.0 == 200
}

async fn settle(http: &reqwest::Client, base: &str, receipt: &str) -> (u16, Value) {
    post(
        http,
        format!("{base}/v1/settle"),
        format!(r#"{{"receipt":"{receipt}"}}"#),
    )
    .await
}

/// Deletions, account status, identity and backfill, with receipts
/// stored but not charged by the stream (`--relay-no-settle`).
async fn follows_the_repositories(postgres: bool) {
    let (s, net, srv) = started(postgres, "follow", &["--relay-no-settle"]).await;
    let http = reqwest::Client::new();
    let base = srv.base.as_str();

    let now = common::unix_now();
    let main = scenario("follow-main", now);
    let first = main.seal();
    let gone = share(&main, "follow-gone", now).seal();
    let kept = share(&main, "follow-kept", now).seal();
    net.write(&[&first.authorization, &first.job, &gone.job, &kept.job])
        .await
        .unwrap();
    net.write(&[
        &first.attestation,
        &first.receipt,
        &gone.receipt,
        &kept.receipt,
    ])
    .await
    .unwrap();
    until("the receipts stored", 30, || async {
        stored(&http, base, &kept.receipt.uri).await.then_some(())
    })
    .await;
    // Stored, not charged: the operator turned that off.
    assert!(
        settlements_of(&http, base, &first.receipt.uri)
            .await
            .is_empty()
    );
    assert_eq!(settle(&http, base, &first.receipt.uri).await.0, 201);

    // A receipt deleted before it was charged is forgotten and can never
    // be charged; the charged one stays charged when deleted.
    net.delete(&gone.receipt.uri).await.unwrap();
    net.delete(&first.receipt.uri).await.unwrap();
    until("the deleted receipt forgotten", 30, || async {
        (!stored(&http, base, &gone.receipt.uri).await).then_some(())
    })
    .await;
    let (status, refused) = settle(&http, base, &gone.receipt.uri).await;
    assert_eq!(status, 422, "{refused:?}");
    assert_eq!(
        settlements_of(&http, base, &first.receipt.uri).await.len(),
        1
    );
    assert!(
        stored(&http, base, &first.receipt.uri).await,
        "a charged receipt is kept"
    );

    // The requester deletes her authorization: nothing more is charged on
    // it, though its receipt was stored before.
    net.delete(&first.authorization.uri).await.unwrap();
    // (Asked before the deletion is applied, a charge would stand: wait
    // for the revocation, then ask.)
    until("the authorization revoked", 30, || async {
        let revoked = "settlement_firehose_ops_total{outcome=\"revoked\"}";
        (metric(&http, base, revoked).await >= 1).then_some(())
    })
    .await;
    refused_revoked(&http, base, &kept.receipt.uri).await;
    assert!(
        settlements_of(&http, base, &kept.receipt.uri)
            .await
            .is_empty()
    );

    // An inactive account's commits are passed over until it is active
    // again; a backfill then takes what was missed.
    let other = scenario("follow-other", now).seal();
    net.write(&[&other.authorization, &other.job])
        .await
        .unwrap();
    net.call(
        "/_test/account",
        format!(r#"{{"did":"{PROVIDER}","active":false,"status":"deactivated"}}"#),
    )
    .await
    .unwrap();
    net.write(&[&other.receipt]).await.unwrap();
    until("the commit passed over", 30, || async {
        (metric(
            &http,
            base,
            "settlement_firehose_ops_total{outcome=\"inactive\"}",
        )
        .await
            >= 1)
            .then_some(())
    })
    .await;
    assert!(!stored(&http, base, &other.receipt.uri).await);
    net.call(
        "/_test/account",
        format!(r#"{{"did":"{PROVIDER}","active":true}}"#),
    )
    .await
    .unwrap();
    let (status, v) = post(
        &http,
        format!("{base}/v1/admin/backfill?did={PROVIDER}"),
        String::new(),
    )
    .await;
    assert_eq!(status, 202, "{v:?}");
    until("the missed receipt backfilled", 30, || async {
        stored(&http, base, &other.receipt.uri).await.then_some(())
    })
    .await;
    assert_eq!(settle(&http, base, &other.receipt.uri).await.0, 201);

    // The provider rotates its repository key: its #identity event makes
    // the next commit provable at once (the DID document is cached for
    // five minutes otherwise).
    net.call(
        "/_test/rotate",
        format!(
            r#"{{"did":"{PROVIDER}","alg":"p256","key":"{}"}}"#,
            key_hex("rotated")
        ),
    )
    .await
    .unwrap();
    let rotated = scenario("follow-rotated", now).seal();
    net.write(&[&rotated.authorization, &rotated.job])
        .await
        .unwrap();
    net.write(&[&rotated.receipt]).await.unwrap();
    until("the receipt signed with the new key stored", 30, || async {
        stored(&http, base, &rotated.receipt.uri)
            .await
            .then_some(())
    })
    .await;

    // The backfill and publishing routes are the operator's.
    let anon = http
        .post(format!("{base}/v1/admin/backfill?did={PROVIDER}"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    drop(srv);
    drop(net);
    common::drop_database(&s.db).await;
}

#[tokio::test]
async fn follows_the_repositories_sqlite() {
    follows_the_repositories(false).await;
}

#[tokio::test]
async fn follows_the_repositories_postgres() {
    follows_the_repositories(true).await;
}

/// The relay over wss, DID documents and the PDS over https, with the
/// test CA as the only extra root: a receipt is settled and published. A
/// relay whose certificate no trusted CA signed is never read.
#[tokio::test]
async fn wss_and_https_with_a_test_ca() {
    let root = settlement::payout::local::workspace_root();
    let ca = root.join("tests/tls/test-ca.pem");
    // The stand-in's client and the relay's connection below trust it.
    settlement::tls::add_extra_roots_file(&ca).expect("the test CA");
    let s = setup(false, "tls").await;
    let net = network(Some("localhost"));
    let http = reqwest::Client::new();
    let srv = serve(
        &s.db,
        &s.dir,
        &net,
        &["--extra-ca-file", ca.to_str().unwrap()],
    );
    deposit(&http, &srv.base, "d1", 100_000).await;
    subscribed(&http, &srv.base).await;
    let sealed = scenario("tls", common::unix_now()).seal();
    net.write(&[&sealed.authorization, &sealed.job])
        .await
        .unwrap();
    net.write(&[&sealed.attestation, &sealed.receipt])
        .await
        .unwrap();
    let settlement = settled(&http, &srv.base, &sealed.receipt.uri).await;
    let uri = settlement
        .get("uri")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    until("published over https", 30, || async {
        net.cid_of(&uri).await.unwrap()
    })
    .await;
    drop(srv);

    // In process, with the same extra root: the test CA's relay is
    // reached, the rogue one is refused before any frame is read.
    let url = |base: &str| {
        reqwest::Url::parse(&format!(
            "{}/xrpc/com.atproto.sync.subscribeRepos",
            base.replacen("https://", "wss://", 1)
        ))
        .unwrap()
    };
    assert!(settlement::firehose::connect(&url(&net.base)).await.is_ok());
    let rogue = network(Some("rogue-localhost"));
    let refused = settlement::firehose::connect(&url(&rogue.base))
        .await
        .err()
        .expect("refused");
    assert!(refused.contains("TLS"), "{refused}");
}

/// Asks for `receipt` to be charged: refused, its authorization revoked.
async fn refused_revoked(http: &reqwest::Client, base: &str, receipt: &str) {
    let (status, refused) = settle(http, base, receipt).await;
    assert_eq!(status, 422, "{refused:?}");
    let code = refused.get("code").and_then(Value::as_str);
    assert_eq!(code, Some("authorization-revoked"), "{refused:?}");
}

/// The CID the exchange holds for `uri`, if it is stored.
async fn stored_cid(http: &reqwest::Client, base: &str, uri: &str) -> Option<String> {
    let (status, v) = get(http, format!("{base}/v1/records?uri={uri}")).await;
    (status == 200)
        .then(|| v.get("cid").and_then(Value::as_str).map(str::to_owned))
        .flatten()
}

/// Deletions are not lost: one that arrives after the exchange has seen a
/// newer commit of the repository is checked against the repository and
/// applied; one whose owner's DID document cannot be had waits, apart
/// from the stream, and is applied once it can. An edited receipt nothing
/// was charged on replaces the old version.
async fn deletions_are_not_lost(postgres: bool) {
    let (s, net, srv) = started(postgres, "late", &["--relay-no-settle"]).await;
    let http = reqwest::Client::new();
    let base = srv.base.as_str();
    let now = common::unix_now();
    let sa = scenario("late-a", now);
    let sb = scenario("late-b", now);
    let (a, b) = (sa.seal(), sb.seal());
    net.write(&[&a.authorization, &a.job, &b.authorization, &b.job])
        .await
        .unwrap();
    net.write(&[&a.attestation, &a.receipt, &b.receipt])
        .await
        .unwrap();
    until("the receipts stored", 30, || async {
        stored(&http, base, &b.receipt.uri).await.then_some(())
    })
    .await;

    // Bob edits a receipt before it is charged: the new version replaces it.
    let mut edited = b.receipt.clone();
    testkit::set(
        testkit::object_mut(&mut edited.value),
        "tokens",
        r#"{"in":120,"out":479}"#,
    );
    testkit::sign_receipt(&mut edited.value, &sb.provider_key);
    let new_cid = settlement::records::cid::Cid::for_record(&edited.value)
        .unwrap()
        .to_string();
    net.write(&[&edited]).await.unwrap();
    until("the edited receipt stored", 30, || async {
        (stored_cid(&http, base, &b.receipt.uri).await.as_deref() == Some(new_cid.as_str()))
            .then_some(())
    })
    .await;

    // The relay lags: Alice deletes A's authorization and writes a job;
    // the job reaches the exchange first (posted, fetched at the newest
    // commit), then the relay delivers the older deletion.
    net.call("/_test/hold", r#"{"hold":true}"#.into())
        .await
        .unwrap();
    net.delete(&a.authorization.uri).await.unwrap();
    let later = share(&sa, "late-job", now).seal();
    net.write(&[&later.job]).await.unwrap();
    let body = json::to_canonical_string(&testkit::record_post(&later.job));
    let (status, v) = post(&http, format!("{base}/v1/records"), body).await;
    assert_eq!(status, 201, "{v:?}");
    net.call("/_test/hold", r#"{"hold":false}"#.into())
        .await
        .unwrap();
    let revoked = "settlement_firehose_ops_total{outcome=\"revoked\"}";
    until("the late deletion applied", 60, || async {
        (metric(&http, base, revoked).await >= 1).then_some(())
    })
    .await;
    refused_revoked(&http, base, &a.receipt.uri).await;

    // Alice's DID document cannot be had when she deletes B's
    // authorization: the deletion waits, and is applied once it can.
    net.call("/_test/plc-down", r#"{"down":true}"#.into())
        .await
        .unwrap();
    net.call("/_test/identity", format!(r#"{{"did":"{REQUESTER}"}}"#))
        .await
        .unwrap();
    net.delete(&b.authorization.uri).await.unwrap();
    let deferred = "settlement_firehose_ops_total{outcome=\"deferred\"}";
    until("the deletion deferred", 30, || async {
        (metric(&http, base, deferred).await >= 1).then_some(())
    })
    .await;
    net.call("/_test/plc-down", r#"{"down":false}"#.into())
        .await
        .unwrap();
    until("the deferred deletion applied", 60, || async {
        (metric(&http, base, revoked).await >= 2).then_some(())
    })
    .await;
    refused_revoked(&http, base, &b.receipt.uri).await;

    // A deletion whose event carries the signed commit but no tree nodes
    // is proven by asking the repository.
    let c = scenario("late-c", now).seal();
    net.write(&[&c.authorization, &c.job]).await.unwrap();
    net.write(&[&c.receipt]).await.unwrap();
    until("the third receipt stored", 30, || async {
        stored(&http, base, &c.receipt.uri).await.then_some(())
    })
    .await;
    let (collection, rkey) = {
        let mut parts = c.authorization.uri.splitn(5, '/').skip(3);
        (parts.next().unwrap(), parts.next().unwrap())
    };
    let stripped = format!(
        r#"{{"did":"{REQUESTER}","strip":true,"writes":[{{"action":"delete","collection":"{collection}","rkey":"{rkey}"}}]}}"#
    );
    net.call("/_test/write", stripped).await.unwrap();
    until("the unproven deletion applied", 30, || async {
        (metric(&http, base, revoked).await >= 3).then_some(())
    })
    .await;
    refused_revoked(&http, base, &c.receipt.uri).await;
    drop(srv);
    drop(net);
    common::drop_database(&s.db).await;
}

#[tokio::test]
async fn deletions_are_not_lost_sqlite() {
    deletions_are_not_lost(false).await;
}

#[tokio::test]
async fn deletions_are_not_lost_postgres() {
    deletions_are_not_lost(true).await;
}
