//! Several `serve` replicas on one PostgreSQL database, as an operator
//! runs them: one signing key, one exchange DID, charges spread across
//! replicas. First charges of one authorization racing on different
//! replicas must each be decided on what the others did: a session's
//! charges that fit its budget all settle (the authorization's own hold
//! covers them), a singleJob's second charge is
//! `authorization-already-consumed`, never `insufficient-funds`. Money is
//! conserved, replays on another replica are byte-identical, and a replica
//! killed mid-race loses nothing.
//!
//! `SETTLEMENT_BIN` runs another build of the binary (to measure the
//! same scenario on it); the figures are printed.

use crate::common;

use std::collections::BTreeMap;
use std::process::{Child, Command};
use std::time::Duration;

use settlement::records::json::{self, Value};
use settlement::testkit::{EXCHANGE, PROVIDER, Scenario, record_post, set};

const ADMIN_TOKEN: &str = "replicas-admin-token-0123456789";
const TRIALS: usize = 6;

struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path, db: &str) -> Replica {
    let bin = std::env::var("SETTLEMENT_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_settlement").to_owned());
    let token = dir.join("admin-token");
    std::fs::write(&token, ADMIN_TOKEN).unwrap();
    let (child, base) = common::spawn_serve(
        Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
            .args([
                "--exchange-did",
                EXCHANGE,
                "--insecure-trust-submitted-records",
            ])
            .arg("--signing-key")
            .arg(dir.join("exchange-key.hex"))
            .arg("--admin-token-file")
            .arg(&token)
            .env("SETTLEMENT_ACCEPT_UNPROVEN_RECORDS", "yes")
            .env("RUST_LOG", "warn")
            .current_dir(dir),
    );
    Replica { child, base }
}

struct Cluster {
    replicas: Vec<Replica>,
    client: reqwest::Client,
    db: String,
    dir: std::path::PathBuf,
}

impl Cluster {
    async fn new(tag: &str, n: usize) -> Cluster {
        let dir = common::temp_dir(tag);
        let db = common::database(true, &dir, tag).await;
        // One after the other: the first creates the signing key and runs
        // the migrations the others then find.
        let replicas = (0..n).map(|_| start(&dir, &db)).collect();
        Cluster {
            replicas,
            client: reqwest::Client::new(),
            db,
            dir,
        }
    }

    async fn post(&self, replica: usize, path: &str, body: String) -> (u16, String, Vec<u8>) {
        let resp = self
            .client
            .post(format!("{}{path}", self.replicas[replica].base))
            .bearer_auth(ADMIN_TOKEN)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap().to_vec();
        let code = json::parse(&bytes)
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        (status, code, bytes)
    }

    async fn deposit(&self, requester: &str, amount: u64) {
        let body = format!(
            r#"{{"id":"dep-{requester}","requester":"{requester}","amount":{{"amount":{amount},"currency":"USD"}}}}"#
        );
        assert_eq!(self.post(0, "/v1/admin/deposits", body).await.0, 201);
    }

    /// Every account's credits less debits, summed per currency: zero in a
    /// double-entry ledger.
    async fn imbalance(&self) -> i64 {
        use sqlx::Connection as _;
        let mut c = sqlx::PgConnection::connect(&self.db).await.unwrap();
        let (sum,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(SUM(credits_posted - debits_posted + credits_pending - debits_pending) AS BIGINT) \
             FROM ledger_accounts",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        sum.unwrap_or(0)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.replicas.clear();
        let db = self.db.clone();
        let _ = std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(common::drop_database(&db))
        })
        .join();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Three receipts of one authorization for `requester`, valid now. "Now"
/// is read once per process: the provider's one attestation must keep its
/// content across trials.
fn receipts(
    requester: &str,
    tag: &str,
    edit: impl Fn(&mut Scenario),
) -> Vec<Vec<settlement::records::RawRecord>> {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let now = *NOW.get_or_init(common::unix_now);
    let mut base = Scenario::new(requester, PROVIDER, tag);
    edit(&mut base);
    (0..3)
        .map(|i| {
            let mut sc = base.sharing(&format!("{tag}-{i}"));
            sc.authorization = base.authorization.clone();
            common::valid_at(&mut sc, now);
            let s = sc.seal();
            vec![s.authorization, s.attestation, s.job, s.receipt]
        })
        .collect()
}

/// Posts the records, then settles the receipts at once, spread over the
/// replicas. Returns the outcomes by (status, code) and each answer.
async fn race(
    cluster: &Cluster,
    sets: &[Vec<settlement::records::RawRecord>],
) -> (BTreeMap<(u16, String), usize>, Vec<(String, Vec<u8>)>) {
    post_records(cluster, sets).await;
    settle_at_once(cluster, sets).await
}

async fn post_records(cluster: &Cluster, sets: &[Vec<settlement::records::RawRecord>]) {
    for records in sets {
        for r in records {
            let body = json::to_canonical_string(&record_post(r));
            let (status, _, _) = cluster.post(0, "/v1/records", body).await;
            assert!(status == 201 || status == 200, "{status}");
        }
    }
}

/// Status 0 and code `connection-lost` where the replica was gone.
async fn settle_at_once(
    cluster: &Cluster,
    sets: &[Vec<settlement::records::RawRecord>],
) -> (BTreeMap<(u16, String), usize>, Vec<(String, Vec<u8>)>) {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(sets.len()));
    let mut tasks = Vec::new();
    for (i, records) in sets.iter().enumerate() {
        let uri = records[3].uri.clone();
        let barrier = barrier.clone();
        let url = format!(
            "{}/v1/settle",
            cluster.replicas[i % cluster.replicas.len()].base
        );
        let client = cluster.client.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let sent = client
                .post(url)
                .body(format!(r#"{{"receipt":"{uri}"}}"#))
                .send()
                .await;
            match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match resp.bytes().await {
                        Ok(bytes) => (uri, status, bytes.to_vec()),
                        Err(_) => (uri, 0, br#"{"code":"connection-lost"}"#.to_vec()),
                    }
                }
                Err(_) => (uri, 0, br#"{"code":"connection-lost"}"#.to_vec()),
            }
        }));
    }
    let mut outcomes = BTreeMap::new();
    let mut answers = Vec::new();
    for t in tasks {
        let (uri, status, bytes) = t.await.unwrap();
        let code = json::parse(&bytes)
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        *outcomes.entry((status, code)).or_insert(0) += 1;
        if status == 201 {
            answers.push((uri, bytes));
        }
    }
    (outcomes, answers)
}

fn requester(tag: &str, trial: usize) -> String {
    // A did:plc of 24 base32 characters, distinct per trial.
    let h = settlement::testkit::sha256_hex(format!("{tag}:{trial}").as_bytes());
    let alphabet = b"abcdefghijklmnopqrstuvwxyz234567";
    let id: String = h
        .bytes()
        .take(24)
        .map(|b| alphabet[(b % 32) as usize] as char)
        .collect();
    format!("did:plc:{id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_charges_race_across_replicas() {
    let cluster = Cluster::new("replicas", 3).await;
    let mut totals: BTreeMap<&str, BTreeMap<(u16, String), usize>> = BTreeMap::new();
    for trial in 0..TRIALS {
        // A session whose funds cover its budget once (1.5x), not twice:
        // three charges of 250 under a budget of 1000 all fit.
        let alice = requester("session", trial);
        cluster.deposit(&alice, 1_500).await;
        let sets = receipts(&alice, &format!("session-{trial}"), |sc| {
            set(
                &mut sc.authorization,
                "sessionBudget",
                r#"{"amount":1000,"currency":"USD"}"#,
            );
            set(
                &mut sc.authorization,
                "ceiling",
                r#"{"amount":1000,"currency":"USD"}"#,
            );
        });
        let (outcomes, answers) = race(&cluster, &sets).await;
        for (k, n) in &outcomes {
            *totals
                .entry("session")
                .or_default()
                .entry(k.clone())
                .or_insert(0) += n;
        }
        // Replays on another replica answer the same bytes.
        for (uri, bytes) in &answers {
            let (status, _, again) = cluster
                .post(2, "/v1/settle", format!(r#"{{"receipt":"{uri}"}}"#))
                .await;
            assert_eq!(status, 200);
            assert_eq!(&again, bytes, "replay of {uri}");
        }

        // A budget that fits two of the three.
        let bob = requester("budget", trial);
        cluster.deposit(&bob, 1_500).await;
        let sets = receipts(&bob, &format!("budget-{trial}"), |sc| {
            set(
                &mut sc.authorization,
                "sessionBudget",
                r#"{"amount":500,"currency":"USD"}"#,
            );
        });
        let (outcomes, _) = race(&cluster, &sets).await;
        for (k, n) in &outcomes {
            *totals
                .entry("budget")
                .or_default()
                .entry(k.clone())
                .or_insert(0) += n;
        }

        // singleJob: one charge, the other two already consumed.
        let carol = requester("single", trial);
        cluster.deposit(&carol, 1_500).await;
        let sets = receipts(&carol, &format!("single-{trial}"), |sc| {
            set(&mut sc.authorization, "scope", r#""singleJob""#);
            sc.authorization.remove("sessionBudget");
        });
        let (outcomes, _) = race(&cluster, &sets).await;
        for (k, n) in &outcomes {
            *totals
                .entry("singleJob")
                .or_default()
                .entry(k.clone())
                .or_insert(0) += n;
        }
    }
    println!("replicas: {TRIALS} trials per kind, 3 charges each, one per replica: {totals:?}");
    let ok = |n: usize| ((201u16, String::new()), n);
    assert_eq!(totals["session"], BTreeMap::from([ok(3 * TRIALS)]));
    assert_eq!(
        totals["budget"],
        BTreeMap::from([
            ok(2 * TRIALS),
            ((422, "session-budget-exceeded".into()), TRIALS)
        ])
    );
    assert_eq!(
        totals["singleJob"],
        BTreeMap::from([
            ok(TRIALS),
            ((422, "authorization-already-consumed".into()), 2 * TRIALS)
        ])
    );
    assert_eq!(cluster.imbalance().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_mid_race_loses_nothing() {
    let cluster = Cluster::new("replica-kill", 3).await;
    let dave = requester("kill", 0);
    cluster.deposit(&dave, 100_000).await;
    let mut sets = Vec::new();
    for round in 0..10 {
        sets.extend(receipts(&dave, &format!("kill-{round}"), |sc| {
            set(
                &mut sc.authorization,
                "sessionBudget",
                r#"{"amount":5000,"currency":"USD"}"#,
            );
        }));
    }
    // Ten authorizations of three receipts each, all funded: charge them
    // across the replicas and kill one while they run.
    post_records(&cluster, &sets).await;
    let pid = cluster.replicas[1].child.id().to_string();
    let racing = async { settle_at_once(&cluster, &sets).await };
    let killer = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _ = Command::new("kill").args(["-9", &pid]).status();
    };
    let ((outcomes, _), ()) = tokio::join!(racing, killer);
    println!("killed mid-race: {outcomes:?}");
    // Whatever the killed replica answered or not, each receipt settles
    // once: asking a live replica again gives 201 (first time) or 200.
    let mut settled = 0;
    for records in &sets {
        let uri = &records[3].uri;
        let (status, code, _) = cluster
            .post(0, "/v1/settle", format!(r#"{{"receipt":"{uri}"}}"#))
            .await;
        assert!(status == 200 || status == 201, "{uri}: {status} {code}");
        settled += 1;
    }
    assert_eq!(settled, sets.len());
    assert_eq!(cluster.imbalance().await, 0);
}
