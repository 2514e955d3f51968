//! The attack catalogue: forged, tampered, replayed and malformed inputs
//! against the running exchange over real HTTP, on SQLite and PostgreSQL.
//!
//! One table of cases. Each case builds its requests from a fresh sealed
//! scenario (changed before sealing to reach a rule, after sealing to tamper
//! with signed content, or sent as raw bytes), optionally after legitimate
//! charges it then attacks. The requests run in order until one is refused;
//! the refusal must come at the expected step with the expected status and
//! problem `code`, and nothing may move: balances, the authorizations'
//! states and the settlements are the same before and after. Every case
//! runs, and all failures are reported together.
//!
//! Beside the table, a race of 1,000 receipts against one session budget.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use settlement::accounts;
use settlement::records::cid::Cid;
use settlement::records::json::{self, Map, Value};
use settlement::records::{NSID_JOB, RawRecord};
use settlement::store::SettlementColumn;
use settlement::testkit::{
    PROVIDER, REQUESTER, Scenario, Sealed, key, object_mut, rkey_for, set, sign_attestation,
    sign_receipt,
};

use crate::app::{ADMIN_TOKEN, App, Backend, Reply, spawn_app, spawn_app_with};

mod http;
mod records;
mod settle;
mod signatures;

/// A second requester, the usual thief.
const EVE: &str = "did:plc:evevevevevevevevevevevev";
/// A second provider, with an attestation of its own.
const MALLORY: &str = "did:plc:mallorymallorymallorymal";
/// A requester who never deposited anything.
const CAROL: &str = "did:plc:carolcarolcarolcarolcaro";
/// The P-256 group order n, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
/// 2^63 - 1: the largest amount the ledger holds.
const I64_MAX: &str = "9223372036854775807";
/// 2^63 and 2^64 - 1: amounts the JSON parser reads but no ledger can hold.
const TWO_POW_63: &str = "9223372036854775808";
const U64_MAX: &str = "18446744073709551615";
/// 2^64: not an integer this exchange reads at all.
const TWO_POW_64: &str = "18446744073709551616";

// ---------------------------------------------------------------------------
// Plans: the requests of one case.

/// One request of an attack.
enum Step {
    /// `POST /v1/records` with this exact body; `label` names the record.
    Post { label: &'static str, body: String },
    /// `POST /v1/settle` for this receipt URI.
    Settle(String),
    /// Any request, bytes as given.
    Http {
        method: reqwest::Method,
        path: String,
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    },
}

impl Step {
    fn label(&self) -> &'static str {
        match self {
            Step::Post { label, .. } => label,
            Step::Settle(_) => "settle",
            Step::Http { .. } => "http",
        }
    }
}

/// What a case does: legitimate charges first (each must settle), then the
/// attack, whose requests run until the first refusal.
struct Plan {
    setup: Vec<Sealed>,
    attack: Vec<Step>,
    /// Authorizations whose state must not change.
    watch: Vec<String>,
}

impl Plan {
    fn attack(attack: Vec<Step>) -> Plan {
        Plan {
            setup: Vec::new(),
            attack,
            watch: Vec::new(),
        }
    }

    /// Posts the four records of `s`, then settles its receipt.
    fn charge(s: &Sealed) -> Plan {
        let mut attack = posts(s);
        attack.push(Step::Settle(s.receipt.uri.clone()));
        Plan {
            setup: Vec::new(),
            attack,
            watch: vec![s.authorization.uri.clone()],
        }
    }

    fn after(mut self, setup: Vec<Sealed>) -> Plan {
        self.watch
            .extend(setup.iter().map(|s| s.authorization.uri.clone()));
        self.setup = setup;
        self
    }
}

fn body_of(r: &RawRecord) -> String {
    format!(
        r#"{{"uri":{},"value":{}}}"#,
        json::to_canonical_string(&Value::String(r.uri.clone())),
        json::to_canonical_string(&r.value)
    )
}

fn post(label: &'static str, r: &RawRecord) -> Step {
    Step::Post {
        label,
        body: body_of(r),
    }
}

fn posts(s: &Sealed) -> Vec<Step> {
    vec![
        post("authorization", &s.authorization),
        post("job", &s.job),
        post("attestation", &s.attestation),
        post("receipt", &s.receipt),
    ]
}

type Build = Box<dyn Fn(&str) -> Plan>;

struct Case {
    name: String,
    build: Build,
    /// The step that must refuse: a record's label, "settle" or "http".
    at: &'static str,
    status: u16,
    code: &'static str,
}

fn case(name: &str, at: &'static str, status: u16, code: &'static str, build: Build) -> Case {
    Case {
        name: name.to_owned(),
        build,
        at,
        status,
        code,
    }
}

/// A valid scenario of its own: record keys, nonces and the attestation's
/// URI all derive from `tag`.
fn scenario(tag: &str) -> Scenario {
    let mut sc = Scenario::new(REQUESTER, PROVIDER, tag);
    sc.attestation_uri = sc
        .attestation_uri
        .replace("3lattestaaaa2", &rkey_for(&format!("att:{tag}")));
    sc
}

/// Another job and receipt under `base`'s authorization and attestation.
fn share(base: &Scenario, tag: &str) -> Scenario {
    let mut sc = base.sharing(tag);
    sc.attestation_uri = base.attestation_uri.clone();
    sc.attestation = base.attestation.clone();
    sc
}

fn single_job(sc: &mut Scenario) {
    set(&mut sc.authorization, "scope", r#""singleJob""#);
    sc.authorization.remove("sessionBudget");
}

/// A scenario changed before sealing and its sealed records after, then
/// charged.
fn bundle(
    edit: impl Fn(&mut Scenario) + 'static,
    tamper: impl Fn(&mut Sealed, &Scenario) + 'static,
) -> Build {
    Box::new(move |tag| {
        let mut sc = scenario(tag);
        edit(&mut sc);
        let mut s = sc.seal();
        tamper(&mut s, &sc);
        Plan::charge(&s)
    })
}

/// A rule case: the scenario is changed, then sealed (and so re-signed).
fn before(edit: impl Fn(&mut Scenario) + 'static) -> Build {
    bundle(edit, |_, _| {})
}

/// A tampering case: the sealed records are changed after signing.
fn after(tamper: impl Fn(&mut Sealed, &Scenario) + 'static) -> Build {
    bundle(|_| {}, tamper)
}

/// Which record of a bundle a raw edit applies to.
#[derive(Clone, Copy)]
enum Rec {
    Authorization,
    Job,
    Receipt,
}

/// A charge where one record's request body is edited as text (for what
/// no `Value` can hold: floats, duplicate keys, huge integers, nesting).
fn raw(
    which: Rec,
    edit: impl Fn(&mut Scenario) + 'static,
    text: impl Fn(String) -> String + 'static,
) -> Build {
    Box::new(move |tag| {
        let mut sc = scenario(tag);
        edit(&mut sc);
        let s = sc.seal();
        let mut plan = Plan::charge(&s);
        let index = match which {
            Rec::Authorization => 0,
            Rec::Job => 1,
            Rec::Receipt => 3,
        };
        if let Step::Post { body, .. } = &mut plan.attack[index] {
            let edited = text(body.clone());
            assert_ne!(&edited, body, "the raw edit of {tag} changed nothing");
            *body = edited;
        }
        plan
    })
}

fn http(
    method: reqwest::Method,
    path: &str,
    body: impl Into<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
) -> Build {
    let path = path.to_owned();
    let body = body.into();
    Box::new(move |_| {
        Plan::attack(vec![Step::Http {
            method: method.clone(),
            path: path.clone(),
            body: body.clone(),
            headers: headers.clone(),
        }])
    })
}

fn settle_uri(uri: &str) -> Build {
    let uri = uri.to_owned();
    Box::new(move |_| Plan::attack(vec![Step::Settle(uri.clone())]))
}

// ---------------------------------------------------------------------------
// Editing signed records.

fn cid(v: &Value) -> String {
    Cid::for_record(v).expect("a record's CID").to_string()
}

fn edit(v: &mut Value, path: &str, json: &str) {
    set(object_mut(v), path, json);
}

fn resign(s: &mut Sealed, sc: &Scenario) {
    sign_receipt(&mut s.receipt.value, &sc.provider_key);
}

fn quoted(s: &str) -> String {
    json::to_canonical_string(&Value::String(s.to_owned()))
}

/// The receipt's signature, decoded from base64.
fn der(s: &Sealed) -> Vec<u8> {
    let b64 = s
        .receipt
        .value
        .get("enclaveSignature")
        .and_then(Value::as_str);
    B64.decode(b64.expect("a sealed receipt is signed"))
        .expect("base64")
}

fn set_signature(s: &mut Sealed, b64: &str) {
    edit(&mut s.receipt.value, "enclaveSignature", &quoted(b64));
}

fn set_der(s: &mut Sealed, bytes: &[u8]) {
    set_signature(s, &B64.encode(bytes));
}

/// The two INTEGERs of a DER signature, as encoded (sign byte included).
fn der_integers(d: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!((d[0], d[2]), (0x30, 0x02), "a strict DER signature");
    let rl = usize::from(d[3]);
    let r = d[4..4 + rl].to_vec();
    let s = d[4 + rl + 2..].to_vec();
    (r, s)
}

/// A DER SEQUENCE of two INTEGERs given as they are to be encoded.
fn der_of(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30, (4 + r.len() + s.len()) as u8, 0x02, r.len() as u8];
    out.extend_from_slice(r);
    out.extend_from_slice(&[0x02, s.len() as u8]);
    out.extend_from_slice(s);
    out
}

/// Minimal positive INTEGER encoding of a big-endian number.
fn integer(v: &[u8]) -> Vec<u8> {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len() - 1);
    let mut out = Vec::new();
    if v[start] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&v[start..]);
    out
}

fn to_32(enc: &[u8]) -> [u8; 32] {
    let v = if enc.len() == 33 { &enc[1..] } else { enc };
    let mut out = [0u8; 32];
    out[32 - v.len()..].copy_from_slice(v);
    out
}

/// n - s: the other valid signature of the same message (high/low S).
fn negate(s: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

/// The receipt's signature with s replaced by n - s: still valid.
fn malleated(s: &Sealed) -> Vec<u8> {
    let (r, sv) = der_integers(&der(s));
    der_of(&r, &integer(&negate(&to_32(&sv))))
}

/// `depth` nested arrays.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn deposit_body(amount: &str) -> String {
    format!(
        r#"{{"id":"attack-deposit","requester":"{REQUESTER}","amount":{{"amount":{amount},"currency":"USD"}}}}"#
    )
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

// ---------------------------------------------------------------------------
// The catalogue.

fn catalogue() -> Vec<Case> {
    let mut cases = signatures::cases();
    cases.extend(records::strong_refs());
    cases.extend(settle::rules());
    cases.extend(records::formats());
    cases.extend(settle::replays());
    cases.extend(http::cases());
    cases.extend(settle::missing());
    cases
}

// ---------------------------------------------------------------------------
// Running the catalogue.

/// Everything a refused attack must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot(BTreeMap<String, String>);

async fn snapshot(app: &App, plan: &Plan) -> Snapshot {
    let mut out = BTreeMap::new();
    for did in [REQUESTER, EVE, CAROL] {
        let r = app.get(&format!("/v1/requesters/{did}/balance")).await;
        out.insert(
            format!("requester {did}"),
            format!("{} {:?}", r.status, r.body),
        );
        let n = app
            .service
            .store
            .settlements_where(SettlementColumn::Requester, did, 0, 10_000)
            .await
            .expect("settlements")
            .len();
        out.insert(format!("settlements of {did}"), n.to_string());
    }
    for did in [PROVIDER, MALLORY] {
        let r = app.get(&format!("/v1/providers/{did}/balance")).await;
        out.insert(
            format!("provider {did}"),
            format!("{} {:?}", r.status, r.body),
        );
    }
    let ledger = app.service.store.ledger();
    for currency in ["USD", "USDC"] {
        for (name, id) in [
            ("fees", accounts::fees(currency)),
            ("escrow", accounts::escrow(currency)),
            ("deposits", accounts::deposits(currency)),
        ] {
            let b = ledger.balance(&id).await.ok().map(|b| {
                (
                    b.debits_posted,
                    b.credits_posted,
                    b.debits_pending,
                    b.credits_pending,
                )
            });
            out.insert(format!("{name} {currency}"), format!("{b:?}"));
        }
    }
    for uri in &plan.watch {
        let r = app.get(&format!("/v1/authorizations?uri={uri}")).await;
        out.insert(
            format!("authorization {uri}"),
            format!("{} {:?}", r.status, r.body),
        );
    }
    for step in &plan.attack {
        if let Step::Settle(uri) = step {
            let s = app.service.store.settlement_by_receipt(uri).await;
            let s = s.ok().flatten().map(|row| (row.uri, row.cid));
            out.insert(format!("settlement of {uri}"), format!("{s:?}"));
        }
    }
    Snapshot(out)
}

/// Sends one step of a case as it is, bytes and headers.
async fn send(app: &App, step: &Step) -> Reply {
    let (method, path, body, headers) = match step {
        Step::Post { body, .. } => (
            reqwest::Method::POST,
            "/v1/records".to_owned(),
            body.clone().into_bytes(),
            Vec::new(),
        ),
        Step::Settle(uri) => {
            let mut m = Map::new();
            m.insert("receipt".into(), uri.as_str().into());
            (
                reqwest::Method::POST,
                "/v1/settle".to_owned(),
                json::to_canonical(&Value::Object(m)),
                Vec::new(),
            )
        }
        Step::Http {
            method,
            path,
            body,
            headers,
        } => (method.clone(), path.clone(), body.clone(), headers.clone()),
    };
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    Reply::read(req.send().await.expect("request")).await
}

/// What went wrong in one case: the answer (where and how it was
/// refused), and anything else (state moved, malformed problem, set-up).
#[derive(Default)]
struct Verdict {
    answer: Option<String>,
    harm: Vec<String>,
}

async fn run_case(app: &App, case: &Case, tag: &str) -> Verdict {
    let plan = (case.build)(tag);
    let mut verdict = Verdict::default();
    for s in &plan.setup {
        for step in posts(s) {
            let a = send(app, &step).await;
            if !(a.status == 200 || a.status == 201) {
                let label = step.label();
                verdict
                    .harm
                    .push(format!("setup {label}: {} {:?}", a.status, a.body));
                return verdict;
            }
        }
        let a = send(app, &Step::Settle(s.receipt.uri.clone())).await;
        if a.status != 201 {
            verdict
                .harm
                .push(format!("setup settle: {} {:?}", a.status, a.body));
            return verdict;
        }
    }
    let before = snapshot(app, &plan).await;
    let mut refusal = None;
    for step in &plan.attack {
        let a = send(app, step).await;
        if a.status >= 300 {
            refusal = Some((step.label(), a));
            break;
        }
    }
    let after = snapshot(app, &plan).await;
    match &refusal {
        None => {
            verdict.answer = Some("every request was accepted".to_owned());
        }
        Some((at, a)) => {
            let code = a.body.get("code").and_then(Value::as_str).unwrap_or("");
            if (*at, a.status, code) != (case.at, case.status, case.code) {
                verdict.answer = Some(format!(
                    "refused at {at} with {} {code:?}, expected at {} with {} {:?}: {:?}",
                    a.status,
                    case.at,
                    case.status,
                    case.code,
                    a.body.get("detail")
                ));
            }
            let shape = a.content_type == "application/problem+json"
                && a.body.get("status").and_then(Value::as_int) == Some(i128::from(a.status))
                && a.body.get("type").and_then(Value::as_str)
                    == Some(format!("urn:settlement:problem:{code}").as_str())
                && a.body.get("title").and_then(Value::as_str) == Some(code)
                && a.body
                    .get("detail")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.is_empty());
            if !shape {
                verdict.harm.push(format!(
                    "not a complete problem document ({}): {:?}",
                    a.content_type, a.body
                ));
            }
        }
    }
    if before != after {
        let moved: Vec<String> = before
            .0
            .iter()
            .filter(|(k, v)| after.0.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k}: {v} -> {:?}", after.0.get(k)))
            .collect();
        verdict.harm.push(format!("state moved: {moved:?}"));
    }
    verdict
}

async fn attack_catalogue(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.deposit(REQUESTER, 10_000_000, "alice").await.status,
        201
    );
    assert_eq!(app.deposit(EVE, 1_000_000, "eve").await.status, 201);
    let cases = catalogue();
    let start = Instant::now();
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let v = run_case(&app, case, &format!("attack-{n}")).await;
        let name = format!("#{n} {}", case.name);
        failures.extend(v.harm.iter().map(|h| format!("{name}: {h}")));
        if let Some(a) = v.answer {
            failures.push(format!("{name}: {a}"));
        }
    }
    println!(
        "attack catalogue ({b:?}): {} cases, {} failed, {:.1} s",
        cases.len(),
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(cases.len() >= 50);
    assert!(
        failures.is_empty(),
        "{} of {} attacks failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// One session budget against 1,000 concurrent receipts.

const RACERS: usize = 1000;

async fn a_thousand_receipts_race_one_session_budget(b: Backend) {
    let limits = settlement::api::Limits {
        in_flight_max: 2 * RACERS,
        request_timeout: Duration::from_secs(120),
        connections_per_client_max: 2 * RACERS,
        ..settlement::api::Limits::default()
    };
    let app = spawn_app_with(b, limits).await;
    assert_eq!(app.deposit(REQUESTER, 1_000_000, "race").await.status, 201);
    // Budget 20000 at 250 a receipt: exactly 80 fit.
    let base = scenario("race");
    let (budget, price, fee) = (20_000i128, 250i128, 6i128);
    let fits = usize::try_from(budget / price).unwrap();
    let start = Instant::now();
    let sealed: Vec<Sealed> = (0..RACERS)
        .map(|i| share(&base, &format!("race-{i}")).seal())
        .collect();
    let sealed_in = start.elapsed();
    let start = Instant::now();
    let mut bodies = vec![
        body_of(&sealed[0].authorization),
        body_of(&sealed[0].attestation),
    ];
    for s in &sealed {
        bodies.push(body_of(&s.job));
        bodies.push(body_of(&s.receipt));
    }
    let ingest = count(&app, "/v1/records", bodies, 16).await;
    assert_eq!(
        ingest,
        BTreeMap::from([((201, String::new()), 2 * RACERS + 2)])
    );
    let ingested = start.elapsed();

    let start = Instant::now();
    let settles = sealed
        .iter()
        .map(|s| format!(r#"{{"receipt":{}}}"#, quoted(&s.receipt.uri)))
        .collect();
    let results = count(&app, "/v1/settle", settles, RACERS).await;
    let raced = start.elapsed();
    println!(
        "race ({b:?}): {RACERS} receipts sealed in {:.1} s, ingested in {:.1} s, settled at once in {:.1} s: {results:?}",
        sealed_in.as_secs_f64(),
        ingested.as_secs_f64(),
        raced.as_secs_f64()
    );
    assert_eq!(
        results,
        BTreeMap::from([
            ((201, String::new()), fits),
            ((422, "session-budget-exceeded".to_owned()), RACERS - fits),
        ])
    );
    // The ledger holds exactly the budget's worth of charges.
    let charges = i128::try_from(fits).unwrap();
    assert_eq!(
        app.requester_usd(REQUESTER).await,
        (1_000_000 - budget, 0, 1_000_000 - budget)
    );
    let p = app
        .get(&format!("/v1/providers/{PROVIDER}/balance?currency=USD"))
        .await;
    assert_eq!(
        p.body
            .get("USD")
            .and_then(|u| u.get("payable"))
            .and_then(Value::as_int),
        Some(charges * (price - fee))
    );
    let fees = app
        .service
        .store
        .ledger()
        .balance(&accounts::fees("USD"))
        .await
        .expect("fees account");
    assert_eq!(
        i128::from(fees.credits_posted - fees.debits_posted),
        charges * fee
    );
    assert_eq!(
        app.charged(&base.authorization_uri).await,
        (Some(budget), Some(charges))
    );
    let rows = app
        .service
        .store
        .settlements_where(SettlementColumn::Requester, REQUESTER, 0, 10_000)
        .await
        .expect("settlements");
    assert_eq!(rows.len(), fits);
}

// ---------------------------------------------------------------------------
// Many versions of one receipt URI at once.

const VERSIONS: usize = 32;

async fn one_receipt_uri_many_versions_at_once(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(
        app.deposit(REQUESTER, 1_000_000, "versions").await.status,
        201
    );
    let base = scenario("versions");
    let first = base.seal();
    for r in [&first.authorization, &first.job, &first.attestation] {
        assert_eq!(app.post_record(r).await.status, 201, "{}", r.uri);
    }
    // Each version validly signed, at its own price.
    let versions: Vec<Sealed> = (0..VERSIONS)
        .map(|i| {
            let mut sc = base.clone();
            set(&mut sc.receipt, "price.amount", &(100 + i).to_string());
            sc.seal()
        })
        .collect();
    let bodies = versions.iter().map(|s| body_of(&s.receipt)).collect();
    let results = count(&app, "/v1/records", bodies, VERSIONS).await;
    assert_eq!(
        results,
        BTreeMap::from([
            ((201, String::new()), 1),
            ((409, "record-conflict".to_owned()), VERSIONS - 1),
        ])
    );
    // The one stored is the one charged, once; no other version moves it.
    let stored = app
        .get(&format!("/v1/records?uri={}", base.receipt_uri))
        .await;
    let price = stored
        .body
        .get("value")
        .and_then(|v| v.get("price"))
        .and_then(|p| p.get("amount"))
        .and_then(Value::as_int)
        .expect("stored price");
    assert_eq!(app.settle(&base.receipt_uri).await.status, 201);
    let bodies = versions.iter().map(|s| body_of(&s.receipt)).collect();
    let again = count(&app, "/v1/records", bodies, VERSIONS).await;
    assert_eq!(
        again,
        BTreeMap::from([
            ((200, String::new()), 1),
            ((409, "record-conflict".to_owned()), VERSIONS - 1),
        ])
    );
    let (balance, _, _) = app.requester_usd(REQUESTER).await;
    assert_eq!(balance, 1_000_000 - price);
    let rows = app
        .service
        .store
        .settlements_where(SettlementColumn::Requester, REQUESTER, 0, 100)
        .await
        .expect("settlements");
    assert_eq!(rows.len(), 1);
}

/// Posts each body to `path`, `parallel` at a time; counts the outcomes.
async fn count(
    app: &App,
    path: &str,
    bodies: Vec<String>,
    parallel: usize,
) -> BTreeMap<(u16, String), usize> {
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let (client, url, gate) = (
            app.client.clone(),
            format!("{}{path}", app.base),
            gate.clone(),
        );
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore");
            let resp = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            let body = json::parse(&resp.bytes().await.expect("body")).unwrap_or(Value::Null);
            let code = body.get("code").and_then(Value::as_str).unwrap_or("");
            (status, code.to_owned())
        });
    }
    let mut out = BTreeMap::new();
    while let Some(r) = tasks.join_next().await {
        *out.entry(r.expect("task")).or_insert(0) += 1;
    }
    out
}

on_both_backends!(
    attack_catalogue,
    a_thousand_receipts_race_one_session_budget,
    one_receipt_uri_many_versions_at_once,
);
