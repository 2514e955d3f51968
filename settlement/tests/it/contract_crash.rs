//! Crash safety of a compute contract's payment: `settlement serve` is a
//! child process, stopped (`SETTLEMENT_FAILPOINT`) and killed there with
//! SIGKILL at two points:
//!
//! - `contract-paid`: the bidder's endpoint answered the payment, nothing
//!   of it is written. Restarted, the exchange finds the payment on chain
//!   by its nonce and records it; the bidder's receipt, posted later as a
//!   record, closes the contract.
//! - `contract-accepted`: the money and the row are written, the bidder is
//!   not paid yet. Restarted, the exchange pays it and the receipt in the
//!   answer closes the contract.
//!
//! Either way the bidder is paid exactly once and the requester charged
//! once. On SQLite and PostgreSQL, on a real anvil.

use crate::common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::U256;
use settlement::contract::fixtures;
use settlement::contract::records::Kind;
use settlement::contract::standin::{self, Bidder};
use settlement::exchange::{Exchange, FeePolicy};
use settlement::payout::chain::Treasury;
use settlement::payout::local::{LocalChain, LocalOptions};
use settlement::records::formats::Datetime;
use settlement::records::json::{self, Value};
use settlement::service::Service;
use settlement::store::Store;
use settlement::testkit::{self, EXCHANGE, PROVIDER, REQUESTER};

const ADMIN: &str = "contract-crash-admin-token";

struct Server {
    child: Child,
    base: String,
    lines: std::sync::mpsc::Receiver<String>,
}

fn serve(db: &str, dir: &std::path::Path, local: &LocalChain, failpoint: Option<&str>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_settlement"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--insecure-trust-submitted-records",
    ])
    .args(["--database-url", db])
    .args(["--exchange-did", EXCHANGE])
    .arg("--signing-key")
    .arg(dir.join("exchange-key.hex"))
    .arg("--admin-token-file")
    .arg(dir.join("admin-token"))
    .args(["--rpc-url", &local.config.rpc_url])
    .args(["--chain-id", &local.config.chain_id.to_string()])
    .args(["--token", &local.config.token.to_string()])
    .arg("--treasury-key-file")
    .arg(dir.join("treasury-key.hex"))
    .current_dir(dir)
    .env_remove("SETTLEMENT_FAILPOINT")
    .env_remove("DATABASE_URL")
    .env_remove("SETTLEMENT_TREASURY_KEY")
    .env("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", "yes")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if let Some(f) = failpoint {
        cmd.env("SETTLEMENT_FAILPOINT", f);
    }
    let mut child = cmd.spawn().expect("spawn settlement serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            panic!(
                "the server never said where it listens:\n{}",
                seen.join("\n")
            );
        };
        seen.push(line.clone());
        if let Some(rest) = line.split("listening on ").nth(1) {
            return Server {
                child,
                base: rest.trim().to_owned(),
                lines: rx,
            };
        }
    }
}

async fn admin(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<String>,
) -> (u16, Value) {
    let mut req = client
        .request(method, url)
        .header("authorization", format!("Bearer {ADMIN}"));
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap_or_default();
    (status, json::parse(&bytes).unwrap_or(Value::Null))
}

/// Contract `id` as the server at `base` shows it to the operator.
async fn contract(client: &reqwest::Client, base: &str, id: &str) -> Value {
    let (status, c) = admin(
        client,
        reqwest::Method::GET,
        format!("{base}/v1/contracts/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{c:?}");
    c
}

async fn killed_at(postgres: bool, failpoint: &str) {
    let tag = format!("{}-{failpoint}", if postgres { "pg" } else { "lite" });
    let dir = common::temp_dir(&format!("contract-crash-{tag}"));
    let db = common::database(postgres, &dir, "contract").await;
    let local = LocalChain::start(LocalOptions {
        treasury_funding: U256::from(1_000_000u64 * 10_000),
        ..LocalOptions::default()
    })
    .await
    .expect("local chain");
    let key = Exchange::load_or_create_key(&dir.join("exchange-key.hex")).expect("exchange key");
    common::write_secret(&dir.join("treasury-key.hex"), &local.dev_treasury_key_hex());
    common::write_secret(&dir.join("admin-token"), ADMIN);

    // The records, the deposit and the treasury's funding, in process.
    let now = Datetime::parse(testkit::NOW).unwrap();
    let clock = Arc::new(ledger::ManualClock::new(now.unix_micros()));
    let store = Store::open(&db, clock.clone()).await.expect("open store");
    store
        .fund_treasury("genesis", "USD", 1_000_000, EXCHANGE)
        .await
        .unwrap();
    let service = Service::new(
        Exchange::new(EXCHANGE, key),
        FeePolicy::default(),
        store.clone(),
        None,
        clock,
    );
    service
        .deposit("dep", REQUESTER, "USD", 10_000)
        .await
        .unwrap();
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
    let rfp = fixtures::rfp(REQUESTER, "crash-rfp");
    let bid = fixtures::bid(PROVIDER, &rfp, 4, &endpoint.base_url, "crash-bid");
    endpoint.bid_on(&rfp, &bid);
    let ccba = fixtures::accept(REQUESTER, &rfp, &bid, "crash-ccba");
    let auth = fixtures::authorization(REQUESTER, EXCHANGE, 1_000, "crash-auth");
    let vouch = fixtures::vouch(REQUESTER, PROVIDER, Kind::Vouch);
    for r in [&rfp, &bid, &ccba, &auth, &vouch] {
        service
            .ingest(r.clone(), service.now())
            .await
            .expect("ingest");
    }

    // Accepted; killed once the bidder answered the payment.
    let mut first = serve(&db, &dir, &local, Some(failpoint));
    let client = reqwest::Client::new();
    let body = format!(
        r#"{{"ccba":"{}","authorization":"{}"}}"#,
        ccba.uri, auth.uri
    );
    let url = format!("{}/v1/contracts", first.base);
    let hanging = {
        let (client, body) = (client.clone(), body.clone());
        tokio::spawn(async move { admin(&client, reqwest::Method::POST, url, Some(body)).await })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        if hanging.is_finished() {
            let answer = hanging.await.unwrap();
            panic!(
                "the accept was answered before the failpoint: {answer:?}\n{}",
                seen.join("\n")
            );
        }
        assert!(
            Instant::now() < deadline,
            "failpoint never reached:\n{}",
            seen.join("\n")
        );
        match first.lines.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.starts_with(&format!("failpoint {failpoint} reached")) => break,
            Ok(line) => seen.push(line),
            Err(_) => {}
        }
    }
    first.child.kill().expect("kill -9");
    first.child.wait().unwrap();
    hanging.abort();
    let paid_before = local.token().balanceOf(wallet).call().await.unwrap();
    let paying = failpoint == "contract-paid";
    assert_eq!(
        paid_before,
        U256::from(if paying { 4_000_000u64 } else { 0 }),
        "paid before the kill at {failpoint}"
    );

    // Restarted: the payment is found on chain and recorded.
    let mut second = serve(&db, &dir, &local, None);
    let (status, listed) = admin(
        &client,
        reqwest::Method::GET,
        format!("{}/v1/contracts?requester={REQUESTER}", second.base),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed:?}");
    let id = listed.get("contracts").and_then(|c| match c {
        Value::Array(a) => a
            .first()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    });
    let id = id.expect("the contract survived the kill");
    let state = |c: &Value| c.get("state").and_then(Value::as_str).map(str::to_owned);
    let deadline = Instant::now() + Duration::from_secs(60);
    let want = if paying { "paid" } else { "receipted" };
    loop {
        let c = contract(&client, &second.base, &id).await;
        if state(&c).as_deref() == Some(want) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never paid after the restart: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The accept again answers the same contract; nothing is paid again.
    let (status, again) = admin(
        &client,
        reqwest::Method::POST,
        format!("{}/v1/contracts", second.base),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{again:?}");
    // The receipt the bidder answered arrives as a record.
    let ccr = endpoint
        .answered()
        .pop()
        .expect("the bidder answered its receipt");
    let (status, posted) = admin(
        &client,
        reqwest::Method::POST,
        format!("{}/v1/records", second.base),
        Some(json::to_canonical_string(&testkit::record_post(&ccr))),
    )
    .await;
    // Taken when it closes the contract (201); the same receipt again, once
    // the resumed payment's answer closed it, changes nothing (200).
    assert_eq!(status, if paying { 201 } else { 200 }, "{posted:?}");
    assert_eq!(
        endpoint.answered().len(),
        1,
        "the bidder was asked to be paid once"
    );
    let c = contract(&client, &second.base, &id).await;
    assert_eq!(state(&c).as_deref(), Some("receipted"), "{c:?}");
    assert_eq!(
        local.token().balanceOf(wallet).call().await.unwrap(),
        U256::from(4_000_000u64),
        "paid exactly once"
    );
    let requester = store
        .ledger()
        .balance(&settlement::accounts::requester(REQUESTER, "USD"))
        .await
        .unwrap();
    // 4.00 and the default fee on top, once.
    let fee = FeePolicy::default().fee(400, false) as i64;
    assert_eq!(requester.available, Some(10_000 - 400 - fee));
    second.child.kill().unwrap();
    second.child.wait().unwrap();
    store.close().await;
    common::drop_database(&db).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_between_payment_and_receipt() {
    killed_at(false, "contract-paid").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_between_payment_and_receipt() {
    killed_at(true, "contract-paid").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_between_accept_and_payment() {
    killed_at(false, "contract-accepted").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_between_accept_and_payment() {
    killed_at(true, "contract-accepted").await
}
